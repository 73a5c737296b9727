"""The tooling's tests run the doc-block runner on pages of their own (pytester).

`fork_servers` is one pre-imported interpreter (docs_tooling.forkserver)
shared by every test that forks from it: starting one costs a TensorFlow
import. Those tests carry the `xdist_group` mark FORK_SERVER_GROUP, so that
`make test-unit` (`--dist loadgroup`) runs them on one worker, which then
starts one server, not one per worker.
"""

import pytest

from docs_tooling import doc_blocks, forkserver

pytest_plugins = ["pytester"]

FORK_SERVER_GROUP = "fork-server"


@pytest.fixture(scope="session")
def fork_servers():
    pool = forkserver.ForkServerPool(1, doc_blocks.fork_server_environment())
    yield pool
    pool.close()
