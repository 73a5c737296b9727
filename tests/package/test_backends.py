"""What the package does on the backend the tests run under (KERAS_BACKEND).

`make test-unit` runs tests/package once per backend: TensorFlow, JAX and
PyTorch. The tracer's per-backend behaviour is tested in test_tracer.py;
this file holds what is about the backend itself.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from keras_call_guide import TwoLayerClassifier, check_model

BACKEND = keras.backend.backend()


def test_the_backend_is_the_one_asked_for():
    # A stray import order or config file would silently test TensorFlow three times.
    import os

    assert BACKEND == os.environ.get("KERAS_BACKEND", "tensorflow")


@pytest.mark.skipif(BACKEND == "tensorflow", reason="the checkup runs on TensorFlow (test_checkup.py)")
def test_check_model_refuses_other_backends_with_a_clear_error():
    model = TwoLayerClassifier(hidden_units=4, num_classes=2)
    with pytest.raises(RuntimeError, match=rf"TensorFlow backend only; the backend is '{BACKEND}'"):
        check_model(model, np.ones((2, 3), dtype="float32"))
