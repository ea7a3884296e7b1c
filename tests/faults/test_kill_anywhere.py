"""SIGKILL at a random point of ingest, embed and digest + email, then a re-run.

Each trial starts the real command in a process, kills it with SIGKILL after a random delay
drawn over the command's own duration (measured first, on the same machine), and then checks:
SQLite's and FTS5's integrity, the counts (no half-written ingest, no vector or digest item
stored twice), and that running the command again completes the work with nothing lost or
duplicated. For email, every message the SMTP server received has the outbox's Message-ID, and
a digest's message reaches it under one Message-ID only (a message the server accepted just
before the kill may arrive twice, with the same Message-ID, which mail systems drop as a
duplicate; docs/reliability.md).

``PAPERRADAR_FAULT_TRIALS`` sets the trials per command: 2 in ``make test``, 20 in ``make
fuzz``. The seed of each trial is in its id, so a failing one can be replayed. Real processes,
timed: these tests run alone (marker ``serial``).
"""

from __future__ import annotations

import gzip
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from aiosmtpd.controller import Controller
from helpers import paths
from helpers.cli import run_cli_process
from helpers.faults import SEEDS, check_store, copy_home, kill_after, timed
from helpers.smtp import Recorder, free_port

#: copies of the shipped slice under other arXiv ids: about 7,500 records
VARIANTS = 3
DAY = "2026-07-01"

pytestmark = [pytest.mark.serial, pytest.mark.slow]


@pytest.fixture(autouse=True)
def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")


def write_big_file(target: Path) -> int:
    """The slice VARIANTS times under new ids and titles; the number of records."""
    with gzip.open(paths.ARXIV_SLICE, "rb") as fh:
        records = [orjson.loads(line) for line in fh if line.strip()]
    with target.open("wb") as out:
        for k in range(VARIANTS):
            for record in records:
                number = record["id"].split(".")[1]
                copy = {**record, "id": f"{2401 + k}.{number}", "title": f"{record['title']} ({k})"}
                out.write(orjson.dumps(copy) + b"\n")
    return VARIANTS * len(records)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("faults") / "big.jsonl"
    return path, write_big_file(path)


@dataclass(slots=True)
class Timings:
    """A home with the big file ingested and nothing embedded (each trial copies it), and how
    long the ingest and the embedding take on this machine."""

    home: Path
    ingest: float
    embed: float


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, big_file: tuple[Path, int]) -> Timings:
    base = tmp_path_factory.mktemp("ingested")
    os.environ["PAPERRADAR_EMBEDDER"] = "fake"
    try:
        ingest = timed(base / "home", "ingest", "--quiet", big_file[0])
        embed = timed(copy_home(base / "home", base / "measure"), "embed", "--quiet")
    finally:
        del os.environ["PAPERRADAR_EMBEDDER"]
    return Timings(base / "home", ingest, embed)


@pytest.mark.parametrize("seed", SEEDS)
def test_ingest_killed_anywhere(
    seed: int, tmp_path: Path, big_file: tuple[Path, int], ingested: Timings
) -> None:
    big, total = big_file
    home = tmp_path / "home"
    timed(home, "ingest", "--quiet", paths.CLI_FIXTURES / "papers.jsonl")
    before = check_store(home).papers

    kill_after(home, random.Random(seed).uniform(0.0, ingested.ingest), "ingest", "--quiet", big)
    # the store as a user next opens it (an interrupted ingest may be undone on opening): a
    # read-only command first, then the checks
    opened = run_cli_process(home, "stats")
    assert opened.code == 0 and "Traceback" not in opened.stderr, opened.stderr
    after = check_store(home)
    assert after.papers in (before, before + total), f"half-written ingest: {after.papers}"
    assert after.arxiv_ids == after.papers

    timed(home, "ingest", "--quiet", big)
    again = check_store(home)
    assert again.papers == before + total and again.arxiv_ids == again.papers


@pytest.mark.parametrize("seed", SEEDS)
def test_embed_killed_anywhere(seed: int, tmp_path: Path, ingested: Timings) -> None:
    home = copy_home(ingested.home, tmp_path / "home")
    papers = check_store(home).papers

    kill_after(home, random.Random(seed).uniform(0.0, ingested.embed), "embed", "--quiet")
    after = check_store(home)
    assert after.papers == papers and after.vectors <= papers  # finished chunks kept, no more

    timed(home, "embed", "--quiet")
    again = check_store(home)
    assert again.vectors == papers  # each text embedded once: (model, content hash) is the key


@dataclass(slots=True)
class SmtpServer:
    recorder: Recorder
    port: int


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(recorder, port)
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def radar_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped slice embedded, and the demo researcher's profile (copied by each trial)."""
    home = tmp_path_factory.mktemp("radar") / "home"
    os.environ["PAPERRADAR_EMBEDDER"] = "fake"
    try:
        timed(home, "ingest", "--embed", "--quiet", paths.ARXIV_SLICE)
        timed(home, "profile", "create", "researcher")
        timed(home, "profile", "add", "researcher", *paths.SEED_FILES[:2])
    finally:
        del os.environ["PAPERRADAR_EMBEDDER"]
    return home


def with_mail(home: Path, port: int) -> Path:
    (home / "config.toml").write_text(
        f'[email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'from = "radar@example.org"\ntimeout = 10\n',
        encoding="utf-8",
    )
    return home


DIGEST: list[str | Path] = ["digest", "--day", DAY, "--top", "10", "--email", "ada@example.org"]


@pytest.mark.parametrize("seed", SEEDS)
def test_digest_and_email_killed_anywhere(
    seed: int, tmp_path: Path, radar_home: Path, smtp: SmtpServer
) -> None:
    duration = timed(with_mail(copy_home(radar_home, tmp_path / "measure"), smtp.port), *DIGEST)
    smtp.recorder.messages.clear()
    home = with_mail(copy_home(radar_home, tmp_path / "home"), smtp.port)

    kill_after(home, random.Random(seed).uniform(0.0, duration), *DIGEST)
    after = check_store(home)
    assert after.digests <= 1 and after.digest_items in (0, 10 * after.digests)
    assert after.outbox <= after.digests

    timed(home, "deliver")  # sends what the killed run queued
    if check_store(home).outbox == 0:  # killed before the email was queued: do it again
        timed(home, *DIGEST)
    final = check_store(home)
    assert (final.digests, final.digest_items, final.outbox, final.sent) == (1, 10, 1, 1)
    ids = {str(m["Message-ID"]) for m in smtp.recorder.messages}
    assert len(ids) == 1, f"one email, under one Message-ID: {ids}"
    assert 1 <= len(smtp.recorder.messages) <= 2
