"""Parsing files in a reader process that no file can take the sync down with.

A workbook's parser is native code: a sheet whose cells span the whole grid makes
it allocate billions of cells and abort the process, taking the sync (and every
later sync, as the file stays in the inbox) with it. So bytes become grids
(``ingest.tabular.load_grids``) in a child process with a memory limit
(``RLIMIT_AS``) and a time limit; a crash, a blow-up or a hang becomes a refused
file with its name and reason, and the next file is read by a fresh process.

One child serves a whole sync (started on the first file, restarted only after
one dies): it is a plain ``python -m ingest.guard`` that imports the tabular
reader and nothing of the parent (multiprocessing's spawn and forkserver would
re-import the parent's ``__main__``, the whole Dagster CLI). Requests and answers
are pickled over two pipes (``multiprocessing.connection.Connection``).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path

from ingest.limits import Limits, load_limits
from ingest.tabular import Grid, UnreadableFile, load_grids

# The folder holding the ``ingest`` package, put first on the child's path so it
# runs this checkout's code whatever is installed.
_CODE_ROOT = str(Path(__file__).resolve().parent.parent)


class Reader:
    """A reader process for one sync: ``load_grids`` as ``ingest.tabular`` does,
    with every failure of the process turned into ``UnreadableFile``."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or load_limits()
        self._process: subprocess.Popen | None = None
        self._requests: Connection | None = None
        self._answers: Connection | None = None

    def __enter__(self) -> Reader:
        self._start()  # its imports overlap with the caller's listing and reading of files
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def load_grids(self, name: str, data: bytes) -> list[Grid]:
        """The grids of one file, parsed in the reader process."""
        if self._process is None or self._process.poll() is not None:
            self._start()
        try:
            self._requests.send((name, data))
            if not self._answers.poll(self.limits.reader_seconds):
                self._stop(kill=True)
                raise UnreadableFile(f"reading it took longer than {self.limits.reader_seconds:g} s: stopped")
            status, value = self._answers.recv()
        except (EOFError, OSError):
            raise UnreadableFile(self._death()) from None
        if status == "grids":
            return value
        raise UnreadableFile(value)

    def close(self) -> None:
        """Stop the reader process; it holds nothing that needs a clean exit."""
        self._stop(kill=True)

    def _start(self) -> None:
        self._stop(kill=True)
        child_in, requests = os.pipe()
        answers, child_out = os.pipe()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, (_CODE_ROOT, os.environ.get("PYTHONPATH")))),
        }
        self._process = subprocess.Popen(
            [sys.executable, "-m", "ingest.guard", str(child_in), str(child_out)],
            pass_fds=(child_in, child_out),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            # A parser's panic message may quote a cell: never into a log.
            stderr=subprocess.DEVNULL,
        )
        os.close(child_in)
        os.close(child_out)
        self._requests = Connection(requests, readable=False)
        self._answers = Connection(answers, writable=False)
        self._requests.send(self.limits)

    def _stop(self, kill: bool) -> None:
        for connection in (self._requests, self._answers):
            if connection is not None:
                connection.close()
        self._requests = self._answers = None
        if self._process is not None:
            if kill:
                self._process.kill()
            try:
                self._process.wait(timeout=self.limits.reader_seconds)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def _death(self) -> str:
        """Why the reader process died on a file, from its exit status."""
        process = self._process
        self._stop(kill=False)
        code = process.returncode if process is not None else None
        limit = f"the reader's memory limit of {self.limits.reader_memory_mb:,} MB"
        if code == _OUT_OF_MEMORY:
            return f"reading it needs more than {limit}"
        if code is not None and code < 0:
            return f"the reader process died reading it ({signal.Signals(-code).name}; beyond {limit}, or a broken file)"
        return f"the reader process ended reading it (exit status {code})"


# ---------------------------------------------------------------- the child

_OUT_OF_MEMORY = 75


def _serve(request_fd: int, answer_fd: int) -> None:
    """Answer requests until the parent closes the pipe: (name, bytes) →
    ("grids", grids) or ("unreadable", reason). Out of memory, it exits with
    ``_OUT_OF_MEMORY`` so the parent says why and starts a fresh process."""
    requests = Connection(request_fd, writable=False)
    answers = Connection(answer_fd, readable=False)
    limits: Limits = requests.recv()
    memory = limits.reader_memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    while True:
        try:
            name, data = requests.recv()
        except EOFError:
            return
        try:
            answers.send(("grids", load_grids(name, data, limits)))
        except UnreadableFile as error:
            answers.send(("unreadable", str(error)))
        except MemoryError:
            os._exit(_OUT_OF_MEMORY)
        # Only the type: a parser's message may quote a cell.
        except Exception as error:  # noqa: BLE001 - any failure of a parser refuses the file, not the sync
            answers.send(("unreadable", f"the reader failed on it ({type(error).__name__})"))


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))
