"""Run a guide page's notebook top to bottom in a Jupyter kernel and check it against the page.

tests/notebooks runs every guide page's notebook through `check_page`: the
notebook is built as the site build builds it (docs_tooling.notebooks), run
by nbclient in a new ipykernel with no network, and each code cell is held
to the block it came from by the doc-block runner's own rules
(`doc_blocks.check_output`): what the cell printed on standard output equals
the output shown after the block, character for character. A cell that
raises, or that displays a value (a notebook shows a cell's last expression,
which `python block.py` does not print), fails too. Standard error is not
compared, as the runner does not compare it.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.connect import write_connection_file
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from docs_tooling import doc_blocks, forkserver, notebooks
from docs_tooling.paths import DOCS, display_path

CELL_TIMEOUT = 600


class NotebookFailed(Exception):
    """A notebook's cells do not match, or do not print, what its page shows."""


def kernel_environment(ipython_dir: str) -> dict[str, str]:
    """A reader's environment, as for `python block.py`, with the virtual environment on PATH.

    IPython's profile is an empty one in `ipython_dir`: startup files of the
    machine's own profile would run before the first cell.
    """
    env = doc_blocks.reader_environment()
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["IPYTHONDIR"] = ipython_dir
    return env


def build(page: Path, docs_path: str | None = None) -> nbformat.NotebookNode:
    """The page's notebook, as the site build writes it (links left relative).

    `docs_path` is the page's path inside docs/, found from `page` if not given.
    """
    if docs_path is None:
        docs_path = Path(page).resolve().relative_to(DOCS).as_posix()
    return notebooks.build_notebook(page, docs_path=docs_path)


def check_cells_are_blocks(notebook: nbformat.NotebookNode, page: Path) -> None:
    """Each code cell after the setup cell is one run block of the page that claims TensorFlow (the
    notebook's backend; notebooks.py leaves the others as prose), in the page's order."""
    where = display_path(page)
    run = [
        b
        for b in doc_blocks.collected_blocks(page)
        if not doc_blocks._skip_reason(b)
        and "tensorflow" in doc_blocks.block_backends(b, f"{page}:{b.lineno}")
    ]
    cells = [
        c for c in notebook.cells if c.cell_type == "code" and not c.metadata.get("kcg", {}).get("setup")
    ]
    found = [(c.metadata.get("kcg", {}).get("line"), c.source) for c in cells]
    wanted = []
    for block in run:
        code = block.code.rstrip("\n")
        if block.syntax == "python":
            source = f"{notebooks.FRESH_START}\n\n{code}"
        else:
            source = f"{notebooks.SHELL_MAGIC[block.syntax]}\n{code}"
        wanted.append((block.lineno, source))
    if found != wanted:
        lines = [line for line, _ in wanted]
        got = [line for line, _ in found]
        raise NotebookFailed(
            f"{where}: the notebook's code cells are not the page's run blocks "
            f"(blocks at lines {lines}, cells from lines {got}, or a cell's code differs)"
        )


KERNEL_SCRIPT = """\
import os
from pathlib import Path

Path({pid_file!r}).write_text(str(os.getpid()))
from ipykernel.kernelapp import IPKernelApp

IPKernelApp.launch_instance(argv=["-f", {connection_file!r}, "--HistoryManager.hist_file=:memory:"])
"""


class _StartedKernel(AsyncKernelManager):
    """A kernel someone else started: nbclient connects to it and asks whether it still runs."""

    def __init__(self, running: concurrent.futures.Future, **kwargs):
        super().__init__(**kwargs)
        self._running = running

    @property
    def has_kernel(self) -> bool:
        return True

    async def _async_is_alive(self) -> bool:
        return not self._running.done()

    async def _async_shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        """ForkedKernels.start ends the kernel: it knows the process, this manager does not."""

    is_alive = _async_is_alive  # type: ignore[assignment]
    shutdown_kernel = _async_shutdown_kernel  # type: ignore[assignment]


class ForkedKernels:
    """IPython kernels forked from an interpreter that has imported TensorFlow, one at a time.

    A new kernel process spends seconds importing TensorFlow and Keras before
    its first cell runs, once per notebook. docs_tooling.forkserver's server
    has imported them (and ipykernel) already; each kernel is a child forked
    from it, which runs ipykernel as `python script.py` would, with what the
    fork server does and does not reset (see forkserver.py). A page with a
    block that needs a new interpreter (`forkserver.needs_fresh_interpreter`)
    gets a new kernel process instead.
    """

    def __init__(self) -> None:
        self._ipython_dir = tempfile.TemporaryDirectory(prefix="notebook-ipython-")
        env = kernel_environment(self._ipython_dir.name)
        env[forkserver.PRELOAD_VARIABLE] = "ipykernel.kernelapp"
        self._servers = forkserver.ForkServerPool(1, env)
        self._thread = concurrent.futures.ThreadPoolExecutor(max_workers=1)

    @contextlib.contextmanager
    def start(self, workdir: str):
        """A kernel running in `workdir`, as a kernel manager for nbclient; killed afterwards."""
        with tempfile.TemporaryDirectory(prefix="kernel-") as folder:
            connection_file, _ = write_connection_file(
                os.path.join(folder, "kernel.json"), transport="ipc", ip=os.path.join(folder, "socket")
            )
            pid_file = Path(folder) / "pid"
            script = Path(folder) / "kernel.py"
            script.write_text(KERNEL_SCRIPT.format(pid_file=str(pid_file), connection_file=connection_file))
            running = self._thread.submit(self._servers.run, script, workdir, KERNEL_LIFETIME)
            manager = _StartedKernel(running, connection_file=connection_file)
            manager.load_connection_file()
            try:
                yield manager
            finally:
                self._kill(pid_file, running)

    @staticmethod
    def _kill(pid_file: Path, running: concurrent.futures.Future) -> None:
        deadline = time.monotonic() + 60
        while not running.done() and not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not running.done() and pid_file.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
        running.result(timeout=60)

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        self._servers.close()
        self._ipython_dir.cleanup()


# How long one notebook's kernel may live: every cell of the longest page, with room.
KERNEL_LIFETIME = 1800
# The first kernel waits for the fork server to import TensorFlow, which on a busy machine takes minutes.
KERNEL_STARTUP = 300


def execute(notebook: nbformat.NotebookNode, page: Path, kernels: ForkedKernels | None = None) -> None:
    """Run every cell in order in a new kernel started in an empty directory.

    With `kernels`, the kernel is forked from their pre-imported interpreter,
    unless a block of the page needs a new one.
    """
    fresh = any(forkserver.needs_fresh_interpreter(b.code) for b in doc_blocks.collected_blocks(page))
    with (
        tempfile.TemporaryDirectory(prefix="notebook-run-") as workdir,
        tempfile.TemporaryDirectory(prefix="notebook-ipython-") as ipython_dir,
    ):
        if kernels is None or fresh:
            client = NotebookClient(
                notebook,
                timeout=CELL_TIMEOUT,
                allow_errors=True,
                kernel_name="python3",
                resources={"metadata": {"path": workdir}},
            )
            client.execute(env=kernel_environment(ipython_dir))
            return
        with kernels.start(workdir) as manager:
            client = NotebookClient(
                notebook, km=manager, timeout=CELL_TIMEOUT, startup_timeout=KERNEL_STARTUP, allow_errors=True
            )
            try:
                client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()


def compare(notebook: nbformat.NotebookNode, page: Path) -> list[str]:
    """Each executed code cell against its block's shown output; the failures, one text each."""
    where = display_path(page)
    blocks = {b.lineno: b for b in doc_blocks.collected_blocks(page)}
    failures = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("kcg", {})
        at = f"{where}:{meta['line']}" if "line" in meta else f"{where} (setup cell)"
        errors = [o for o in cell.outputs if o.output_type == "error"]
        stdout, unexpected = printed(cell)
        if errors:
            trace = "\n".join("\n".join(e.traceback) for e in errors)
            failures.append(
                f"{at}: the notebook cell raised {errors[0].ename}:\n{trace}\nIt printed:\n{stdout}"
            )
            continue
        if unexpected:
            failures.append(
                f"{at}: the notebook cell displays a value that `python block.py` would not print: "
                f"{unexpected[0].get('data', {}).get('text/plain', unexpected[0])!r}"
            )
            continue
        if "line" not in meta:
            if stdout:
                failures.append(f"{at}: the setup cell printed {stdout!r}")
            continue
        try:
            block = blocks[meta["line"]]
            doc_blocks.check_output(block, stdout, at, doc_blocks.shown_for(page, block))
        except doc_blocks.BlockFailed as error:
            failures.append(f"in the notebook: {error}")
    return failures


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# How rich (which Keras's model.summary() prints with) shows text in a notebook:
# its console sees Jupyter and sends the text as display data instead of writing it.
RICH_HTML = '<pre style="white-space:pre;overflow-x:auto;line-height:normal;'


def printed(cell) -> tuple[str, list]:
    """What a code cell printed, in order, and the outputs `python block.py` has no counterpart for.

    Standard output counts, and so does text rich displayed because it found a
    notebook where a script has a terminal (its plain-text form, colours
    removed: what it writes to a file). A value a notebook displays because it
    is a cell's last expression, or any other display, is unexpected. Standard
    error is not compared, as the doc-block runner does not compare it.
    """
    text: list[str] = []
    unexpected = []
    for output in cell.outputs:
        if output.output_type == "stream":
            if output.name == "stdout":
                text.append(output.text)
        elif output.output_type == "display_data" and str(output.data.get("text/html", "")).startswith(
            RICH_HTML
        ):
            text.append(ANSI_ESCAPE.sub("", output.data.get("text/plain", "")))
        elif output.output_type != "error":
            unexpected.append(output)
    return "".join(text), unexpected


def check_page(page: Path, kernels: ForkedKernels | None = None) -> nbformat.NotebookNode:
    """Build the page's notebook, run it, and raise NotebookFailed unless it matches the page."""
    notebook = build(page)
    check_cells_are_blocks(notebook, page)
    execute(notebook, page, kernels)
    failures = compare(notebook, page)
    if failures:
        raise NotebookFailed("\n\n".join(failures))
    return notebook
