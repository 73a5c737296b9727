"""The standalone fast path (a forked, pre-imported interpreter) runs a block as
`python block.py` would, and sends what it cannot run that way to a real new
interpreter. Each test fails if the fork path stops being equivalent.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import textwrap
from pathlib import Path

import pytest
from pytest_codeblocks.main import CodeBlock

from docs_tooling import doc_blocks, forkserver

from .conftest import FORK_SERVER_GROUP

pytestmark = pytest.mark.xdist_group(FORK_SERVER_GROUP)


@pytest.fixture
def servers(fork_servers):
    """The session's one server (conftest.py): each block is a fresh fork of it."""
    return fork_servers


def block(code: str, lineno: int = 3) -> CodeBlock:
    return CodeBlock(textwrap.dedent(code), lineno, "python")


def test_a_block_that_forgot_an_import_fails_although_the_server_imported_it(servers):
    # The server has imported NumPy; the block's own namespace must not have it.
    with pytest.raises(doc_blocks.BlockFailed, match="NameError: name 'np' is not defined"):
        doc_blocks.run_standalone(block("print(np.ones(2))\n"), "page.md:3", servers)


def test_a_block_runs_as_main_from_its_file_with_its_page_line_numbers(servers):
    code = """\
    import inspect
    import sys


    class Marker:
        pass


    print(__name__, sys.argv[0].endswith("block.py"), sys.path[0] == sys.argv[0].rsplit("/", 1)[0])
    print(inspect.getsource(Marker).splitlines()[0])
    raise ValueError("from the block")
    """
    with pytest.raises(doc_blocks.BlockFailed) as failure:
        doc_blocks.run_standalone(block(code, lineno=10), "docs/page.md:10", servers)
    message = str(failure.value)
    assert "__main__ True True\nclass Marker:\n" in message
    assert 'File "docs/page.md", line 21' in message
    assert "ValueError: from the block" in message


def test_prints_and_tensorflow_writes_arrive_in_order(servers):
    code = """\
    import sys

    import tensorflow as tf

    print("one")
    tf.print("two", output_stream=sys.stdout)
    print("three")
    """
    assert doc_blocks.run_standalone(block(code), "page.md:3", servers) == "one\ntwo\nthree\n"


def test_unseeded_randomness_differs_between_forked_blocks(servers):
    # A new process draws fresh random state; a fork would copy the server's.
    code = """\
    import random

    import numpy as np

    print(random.random(), np.random.rand())
    """
    runs = {doc_blocks.run_standalone(block(code), "page.md:3", servers) for _ in range(3)}
    assert len(runs) == 3


def test_exit_codes_are_the_interpreters(servers):
    assert (
        doc_blocks.run_standalone(block("import sys\nprint('ok')\nsys.exit(0)\n"), "p.md:3", servers)
        == "ok\n"
    )
    with pytest.raises(doc_blocks.BlockFailed, match="exited 3"):
        doc_blocks.run_standalone(block("import sys\nsys.exit(3)\n"), "p.md:3", servers)


@pytest.mark.parametrize(
    "code",
    [
        'import os\nos.environ["KERAS_BACKEND"] = "numpy"\n',
        "import os\nos.putenv('X', '1')\n",
        "# TF_USE_LEGACY_KERAS=1 is read when tf.keras is first used\n",
        "import importlib, keras\nimportlib.reload(keras)\n",
    ],
)
def test_blocks_that_touch_the_environment_need_a_new_interpreter(code):
    assert forkserver.needs_fresh_interpreter(code)


def test_ordinary_blocks_are_forked():
    assert not forkserver.needs_fresh_interpreter("import keras\nprint(keras.__version__)\n")


def test_a_block_that_changes_the_environment_before_importing_gets_a_new_interpreter(servers):
    # Keras reads KERAS_MAX_EPOCHS when it is imported: forked, the block
    # would find Keras imported already, without it. The block prints what
    # its interpreter had imported instead of importing Keras itself: a
    # forked child lists the preloaded modules, a new interpreter none, and
    # the test does not pay a second TensorFlow import to tell them apart.
    code = """\
    import os
    import sys

    os.environ["KERAS_MAX_EPOCHS"] = "2"
    print(sorted(name for name in ("numpy", "tensorflow", "keras") if name in sys.modules))
    """
    assert doc_blocks.run_standalone(block(code), "page.md:3", servers) == "[]\n"


def test_only_the_fork_servers_get_the_compilation_cache(monkeypatch):
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", "/tmp/cache")
    monkeypatch.setenv("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    assert set(doc_blocks.COMPILATION_CACHE_VARIABLES) <= set(doc_blocks.fork_server_environment())
    assert not set(doc_blocks.COMPILATION_CACHE_VARIABLES) & set(doc_blocks.reader_environment())


def test_the_makefile_turns_on_only_the_variables_a_new_interpreter_drops():
    # A variable the Makefile adds for the cache but reader_environment() keeps
    # would reach the sampled blocks' new interpreter, and hide a difference.
    makefile = (Path(__file__).parents[2] / "Makefile").read_text(encoding="utf-8")
    line = re.search(r"^JAX_CACHED = (.+)$", makefile, re.M)
    assert line, "the Makefile no longer defines JAX_CACHED"
    assert re.findall(r"(\w+)=", line[1]) == list(doc_blocks.COMPILATION_CACHE_VARIABLES)


def test_a_new_interpreter_runs_without_the_compilation_cache(servers, monkeypatch):
    # The sampled blocks' second run is the reader's, who has no cache: what
    # the forked run loaded from it must match what compiling gives. The block
    # reads os.environ, so run_standalone sends it to a new interpreter.
    for name in doc_blocks.COMPILATION_CACHE_VARIABLES:
        monkeypatch.setenv(name, "0")
    code = f"""\
    import os

    print([name for name in {doc_blocks.COMPILATION_CACHE_VARIABLES!r} if name in os.environ])
    """
    assert doc_blocks.run_standalone(block(code), "page.md:3", servers) == "[]\n"


def test_the_comparison_fails_when_forked_and_new_interpreters_differ(servers):
    # Only a forked child finds TensorFlow imported before the block runs.
    code = 'import sys\nprint("tensorflow" in sys.modules)\n'
    with pytest.raises(doc_blocks.BlockFailed, match="no longer runs blocks as a reader would"):
        doc_blocks.run_both_ways(block(code), "page.md:3", servers)


def test_the_comparison_passes_when_both_print_the_same(servers):
    code = "import keras\nprint(keras.ops.ones((2, 3)).shape)\n"
    assert doc_blocks.run_both_ways(block(code), "page.md:3", servers) == "(2, 3)\n"


def test_a_pool_needs_a_server():
    with pytest.raises(ValueError, match="at least one server"):
        forkserver.ForkServerPool(0, {})


def _reads_of_sys_modules_for_tensorflow(tree: ast.AST) -> list[str]:
    """The functions in `tree` that look up a "tensorflow..." name in `sys.modules`."""
    found = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        names_tensorflow = any(
            isinstance(child, ast.Constant) and str(child.value).startswith("tensorflow")
            for child in ast.iter_child_nodes(node)
        )
        touches_modules = any(
            isinstance(child, ast.Attribute) and child.attr == "modules" for child in ast.walk(node)
        )
        if names_tensorflow and touches_modules and isinstance(node, ast.Compare | ast.Call | ast.Subscript):
            found.append(function)
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "<module>")
    return found


def test_keras_asks_whether_tensorflow_is_imported_only_where_preloading_it_changes_nothing():
    # Every fork server preloads TensorFlow, under JAX and PyTorch too
    # (forkserver.preload). A block cannot see that as long as the only Keras
    # code that asks sys.modules about it is `in_tf_graph`, which then asks
    # `tf.executing_eagerly()`: eager code, the only code that runs without
    # TensorFlow imported, gets False both ways. A Keras upgrade that asks
    # elsewhere fails here, and the new place must be read.
    spec = importlib.util.find_spec("keras")
    assert spec is not None and spec.submodule_search_locations
    source = Path(next(iter(spec.submodule_search_locations))) / "src"
    found = set()
    for path in sorted(source.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "tensorflow" in text and "modules" in text:
            where = path.relative_to(source).as_posix()
            found.update(f"{where}:{name}" for name in _reads_of_sys_modules_for_tensorflow(ast.parse(text)))
    assert found == {"utils/backend_utils.py:in_tf_graph"}


def test_the_scan_finds_each_way_of_asking():
    code = """\
import sys
if "tensorflow" in sys.modules: pass
def get(): return sys.modules.get("tensorflow")
def item(): return sys.modules["tensorflow.python"]
def other(): return "torch" in sys.modules
"""
    assert _reads_of_sys_modules_for_tensorflow(ast.parse(code)) == ["<module>", "get", "item"]
