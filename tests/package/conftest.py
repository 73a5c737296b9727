"""Shared fixtures for the unit tests."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True)
def fresh_keras_state():
    """Each test starts from the same seed with fresh layer-name counters.

    `free_memory=False`: the state is reset all the same (names, graph,
    kernel cache), without the full `gc.collect()`, which costs about 0.2 s
    of CPU once TensorFlow holds a few traced models, twice per test.
    Python's own collector still runs.
    """
    # Imported here, not at the top: pytest-xdist's controller loads this
    # file but runs no test, and importing Keras there costs it a whole
    # TensorFlow import (several CPU seconds) for nothing.
    import keras

    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(7)
    yield
    keras.backend.clear_session(free_memory=False)
