"""What the kill tests (tests/faults) share: run a command to the end and time it, SIGKILL it
after a delay, copy a prepared home, and check a store after a kill (the backend's integrity
checks: SQLite's and FTS5's, or PostgreSQL's amcheck; and the counts that must neither shrink
nor double), on either backend (tests/helpers/backends.py).

``PAPERRADAR_FAULT_TRIALS`` sets the trials per command: 2 in ``make test``, 20 in ``make
fuzz``; trial ``i`` has seed ``1000 + i``, in its test id, so a failing one can be replayed.
PostgreSQL gets half as many (at least one): :data:`TRIALS_ON_BOTH`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from helpers import backends
from helpers.cli import popen_cli, run_cli_process

TRIALS = int(os.environ.get("PAPERRADAR_FAULT_TRIALS", "2"))
SEEDS = [1000 + i for i in range(TRIALS)]
#: (backend, seed) of each trial: every seed on SQLite, the first half on PostgreSQL
TRIALS_ON_BOTH = [
    (backend, seed)
    for backend in backends.BACKENDS
    for seed in (SEEDS if backend == backends.SQLITE else SEEDS[: max(1, TRIALS // 2)])
]


@dataclass(slots=True)
class Counts:
    papers: int
    arxiv_ids: int
    sightings: int
    vectors: int
    digests: int
    digest_items: int
    outbox: int
    sent: int


def check_store(home: Path) -> Counts:
    """The store's integrity checks pass (backends.check_integrity); the counts that matter,
    read in one snapshot."""
    backends.check_integrity(home)
    (row,) = backends.rows(
        home,
        "SELECT (SELECT count(*) FROM papers), (SELECT count(DISTINCT arxiv_id) FROM papers),"
        " (SELECT count(*) FROM sightings), (SELECT count(*) FROM vectors),"
        " (SELECT count(*) FROM digests), (SELECT count(*) FROM digest_items),"
        " (SELECT count(*) FROM outbox), (SELECT count(*) FROM outbox WHERE status = 'sent')",
    )
    return Counts(*map(int, row))


def timed(home: Path, *args: str | Path) -> float:
    """Run the command to the end (it must succeed); its wall time."""
    started = time.monotonic()
    done = run_cli_process(home, *args)
    assert done.code == 0, done.stderr
    return time.monotonic() - started


def kill_after(home: Path, delay: float, *args: str | Path) -> int:
    """Start the command, SIGKILL it after ``delay`` seconds (if still running); its exit code."""
    proc = popen_cli(home, *args)
    try:
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:  # still running: the point of the test
            os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return int(proc.returncode)


def copy_home(template: Path, target: Path) -> Path:
    """A copy of a prepared home, its store included (each trial starts from the same one)."""
    return backends.copy_home(template, target)
