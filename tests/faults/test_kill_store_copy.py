"""SIGKILL in the middle of ``paperradar store copy``, then a re-run.

The source is a SQLite home holding the shipped arXiv slice (2,532 papers, their aliases,
sightings and vectors) and a profile. A real ``paperradar store copy`` process copies it in
chunks of 100 rows into a PostgreSQL schema on the test server (or into another SQLite home);
once the destination shows progress it is killed with SIGKILL. The destination then holds
whole chunks only, each with its progress record; running the same command again resumes
(``"resumed": true``), copies only what was left, and ends with every count equal to the
source's: nothing lost, nothing twice. The commands' ``--json`` outputs on the copy equal
the source's (for PostgreSQL, all but keyword scores: its bm25 is its own).

Real processes, killed: these tests run alone (marker ``serial``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from helpers import paths, pgserver
from helpers.cli import popen_cli, run_cli, run_cli_process
from helpers.faults import check_store

pytestmark = [pytest.mark.serial, pytest.mark.slow]

QUERY = "why do reasoning models fail on harder puzzles"
DAY = "2026-07-01"
#: rows per chunk: the slice makes about 120 chunks
CHUNK = "100"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("copy-kill") / "laptop"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PAPERRADAR_EMBEDDER", "fake")
        steps: list[tuple[str | Path, ...]] = [
            ("ingest", "--embed", "--quiet", paths.ARXIV_SLICE),
            ("profile", "create", "researcher"),
            ("profile", "add", "researcher", *paths.SEED_FILES[:2]),
            ("digest", "--profile", "researcher", "--day", DAY, "--json"),
        ]
        for args in steps:
            done = run_cli(home, *args)
            assert done.code == 0, (args, done.stderr)
    return home


@contextlib.contextmanager
def _destination(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield str(tmp_path / "copy")
        return
    with pgserver.schema() as url:
        yield url


def _copied_rows(kind: str, dst: str) -> int:
    """Rows the destination has recorded as copied (0 before the first chunk commits)."""
    query = "SELECT coalesce(sum(rows), 0) FROM store_copies WHERE tbl <> '*'"
    try:
        if kind == "sqlite":
            db = Path(dst) / "paperradar.db"
            if not db.exists():
                return 0
            with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
                return int(conn.execute(query).fetchone()[0])
        with psycopg.connect(dst) as pg:
            row = pg.execute(query).fetchone()
            return int(row[0]) if row else 0
    except (sqlite3.Error, psycopg.Error):
        return 0  # not created yet


def outputs(home: Path, *store: str) -> dict[str, object]:
    runs = {
        "semantic": ("search", "--mode", "semantic", QUERY, "--limit", "10", "--json"),
        "keyword": ("search", QUERY, "--limit", "10", "--json"),
        "digest": ("digest", "--profile", "researcher", "--day", DAY, "--no-record", "--json"),
        "trending": ("trending", "--since", "2025-01-01", "--limit", "10", "--json"),
        "stats": ("stats", "--json"),
    }
    got: dict[str, object] = {}
    for name, args in runs.items():
        done = run_cli(home, *store, *args)
        assert done.code == 0, (args, done.stderr)
        value = json.loads(done.stdout)
        if name == "stats":
            value = {k: v for k, v in value.items() if k not in ("store", "config", "size_bytes")}
        if name == "digest":
            value.pop("created")
        got[name] = value
    return got


@pytest.mark.parametrize("kind", ["postgres", "sqlite"])
def test_a_killed_store_copy_completes_when_run_again(
    kind: str, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    lab = tmp_path / "lab"
    with _destination(kind, tmp_path) as dst:
        command = ("store", "copy", source, dst, "--chunk", CHUNK, "--json")
        proc = popen_cli(lab, *command)
        try:
            deadline = time.monotonic() + 60
            while _copied_rows(kind, dst) == 0 and proc.poll() is None:
                assert time.monotonic() < deadline, "the copy showed no progress in 60 s"
                time.sleep(0.01)
            assert proc.poll() is None, proc.communicate()[1]  # killed mid-copy, not after
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == -signal.SIGKILL
        partial = _copied_rows(kind, dst)
        assert partial > 0

        again = run_cli_process(lab, *command, timeout=300)
        assert again.code == 0, again.stderr
        report = json.loads(again.stdout)
        assert report["resumed"] is True
        assert sum(report["copied"].values()) + partial == sum(
            n for t, n in report["counts"].items() if t in report["copied"]
        )
        assert report["counts"]["papers"] > 2500
        # every table's count equals the source's (the command checked them; so do we)
        with_store = ("--store", dst) if kind == "postgres" else ()
        home = lab if kind == "postgres" else Path(dst)
        copy = outputs(home, *with_store)
        original = outputs(source)
        if kind == "postgres":  # its keyword scores are its own bm25 (docs/storage.md)
            hits: list[list[dict[str, object]]] = [copy.pop("keyword"), original.pop("keyword")]  # type: ignore[list-item]
            assert {h["id"] for h in hits[0]} == {h["id"] for h in hits[1]}
        assert copy == original
        if kind == "sqlite":  # SQLite's and FTS5's integrity checks
            assert check_store(Path(dst)).papers == report["counts"]["papers"]
