"""Read untrusted bytes in a child process, with a time and a memory limit.

:meth:`IsolatedReader.read` (or :func:`read_isolated`, for one file) hands the bytes to a
fresh ``python -m paperradar.readers.isolated``, which sets its own address-space and CPU-time
limits (``RLIMIT_AS``, ``RLIMIT_CPU``), reads them with the usual readers and sends back the
papers (plain :class:`~paperradar.models.Paper` values, pickled). Nothing is stored: the
caller stores the papers afterwards, so no store lock is held while a file is parsed, and a
file that parses slowly or needs a lot of memory costs a child process, not the caller's. An
:class:`IsolatedReader` runs :data:`SLOTS` children at most at once, and its ``stop`` kills
those running (a server shutting down).
"""

from __future__ import annotations

import contextlib
import errno
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperradar.errors import BusyError, FormatError, PaperRadarError
from paperradar.models import Paper
from paperradar.readers import ReadContext, read_path
from paperradar.readers.base import BadRecord

#: the longest a child may read, in seconds of wall-clock time
TIME_LIMIT_S = 30.0
#: the address space a child may use, in bytes
MEMORY_LIMIT = 1024 * 1024 * 1024
#: children reading at once; a request beyond waits for a slot up to :data:`SLOT_WAIT_S`
SLOTS = 2
SLOT_WAIT_S = 10.0
#: papers per pickled chunk of a child's answer
CHUNK = 500


@dataclass(frozen=True, slots=True)
class Limits:
    """How long (wall-clock seconds) and how much memory (bytes) one read may take."""

    time_s: float = TIME_LIMIT_S
    memory: int = MEMORY_LIMIT


class IsolatedReader:
    """Reads untrusted bytes in child processes, :data:`SLOTS` at most at once; thread-safe.
    :meth:`stop` kills the children reading and refuses new reads (a server stopping)."""

    def __init__(self, limits: Limits | None = None, slots: int = SLOTS) -> None:
        self.limits = limits or Limits()
        self._slots = threading.BoundedSemaphore(slots)
        self._running: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def read(
        self,
        data: bytes,
        filename: str,
        origin: str,
        fmt: str | None = None,
        *,
        shown: str | None = None,
    ) -> list[Paper]:
        """The papers of ``data`` read as a file called ``filename`` (``fmt``, or the reader
        that recognises it), in a child process; ``origin`` is where the papers were seen
        (their sightings). Errors name the file as ``shown`` (default: ``origin``): a bad
        record or an unreadable file is a FormatError as from the readers, and so is a read
        that passes its time or memory limit, or a reader that fails in any other way.
        BusyError when no slot frees up in time or the reader is stopping."""
        limits = self.limits
        named = shown or origin
        if not self._slots.acquire(timeout=SLOT_WAIT_S):
            raise BusyError("the server is busy reading other files: try again in a minute", 60)
        try:
            with self._child() as child:
                request = pickle.dumps((data, filename, origin, fmt, limits))
                try:
                    out, err = child.communicate(request, timeout=limits.time_s)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.communicate()
                    reason = f"the file took too long to read (over {limits.time_s:g} s)"
                    raise FormatError(named, None, reason) from None
        finally:
            self._slots.release()
        if self._stopping.is_set() and child.returncode != 0:
            raise BusyError("the server is stopping", 5)
        return _answer(named, child.returncode, out, err, limits)

    @contextlib.contextmanager
    def _child(self) -> Iterator[subprocess.Popen[bytes]]:
        """A started reading child, registered for :meth:`stop`; killed on the way out."""
        with self._lock:
            if self._stopping.is_set():
                raise BusyError("the server is stopping", 5)
            child = subprocess.Popen(
                [sys.executable, "-m", "paperradar.readers.isolated"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # a Ctrl-C at the terminal is the parent's to handle
            )
            self._running.add(child)
        try:
            yield child
        finally:
            with self._lock:
                self._running.discard(child)
            if child.poll() is None:
                child.kill()
                child.wait()

    def running(self) -> list[int]:
        """The process ids of the children reading now."""
        with self._lock:
            return sorted(child.pid for child in self._running)

    def stop(self) -> None:
        """Kill the children reading now and start no more."""
        with self._lock:
            self._stopping.set()
            children = list(self._running)
        for child in children:
            with contextlib.suppress(OSError):
                child.kill()


def read_isolated(
    data: bytes,
    filename: str,
    origin: str,
    fmt: str | None = None,
    limits: Limits | None = None,
    *,
    shown: str | None = None,
) -> list[Paper]:
    """:meth:`IsolatedReader.read` with a reader of its own (one child, these limits)."""
    return IsolatedReader(limits, slots=1).read(data, filename, origin, fmt, shown=shown)


def _answer(origin: str, code: int | None, out: bytes, err: bytes, limits: Limits) -> list[Paper]:
    """The papers of a child's answer, or the error it reported."""
    if code == 0:
        kind, value = pickle.loads(out)  # our own child's answer
        if kind == "papers":  # in chunks: no one call holds the GIL for long
            papers: list[Paper] = []
            for chunk in value:
                papers.extend(pickle.loads(chunk))
            return papers
        if kind == "format":
            line, reason = value
            raise FormatError(origin, line, reason)
        if kind == "memory":
            mib = limits.memory // (1024 * 1024)
            reason = f"the file needs too much memory to read (over {mib} MiB)"
            raise FormatError(origin, None, reason)
        raise FormatError(origin, None, f"cannot read this file ({value})")
    if code is not None and code < 0:  # killed: out of CPU time, or memory (a crash)
        raise FormatError(origin, None, "the file could not be read: its reader was stopped")
    last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
    raise PaperRadarError(f"{origin}: the reading process failed: {last[0][:200]}")


# --------------------------------------------------------------------------- the child


def _limit(limits: Limits) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
    cpu = int(limits.time_s) + 5  # a backstop, should the parent be gone
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _read(data: bytes, filename: str, origin: str, fmt: str | None) -> list[Paper]:
    with tempfile.TemporaryDirectory(prefix="paperradar-read-") as tmp:
        path = Path(tmp) / filename
        path.write_bytes(data)
        papers: list[Paper] = []
        opened = read_path(path, fmt, ReadContext(origin=origin))
        for record in opened.records:
            if isinstance(record, BadRecord):
                raise FormatError(origin, record.line, record.reason)
            papers.append(record)
        return papers


def _child_main() -> int:
    """Read the request on stdin, write ``(kind, value)`` pickled on stdout."""
    answer_to = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing a reader prints can spoil the answer
    data, filename, origin, fmt, limits = pickle.loads(sys.stdin.buffer.read())
    _limit(limits)
    answer: tuple[str, Any]
    try:
        papers = _read(data, filename, origin, fmt)
        chunks = [papers[i : i + CHUNK] for i in range(0, len(papers), CHUNK)]
        answer = ("papers", [pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL) for chunk in chunks])
    except FormatError as exc:
        answer = ("format", (exc.line, exc.reason))
    except MemoryError:
        answer = ("memory", None)
    except OSError as exc:  # the address-space limit also fails mmap and file buffers
        if exc.errno != errno.ENOMEM:
            answer = ("error", f"{type(exc).__name__}: {str(exc)[:200]}")
        else:
            answer = ("memory", None)
    except Exception as exc:  # a reader's bug: still reported as this file's fault
        answer = ("error", f"{type(exc).__name__}: {str(exc)[:200]}")
    try:
        payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        payload = pickle.dumps(("memory", None))
    answer_to.write(payload)
    answer_to.flush()
    return 0


if __name__ == "__main__":
    os._exit(_child_main())
