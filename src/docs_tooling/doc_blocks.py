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
depends on another. `--doc-blocks-standalone` runs each Python block instead
as `python block.py` in a fresh interpreter and an empty directory, exactly
as a reader who pastes it into a file (`--doc-blocks-jobs=N` at a time).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import difflib
import functools
import gc
import importlib.abc
import io
import linecache
import os
import random
import re
import subprocess
import sys
import tempfile
import traceback
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_codeblocks.main import CodeBlock, extract_from_file

from docs_tooling import forkserver
from docs_tooling import markdown as markdown_fences
from docs_tooling.paths import display_path

RUN_SYNTAXES = ("python", "sh", "bash")
# The Keras backends a block can claim, as KERAS_BACKEND spells them.
BACKENDS = ("tensorflow", "jax", "torch")
# A block that imports TensorFlow or tf-keras itself is about TensorFlow: it
# runs under that backend only, with no marker needed.
_TENSORFLOW_IMPORT = re.compile(r"^\s*(?:import|from)\s+(?:tensorflow|tf_keras)\b", re.MULTILINE)
# The seed every block starts from in-process. Blocks that print anything
# random must seed themselves (a reader's fresh interpreter has no seed);
# the standalone check, which runs each block in a new interpreter, holds
# them to that.
START_SEED = 1234


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("doc-blocks")
    group.addoption("--doc-blocks", action="store_true", help="run code blocks in Markdown files")
    group.addoption(
        "--doc-blocks-backend",
        choices=BACKENDS,
        default=None,
        help="the Keras backend this run uses: only blocks that claim it run, against its "
        "shown output (default: KERAS_BACKEND, else tensorflow)",
    )
    group.addoption(
        "--doc-blocks-shuffle",
        type=int,
        default=None,
        metavar="SEED",
        help="run the doc blocks in a random order drawn from SEED",
    )
    group.addoption(
        "--doc-blocks-repeat",
        type=int,
        default=1,
        metavar="N",
        help="run the whole set of doc blocks N times",
    )
    group.addoption(
        "--doc-blocks-standalone",
        action="store_true",
        help="run each Python block as `python block.py` in a fresh interpreter",
    )
    group.addoption(
        "--doc-blocks-jobs",
        type=int,
        default=2,
        metavar="N",
        help="with --doc-blocks-standalone, how many interpreters run at once",
    )
    group.addoption(
        "--doc-blocks-fresh",
        action="store_true",
        help="with --doc-blocks-standalone, start a new interpreter for every block "
        "instead of forking one that has imported TensorFlow (docs_tooling.forkserver)",
    )
    group.addoption(
        "--doc-blocks-fresh-sample",
        type=int,
        default=0,
        metavar="N",
        help="with --doc-blocks-standalone, also run N blocks (drawn at random, seed printed) "
        "in a new interpreter and fail if the forked run differs",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        'backends(*names, reason="..."): the Keras backends a doc block runs under '
        "(default: all three; TensorFlow only for a block that imports tensorflow or tf_keras)",
    )
    if not config.getoption("doc_blocks", False):
        return
    if "keras" not in sys.modules:
        # Before Keras is imported, by the blocks or by the standalone
        # interpreters; with Keras already imported, each block checks.
        os.environ["KERAS_BACKEND"] = run_backend(config)


def _check_process_backend(backend: str) -> None:
    loaded = sys.modules.get("keras")
    if loaded is not None and loaded.backend.backend() != backend:
        raise BlockFailed(
            f"this run is for the {backend} backend, but Keras was imported with "
            f"{loaded.backend.backend()} before it started; set KERAS_BACKEND={backend} for the whole run"
        )


def run_backend(config: pytest.Config) -> str:
    """The backend this run's blocks run under."""
    chosen = config.getoption("doc_blocks_backend", None) or os.environ.get("KERAS_BACKEND") or "tensorflow"
    if chosen not in BACKENDS:
        raise pytest.UsageError(f"KERAS_BACKEND={chosen!r}: the doc blocks run on {', '.join(BACKENDS)}")
    return chosen


def block_backends(block: CodeBlock, where: str = "") -> tuple[str, ...]:
    """The backends `block` claims, in BACKENDS order.

    A `pytest.mark.backends(...)` comment names them, with a reason unless it
    names all three; without one, a Python block that imports TensorFlow or
    tf-keras claims TensorFlow, any other Python block all three. A shell
    block does not use Keras: it runs once, in the TensorFlow run.
    """
    for text in block.marks:
        mark = eval(text, {"pytest": pytest, "sys": sys})  # as _evaluate_mark does
        if mark.name != "backends":
            continue
        names = tuple(mark.args)
        unknown = [n for n in names if n not in BACKENDS]
        if not names or unknown:
            raise pytest.UsageError(
                f"{where}: backends() takes one or more of {', '.join(BACKENDS)}; got {names or 'none'}"
            )
        if set(names) != set(BACKENDS) and not str(mark.kwargs.get("reason", "")).strip():
            raise pytest.UsageError(
                f'{where}: a block kept off a backend needs reason="..." saying why '
                "(a real difference in output belongs in backend tabs instead)"
            )
        return tuple(b for b in BACKENDS if b in names)
    if block.syntax != "python" or _TENSORFLOW_IMPORT.search(block.code):
        return ("tensorflow",)
    return BACKENDS


def expected_output(
    block: CodeBlock, tabs: markdown_fences.BackendOutputs | None, backend: str
) -> str | None:
    """What the page shows for `block` under `backend`: its tab's output, or the one output."""
    if tabs is None:
        return block.expected_output
    return tabs.outputs[backend]


def shown_for(path: Path, block: CodeBlock, backend: str = "tensorflow") -> str | None:
    """What the page at `path` shows for its `block` under `backend`: its tab, or its one output."""
    return expected_output(block, markdown_fences.backend_outputs(path).get(block.lineno), backend)


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if parent.config.getoption("doc_blocks") and file_path.suffix == ".md":
        return MarkdownFile.from_parent(parent, path=file_path)
    return None


class PageError(Exception):
    """pytest-codeblocks reads a page differently from how Markdown renders it."""


def read_blocks(path: Path) -> list[CodeBlock]:
    """Every block pytest-codeblocks extracts from `path`, checked against the page.

    Raises PageError where pytest-codeblocks' reading of the fences and
    their comments differs from Markdown's, so no block is run short, run
    twice or silently left out. Each page is read once while it is unchanged
    (cached by path, modification time and size).
    """
    path = Path(path).resolve()
    stat = path.stat()
    blocks, problems = _read_blocks(path, stat.st_mtime_ns, stat.st_size)
    if problems:
        raise PageError(problems)
    return list(blocks)


@functools.lru_cache(maxsize=256)
def _read_blocks(path: Path, mtime_ns: int, size: int) -> tuple[tuple[CodeBlock, ...], str]:
    """The page's blocks and, if the two readings disagree, the problems as one text."""
    try:
        blocks = extract_from_file(path)
    except RuntimeError as error:  # how pytest-codeblocks reports a page it cannot read
        return (), (
            f"{display_path(path)}: pytest-codeblocks cannot read the page: {error} "
            "Look for a fence that opens inside another block."
        )
    problems = markdown_fences.reconcile(blocks, markdown_fences.scan(path), display_path(path))
    return tuple(blocks), "\n".join(problems)


def collected_blocks(path: Path) -> list[CodeBlock]:
    """The blocks of `path` that the doc-block runner runs, in file order."""
    return [b for b in read_blocks(path) if b.syntax in RUN_SYNTAXES]


@dataclass
class Audit:
    found: int = 0
    collected: int = 0
    not_run: int = 0
    problems: list[str] = field(default_factory=list)


def audit(paths: list[Path], allowed_continuations=frozenset(), check_continuations=True) -> Audit:
    """Every Python or shell fence of `paths`: collected, not run with a reason, or a problem.

    A fence that continues the block before it counts as collected only if
    it is in `allowed_continuations`, as (page, fence line); the runner
    itself leaves that list to tests/content/test_fences.py (`check_continuations=False`).
    """
    result = Audit()
    for path in paths:
        where = display_path(path)
        try:
            blocks = {block.lineno: block for block in read_blocks(path)}
        except PageError as error:
            result.problems += str(error).splitlines()
            blocks = {}
        for fence in markdown_fences.scan(path).fences:
            if not markdown_fences.is_python_or_shell(fence.lang):
                continue
            result.found += 1
            at = f"{where}:{fence.line}: {fence.prefix.strip()}{fence.marker}{fence.info}"
            if fence.has_directive("expected-output") or fence.has_directive(
                "expected-output-ignore-whitespace"
            ):
                result.problems.append(f"{at} holds shown output; show output in a ```text fence")
                continue
            if fence.has_directive("cont") and fence.visible_to_codeblocks:
                if not check_continuations or (where, fence.line) in allowed_continuations:
                    result.collected += 1
                else:
                    result.problems.append(
                        f"{at} continues the block before it, so a reader cannot paste it alone; "
                        "make it stand alone, or add the place to ALLOWED_CONTINUATIONS in "
                        "tests/content/test_fences.py with the reason"
                    )
                continue
            block = blocks.get(fence.line) if fence.visible_to_codeblocks else None
            reason = _skip_reason(block) if block is not None else ""
            if reason:
                result.not_run += 1
            elif block is not None and block.syntax in RUN_SYNTAXES and block.importorskip is None:
                result.collected += 1
            else:
                result.problems.append(
                    f"{at} is not run by the doc-block tests. Write it as a plain ```python "
                    '(or ```bash) fence, or put <!--pytest.mark.skip(reason="why")--> above it'
                )
    return result


def _skip_reason(block) -> str:
    for text in block.marks:
        mark = eval(text, {"pytest": pytest, "sys": sys})  # as _evaluate_mark does
        if mark.name in ("skip", "skipif") and skip_reason(mark):
            return skip_reason(mark)
    return ""


class MarkdownFile(pytest.File):
    def collect(self):
        repeat = self.config.getoption("doc_blocks_repeat")
        problems = audit([self.path], check_continuations=False).problems
        if problems:  # a block that would not run, or would run other than the page shows
            raise self.CollectError("\n".join(problems))
        backend = run_backend(self.config)
        all_tabs = markdown_fences.backend_outputs(self.path)
        blocks = collected_blocks(self.path)
        stray = sorted(set(all_tabs) - {b.lineno for b in blocks if b.syntax == "python"})
        if stray:
            raise self.CollectError(
                "\n".join(
                    f"{display_path(self.path)}:{line}: backend tabs follow this fence, which is no Python "
                    "block; put them right after the block, in place of its one shown output"
                    for line in stray
                )
            )
        for block in blocks:
            where = f"{display_path(self.path)}:{block.lineno}"
            claimed = block_backends(block, where)
            tabs = all_tabs.get(block.lineno)
            problems = _tab_problems(tabs, block, claimed)
            if problems:
                raise self.CollectError("\n".join(f"{where}: {problem}" for problem in problems))
            if backend not in claimed:
                continue
            for round_ in range(repeat):
                suffix = f" (round {round_ + 1})" if repeat > 1 else ""
                tag = "" if backend == "tensorflow" else f" [{backend}]"
                item = DocBlock.from_parent(
                    self,
                    name=f"line {block.lineno}{tag}{suffix}",
                    block=block,
                    expected=expected_output(block, tabs, backend),
                )
                for mark in block.marks:
                    item.add_marker(_evaluate_mark(mark, self.path, block))
                yield item


def _tab_problems(
    tabs: markdown_fences.BackendOutputs | None, block: CodeBlock, claimed: tuple[str, ...]
) -> list[str]:
    if tabs is None:
        return []
    problems = list(tabs.problems)
    if block.expected_output is not None:
        problems.append("shows one output and backend tabs; show one or the other")
    missing = [b for b in claimed if b not in tabs.outputs]
    if missing:
        problems.append(f"the block runs under {', '.join(missing)} too, but no tab shows its output")
    unclaimed = [b for b in tabs.outputs if b not in claimed]
    if unclaimed:
        problems.append(f"tabs show output for {', '.join(unclaimed)}, which the block does not run under")
    return problems


def _evaluate_mark(text: str, path: Path, block: CodeBlock):
    where = f"{display_path(path)}:{block.lineno}"
    if "xfail" in text:
        raise pytest.UsageError(
            f"{where}: xfail is not allowed on doc blocks, because it passes on any "
            "error. Catch the exception in the block and print its type and message."
        )
    mark = eval(text, {"sys": sys, "pytest": pytest})  # the same syntax pytest-codeblocks accepts
    if mark.name in ("skip", "skipif") and not skip_reason(mark):
        raise pytest.UsageError(f'{where}: a skipped doc block needs reason="..." saying why.')
    return mark


def skip_reason(mark) -> str:
    """The written reason of a skip or skipif mark, or "" if it has none."""
    reason = mark.kwargs.get("reason", "")
    if not reason and mark.name == "skip" and mark.args:
        reason = mark.args[0]
    return str(reason).strip()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seed = config.getoption("doc_blocks_shuffle")
    if seed is None:
        return
    blocks: list[pytest.Item] = [i for i in items if isinstance(i, DocBlock)]
    others = [i for i in items if not isinstance(i, DocBlock)]
    random.Random(seed).shuffle(blocks)
    items[:] = others + blocks


def pytest_report_header(config: pytest.Config):
    if not config.getoption("doc_blocks"):
        return None
    lines = [f"doc blocks run under the {run_backend(config)} backend: the blocks that claim it"]
    seed = config.getoption("doc_blocks_shuffle")
    if seed is not None:
        lines.append(
            f"doc blocks shuffled with seed {seed} (rerun the same order with --doc-blocks-shuffle={seed})"
        )
    if config.getoption("doc_blocks_standalone"):
        how = (
            "a new interpreter for every block"
            if config.getoption("doc_blocks_fresh")
            else "forked from an interpreter that imported "
            f"{', '.join(forkserver.preload(run_backend(config)))} "
            "(blocks that touch the environment get a new one)"
        )
        lines.append(
            f"doc blocks run standalone: `python block.py`, {how}, "
            f"{config.getoption('doc_blocks_jobs')} at a time"
        )
        sample = config.getoption("doc_blocks_fresh_sample")
        if sample and not config.getoption("doc_blocks_fresh"):
            lines.append(
                f"{sample} forked blocks also run in a new interpreter and must print the same "
                f"(sample seed {_sample_seed(config)})"
            )
    return lines


_STANDALONE_POOL = pytest.StashKey[concurrent.futures.ThreadPoolExecutor]()
_FORK_SERVERS = pytest.StashKey[forkserver.ForkServerPool]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """In standalone mode, start the interpreters early so that N run at once.

    Blocks with a skip mark are left out; they would be skipped before
    `runtest` asks for their result.
    """
    config = session.config
    if not (config.getoption("doc_blocks", False) and config.getoption("doc_blocks_standalone")):
        return
    jobs = max(1, config.getoption("doc_blocks_jobs"))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs)
    config.stash[_STANDALONE_POOL] = pool
    servers = None
    if not config.getoption("doc_blocks_fresh"):
        servers = forkserver.ForkServerPool(jobs, fork_server_environment())
        config.stash[_FORK_SERVERS] = servers
    items = [
        item
        for item in session.items
        if isinstance(item, DocBlock)
        and item.block.syntax == "python"
        and item.block.importorskip is None
        and not any(item.iter_markers("skip"))
        and not any(item.iter_markers("skipif"))
    ]
    compared = set()
    sample = config.getoption("doc_blocks_fresh_sample")
    if servers is not None and sample > 0:
        forkable = [i for i in items if not forkserver.needs_fresh_interpreter(i.block.code)]
        compared = set(random.Random(_sample_seed(config)).sample(forkable, min(sample, len(forkable))))
    for item in items:
        if item in compared and servers is not None:
            item.future = pool.submit(run_both_ways, item.block, item.location_text, servers)
        else:
            item.future = pool.submit(run_standalone, item.block, item.location_text, servers)


def _sample_seed(config: pytest.Config) -> int:
    seed = config.getoption("doc_blocks_shuffle")
    return seed if seed is not None else 0


def pytest_unconfigure(config: pytest.Config) -> None:
    pool = config.stash.get(_STANDALONE_POOL, None)
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
    servers = config.stash.get(_FORK_SERVERS, None)
    if servers is not None:
        servers.close()


class BlockFailed(Exception):
    """A doc block raised, or printed something other than its shown output."""


class DocBlock(pytest.Item):
    def __init__(self, *, block: CodeBlock, expected: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.block = block
        self.expected = expected  # what the page shows for this run's backend
        self.future: concurrent.futures.Future | None = None

    @property
    def location_text(self) -> str:
        return f"{display_path(self.path)}:{self.block.lineno}"

    def runtest(self) -> None:
        if self.block.importorskip is not None:
            pytest.importorskip(self.block.importorskip)
        if self.block.syntax == "python" and self.config.getoption("doc_blocks_standalone"):
            output = (
                self.future.result()
                if self.future is not None
                else run_standalone(self.block, self.location_text, None)
            )
        else:
            with tempfile.TemporaryDirectory(prefix="doc-block-") as workdir:
                if self.block.syntax == "python":
                    _check_process_backend(run_backend(self.config))
                    output = run_python_block(self.block, display_path(self.path), workdir)
                else:
                    output = run_shell_block(self.block, workdir, self.location_text)
        check_output(self.block, output, self.location_text, self.expected)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, BlockFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.block.lineno - 1, f"doc block {self.location_text}"


def check_output(block: CodeBlock, output: str, where: str, expected: str | None) -> None:
    if expected is None:
        # Output nobody sees checked is output a reader cannot trust: a
        # block that prints shows what it prints.
        if output:
            raise BlockFailed(
                f"{where}: the block printed output but the page shows none. Add it after the "
                "block, after <!--pytest-codeblocks:expected-output-->, in a ```text fence:\n"
                f"{output}"
            )
        return
    shown, got = expected, output
    if block.expected_output_ignore_whitespace:
        shown, got = "".join(expected.split()), "".join(got.split())
    if shown != got:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                output.splitlines(keepends=True),
                "shown in the page",
                "printed by the block",
            )
        )
        raise BlockFailed(f"{where}: the block's output differs from the output shown after it:\n{diff}")


@contextlib.contextmanager
def captured_stdout():
    """Capture standard output at the file-descriptor level, as a terminal sees it.

    `contextlib.redirect_stdout` alone misses what C++ code writes to the
    descriptor, such as `tf.print(..., output_stream=sys.stdout)`. Python's
    own writes go straight through to the same descriptor, so both arrive
    in the order they were made. Yields a list that holds the text afterwards.
    """
    result: list[str] = []
    sys.stdout.flush()
    saved_fd = os.dup(1)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        stream = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", write_through=True)
        try:
            with contextlib.redirect_stdout(stream):
                yield result
        finally:
            stream.flush()
            os.dup2(saved_fd, 1)
            os.close(saved_fd)
            sink.seek(0)
            result.append(sink.read().decode("utf-8", errors="replace"))


class _BlockSource(importlib.abc.InspectLoader):
    """The `__loader__` of a block's module, as `python file.py` gives `__main__` one.

    `linecache.updatecache` drops the source registered for the block and
    rereads its file, which is a page, not the code; TensorFlow 2.16's
    AutoGraph calls it (`inspect_utils._fix_linecache_record`) and, with no
    loader to ask, finds no source and leaves `call` unconverted, which the
    block run as a file does not.
    """

    def __init__(self, source: str) -> None:
        self._source = source

    def get_source(self, name: str) -> str:
        return self._source


def run_python_block(block: CodeBlock, filename: str, workdir: str) -> str:
    """Execute a Python block as if it were the file `filename`, return its stdout."""
    # The fence line is block.lineno, so the code starts one line later;
    # padding with newlines gives every statement its line in the page.
    source = "\n" * block.lineno + block.code
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    code = compile(source, filename, "exec", dont_inherit=True)
    module = types.ModuleType("__main__")
    module.__file__ = filename
    module.__builtins__ = __builtins__  # type: ignore[attr-defined]  # what `python file.py` sets
    module.__loader__ = _BlockSource(source)

    output: list[str] = []
    try:
        with isolated_state(module, workdir), captured_stdout() as output:
            try:
                exec(code, module.__dict__)
            except SystemExit as stop:
                # `sys.exit()` and `sys.exit(0)` end a script successfully.
                if stop.code not in (None, 0):
                    raise
    except BaseException as error:  # noqa: BLE001 - reported with the block's own traceback
        if isinstance(error, (KeyboardInterrupt, pytest.skip.Exception)):
            raise
        frames = traceback.format_exception(error)
        shown = [f for f in frames if __file__ not in f]
        raise BlockFailed(
            f"{filename}:{block.lineno}: the block raised {type(error).__name__}\n"
            f"{''.join(shown)}\nIt printed before failing:\n{''.join(output)}"
        ) from None
    return "".join(output)


@contextlib.contextmanager
def isolated_state(module: types.ModuleType, workdir: str):
    """Run the body as the script `module` in `workdir`, from and back to a fresh state.

    Before: Keras state reset. During: `module` is `__main__`, `sys.argv`
    names it, the working directory is `workdir`, warning filters are the
    body's own. After: environment, `sys.path`, `sys.argv`, working
    directory, `__main__`, warning filters, the modules the block wrote and
    imported, and the custom objects it registered are all put back.
    """
    saved_main = sys.modules.get("__main__")
    saved_modules = set(sys.modules)
    saved_environ = dict(os.environ)
    saved_path = list(sys.path)
    saved_finders = set(sys.path_importer_cache)
    saved_argv = list(sys.argv)
    saved_cwd = os.getcwd()
    reset_keras_state()
    saved_registries = {id(r): dict(r) for r in _custom_object_registries()}
    sys.modules["__main__"] = module
    sys.argv[:] = [str(module.__file__)]
    os.chdir(workdir)
    try:
        with warnings.catch_warnings():
            yield
    finally:
        # The block's globals hold its models, and its functions hold the
        # globals: drop them, so the reset below collects them.
        module.__dict__.clear()
        _forget_block_modules(saved_modules, workdir)
        _restore_registries(saved_registries, saved_modules)
        os.chdir(saved_cwd)
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
        sys.path[:] = saved_path
        # A finder cached for a relative entry such as "." would answer for
        # the next block's directory with this one's listing.
        for entry in set(sys.path_importer_cache) - saved_finders:
            del sys.path_importer_cache[entry]
        sys.argv[:] = saved_argv
        os.environ.clear()
        os.environ.update(saved_environ)
        reset_keras_state()


def _forget_block_modules(before: set[str], workdir: str) -> None:
    """Unload modules a block wrote into its own directory and imported.

    The next block may write a different module of the same name; a reader's
    fresh interpreter would import that one, not this one from sys.modules.
    """
    root = os.path.realpath(workdir)
    for name in set(sys.modules) - before:
        origin = getattr(sys.modules[name], "__file__", None) or ""
        if origin and os.path.realpath(origin).startswith(root + os.sep):
            del sys.modules[name]


def _custom_object_registries() -> list[dict]:
    """The process-wide custom-object registries of Keras and, if loaded, tf-keras."""
    registries = []
    if "keras" in sys.modules:
        from keras.src.saving import object_registration

        registries += [object_registration.GLOBAL_CUSTOM_OBJECTS, object_registration.GLOBAL_CUSTOM_NAMES]
    if "tf_keras" in sys.modules:
        from tf_keras.src.saving import object_registration as legacy_registration

        registries += [legacy_registration._GLOBAL_CUSTOM_OBJECTS, legacy_registration._GLOBAL_CUSTOM_NAMES]
    return registries


def _restore_registries(saved: dict[int, dict], modules_before: set[str]) -> None:
    """Drop what a block registered, keep what a module registered when first imported.

    A module imported during the block stays in `sys.modules`, so its
    import-time registrations must stay too: the next block that imports it
    gets the cached module and does not register again. Everything else the
    block registered (its own classes, in `__main__`) is removed.
    """
    kept_modules = set(sys.modules) - modules_before
    for registry in _custom_object_registries():
        before = saved.get(id(registry), {})
        added = {key: value for key, value in registry.items() if key not in before}
        registry.clear()
        registry.update(before)
        for key, value in added.items():
            obj = key if isinstance(value, str) else value  # the NAMES registry maps object -> name
            if getattr(obj, "__module__", None) in kept_modules:
                registry[key] = value


def run_shell_block(block: CodeBlock, workdir: str, where: str) -> str:
    executable = "/bin/bash" if block.syntax == "bash" else None
    env = dict(os.environ)
    # As a reader with the project's virtual environment activated.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    result = subprocess.run(
        block.code, shell=True, capture_output=True, text=True, executable=executable, cwd=workdir, env=env
    )
    if result.returncode != 0:
        raise BlockFailed(
            f"{where}: the shell block exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result.stdout


STANDALONE_TIMEOUT = 600


# JAX's on-disk cache of compiled XLA programs, which `make test-docs-backends`
# turns on (Makefile): the in-process pass fills it, and the blocks forked in
# the standalone pass load what it compiled for the same code instead of
# compiling again. A reader has no such cache, so a new interpreter runs without it.
COMPILATION_CACHE_VARIABLES = ("JAX_COMPILATION_CACHE_DIR", "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS")


def fork_server_environment() -> dict[str, str]:
    """The environment of the fork servers: a reader's shell (`reader_environment`)
    plus the compilation cache, if the caller turned it on."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "PYTHONHASHSEED" and not k.startswith(("PYTEST_", "PYTHONPATH"))
    }
    # A terminal shows Python's prints and C++ writes in the order they happen.
    env["PYTHONUNBUFFERED"] = "1"
    return env


def reader_environment() -> dict[str, str]:
    """The environment of a reader's shell: no test-runner variables, no fixed hash
    seed, no compilation cache."""
    env = fork_server_environment()
    for name in COMPILATION_CACHE_VARIABLES:
        env.pop(name, None)
    return env


def run_standalone(block: CodeBlock, where: str, servers: forkserver.ForkServerPool | None) -> str:
    """Run a Python block as `python block.py` in an empty directory; return its stdout.

    The file holds the block's code after blank lines, so its line numbers
    are the page's, and the report names the page instead of the file. With
    `servers`, the interpreter is forked from one that has already imported
    TensorFlow and Keras, unless the block touches the environment
    (`forkserver.needs_fresh_interpreter`); without, it is a new one.
    """
    fork = servers is not None and not forkserver.needs_fresh_interpreter(block.code)
    run = _run_file(block, servers if fork else None, where)
    how = "forked from an interpreter that had imported Keras and its backend"
    if not fork:
        how = "a fresh interpreter"
    return _standalone_stdout(run, where, how)


def run_both_ways(block: CodeBlock, where: str, servers: forkserver.ForkServerPool) -> str:
    """Run a block forked and in a new interpreter; fail unless both print the same."""
    forked = _run_file(block, servers, where)
    fresh = _run_file(block, None, where)
    if (forked.returncode, forked.stdout) != (fresh.returncode, fresh.stdout):
        diff = "".join(
            difflib.unified_diff(
                fresh.stdout.splitlines(keepends=True),
                forked.stdout.splitlines(keepends=True),
                "new interpreter",
                "forked interpreter",
            )
        )
        raise BlockFailed(
            f"{where}: forked from the pre-imported interpreter, the block exited "
            f"{forked.returncode}; in a new interpreter it exited {fresh.returncode}. The fork "
            f"server (docs_tooling/forkserver.py) no longer runs blocks as a reader would:\n{diff}"
            f"\nforked stderr:\n{forked.stderr}\nnew interpreter stderr:\n{fresh.stderr}"
        )
    return _standalone_stdout(forked, where, "forked, and again in a fresh interpreter")


def _run_file(block: CodeBlock, servers: forkserver.ForkServerPool | None, where: str) -> forkserver.Run:
    with (
        tempfile.TemporaryDirectory(prefix="doc-block-file-") as script_dir,
        tempfile.TemporaryDirectory(prefix="doc-block-run-") as workdir,
    ):
        script = Path(script_dir) / "block.py"
        script.write_text("\n" * block.lineno + block.code, encoding="utf-8")
        try:
            if servers is not None:
                run = servers.run(script, workdir, STANDALONE_TIMEOUT)
            else:
                result = subprocess.run(
                    [sys.executable, str(script)],
                    cwd=workdir,
                    env=reader_environment(),
                    capture_output=True,
                    timeout=STANDALONE_TIMEOUT,
                )
                run = forkserver.Run(
                    result.returncode,
                    result.stdout.decode("utf-8", errors="replace"),
                    result.stderr.decode("utf-8", errors="replace"),
                )
        except (subprocess.TimeoutExpired, TimeoutError):
            raise BlockFailed(f"{where}: standalone run took over {STANDALONE_TIMEOUT} s") from None
    page = where.rsplit(":", 1)[0]
    return forkserver.Run(run.returncode, run.stdout, run.stderr.replace(str(script), page))


def _standalone_stdout(run: forkserver.Run, where: str, how: str) -> str:
    if run.returncode != 0:
        raise BlockFailed(
            f"{where}: run alone as `python block.py` ({how}), the block "
            f"exited {run.returncode}:\n{run.stderr}\nIt printed before failing:\n{run.stdout}"
        )
    return run.stdout


def freeze_survivors() -> None:
    """Exclude every object that survived the last reset from garbage collection.

    `keras.backend.clear_session()` runs `gc.collect()`, twice per block, and a
    full collection walks every object the process tracks: the hundreds of
    thousands TensorFlow, Keras and tf-keras create on import and on first use,
    plus what earlier blocks left in their caches. Moving the survivors of a
    reset to the permanent generation makes the next collection walk only
    what the next block creates, which is the garbage it is there to free.
    The block's own objects are dropped before the reset that follows it
    (`isolated_state`), so they are collected, not frozen.
    """
    if "tensorflow" in sys.modules:
        gc.collect()
        gc.freeze()


def reset_keras_state() -> None:
    """Put Keras's process-wide state back to how a fresh interpreter has it.

    Only touches Keras if a block already imported it: a page of shell
    blocks should not pay for importing TensorFlow. The custom-object
    registries are restored around each block by `run_python_block`.
    """
    random.seed(START_SEED)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(START_SEED)
    if "keras" in sys.modules:
        import keras

        keras.backend.clear_session()  # graph, layer-name counters, dtype policy, seed generator
        keras.config.set_dtype_policy("float32")
        keras.config.set_floatx("float32")
        keras.config.set_epsilon(1e-7)
        keras.config.set_image_data_format("channels_last")
        keras.config.set_max_epochs(None)
        keras.config.set_max_steps_per_epoch(None)
        keras.config.enable_traceback_filtering()
        keras.utils.set_random_seed(START_SEED)  # Python, NumPy and backend seeds
    if "tf_keras" in sys.modules:
        import tf_keras

        tf_keras.backend.clear_session()
        tf_keras.backend.set_floatx("float32")
        tf_keras.backend.set_epsilon(1e-7)
        tf_keras.backend.set_image_data_format("channels_last")
        tf_keras.mixed_precision.set_global_policy("float32")
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        tf.config.run_functions_eagerly(False)
        tf.random.set_seed(START_SEED)
        # TensorFlow counts retracings per traced function for the whole
        # process and stops warning after a few warnings; without a fresh
        # count, a block showing the retracing warning depends on which
        # blocks ran before it.
        from tensorflow.python.eager.polymorphic_function import polymorphic_function

        polymorphic_function._frequent_tracing_detector_manager = (
            polymorphic_function._FrequentTracingDetectorManager()
        )
    freeze_survivors()
