"""Write small TFLite flatbuffers for tests, with the schema module the runtime ships."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema

_DTYPES: dict[type[np.generic], int] = {
    np.float32: schema.TensorType.FLOAT32,
    np.uint8: schema.TensorType.UINT8,
    np.int8: schema.TensorType.INT8,
    np.int32: schema.TensorType.INT32,
}


@dataclass
class Tensor:
    """One tensor of the graph; `data` makes it a constant."""

    name: str
    shape: list[int]
    dtype: type[np.generic] = np.float32
    scale: float | None = None
    zero_point: int = 0
    data: np.ndarray[Any, Any] | None = None


@dataclass
class Op:
    """One operator: a builtin code, or CUSTOM with a custom code name."""

    code: int
    inputs: list[int]
    outputs: list[int]
    options_type: int = 0
    options: Any = None
    custom_code: str | None = None


@dataclass
class Graph:
    """A single-subgraph model."""

    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]
    description: str = "mlwatch test model"
    metadata: dict[str, bytes] = field(default_factory=dict)


def _add_buffer(model: schema.ModelT, payload: bytes) -> int:
    """Append a buffer holding `payload`; return its index."""
    buf = schema.BufferT()
    buf.data = list(payload)
    model.buffers.append(buf)
    return len(model.buffers) - 1


def _tensor(model: schema.ModelT, spec: Tensor) -> schema.TensorT:
    """Turn one spec into a schema tensor, storing its constant data."""
    t = schema.TensorT()
    t.name = spec.name
    t.shape = list(spec.shape)
    t.type = _DTYPES[spec.dtype]
    t.buffer = 0
    if spec.data is not None:
        t.buffer = _add_buffer(model, np.ascontiguousarray(spec.data, dtype=spec.dtype).tobytes())
    if spec.scale is not None:
        q = schema.QuantizationParametersT()
        q.scale = [spec.scale]
        q.zeroPoint = [spec.zero_point]
        t.quantization = q
    return t


def build(graph: Graph) -> bytes:
    """Serialise the graph to TFLite flatbuffer bytes."""
    model = schema.ModelT()
    model.version = 3
    model.description = graph.description
    model.buffers = [schema.BufferT()]  # buffer 0 is the empty sentinel by convention
    sub = schema.SubGraphT()
    sub.tensors = [_tensor(model, spec) for spec in graph.tensors]
    codes: list[tuple[int, str | None]] = []
    sub.operators = []
    for op in graph.ops:
        key = (op.code, op.custom_code)
        if key not in codes:
            codes.append(key)
        o = schema.OperatorT()
        o.opcodeIndex = codes.index(key)
        o.inputs = op.inputs
        o.outputs = op.outputs
        o.builtinOptionsType = op.options_type
        o.builtinOptions = op.options
        sub.operators.append(o)
    model.operatorCodes = []
    for code, custom in codes:
        oc = schema.OperatorCodeT()
        oc.builtinCode = code
        oc.deprecatedBuiltinCode = min(code, 127)
        oc.customCode = custom
        oc.version = 1
        model.operatorCodes.append(oc)
    sub.inputs = graph.inputs
    sub.outputs = graph.outputs
    model.subgraphs = [sub]
    model.metadata = []
    for name, payload in graph.metadata.items():
        md = schema.MetadataT()
        md.name = name
        md.buffer = _add_buffer(model, payload)
        model.metadata.append(md)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def add_model(size: int = 4) -> bytes:
    """A one-op model: out = a + b, float32 vectors of `size`."""
    opts = schema.AddOptionsT()
    return build(
        Graph(
            tensors=[
                Tensor("a", [1, size]),
                Tensor("b", [1, size]),
                Tensor("sum", [1, size]),
            ],
            ops=[
                Op(schema.BuiltinOperator.ADD, [0, 1], [2], schema.BuiltinOptions.AddOptions, opts)
            ],
            inputs=[0, 1],
            outputs=[2],
        )
    )
