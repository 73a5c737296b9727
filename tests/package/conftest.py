"""Shared fixtures for the unit tests."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_keras_state():
    """Each test starts from the same seed with fresh layer-name counters."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(7)
    yield
    keras.backend.clear_session()
