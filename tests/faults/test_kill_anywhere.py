"""SIGKILL at a random point of ingest, embed and digest + email, then a re-run, on both storage
backends (tests/helpers/backends.py).

Each trial starts the real command in a process, kills it with SIGKILL after a random delay
drawn over the command's own duration (measured first, on the same machine and backend), and
then checks: the store's integrity (SQLite's and FTS5's checks, or PostgreSQL's amcheck), the
counts (no half-written ingest, no vector or digest item stored twice), and that running the
command again completes the work with nothing lost or duplicated. A killed ingest leaves all of
it or none: on SQLite its steps are undone when the store is next opened, on PostgreSQL it is
one transaction, which the server rolls back. For email, every message the SMTP server received
has the outbox's Message-ID, and a digest's message reaches it under one Message-ID only (a
message the server accepted just before the kill may arrive twice, with the same Message-ID,
which mail systems drop as a duplicate; docs/reliability.md).

``PAPERRADAR_FAULT_TRIALS`` sets the trials per command: 2 in ``make test``, 20 in ``make fuzz``
(PostgreSQL gets half as many, at least one: tests/helpers/faults.py). The seed of each trial is
in its id, so a failing one can be replayed. Real processes, timed: these tests run alone
(marker ``serial``).
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from aiosmtpd.controller import Controller
from helpers import backends, paths
from helpers.backends import PerBackend
from helpers.cli import run_cli_process
from helpers.faults import TRIALS_ON_BOTH, check_store, kill_after, timed
from helpers.smtp import Recorder, free_port

#: copies of the shipped slice under other arXiv ids: about 7,500 records; on PostgreSQL,
#: where an ingest is one transaction and takes twice as long, one copy (2,518 records)
VARIANTS = {backends.SQLITE: 3, backends.POSTGRES: 1}
DAY = "2026-07-01"

pytestmark = [pytest.mark.serial, pytest.mark.slow]
#: each trial's backend and seed, in its id
trials = pytest.mark.parametrize(("backend", "seed"), TRIALS_ON_BOTH)
Copy = Callable[[Path, str], Path]


@pytest.fixture(autouse=True)
def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")


def write_big_file(target: Path, variants: int) -> int:
    """The slice ``variants`` times under new ids and titles; the number of records."""
    with gzip.open(paths.ARXIV_SLICE, "rb") as fh:
        records = [orjson.loads(line) for line in fh if line.strip()]
    with target.open("wb") as out:
        for k in range(variants):
            for record in records:
                number = record["id"].split(".")[1]
                copy = {**record, "id": f"{2401 + k}.{number}", "title": f"{record['title']} ({k})"}
                out.write(orjson.dumps(copy) + b"\n")
    return variants * len(records)


@pytest.fixture(scope="module")
def big_files(tmp_path_factory: pytest.TempPathFactory) -> PerBackend[tuple[Path, int]]:
    def write(backend: str) -> tuple[Path, int]:
        path = tmp_path_factory.mktemp("faults") / "big.jsonl"
        return path, write_big_file(path, VARIANTS[backend])

    return PerBackend(write)


@pytest.fixture
def big_file(big_files: PerBackend[tuple[Path, int]], backend: str) -> tuple[Path, int]:
    return big_files(backend)


@dataclass(slots=True)
class Timings:
    """A home with the big file ingested and nothing embedded (each trial copies it), and how
    long the ingest and the embedding take on this machine."""

    home: Path
    ingest: float
    embed: float


@pytest.fixture(scope="module")
def prepared(
    tmp_path_factory: pytest.TempPathFactory, big_files: PerBackend[tuple[Path, int]]
) -> PerBackend[Timings]:
    def build(backend: str) -> Timings:
        base = tmp_path_factory.mktemp(f"ingested-{backend}")
        home = backends.make_home(base / "home", backend)
        # built when a test first needs it, inside that test's setup: the environment is put
        # back as it was, the test's own fake embedder included
        with pytest.MonkeyPatch.context() as env:
            env.setenv("PAPERRADAR_EMBEDDER", "fake")
            ingest = timed(home, "ingest", "--quiet", big_files(backend)[0])
            measure = backends.copy_home(home, base / "measure")
            embed = timed(measure, "embed", "--quiet")
            backends.forget(measure)
        return Timings(home, ingest, embed)

    return PerBackend(build)


@pytest.fixture
def ingested(prepared: PerBackend[Timings], backend: str) -> Timings:
    return prepared(backend)


@trials
def test_ingest_killed_anywhere(
    seed: int, home: Path, big_file: tuple[Path, int], ingested: Timings
) -> None:
    big, total = big_file
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


@trials
def test_embed_killed_anywhere(seed: int, ingested: Timings, home_copies: Copy) -> None:
    home = home_copies(ingested.home, "home")
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
def radar_homes(tmp_path_factory: pytest.TempPathFactory) -> PerBackend[Path]:
    """The shipped slice embedded, and the demo researcher's profile (copied by each trial)."""

    def build(backend: str) -> Path:
        home = backends.make_home(tmp_path_factory.mktemp(f"radar-{backend}") / "home", backend)
        with pytest.MonkeyPatch.context() as env:
            env.setenv("PAPERRADAR_EMBEDDER", "fake")
            timed(home, "ingest", "--embed", "--quiet", paths.ARXIV_SLICE)
            timed(home, "profile", "create", "researcher")
            timed(home, "profile", "add", "researcher", *paths.SEED_FILES[:2])
        return home

    return PerBackend(build)


@pytest.fixture
def radar_home(radar_homes: PerBackend[Path], backend: str) -> Path:
    return radar_homes(backend)


def with_mail(home: Path, port: int) -> Path:
    return backends.write_config(
        home,
        f'[email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'from = "radar@example.org"\ntimeout = 10\n',
    )


DIGEST: list[str | Path] = ["digest", "--day", DAY, "--top", "10", "--email", "ada@example.org"]


@trials
def test_digest_and_email_killed_anywhere(
    seed: int, radar_home: Path, smtp: SmtpServer, home_copies: Copy
) -> None:
    duration = timed(with_mail(home_copies(radar_home, "measure"), smtp.port), *DIGEST)
    smtp.recorder.messages.clear()
    home = with_mail(home_copies(radar_home, "home"), smtp.port)

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
