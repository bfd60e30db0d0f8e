"""Read the input normalisation a model declares in its TFLite metadata (TFLITE_METADATA).

Walks the two flatbuffers by field number (TFLite schema, metadata_schema.fbs), so it needs
neither tflite-support nor the runtime's generated schema module.
"""

from __future__ import annotations

import struct

from flatbuffers.number_types import Uint8Flags, Uint32Flags
from flatbuffers.table import Table

_UOFFSET = 4
# Model: 4 buffers, 6 metadata.  Metadata: 0 name, 1 buffer.  Buffer: 0 data.
_MODEL_BUFFERS, _MODEL_METADATA = 4, 6
# ModelMetadata: 3 subgraph_metadata.  SubGraphMetadata: 2 input_tensor_metadata.
# TensorMetadata: 4 process_units.  ProcessUnit: 0 options_type, 1 options.
_SUBGRAPHS, _INPUTS, _PROCESS_UNITS = 3, 2, 4
_NORMALIZATION = 1  # ProcessUnitOptions.NormalizationOptions


def _offset(t: Table, field: int) -> int:
    return int(t.Offset(4 + 2 * field))


def _root(data: bytes) -> Table:
    (start,) = struct.unpack_from("<I", data, 0)
    return Table(bytearray(data), start)


def _tables(t: Table, field: int) -> list[Table]:
    o = _offset(t, field)
    if not o:
        return []
    start = t.Vector(o)
    return [Table(t.Bytes, t.Indirect(start + _UOFFSET * i)) for i in range(t.VectorLen(o))]


def _floats(t: Table, field: int) -> list[float]:
    o = _offset(t, field)
    if not o:
        return []
    start, count = t.Vector(o), t.VectorLen(o)
    return list(struct.unpack_from(f"<{count}f", t.Bytes, start))


def _string(t: Table, field: int) -> str:
    o = _offset(t, field)
    return bytes(t.String(o + t.Pos)).decode() if o else ""


def _metadata_buffer(model: bytes) -> bytes | None:
    """The TFLITE_METADATA blob a model carries, if any."""
    root = _root(model)
    buffers = _tables(root, _MODEL_BUFFERS)
    for entry in _tables(root, _MODEL_METADATA):
        if _string(entry, 0) != "TFLITE_METADATA":
            continue
        o = _offset(entry, 1)
        index = entry.Get(Uint32Flags, o + entry.Pos) if o else 0
        if index >= len(buffers):
            return None
        data = buffers[index]
        od = _offset(data, 0)
        if not od:
            return None
        start = data.Vector(od)
        return bytes(data.Bytes[start : start + data.VectorLen(od)])
    return None


def input_normalization(model: bytes) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """Mean and std of the first input, per channel (or one value for all), if declared."""
    try:
        blob = _metadata_buffer(model)
        if not blob:
            return None
        meta = _root(blob)
        for subgraph in _tables(meta, _SUBGRAPHS)[:1]:
            for tensor in _tables(subgraph, _INPUTS)[:1]:
                for unit in _tables(tensor, _PROCESS_UNITS):
                    o_type, o_value = _offset(unit, 0), _offset(unit, 1)
                    if not o_type or unit.Get(Uint8Flags, o_type + unit.Pos) != _NORMALIZATION:
                        continue
                    options = Table(unit.Bytes, unit.Indirect(o_value + unit.Pos))
                    mean, std = _floats(options, 0), _floats(options, 1)
                    if mean and std and all(s > 0 for s in std):
                        return tuple(mean), tuple(std)
    except (struct.error, IndexError, UnicodeDecodeError):
        return None  # damaged metadata is no reason to refuse a model that runs
    return None
