"""The TFLite runtime the core builds on: installed, importable, and running a model."""

from __future__ import annotations

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from tests.tflite_models import add_model


def test_runtime_runs_a_model_written_in_the_test() -> None:
    interpreter = Interpreter(model_content=add_model(4))
    interpreter.allocate_tensors()
    a, b = interpreter.get_input_details()
    interpreter.set_tensor(a["index"], np.array([[1, 2, 3, 4]], np.float32))
    interpreter.set_tensor(b["index"], np.array([[10, 20, 30, 40]], np.float32))
    interpreter.invoke()
    out = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_array_equal(out, [[11, 22, 33, 44]])
