"""A real SIGKILL in the middle of an ingest leaves a consistent store; re-running completes it.
Ctrl-C (SIGINT) stops it with a message, exit code 130, and nothing of it stored.

Real processes, timed: these tests run alone (marker ``serial``), not beside others."""

from __future__ import annotations

import gzip
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from helpers.cli import popen_cli

from paperradar import Store

#: Copies of the shipped slice (2,518 papers) under other arXiv ids: ~20k records, a few
#: seconds of ingest on a small machine.
VARIANTS = 8
MARKER = "Zyzzyvaquark"
#: How long after the store is opened the ingest is killed: well inside the transaction.
KILL_AFTER_OPEN = 1.0


def write_big_file(slice_path: Path, target: Path) -> tuple[int, str]:
    """Write the slice VARIANTS times under new ids, titles, abstracts; return (count, last id)."""
    with gzip.open(slice_path, "rb") as fh:
        records = [orjson.loads(line) for line in fh if line.strip()]
    numbers = [r["id"].split(".")[1] for r in records]
    assert len(set(numbers)) == len(records), "ids of the slice must differ after the dot"
    ids: set[str] = set()
    with target.open("wb") as out:
        for k in range(VARIANTS):
            for record, number in zip(records, numbers, strict=True):
                arxiv_id = f"{2501 + k}.{number}"
                ids.add(arxiv_id)
                title = f"{record['title']} (variant {k})"
                abstract = f"In variant {k}: {record['abstract']}"
                out.write(
                    orjson.dumps({**record, "id": arxiv_id, "title": title, "abstract": abstract})
                    + b"\n"
                )
        # The last record carries a word found nowhere else.
        last_id = "2512.99999"
        ids.add(last_id)
        out.write(
            orjson.dumps(
                {**records[0], "id": last_id, "title": f"The {MARKER} of {records[0]['title']}"}
            )
            + b"\n"
        )
    total = VARIANTS * len(records) + 1
    assert len(ids) == total
    return total, last_id


def check_store(db: Path) -> tuple[int, int]:
    """Integrity of SQLite and of the FTS5 index; return (papers, distinct arXiv ids)."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('integrity-check')")
        papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
        distinct = conn.execute("SELECT count(DISTINCT arxiv_id) FROM papers").fetchone()[0]
        indexed = conn.execute("SELECT count(*) FROM papers_fts_docsize").fetchone()[0]
        assert indexed == papers, "every paper is in the full-text index"
        return int(papers), int(distinct)
    finally:
        conn.close()


def signal_mid_ingest(home: Path, big: Path, signum: int) -> tuple[int, str]:
    """Start ``ingest big``, send ``signum`` inside its transaction; its (exit code, stderr)."""
    wal = home / "paperradar.db-wal"
    assert not wal.exists(), "the store was closed cleanly"
    proc = popen_cli(home, "ingest", "--quiet", big)
    try:
        deadline = time.monotonic() + 30
        while not wal.exists():  # the process has opened the store
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the ingest never opened the store"
            time.sleep(0.01)
        time.sleep(KILL_AFTER_OPEN)
        assert proc.poll() is None, "the ingest finished before it could be stopped"
        os.kill(proc.pid, signum)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, stderr.decode()


@pytest.mark.slow
@pytest.mark.serial
def test_sigkill_mid_ingest_leaves_a_consistent_store(
    cli: Any, arxiv_slice: Path, cli_fixtures: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big.jsonl"
    total, last_id = write_big_file(arxiv_slice, big)
    before = cli.ingest(cli_fixtures / "papers.jsonl")["new"]
    assert before == 6
    db = cli.home / "paperradar.db"

    code, _ = signal_mid_ingest(cli.home, big, signal.SIGKILL)
    assert code == -signal.SIGKILL

    # the batches the killed run committed are undone by the next process that opens the store
    Store.open(cli.home).close()
    papers, distinct = check_store(db)
    assert papers in (before, before + total), f"{papers} papers: a half-written ingest"
    assert distinct == papers
    assert cli.stats()["papers"] == papers

    rerun = cli.ingest(big)
    assert rerun["read"] == total
    assert rerun["new"] == before + total - papers
    papers, distinct = check_store(db)
    assert papers == before + total
    assert distinct == papers, "no paper is stored twice"
    assert cli.search_ids(MARKER) == [f"arxiv:{last_id}"]
    assert f"arxiv:{2501 + VARIANTS - 1}.18371" in cli.search_ids(
        "skew polynomial division algebras variant 7"
    )


@pytest.mark.slow
@pytest.mark.serial
def test_ctrl_c_mid_ingest_stores_nothing_and_exits_130(
    cli: Any, arxiv_slice: Path, cli_fixtures: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big.jsonl"
    write_big_file(arxiv_slice, big)
    before = cli.ingest(cli_fixtures / "papers.jsonl")["new"]

    code, stderr = signal_mid_ingest(cli.home, big, signal.SIGINT)
    assert code == 130
    assert stderr == (
        "interrupted: what was not finished is not stored (embed keeps finished chunks)\n"
    )
    Store.open(cli.home).close()  # undoes what the stopped run had no time to undo
    assert check_store(cli.home / "paperradar.db") == (before, before)
