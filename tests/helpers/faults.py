"""What the kill tests (tests/faults) share: run a command to the end and time it, SIGKILL it
after a delay, copy a prepared home, and check a store after a kill (SQLite's and FTS5's
integrity, and the counts that must neither shrink nor double).

``PAPERRADAR_FAULT_TRIALS`` sets the trials per command: 2 in ``make test``, 20 in ``make
fuzz``; trial ``i`` has seed ``1000 + i``, in its test id, so a failing one can be replayed.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from helpers.cli import popen_cli, run_cli_process

TRIALS = int(os.environ.get("PAPERRADAR_FAULT_TRIALS", "2"))
SEEDS = [1000 + i for i in range(TRIALS)]


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
    """SQLite's and FTS5's integrity checks pass; the counts that matter."""
    conn = sqlite3.connect(home / "paperradar.db", isolation_level=None)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('integrity-check')")

        def one(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0])

        return Counts(
            papers=one("SELECT count(*) FROM papers"),
            arxiv_ids=one("SELECT count(DISTINCT arxiv_id) FROM papers"),
            sightings=one("SELECT count(*) FROM sightings"),
            vectors=one("SELECT count(*) FROM vectors"),
            digests=one("SELECT count(*) FROM digests"),
            digest_items=one("SELECT count(*) FROM digest_items"),
            outbox=one("SELECT count(*) FROM outbox"),
            sent=one("SELECT count(*) FROM outbox WHERE status = 'sent'"),
        )
    finally:
        conn.close()


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
    """A copy of a prepared home (each trial starts from the same one)."""
    shutil.copytree(template, target)
    return target
