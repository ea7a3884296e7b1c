"""Password checks on a thread of their own: one at a time, at a lower CPU priority.

An argon2id check takes 64 MiB and about 170 ms of a core (the hash's parameters are those of
``web/accounts.py``, unchanged). The server's checks run one at a time on one thread, apart
from the threads that answer pages, so a flood of logins queues there and never holds more
than that one thread. On Linux the thread runs at nice :data:`NICE`: on a busy machine the
threads answering pages get the CPU first, and the hashes take what is left. A login that
waits longer than its limit for its turn is refused (:class:`~paperradar.errors.BusyError`,
503) and its check never runs.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from paperradar.errors import BusyError

T = TypeVar("T")

#: how much nicer than the page threads the checking thread runs (Linux), as a batch job is
NICE = 10


def _lower_priority(nice: int) -> None:
    """Lower the calling thread's CPU priority by ``nice`` (Linux: a thread is a task of its
    own), relative to the server's own: a server started under ``nice`` stays below it."""
    if sys.platform == "linux" and nice > 0:
        # where it is not allowed, the checks still run, at the usual priority
        with contextlib.suppress(OSError):
            task = threading.get_native_id()
            os.setpriority(
                os.PRIO_PROCESS, task, min(19, os.getpriority(os.PRIO_PROCESS, task) + nice)
            )


class PasswordChecks:
    """Runs password checks one at a time on a single low-priority thread."""

    def __init__(self, nice: int = NICE) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix="paperradar-passwords",
            initializer=_lower_priority,
            initargs=(nice,),
        )

    def run(self, check: Callable[[], T], wait: float) -> T:
        """``check()`` on the checking thread, once the checks queued before it are done.
        Waiting more than ``wait`` seconds for that turn raises BusyError, and then
        ``check`` never runs."""
        started = threading.Event()

        def turn() -> T:
            started.set()
            return check()

        future = self._pool.submit(turn)
        if not started.wait(wait) and future.cancel():
            raise BusyError("too many logins at once: try again in a few seconds", 5)
        return future.result()

    def close(self) -> None:
        """Drop the checks still waiting; one in progress finishes on its own."""
        self._pool.shutdown(wait=False, cancel_futures=True)
