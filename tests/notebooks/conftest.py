"""The kernels the notebook tests run in: forked from one pre-imported interpreter per process."""

import pytest

from docs_tooling import notebook_check


@pytest.fixture(scope="session")
def kernels():
    pool = notebook_check.ForkedKernels()
    yield pool
    pool.close()
