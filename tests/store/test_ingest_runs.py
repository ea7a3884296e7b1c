"""Bulk ingests commit batch by batch and stay all or nothing (Store.ingest_run).

Every test here uses a real SQLite file. "Another process" is a second Store object on the
same file (its own connections and its own papers-gate lock object, the same flock file),
or a real child process where a kill is the point.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

import paperradar.ingest
import paperradar.store.sqlite.store
from paperradar import FormatError, Store, ingest_files
from paperradar.errors import StoreBusyError
from paperradar.models import Paper

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
#: the tables a run may change, and what an undo must give back exactly
TABLES = ("papers", "aliases", "sightings", "paper_categories", "feedback", "profile_papers")


def record(number: int, **changes: object) -> bytes:
    fields = {
        "id": f"2698.{number:05d}",
        "title": f"Wombat burrow mapping study {number}",
        "authors": ["Grace Hopper", "Edsger Dijkstra"],
        "categories": ["cs.RO", "cs.LG"],
        "abstract": f"We map wombat burrows with robots, trial {number}.",
        "comment": "None",
        "crawl_date": "2026-06-21",
        **changes,
    }
    return orjson.dumps(fields) + b"\n"


def snapshot(db: Path) -> dict[str, str]:
    """A digest of every row of every table a run touches; FTS5's own check passes."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('integrity-check')")
        out = {}
        for table in TABLES:
            rows = conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            out[table] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()}"
        hits = conn.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'wombat'")
        out["fts"] = str(hits.fetchone()[0])
        journal = conn.execute(
            "SELECT (SELECT count(*) FROM ingest_undo), count(*) FROM ingest_runs"
        )
        assert journal.fetchone() == (0, 0), "a finished or undone run leaves no journal"
        return out
    finally:
        conn.close()


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paperradar.ingest, "BATCH_SIZE", 100)


@pytest.fixture
def stocked(tmp_path: Path, small_batches: None) -> Store:
    """A store with 300 papers, a profile holding two of them and feedback on two."""
    store = Store.open(tmp_path / "home")
    first = tmp_path / "first.jsonl"
    first.write_bytes(b"".join(record(n) for n in range(300)))
    ingest_files(store, [first])
    me = profile(store)
    store.radar.link_papers(me, [store.papers.resolve("arxiv:2698.00001")], "test", NOW)
    store.radar.add_feedback(me, [store.papers.resolve("arxiv:2698.00007")], "like", NOW)
    store.radar.add_feedback(me, [store.papers.resolve("arxiv:2698.00008")], "dislike", NOW)
    return store


def profile(store: Store) -> int:
    store.radar.add_profile("me", NOW)
    found = store.radar.profile_id("me")
    assert found is not None
    return found


def test_a_failing_run_undoes_new_papers_merges_and_absorptions(
    stocked: Store, tmp_path: Path
) -> None:
    """Six batches commit, then a bad record: every table is exactly as before -- new
    papers gone, merged abstracts and sightings back, an absorbed paper and the feedback
    that followed it restored, the full-text index in step."""
    db = stocked.path
    before = snapshot(db)
    doi_of_8 = {"doi": "10.5555/wombat.8"}
    lines = [
        record(n, abstract=f"We map wombat burrows with robots, trial {n}. Longer now.")
        for n in range(0, 200)
    ]  # merges into stored papers: new abstracts, sightings
    lines += [record(n) for n in range(1000, 1400)]  # new papers
    lines.append(record(7, **doi_of_8))
    source = tmp_path / "second.jsonl"
    source.write_bytes(b"".join(lines) + b'{"id": "2698.99999"\n')
    with pytest.raises(FormatError, match=r"second\.jsonl:602"):
        ingest_files(stocked, [source])
    assert snapshot(db) == before


def test_a_run_that_links_two_stored_papers_is_undone_whole(stocked: Store, tmp_path: Path) -> None:
    """A record carrying the arXiv id of one stored paper and the DOI of another merges the
    two (the feedback on the absorbed one moves over); the failed run separates them again."""
    db = stocked.path
    doi_only = Paper(title="Burrow maps", abstract="Maps of burrows.", doi="10.5555/wombat.8")
    stocked.papers.upsert([doi_only])
    me = stocked.radar.profile_id("me")
    assert me is not None
    stocked.radar.add_feedback(me, [stocked.papers.resolve("doi:10.5555/wombat.8")], "save", NOW)
    assert stocked.papers.resolve("doi:10.5555/wombat.8") != stocked.papers.resolve(
        "arxiv:2698.00008"
    )
    before = snapshot(db)
    new = tmp_path / "new.jsonl"
    new.write_bytes(b"".join(record(n) for n in range(2000, 2250)))
    link = tmp_path / "link.bib"
    link.write_text(
        "@article{w8, title = {Wombat burrow mapping study 8}, author = {Hopper, Grace},\n"
        "  year = {2026}, doi = {10.5555/wombat.8}, eprint = {2698.00008},\n"
        "  archivePrefix = {arXiv}}\n"
    )
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(record(3000) + b'{"id": "2698.03001"\n')
    with pytest.raises(FormatError, match=r"bad\.jsonl:2"):
        ingest_files(stocked, [new, link, bad])
    assert snapshot(db) == before
    report = ingest_files(stocked, [new, link])
    assert report.new == 250 and report.merged == 1
    assert stocked.papers.resolve("doi:10.5555/wombat.8") == stocked.papers.resolve(
        "arxiv:2698.00008"
    )


def ctrl_c_at(call: int) -> Callable[..., None]:
    """A progress callback that raises KeyboardInterrupt (as Ctrl-C does) on its ``call``th
    call: after a batch has committed."""
    calls = 0

    def progress(*_: object) -> None:
        nonlocal calls
        calls += 1
        if calls == call:
            raise KeyboardInterrupt

    return progress


def test_ctrl_c_between_batches_undoes_the_run(stocked: Store, tmp_path: Path) -> None:
    db = stocked.path
    before = snapshot(db)
    source = tmp_path / "big.jsonl"
    source.write_bytes(b"".join(record(n) for n in range(3000, 4000)))
    with pytest.raises(KeyboardInterrupt):
        ingest_files(stocked, [source], progress=ctrl_c_at(4))
    assert snapshot(db) == before
    assert ingest_files(stocked, [source]).new == 1000


def test_ctrl_c_leaves_a_long_undo_to_a_store_open_elsewhere(
    stocked: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C exits at once (no undo budget here); a store already open in another process
    notices the stopped run at its next look at the store's version and undoes it."""
    monkeypatch.setattr(paperradar.store.sqlite.store, "CTRL_C_UNDO_S", 0.0)
    db = stocked.path
    before = snapshot(db)
    server = Store.open(stocked.home)
    server.version()
    source = tmp_path / "big.jsonl"
    source.write_bytes(b"".join(record(n) for n in range(7000, 7500)))
    with pytest.raises(KeyboardInterrupt):
        ingest_files(stocked, [source], progress=ctrl_c_at(3))
    assert runs_left(db) == 1
    server.version()  # a commit happened: it looks, finds the stopped run, undoes it
    deadline = time.monotonic() + 20
    while committed_steps(db) or runs_left(db):
        assert time.monotonic() < deadline, "the stopped run was not undone"
        time.sleep(0.05)
    assert snapshot(db) == before


def runs_left(db: Path) -> int:
    return one_number(db, "SELECT count(*) FROM ingest_runs")


def test_a_killed_run_is_undone_by_the_next_open(tmp_path: Path) -> None:
    """SIGKILL after some batches committed: the next process to open the store undoes them."""
    home = tmp_path / "home"
    Store.open(home).close()
    db = home / "paperradar.db"
    before = snapshot(db)
    source = tmp_path / "big.jsonl"
    source.write_bytes(b"".join(record(n) for n in range(20_000)))
    child = (
        "import sys, paperradar.ingest as i; from pathlib import Path; "
        "from paperradar import Store; i.BATCH_SIZE = 200; "
        "i.ingest_files(Store.open(Path(sys.argv[1])), [Path(sys.argv[2])])"
    )
    proc = subprocess.Popen([sys.executable, "-c", child, str(home), str(source)])
    try:
        deadline = time.monotonic() + 60
        while committed_steps(db) < 3:
            assert proc.poll() is None, "the ingest ended before it could be killed"
            assert time.monotonic() < deadline, "no batch was committed"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM papers").fetchone()[0] > 0, "batches committed"
    conn.close()
    Store.open(home).close()
    assert snapshot(db) == before


def committed_steps(db: Path) -> int:
    return one_number(db, "SELECT ifnull(max(step), 0) FROM ingest_undo")


def one_number(db: Path, sql: str) -> int:
    """The number ``sql`` reads from the store's file; 0 before the tables exist."""
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # not migrated yet
        return 0
    finally:
        conn.close()


@pytest.mark.serial  # its writes must each fit a 0.2 s busy timeout: no other test beside it
def test_other_writers_never_time_out_during_a_long_run(
    tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a 0.2 s busy timeout and a run of 60 batches that lasts far longer, another
    store's writes (a like, as the web server makes) all succeed, each within a batch's time."""
    monkeypatch.setenv("PAPERRADAR_STORE_BUSY_TIMEOUT", "0.2")
    home = tmp_path / "home"
    ingesting = Store.open(home)
    other = Store.open(home)
    seed = tmp_path / "seed.jsonl"
    seed.write_bytes(record(1))
    ingest_files(ingesting, [seed])
    me = profile(other)
    paper = other.papers.resolve("arxiv:2698.00001")
    source = tmp_path / "big.jsonl"
    source.write_bytes(b"".join(record(n) for n in range(10_000, 16_000)))
    failures: list[BaseException] = []
    waits: list[float] = []
    done = threading.Event()

    def ingest() -> None:
        try:
            ingest_files(ingesting, [source])
        except BaseException as exc:
            failures.append(exc)
        finally:
            done.set()

    started = time.monotonic()
    thread = threading.Thread(target=ingest)
    thread.start()
    while not done.is_set():
        began = time.monotonic()
        try:
            other.radar.add_feedback(me, [paper], "like", NOW)
        except StoreBusyError as exc:
            failures.append(exc)
        waits.append(time.monotonic() - began)
        time.sleep(0.01)
    thread.join()
    assert time.monotonic() - started > 0.6, "the run must outlast the busy timeout"
    assert not failures, failures[:3]
    assert len(waits) > 10
    assert max(waits) < 0.2


def test_a_papers_writer_waits_for_the_run_and_a_nested_one_is_told_busy(
    stocked: Store, tmp_path: Path
) -> None:
    home = stocked.home
    other = Store.open(home)
    paper = Paper(title="Echidna gait analysis", abstract="Echidnas walk.", arxiv_id="2698.77777")
    source = tmp_path / "run.jsonl"
    source.write_bytes(b"".join(record(n) for n in range(5000, 5600)))
    inside = threading.Event()
    release = threading.Event()

    def progress(*_: object) -> None:
        inside.set()
        release.wait(10)

    thread = threading.Thread(target=lambda: ingest_files(stocked, [source], progress=progress))
    thread.start()
    try:
        assert inside.wait(10)
        with pytest.raises(StoreBusyError, match="another ingest"), other.transaction():
            other.papers.upsert([paper])
        waited = threading.Thread(target=lambda: other.papers.upsert([paper]))
        waited.start()
        time.sleep(0.3)
        assert waited.is_alive(), "a papers writer waits while the run is going on"
    finally:
        release.set()
        thread.join(30)
    waited.join(30)
    assert not waited.is_alive()
    assert other.papers.resolve("arxiv:2698.77777") > 0
    assert other.papers.resolve("arxiv:2698.05599") > 0


def test_an_ingest_inside_a_transaction_joins_it(stocked: Store, tmp_path: Path) -> None:
    db = stocked.path
    before = snapshot(db)
    source = tmp_path / "inner.jsonl"
    source.write_bytes(b"".join(record(n) for n in range(6000, 6500)))

    class Stop(Exception):
        pass

    with pytest.raises(Stop), stocked.transaction():
        assert ingest_files(stocked, [source]).new == 500
        raise Stop
    assert snapshot(db) == before
