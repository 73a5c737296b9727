"""The doc-block runner keeps its promises: each test runs it on small pages.

Each run is `pytest --doc-blocks` through pytester, in a temporary directory,
so the pages here are the only pages. Runs are in this process, as
`make test-docs` runs the blocks, except the isolation runs: those let blocks
spoil process-wide state on purpose (with the isolation sabotaged, they must),
so they run in a process of their own, forked from the tests' pre-imported
interpreter (`fork_servers` in conftest.py) to spare a TensorFlow import.
"""

from __future__ import annotations

import random
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

# Imported before any pytester snapshots sys.modules, so they stay imported
# after each in-process run: NumPy and TensorFlow cannot be imported twice.
import keras  # noqa: F401
import pytest
import tensorflow  # noqa: F401

from docs_tooling import forkserver
from docs_tooling.doc_blocks import START_SEED
from docs_tooling.paths import SRC

from .conftest import FORK_SERVER_GROUP


def write_page(directory: Path, name: str, text: str) -> Path:
    page = directory / name
    page.write_text(textwrap.dedent(text), encoding="utf-8")
    return page


@dataclass
class Run:
    returncode: int
    stdout: str
    report: str  # stdout and stderr


RUNNER_ARGS = (
    "-p",
    "docs_tooling.doc_blocks",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:warnings",
    "--doc-blocks",
    "-rA",
)


def run_doc_blocks(pytester: pytest.Pytester, *args: str, fresh_process: bool = False) -> Run:
    if fresh_process:
        result = pytester.runpytest_subprocess(*RUNNER_ARGS, *args, timeout=900)
    else:
        result = pytester.runpytest_inprocess(*RUNNER_ARGS, *args)
    stdout = "\n".join(result.outlines)
    return Run(int(result.ret), stdout, stdout + "\n" + "\n".join(result.errlines))


def outcome(report: str, outcome: str, node: str) -> bool:
    return re.search(rf"^{outcome} {re.escape(node)}(\s|$)", report, re.M) is not None


# Fidelity and self-check: one run, pages that must pass and pages that must fail.

FIDELITY = """\
    # Fidelity

    ```python
    print(__name__)
    ```
    <!--pytest-codeblocks:expected-output-->
    ```text
    __main__
    ```

    ```python
    import inspect


    def double(x):
        return 2 * x


    class Box:
        size = 3


    print(inspect.getsource(double).splitlines()[0])
    print(inspect.getsource(Box).splitlines()[0])
    ```
    <!--pytest-codeblocks:expected-output-->
    ```text
    def double(x):
    class Box:
    ```

    AutoGraph reads the function's source; without it `if x > 0` on a tensor fails in a graph.

    ```python
    import sys

    import tensorflow as tf


    @tf.function
    def absolute(x):
        if x > 0:
            return x
        return -x


    print("python print")
    tf.print("tf.print", absolute(tf.constant(-2)), output_stream=sys.stdout)
    ```
    <!--pytest-codeblocks:expected-output-->
    ```text
    python print
    tf.print 2
    ```
    """

RAISES = """\
    # Raises

    ```python
    x = 1
    raise ValueError(f"boom {x}")
    ```
    """

DIFFERS = """\
    # Differs

    ```python
    print("what the code prints")
    ```
    <!--pytest-codeblocks:expected-output-->
    ```text
    what the page claims
    ```
    """

ATTRIBUTE_FENCE = """\
    # Attribute fence

    ```python title="example.py"
    raise SystemExit("never run")
    ```
    """

PRINTS_UNSHOWN = """\
    # Prints but shows nothing

    ```python
    print("nobody checks this")
    ```
    """


_FIDELITY_RUN: list[Run] = []  # one run shared by the tests that read it


@pytest.fixture
def fidelity_run(pytester):
    if not _FIDELITY_RUN:
        for name, text in [
            ("fidelity.md", FIDELITY),
            ("raises.md", RAISES),
            ("differs.md", DIFFERS),
            ("attribute.md", ATTRIBUTE_FENCE),
            ("unshown.md", PRINTS_UNSHOWN),
        ]:
            write_page(pytester.path, name, text)
        _FIDELITY_RUN.append(run_doc_blocks(pytester, "--continue-on-collection-errors"))
    return _FIDELITY_RUN[0]


def fence_lines(page_text: str) -> list[int]:
    lines = textwrap.dedent(page_text).splitlines()
    return [number for number, line in enumerate(lines, 1) if line == "```python"]


def test_block_runs_as_main_with_source_available(fidelity_run):
    """__name__, inspect.getsource on a function and a class, AutoGraph, C++ stdout."""
    for line in fence_lines(FIDELITY):
        assert outcome(fidelity_run.report, "PASSED", f"fidelity.md::line {line}"), fidelity_run.report


def test_a_block_that_raises_fails_and_names_the_page_and_line(fidelity_run):
    report = fidelity_run.report
    assert fidelity_run.returncode == 1
    assert outcome(report, "FAILED", "raises.md::line 3"), report
    # The traceback points into the page, at the line that raised, and shows it.
    assert re.search(r'File "[^"]*raises\.md", line 5', report), report
    assert 'raise ValueError(f"boom {x}")' in report
    assert "ValueError: boom 1" in report


def test_a_block_whose_output_differs_fails(fidelity_run):
    report = fidelity_run.report
    assert outcome(report, "FAILED", "differs.md::line 3"), report
    assert "-what the page claims" in report and "+what the code prints" in report


def test_an_attribute_fence_fails_the_suite(fidelity_run):
    report = fidelity_run.report
    assert outcome(report, "ERROR", "attribute.md"), report
    assert 'attribute.md:3: ```python title="example.py" is not run' in report


def test_a_block_that_prints_without_showing_its_output_fails(fidelity_run):
    report = fidelity_run.report
    assert outcome(report, "FAILED", "unshown.md::line 3"), report
    assert "printed output but the page shows none" in report


def test_xfail_and_skips_without_reason_are_refused(pytester):
    write_page(
        pytester.path,
        "marks.md",
        """\
        <!--pytest.mark.xfail-->
        ```python
        raise ValueError("any error at all")
        ```
        """,
    )
    result = run_doc_blocks(pytester)
    assert result.returncode != 0 and "xfail is not allowed" in result.report
    write_page(
        pytester.path,
        "marks.md",
        """\
        <!--pytest.mark.skip-->
        ```python
        print(1)
        ```
        """,
    )
    result = run_doc_blocks(pytester)
    assert result.returncode != 0 and "needs reason=" in result.report


# Isolation: each block checks that the state it is about is fresh, then
# spoils it. Run twice in a row and shuffled, every block follows one that
# spoiled something; a leak fails the block that sees it, naming the leak.

ISOLATION_BLOCKS = {
    "layer-name counter": """\
        import keras

        assert keras.layers.Dense(1).name == "dense", "leak: layer-name counter"
        keras.layers.Dense(1)
        """,
    "dtype policy": """\
        import keras

        assert keras.config.dtype_policy().name == "float32", "leak: dtype policy"
        assert keras.config.floatx() == "float32", "leak: dtype policy"
        keras.config.set_dtype_policy("mixed_float16")
        keras.config.set_floatx("float16")
        """,
    "custom object": """\
        import keras

        assert "Fixture>Leaky" not in keras.saving.get_custom_objects(), "leak: custom object"


        @keras.saving.register_keras_serializable(package="Fixture")
        class Leaky(keras.layers.Layer):
            pass
        """,
    "import-time registration": """\
        import keras

        import registers_on_import  # on PYTHONPATH; imported once per process

        assert "Fixture>FromPackage" in keras.saving.get_custom_objects(), \\
            "lost: a cached module's registration"
        """,
    "random seed": f"""\
        import random

        import numpy as np

        assert random.random() == random.Random({START_SEED}).random(), "leak: random seed"
        assert np.random.rand() == np.random.RandomState({START_SEED}).rand(), "leak: random seed"
        random.seed(99)
        np.random.seed(99)
        """,
    "environment variable": """\
        import os

        assert "DOC_BLOCK_LEAK" not in os.environ, "leak: environment variable"
        os.environ["DOC_BLOCK_LEAK"] = "1"
        """,
    "working directory": """\
        import os

        assert os.listdir(".") == [], "leak: working directory"
        os.makedirs("inner", exist_ok=True)
        os.chdir("inner")
        """,
    "sys.path": """\
        import sys

        assert "/doc-block-leak" not in sys.path, "leak: sys.path"
        sys.path.insert(0, "/doc-block-leak")
        """,
    "module written by a block": """\
        import sys

        assert "written_by_block" not in sys.modules, "leak: module written by a block"
        with open("written_by_block.py", "w") as file:
            file.write("VALUE = 1\\n")
        sys.path.insert(0, ".")
        import written_by_block
        """,
    "warning filter": """\
        import warnings

        assert not any(f[1] is not None and f[1].pattern == "doc-block-leak"
                       for f in warnings.filters), "leak: warning filter"
        warnings.filterwarnings("error", message="doc-block-leak")
        """,
    "retracing-warning counts": """\
        from tensorflow.python.eager.polymorphic_function import polymorphic_function

        manager = polymorphic_function._frequent_tracing_detector_manager
        assert len(manager._detectors) == 0, "leak: retracing-warning counts"
        # TensorFlow stops warning about retracing after a few warnings per
        # function, for the whole process; a count left here would silence
        # the warning a later block shows.
        manager.called_with_tracing(polymorphic_function, "f", omit_warning=True)
        """,
    "run_functions_eagerly": """\
        import tensorflow as tf

        assert not tf.config.functions_run_eagerly(), "leak: run_functions_eagerly"
        tf.config.run_functions_eagerly(True)
        """,
}

REGISTERS_ON_IMPORT = """\
import keras


@keras.saving.register_keras_serializable(package="Fixture")
class FromPackage(keras.layers.Layer):
    pass
"""

# Replaces the runner's isolation with nothing, to prove the blocks above see leaks.
SABOTAGE = """\
import contextlib

import docs_tooling.doc_blocks


@contextlib.contextmanager
def no_isolation(module, workdir):
    yield


docs_tooling.doc_blocks.isolated_state = no_isolation
"""


# The three isolation runs, one after another in one process forked from the
# pre-imported interpreter: `python -m pytest` three times would pay three
# TensorFlow imports. Each run starts from the state the one before left, which
# with the isolation working is the fresh state (that is what the first two
# runs check); the sabotaged run goes last, as its leaks are meant to stay.
ISOLATION_RUNS = {
    "page order": ("isolated", ["--doc-blocks-repeat=2"]),
    "shuffled": ("isolated", ["--doc-blocks-repeat=2", "--doc-blocks-shuffle=7"]),
    "sabotaged": ("sabotaged", ["--doc-blocks-repeat=2"]),
}

ISOLATION_DRIVER = """\
import os
import sys

# The docs_tooling of this checkout; sys.path[0] is this folder, which holds
# registers_on_import.py, as PYTHONPATH would for `python -m pytest`.
sys.path.insert(1, {src!r})

import pytest

for name, (folder, args) in {runs!r}.items():
    os.chdir(os.path.join(sys.path[0], folder))
    basetemp = os.path.join(sys.path[0], "basetemp-" + folder + "-" + str(len(args)))
    code = pytest.main([*{runner_args!r}, "--basetemp=" + basetemp, *args])
    print("\\n@@ " + name + " exited " + str(int(code)) + " @@", flush=True)
"""

_ISOLATION_RUNS: dict[str, Run] = {}  # the runs, each read by one test below


def run_isolation_scenarios(directory: Path, servers: forkserver.ForkServerPool) -> dict[str, Run]:
    blocks = "\n".join(f"```python\n{textwrap.dedent(code)}```\n" for code in ISOLATION_BLOCKS.values())
    for folder in ("isolated", "sabotaged"):
        (directory / folder).mkdir()
        (directory / folder / "isolation.md").write_text(blocks, encoding="utf-8")
    (directory / "sabotaged" / "conftest.py").write_text(SABOTAGE, encoding="utf-8")
    (directory / "registers_on_import.py").write_text(REGISTERS_ON_IMPORT, encoding="utf-8")
    driver = directory / "run_isolation.py"
    driver.write_text(
        ISOLATION_DRIVER.format(src=str(SRC), runs=ISOLATION_RUNS, runner_args=list(RUNNER_ARGS)),
        encoding="utf-8",
    )
    run = servers.run(driver, str(directory), timeout=900)
    output = run.stdout + "\n" + run.stderr
    parts = re.split(r"^@@ (.+) exited (\d+) @@$", run.stdout, flags=re.M)
    names = parts[1::3]
    assert run.returncode == 0 and names == list(ISOLATION_RUNS), output
    return {
        name: Run(int(code), text, text + "\n" + run.stderr)
        for name, code, text in zip(names, parts[2::3], parts[0:-1:3], strict=True)
    }


@pytest.fixture
def isolation_runs(pytester, fork_servers) -> dict[str, Run]:
    if not _ISOLATION_RUNS:
        _ISOLATION_RUNS.update(run_isolation_scenarios(pytester.path, fork_servers))
    return _ISOLATION_RUNS


@pytest.mark.xdist_group(FORK_SERVER_GROUP)
def test_blocks_are_isolated_run_twice_in_page_order(isolation_runs):
    result = isolation_runs["page order"]
    assert result.returncode == 0, result.report
    assert f"{2 * len(ISOLATION_BLOCKS)} passed" in result.report


@pytest.mark.xdist_group(FORK_SERVER_GROUP)
def test_blocks_are_isolated_run_twice_shuffled(isolation_runs):
    result = isolation_runs["shuffled"]
    assert result.returncode == 0, result.report
    assert f"{2 * len(ISOLATION_BLOCKS)} passed" in result.report
    assert "doc blocks shuffled with seed 7" in result.report
    order = re.findall(r"^PASSED isolation\.md::line (\d+) \(round (\d)\)", result.report, re.M)
    assert order != sorted(order, key=lambda pair: (int(pair[0]), pair[1])), "not shuffled"


@pytest.mark.xdist_group(FORK_SERVER_GROUP)
def test_without_isolation_every_leak_is_seen(isolation_runs):
    result = isolation_runs["sabotaged"]
    assert result.returncode == 1
    for name in ISOLATION_BLOCKS:
        if name != "import-time registration":
            assert f"leak: {name}" in result.report, f"{name} leaked unseen:\n{result.report}"


def test_shuffle_is_reproducible_from_its_seed(pytester):
    """The printed seed reruns the same order; a different seed gives another."""
    write_page(pytester.path, "many.md", "".join(f"```python\nx = {n}\n```\n\n" for n in range(8)))

    def order(*args):
        result = run_doc_blocks(pytester, "--collect-only", "-q", *args)
        return re.findall(r"^many\.md::line \d+.*$", result.stdout, re.M)

    in_page_order = order()
    assert len(in_page_order) == 8
    assert order("--doc-blocks-shuffle=11") == order("--doc-blocks-shuffle=11") != in_page_order
    assert order("--doc-blocks-shuffle=11") != order("--doc-blocks-shuffle=12")


# Standalone: each block in its own fresh interpreter, as a reader runs it.

STANDALONE = f"""\
    # Standalone

    ```python
    import sys

    print(__name__, len(sys.argv))
    ```
    <!--pytest-codeblocks:expected-output-->
    ```text
    __main__ 1
    ```

    In-process the runner seeds every block; a reader's interpreter does not.

    ```python
    import random

    print(round(random.random(), 6))
    ```
    <!--pytest-codeblocks:expected-output-->
    ```text
    {round(random.Random(START_SEED).random(), 6)}
    ```

    ```python
    print("before")
    raise RuntimeError("alone")
    ```
    """


class BorrowedServers:
    """The tests' fork server, lent to a runner that would start its own pool.

    The runner's pool would pay a TensorFlow import per server; the blocks
    run the same way forked from the shared one. Only `close` differs: the
    session fixture closes the server after the last test.
    """

    def __init__(self, servers: forkserver.ForkServerPool):
        self.run = servers.run
        self.asked_for: list[int] = []

    def __call__(self, size: int, env: dict[str, str]) -> BorrowedServers:
        self.asked_for.append(size)
        return self

    def close(self) -> None:
        pass


@pytest.mark.xdist_group(FORK_SERVER_GROUP)
def test_standalone_runs_each_block_in_a_fresh_interpreter(pytester, monkeypatch, fork_servers):
    write_page(pytester.path, "standalone.md", STANDALONE)
    in_process = run_doc_blocks(pytester)
    assert outcome(in_process.report, "PASSED", "standalone.md::line 15"), in_process.report
    borrowed = BorrowedServers(fork_servers)
    monkeypatch.setattr(forkserver, "ForkServerPool", borrowed)
    result = run_doc_blocks(pytester, "--doc-blocks-standalone", "--doc-blocks-jobs=2")
    assert borrowed.asked_for == [2], "the runner did not fork the blocks, two at a time"
    report = result.report
    assert outcome(report, "PASSED", "standalone.md::line 3"), report
    # Passes in-process only because the runner seeded it: standalone catches that.
    assert outcome(report, "FAILED", "standalone.md::line 15"), report
    assert outcome(report, "FAILED", "standalone.md::line 25"), report
    assert re.search(r'File "[^"]*standalone\.md", line 27', report), report
    assert "RuntimeError: alone" in report


def test_a_blocks_source_survives_linecache_rereading_its_file(tmp_path):
    """TensorFlow 2.16's AutoGraph has linecache reread the file a function came from;
    for a block that file is the page, so its source must come from the module's loader."""
    from pytest_codeblocks.main import CodeBlock

    from docs_tooling.doc_blocks import run_python_block

    code = textwrap.dedent(
        """\
        import inspect
        import linecache

        def f():
            return 1

        linecache.updatecache(__file__, globals())
        print(inspect.getsource(f).strip())
        """
    )
    block = CodeBlock(code, 7, "python")
    assert run_python_block(block, "docs/guide/no-such-page.md", str(tmp_path)) == "def f():\n    return 1\n"
