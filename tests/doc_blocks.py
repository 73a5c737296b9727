"""Run the Markdown guide's code blocks the way a reader runs them.

pytest-codeblocks finds the blocks and their markers; this plugin replaces
how each block is executed, because the stock runner differs from running
the same code in a file in ways that matter for Keras and TensorFlow:

* `__name__` is `"__main__"`, not `"builtins"`;
* the code is compiled with the Markdown file as its file name and the
  block's own line numbers, and registered in `linecache`, so
  `inspect.getsource` (which TensorFlow's AutoGraph relies on) sees the
  block's functions and classes, and a traceback names `docs/page.md:LINE`;
* each block starts from the same state: Keras global state is reset
  (session, name counters, dtype policy, custom objects, random seeds), the
  environment, working directory and `sys.path` are restored afterwards, and
  every block runs in an empty temporary directory;
* a bare `xfail` mark is refused: it would pass on any error. Blocks that
  demonstrate an exception catch it and print its type and message, and the
  printed output is checked.

Enable with `pytest --doc-blocks docs README.md`. Options:
`--doc-blocks-shuffle=SEED` runs the blocks in a seeded random order and
`--doc-blocks-repeat=N` runs the whole set N times, to prove that no block
depends on another.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import linecache
import os
import random
import subprocess
import sys
import tempfile
import traceback
import types
from pathlib import Path

import pytest
from pytest_codeblocks.main import CodeBlock, extract_from_file

ROOT = Path(__file__).resolve().parent.parent
RUN_SYNTAXES = ("python", "sh", "bash")
# The seed every block starts from in-process. Blocks that print anything
# random must seed themselves (a reader's fresh interpreter has no seed);
# the standalone check, which runs each block in a new interpreter, holds
# them to that.
START_SEED = 1234


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("doc-blocks")
    group.addoption("--doc-blocks", action="store_true", help="run code blocks in Markdown files")
    group.addoption("--doc-blocks-shuffle", type=int, default=None, metavar="SEED",
                    help="run the doc blocks in a random order drawn from SEED")
    group.addoption("--doc-blocks-repeat", type=int, default=1, metavar="N",
                    help="run the whole set of doc blocks N times")


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if parent.config.getoption("doc_blocks") and file_path.suffix == ".md":
        return MarkdownFile.from_parent(parent, path=file_path)
    return None


def collected_blocks(path: Path) -> list[CodeBlock]:
    """The blocks of `path` that pytest-codeblocks would run, in file order."""
    return [b for b in extract_from_file(path) if b.syntax in RUN_SYNTAXES]


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


class MarkdownFile(pytest.File):
    def collect(self):
        repeat = self.config.getoption("doc_blocks_repeat")
        for block in collected_blocks(self.path):
            for round_ in range(repeat):
                suffix = f" (round {round_ + 1})" if repeat > 1 else ""
                item = DocBlock.from_parent(self, name=f"line {block.lineno}{suffix}", block=block)
                for mark in block.marks:
                    item.add_marker(_evaluate_mark(mark, self.path, block))
                yield item


def _evaluate_mark(text: str, path: Path, block: CodeBlock):
    where = f"{display_path(path)}:{block.lineno}"
    if "xfail" in text:
        raise pytest.UsageError(
            f"{where}: xfail is not allowed on doc blocks, because it passes on any "
            "error. Catch the exception in the block and print its type and message."
        )
    mark = eval(text, {"sys": sys, "pytest": pytest})  # the same syntax pytest-codeblocks accepts
    if mark.name in ("skip", "skipif") and not mark.kwargs.get("reason"):
        raise pytest.UsageError(f"{where}: a skipped doc block needs reason=\"...\" saying why.")
    return mark


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seed = config.getoption("doc_blocks_shuffle")
    if seed is None:
        return
    blocks = [i for i in items if isinstance(i, DocBlock)]
    others = [i for i in items if not isinstance(i, DocBlock)]
    random.Random(seed).shuffle(blocks)
    items[:] = others + blocks


def pytest_report_header(config: pytest.Config):
    seed = config.getoption("doc_blocks_shuffle")
    if config.getoption("doc_blocks") and seed is not None:
        return f"doc blocks shuffled with seed {seed}"
    return None


class BlockFailed(Exception):
    """A doc block raised, or printed something other than its shown output."""


class DocBlock(pytest.Item):
    def __init__(self, *, block: CodeBlock, **kwargs):
        super().__init__(**kwargs)
        self.block = block

    @property
    def location_text(self) -> str:
        return f"{display_path(self.path)}:{self.block.lineno}"

    def runtest(self) -> None:
        if self.block.importorskip is not None:
            pytest.importorskip(self.block.importorskip)
        with tempfile.TemporaryDirectory(prefix="doc-block-") as workdir:
            if self.block.syntax == "python":
                output = run_python_block(self.block, display_path(self.path), workdir)
            else:
                output = run_shell_block(self.block, workdir)
        check_output(self.block, output, self.location_text)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, BlockFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.block.lineno - 1, f"doc block {self.location_text}"


def check_output(block: CodeBlock, output: str, where: str) -> None:
    expected = block.expected_output
    if expected is None:
        return
    got = output
    if block.expected_output_ignore_whitespace:
        expected, got = "".join(expected.split()), "".join(got.split())
    if expected != got:
        diff = "".join(difflib.unified_diff(
            block.expected_output.splitlines(keepends=True), output.splitlines(keepends=True),
            "shown in the page", "printed by the block"))
        raise BlockFailed(f"{where}: the block's output differs from the output shown after it:\n{diff}")


def run_python_block(block: CodeBlock, filename: str, workdir: str) -> str:
    """Execute a Python block as if it were the file `filename`, return its stdout."""
    # The fence line is block.lineno, so the code starts one line later;
    # padding with newlines gives every statement its line in the page.
    source = "\n" * block.lineno + block.code
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    code = compile(source, filename, "exec", dont_inherit=True)
    module = types.ModuleType("__main__")
    module.__file__ = filename
    module.__builtins__ = __builtins__

    saved_main = sys.modules.get("__main__")
    saved_environ = dict(os.environ)
    saved_path = list(sys.path)
    saved_cwd = os.getcwd()
    buffer = io.StringIO()
    reset_keras_state()
    sys.modules["__main__"] = module
    os.chdir(workdir)
    try:
        with contextlib.redirect_stdout(buffer):
            exec(code, module.__dict__)
    except BaseException as error:  # noqa: BLE001 - reported with the block's own traceback
        if isinstance(error, (KeyboardInterrupt, pytest.skip.Exception)):
            raise
        frames = traceback.format_exception(error)
        shown = [f for f in frames if __file__ not in f]
        raise BlockFailed(
            f"{filename}:{block.lineno}: the block raised {type(error).__name__}\n"
            f"{''.join(shown)}\nIt printed before failing:\n{buffer.getvalue()}"
        ) from None
    finally:
        os.chdir(saved_cwd)
        sys.modules["__main__"] = saved_main
        sys.path[:] = saved_path
        os.environ.clear()
        os.environ.update(saved_environ)
        reset_keras_state()
    return buffer.getvalue()


def run_shell_block(block: CodeBlock, workdir: str) -> str:
    executable = "/bin/bash" if block.syntax == "bash" else None
    result = subprocess.run(block.code, shell=True, capture_output=True, text=True,
                            executable=executable, cwd=workdir)
    if result.returncode != 0:
        raise BlockFailed(f"shell block exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result.stdout


_REGISTRY_SNAPSHOT: tuple[dict, dict] | None = None


def reset_keras_state() -> None:
    """Put Keras's process-wide state back to how a fresh interpreter has it.

    Only touches Keras if a block already imported it: a page of shell
    blocks should not pay for importing TensorFlow.
    """
    global _REGISTRY_SNAPSHOT
    if "keras" not in sys.modules:
        random.seed(START_SEED)
        return
    import keras
    from keras.src.saving import object_registration

    if _REGISTRY_SNAPSHOT is None:
        _REGISTRY_SNAPSHOT = (dict(object_registration.GLOBAL_CUSTOM_OBJECTS),
                              dict(object_registration.GLOBAL_CUSTOM_NAMES))
    else:
        for live, saved in zip((object_registration.GLOBAL_CUSTOM_OBJECTS,
                                object_registration.GLOBAL_CUSTOM_NAMES), _REGISTRY_SNAPSHOT):
            live.clear()
            live.update(saved)
    keras.backend.clear_session()  # graph, and the counters behind layer names
    keras.config.set_dtype_policy("float32")
    keras.config.set_floatx("float32")
    keras.config.set_epsilon(1e-7)
    keras.config.set_image_data_format("channels_last")
    keras.config.enable_traceback_filtering()
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        tf.config.run_functions_eagerly(False)
    keras.utils.set_random_seed(START_SEED)  # Python, NumPy and backend seeds
