"""Run doc blocks as `python block.py` without paying the TensorFlow import per block.

A fresh interpreter spends most of a small block's time importing TensorFlow
and Keras. This module is a server that imports them once and then forks one
child per block; the child runs the block's file as `__main__`, exactly as
`python block.py` would, and exits. The parent never runs a block, so every
child starts from the state of a process that has only imported the
preloaded modules.

Where a forked child is NOT a fresh interpreter, and what is done about it:

* the preloaded modules are already imported: a block that changes the
  environment before importing them (`os.environ`, `KERAS_BACKEND`,
  `TF_USE_LEGACY_KERAS`, ...) would see them imported under the old one.
  `needs_fresh_interpreter` sends such blocks to a real fresh interpreter.
* random state is copied from the parent: the child reseeds Python's and
  NumPy's generators from the OS, as a new process would be, so a block that
  prints something random without seeding it still fails.
* the hash seed (`PYTHONHASHSEED`) is the parent's, one per server, not one
  per block: output that depends on set or dict-of-str ordering is not
  reshuffled between blocks. The server is started with a random hash seed.
* the child leaves with `os._exit` after flushing its output: `atexit`
  handlers a block registers are run first, but interpreter finalization is
  not.

Protocol: one JSON request per line on stdin, `{"script": PATH, "cwd": DIR,
"stdout": PATH, "stderr": PATH}`; one JSON line per request on stdout,
`{"returncode": N}`. A server handles requests one at a time;
`ForkServerPool` runs several for parallelism.
"""

from __future__ import annotations

import json
import os
import queue
import re
import select
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# More modules to import before forking, comma-separated, in the server's environment
# (docs_tooling.notebook_check forks notebook kernels: ipykernel.kernelapp).
PRELOAD_VARIABLE = "KCG_FORKSERVER_PRELOAD"

_BACKEND_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def preload(backend: str) -> tuple[str, ...]:
    """The modules a server for `backend` imports before it forks.

    TensorFlow is preloaded under every backend: Keras imports it on first use
    whatever the backend (`serialization_lib.serialize_keras_object` asks
    `tf.available`, and `get_config` and saving call it), which cost most
    JAX and PyTorch blocks 5 to 8 s each when forked without it. Whether it is
    imported is visible to Keras in one place, `backend_utils.in_tf_graph`,
    and that gives the same answer outside a `tf.function` or `tf.data`
    pipeline, which import TensorFlow themselves; tests/tooling/test_forkserver.py
    fails if Keras starts looking elsewhere.
    """
    if backend not in _BACKEND_MODULES:
        known = ", ".join(_BACKEND_MODULES)
        raise ValueError(f"no fork server for Keras backend {backend!r}; known: {known}")
    # In the order a reader's block meets them: Keras imports its backend, TensorFlow comes later.
    return tuple(dict.fromkeys(("numpy", _BACKEND_MODULES[backend], "keras", "tensorflow")))


# A block that touches the process environment, or names a variable Keras or
# TensorFlow read at import time, must get an interpreter that has imported
# nothing yet.
_ENVIRONMENT_SENSITIVE = re.compile(
    r"os\.environ|os\.putenv|KERAS_BACKEND|TF_USE_LEGACY_KERAS|KERAS_HOME|TF_CPP_|"
    r"CUDA_VISIBLE_DEVICES|XLA_FLAGS|importlib\.reload"
)


def needs_fresh_interpreter(code: str) -> bool:
    """True when a forked child could run `code` differently from `python block.py`."""
    return bool(_ENVIRONMENT_SENSITIVE.search(code))


def _run_child(request: dict) -> None:
    """In the forked child: become `python SCRIPT` run in CWD, then exit."""
    import random
    import runpy
    import traceback

    code = 1
    try:
        out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.close(out)
        os.close(err)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        # As with PYTHONUNBUFFERED=1: prints and C++ writes reach the file in order.
        sys.stdout = open(1, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
        sys.stdout.reconfigure(write_through=True)
        sys.stderr = open(2, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        os.chdir(request["cwd"])
        script = request["script"]
        sys.argv[:] = [script]
        sys.path[0] = os.path.dirname(script)
        # A new process draws fresh random state; the fork copied the parent's.
        random.seed()
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        try:
            runpy.run_path(script, run_name="__main__")
            code = 0
        except SystemExit as stop:
            if stop.code is None:
                code = 0
            elif isinstance(stop.code, int):
                code = stop.code
            else:
                print(stop.code, file=sys.stderr)
                code = 1
        except BaseException:  # noqa: BLE001 - reported as the interpreter would
            traceback.print_exc()
            code = 1
        import atexit

        atexit._run_exitfuncs()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve(requests=sys.stdin, replies=sys.stdout) -> None:
    """Answer run requests until stdin closes."""
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _run_child(request)
        _, status = os.waitpid(pid, 0)
        replies.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
        replies.flush()


@dataclass(frozen=True)
class Run:
    """What a reader's terminal shows after `python block.py`."""

    returncode: int
    stdout: str
    stderr: str


class _Server:
    """One server process; used by one thread at a time (ForkServerPool hands them out)."""

    def __init__(self, env: dict[str, str], python: str):
        # Run by file name, not -m: the server's sys.path[0] is this folder,
        # which each child replaces with its block's folder. It imports only
        # the standard library, so any interpreter with TensorFlow can run it.
        self.process = subprocess.Popen(
            [python, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
            start_new_session=True,
        )
        ready = self._reply(timeout=300)
        if "ready" not in ready:
            raise RuntimeError(f"fork server did not start: {ready}")

    def _reply(self, timeout: float) -> dict:
        assert self.process.stdout is not None
        readable, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not readable:
            self.kill()
            raise TimeoutError(f"no answer from the fork server within {timeout:.0f} s")
        line = self.process.stdout.readline()
        if not line:
            self.kill()
            raise RuntimeError("the fork server exited")
        return json.loads(line)

    def run(self, script: Path, cwd: str, timeout: float) -> Run:
        assert self.process.stdin is not None
        with tempfile.TemporaryDirectory(prefix="doc-block-streams-") as streams:
            out, err = Path(streams) / "stdout", Path(streams) / "stderr"
            request = {"script": str(script), "cwd": cwd, "stdout": str(out), "stderr": str(err)}
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            reply = self._reply(timeout)
            return Run(
                reply["returncode"],
                out.read_text(encoding="utf-8", errors="replace"),
                err.read_text(encoding="utf-8", errors="replace"),
            )

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        # The server and the child it forked share a session: end both.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def close(self) -> None:
        if self.alive():
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class ForkServerPool:
    """Up to `size` servers, started on first use, shared by the runner's threads.

    The servers run `python` (this interpreter unless told): another virtual
    environment's, to run blocks against what is installed there.
    """

    def __init__(self, size: int, env: dict[str, str], python: str | None = None):
        if size < 1:
            raise ValueError(f"a fork server pool needs at least one server, not {size}")
        self._env = env
        self._python = python or sys.executable
        self._idle: queue.LifoQueue[_Server | None] = queue.LifoQueue()
        for _ in range(size):
            self._idle.put(None)  # a place for a server not started yet
        self._all: list[_Server] = []

    def run(self, script: Path, cwd: str, timeout: float) -> Run:
        """Run `script` as `python script` in `cwd`, forked from a server."""
        server = self._idle.get()
        try:
            if server is None or not server.alive():
                server = _Server(self._env, self._python)
                self._all.append(server)
            return server.run(script, cwd, timeout)
        finally:
            self._idle.put(server if server is not None and server.alive() else None)

    def close(self) -> None:
        for server in self._all:
            server.close()


def main() -> None:
    import importlib

    extra = [name.strip() for name in os.environ.get(PRELOAD_VARIABLE, "").split(",") if name.strip()]
    modules = (*preload(os.environ.get("KERAS_BACKEND", "tensorflow")), *extra)
    for name in modules:
        importlib.import_module(name)
    # The parent keeps stdin/stdout for the protocol; nothing else may print there.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    replies.write(json.dumps({"ready": list(modules)}) + "\n")
    replies.flush()
    serve(sys.stdin, replies)


if __name__ == "__main__":
    main()
