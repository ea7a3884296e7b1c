"""An ingest always stops: a failing writer or Ctrl-C ends it promptly, store unchanged.

The reader thread hands batches to the writer through a small queue. A writer that failed
while that queue was full used to leave the reader waiting to put forever, and the writer
waiting forever to join it (issue 15); Ctrl-C could hang the same way.
"""

from __future__ import annotations

import dataclasses
import gc
import gzip
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import orjson
import pytest
from helpers import paths
from helpers.cli import popen_cli, run_cli

import paperradar.ingest
from paperradar import FormatError, Store, StoreError, ingest_files
from paperradar.models import IngestReport, Paper
from paperradar.store.api.papers import PaperStats, PreparedPaper

#: the watchdog's limit: an ingest that fails must have returned by then
PROMPT = 3.0


def arxiv_line(number: int, **changes: object) -> bytes:
    """One record of the arxiv-cs-daily schema under the made-up id 2699.NNNNN."""
    record = {
        "id": f"2699.{number:05d}",
        "title": f"Quokka routing number {number}",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG"],
        "abstract": f"We study quokka routing, case {number}.",
        "comment": "None",
        "crawl_date": "2026-06-20",
        **changes,
    }
    return orjson.dumps(record) + b"\n"


def write_records(target: Path, count: int, last: bytes = b"") -> Path:
    target.write_bytes(b"".join(arxiv_line(n) for n in range(count)) + last)
    return target


def paper_count(home: Path) -> int:
    conn = sqlite3.connect(home / "paperradar.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return int(conn.execute("SELECT count(*) FROM papers").fetchone()[0])
    finally:
        conn.close()


def within(seconds: float, call: Callable[[], object]) -> BaseException | None:
    """Run ``call`` in a thread; fail unless it ends within ``seconds``; what it raised."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            # without its traceback the failed ingest's frames are freed here, as a command
            # frees them when it reports the error: nothing may wait then either
            raised.append(exc.with_traceback(None))
        gc.collect()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: the ingest hangs"
    return raised[0] if raised else None


def reader_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "paperradar-reader"}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "home")
    ingest_files(store, [paths.ARXIV_SLICE])
    return store


def contents(store: Store) -> PaperStats:
    """What the store holds, without the size of its files (an undone run leaves free pages,
    and the WAL is copied into the file when it has grown enough)."""
    return dataclasses.replace(store.papers.stats(), size_bytes=0)


def failing_upsert(store: Store, after: int, delay: float) -> None:
    """Make the store's upsert fail on batch ``after`` + 1, ``delay`` s into it: time for the
    reader to fill the queue and wait on it."""
    upsert = store.papers.upsert
    calls = 0

    def upsert_then_fail(
        records: Sequence[Paper] | Sequence[PreparedPaper], report: IngestReport | None = None
    ) -> IngestReport:
        nonlocal calls
        calls += 1
        if calls > after:
            time.sleep(delay)
            raise StoreError("the disk is full (a fault made by the test)")
        return upsert(records, report)

    store.papers.upsert = upsert_then_fail  # type: ignore[method-assign]


# 2 to 8 batches: the reader ends up waiting to put a batch, the end, or an error
@pytest.mark.parametrize("batches", [2, 4, 5, 8])
@pytest.mark.parametrize("after", [0, 1])
def test_a_writer_error_with_the_queue_full_ends_the_ingest(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batches: int, after: int
) -> None:
    monkeypatch.setattr(paperradar.ingest, "BATCH_SIZE", 50)
    source = write_records(tmp_path / "papers.jsonl", 50 * batches)
    failing_upsert(store, after=after, delay=0.3)
    before = contents(store)
    readers = reader_threads()
    raised = within(PROMPT, lambda: ingest_files(store, [source]))
    assert isinstance(raised, StoreError)
    assert contents(store) == before
    assert reader_threads() <= readers, "the reading thread still runs"


def test_a_writer_error_and_a_reader_error_at_once(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader meets a bad record after filling the queue, and the writer fails: the
    writer's error is the one reported, and nothing waits."""
    monkeypatch.setattr(paperradar.ingest, "BATCH_SIZE", 50)
    source = write_records(tmp_path / "papers.jsonl", 200, last=b"{not json\n")
    failing_upsert(store, after=0, delay=0.3)
    before = contents(store)
    raised = within(PROMPT, lambda: ingest_files(store, [source]))
    assert isinstance(raised, StoreError)
    assert contents(store) == before


def test_a_bad_record_late_in_a_big_file_with_a_slow_writer(store: Store, tmp_path: Path) -> None:
    """A real bad record at the end of 30,000: the error arrives with the queue full, and
    reaches the writer, which undoes every batch already committed. (The file itself may
    have grown: the undone pages are free for the next ingest.)"""
    source = write_records(tmp_path / "big.jsonl", 30_000, last=b'{"id": "2699.99999"\n')
    before = contents(store)
    raised = within(120.0, lambda: ingest_files(store, [source]))
    assert isinstance(raised, FormatError)
    assert "big.jsonl:30001" in str(raised)
    assert contents(store) == before


def write_big_file(target: Path, copies: int) -> int:
    """The shipped slice ``copies`` times under new ids and titles; the number of records."""
    with gzip.open(paths.ARXIV_SLICE, "rb") as fh:
        records = [orjson.loads(line) for line in fh if line.strip()]
    with target.open("wb") as out:
        for k in range(copies):
            for record in records:
                number = record["id"].split(".")[1]
                copy = {**record, "id": f"{2401 + k}.{number}", "title": f"{record['title']} ({k})"}
                out.write(orjson.dumps(copy) + b"\n")
    return copies * len(records)


def read_so_far(pid: int, source: Path) -> float | None:
    """How much of ``source`` process ``pid`` has read (0 to 1), from the offset of the file
    descriptor it reads it with (Linux's /proc); None while it has no such descriptor."""
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if Path(os.readlink(fd)) != source.resolve():
                continue
            info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
        except OSError:  # closed meanwhile
            continue
        position = int(info.split("pos:", 1)[1].split()[0])
        return position / source.stat().st_size
    return None


def wait_for_reading(proc: subprocess.Popen[bytes], source: Path, fraction: float) -> None:
    """Wait until the ingest has read ``fraction`` of ``source`` (1.0: all of it, the file
    closed or at its end; the writer still has the last batches to store)."""
    deadline = time.monotonic() + 120
    opened = False
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the ingest ended before it could be interrupted"
        done = read_so_far(proc.pid, source)
        if done is None and opened:  # read to the end and closed
            return
        if done is not None:
            opened = True
            if done >= fraction:
                return
        time.sleep(0.01)
    raise AssertionError("the ingest did not read its file")


#: how much of the file each trial lets the ingest read before SIGINT, and the seconds it then
#: waits. Once the whole file is read the writer still has about three batches to store, while
#: the reader waits to hand over its last batch, then its end: where it used to hang
READ_BEFORE_SIGINT = ((0.3, 0.0), (0.6, 0.0), (1.0, 0.0), (1.0, 0.4), (1.0, 0.8))


@pytest.mark.serial
@pytest.mark.slow
def test_ctrl_c_during_a_big_ingest_ends_it_at_once(tmp_path: Path) -> None:
    """SIGINT while a 10,000-record ingest (six batches) reads or writes: exit 130 within
    about a second with a one-line message, the store intact and unchanged; five times over."""
    home = tmp_path / "home"
    source = tmp_path / "big.jsonl"
    write_big_file(source, copies=4)
    run_cli(home, "ingest", "--quiet", paths.ARXIV_SLICE)
    before = paper_count(home)
    stops = []
    for fraction, then in READ_BEFORE_SIGINT:
        proc = popen_cli(home, "ingest", "--quiet", source)
        try:
            wait_for_reading(proc, source, fraction)
            time.sleep(then)
            assert proc.poll() is None, "the ingest ended before it could be interrupted"
            proc.send_signal(signal.SIGINT)
            sent = time.monotonic()
            _, stderr = proc.communicate(timeout=10)
            stops.append(time.monotonic() - sent)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        text = stderr.decode()
        assert proc.returncode == 130, text
        assert "Traceback" not in text
        assert text.strip().splitlines() == [
            "interrupted: what was not finished is not stored (embed keeps finished chunks)"
        ]
        # what the stopped run had no time to undo, the next opening of the store undoes
        Store.open(home).close()
        assert paper_count(home) == before
    assert max(stops) < 2.0, f"seconds from SIGINT to exit: {stops}"
