"""``paperradar store copy``: a whole store from SQLite to PostgreSQL and back.

A small but complete store (papers with aliases and sightings from several readers, vectors,
a profile with papers, feedback and rules, a recorded digest, an email in the outbox, a user
with a session and a profile, a subscription, source cursors, scheduled runs) is copied from
SQLite to a PostgreSQL schema on the real test server, and from there into a new SQLite home.
Every repository read gives equal values on the three stores, the ids' high-water marks
travel, and the commands' ``--json`` outputs of the round trip are byte-identical (PostgreSQL's
too, except keyword scores, which are its own bm25: docs/storage.md). Also: a stopped copy
resumes, a filled destination is refused, a source written to during the copy is caught by
the counts, and bad SRC/DST give one-line errors.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from helpers import paths, pgserver
from helpers.cli import run_cli

from paperradar.errors import StoreBusyError, StoreError, UsageError
from paperradar.models import Filters, Paper
from paperradar.store.api import Store
from paperradar.store.copying import LOCK, copy_store
from paperradar.store.postgres.store import PgStore
from paperradar.store.sqlite.store import SqliteStore

UTC = dt.UTC
DAY = "2026-06-30"
MODEL_ENV = {"PAPERRADAR_EMBEDDER": "fake"}
#: the fake embedder's model id
MODEL = "fake-64"
#: what differs between two homes' ``stats --json`` besides the data: where and how big
_WHERE = ("store", "config", "size_bytes")


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pgserver.schema() as url:
        yield url


def ok(home: Path, *args: str | Path) -> str:
    result = run_cli(home, *args)
    assert result.code == 0, (args, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def build_source(tmp_path: Path) -> Path:
    """A SQLite home holding a row in every table the copy carries."""
    home = tmp_path / "laptop"
    slice_file = tmp_path / "slice.jsonl"
    with gzip.open(paths.ARXIV_SLICE, "rt", encoding="utf-8") as lines:
        slice_file.write_text("".join(line for i, line in enumerate(lines) if i % 9 == 0))
    fixtures = paths.FIXTURES
    ok(
        home,
        "ingest",
        "--embed",
        "--quiet",
        slice_file,
        fixtures / "hf-daily" / "daily_papers_2025-03-18.json",
        fixtures / "arxiv-atom" / "query_cat_cs_CL.xml",
        fixtures / "cli" / "papers.jsonl",
    )
    ok(home, "profile", "create", "researcher")
    ok(home, "profile", "add", "researcher", paths.SEED_FILES[0])
    ok(home, "profile", "create", "gone")
    ok(home, "profile", "rm", "gone", "--yes")  # the profiles' high-water mark passes max(id)
    ok(home, "like", "--profile", "researcher", "arxiv:2605.90001")
    ok(home, "save", "--profile", "researcher", "arxiv:2605.90002")
    ok(home, "save", "--profile", "researcher", "arxiv:2605.90003")
    ok(home, "dislike", "--profile", "researcher", "arxiv:2605.90003")
    ok(home, "follow", "--profile", "researcher", "--author", "Ada Wombat")
    ok(home, "mute", "--profile", "researcher", "--keyword", "blockchain")
    ok(home, "digest", "--profile", "researcher", "--day", DAY, "--top", "8", "--json")
    with SqliteStore.open(home) as store:
        profile = store.radar.profile_id("researcher")
        assert profile is not None
        digest = store.radar.digests(profile, 1)[0].id
        moment = dt.datetime(2026, 6, 30, 7, 0, 12, 345678, tzinfo=UTC)
        store.delivery.add_email(
            digest_id=digest,
            recipient="ada@example.org",
            subject="Your radar",
            message_id="<m1@example.org>",
            message=b"Subject: x\r\n\r\nhi",
            created=moment,
        )
        user = store.accounts.add_user("Ada", "argon2id$fake", moment)
        assert user is not None
        store.accounts.start_session(
            "f" * 64, user.id, "csrf-token", moment, moment + dt.timedelta(days=14)
        )
        store.accounts.grant_profile(profile, user.id)
        store.delivery.set_subscription(profile, "ada@example.org", True, "06:30", moment)
        store.scheduling.source_started("arxiv-cs", "arxiv-oai", moment, {"token": "abc", "n": 2})
        store.scheduling.source_completed("hf", "hf-daily", {"day": "2026-06-30"}, moment)
        store.scheduling.source_failed("hf", "hf-daily", "HTTP 503")
        paris = dt.timezone(dt.timedelta(hours=2))
        for slot, done in (
            (dt.datetime(2026, 6, 29, 7, 0, tzinfo=paris), True),
            (dt.datetime(2026, 6, 30, 7, 0, tzinfo=paris), False),
            (dt.datetime(2026, 6, 28, 7, 0), True),  # a naive slot
        ):
            assert store.scheduling.claim_slot("watch", slot, moment)
            if done:
                store.scheduling.finish_slot("watch", slot, "done", moment, "ok")
    return home


def snapshot(store: Store) -> dict[str, Any]:
    """What the repositories read back, as plain values (every table's rows reach it)."""
    ids = sorted(store.papers.matching(Filters()))
    papers = store.papers.load(ids, with_sightings=True)
    rows, vectors = store.vectors.matrix(MODEL, dtype=np.float16)
    out: dict[str, Any] = {
        "ids": ids,
        "model": store.vectors.has_any(MODEL),  # True: the vectors below are compared
        "papers": [asdict(p) for p in papers],
        "vectors": (rows.tolist(), vectors.tobytes()),
        "profiles": store.radar.profile_names(),
        "max_id": store.papers.max_id(),
        "marks": store.copying.marks(),
        "counts": store.copying.counts(),
        "users": [asdict(u) for u in store.accounts.users()],
        "session": store.accounts.session("f" * 64),
        "sources": [asdict(s) for s in store.scheduling.source_states()],
        "position": store.scheduling.source_position("arxiv-cs"),
        "unfinished": store.scheduling.unfinished_slots("watch"),
        "last_slot": store.scheduling.last_slot("watch"),
        "unsent": [asdict(e) for e in store.delivery.unsent()],
    }
    profile = store.radar.profile_id("researcher")
    assert profile is not None
    out["profile"] = store.radar.profile(profile)
    out["digests"] = store.radar.digests(profile, 10)
    out["digest"] = [store.radar.digest(d.id) for d in out["digests"]]
    out["shown"] = [store.radar.shown(d.id) for d in out["digests"]]
    out["message"] = store.delivery.message(out["unsent"][0]["id"])
    out["subscription"] = store.delivery.subscription(profile)
    out["owned"] = store.accounts.owned_profiles(out["users"][0]["id"])
    return out


def outputs(home: Path, *store: str) -> dict[str, str]:
    """The ``--json`` outputs of the commands that read the whole store."""
    query = "reasoning models language"
    runs = {
        "stats": ("stats", "--json"),
        "semantic": ("search", "--mode", "semantic", query, "--limit", "15", "--json"),
        "hybrid": ("search", "--mode", "hybrid", query, "--limit", "15", "--json"),
        "keyword": ("search", query, "--limit", "15", "--json"),
        "digest": ("digest", "--profile", "researcher", "--day", DAY, "--no-record", "--json"),
        "trending": ("trending", "--since", "2026-06-01", "--limit", "10", "--json"),
        "saved": ("saved", "--profile", "researcher", "--json"),
        "liked": ("saved", "--profile", "researcher", "--liked", "--json"),
        "export": ("export", "--profile", "researcher", "--saved", "--format", "csl-json"),
        "export_digest": ("export", "--profile", "researcher", "--digest", "1", "--format", "ris"),
        "profile": ("profile", "show", "researcher", "--json"),
        "show": ("show", "arxiv:2605.90001", "--json"),
    }
    got = {name: ok(home, *store, *args) for name, args in runs.items()}
    stats = json.loads(got["stats"])
    got["stats"] = orjson.dumps({k: v for k, v in stats.items() if k not in _WHERE}).decode()
    digest = json.loads(got["digest"])
    assert digest.pop("created") and digest["entries"]  # when it was built: now
    got["digest"] = orjson.dumps(digest).decode()
    return got


def test_a_store_goes_to_postgres_and_back_unchanged(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in MODEL_ENV.items():
        monkeypatch.setenv(key, value)
    source = build_source(tmp_path)
    lab = tmp_path / "lab"  # the PostgreSQL side's home: config.toml (the HNSW threshold)
    lab.mkdir()
    (lab / "config.toml").write_text("[search]\nhnsw_threshold = 100\n")
    # the global --store names another server: store copy's SRC and DST are what it is given
    elsewhere = ("--store", "postgresql://127.0.0.1:1/nowhere")

    there = json.loads(ok(lab, *elsewhere, "store", "copy", source, pg_url, "--json", "-q"))
    back_home = tmp_path / "back"
    back = run_cli(lab, *elsewhere, "store", "copy", pg_url, back_home, "--json")
    assert back.code == 0, back.stderr
    report = json.loads(back.stdout)
    assert there["counts"] == report["counts"]
    assert not there["resumed"]
    assert there["copied"] == {t: n for t, n in there["counts"].items() if t in there["copied"]}
    assert there["counts"]["papers"] > 300 and all(there["counts"].values())
    assert "store copy: papers" in back.stderr and "store copy: schedule_runs" in back.stderr
    assert "***" in report["source"] or "@" not in report["source"]

    with SqliteStore.open(source) as a, PgStore(pg_url, lab) as b, SqliteStore.open(back_home) as c:
        first = snapshot(a)
        assert snapshot(b) == first
        assert snapshot(c) == first
        assert first["marks"]["profiles"] == 2  # "gone" had id 2: it is never handed out again
        from paperradar.store.postgres import ann

        assert ann.has_index(b.conn, MODEL)  # over the home's threshold: the HNSW graph
        for store in (a, b, c):  # new rows get the same new ids everywhere
            assert store.radar.add_profile("new", dt.datetime(2026, 7, 1, tzinfo=UTC))
            assert store.radar.profile_id("new") == 3
    original = outputs(source)
    assert outputs(back_home) == original  # byte-identical
    on_pg = outputs(lab, "--store", pg_url)
    assert {k: v for k, v in on_pg.items() if k not in ("keyword", "hybrid")} == {
        k: v for k, v in original.items() if k not in ("keyword", "hybrid")
    }
    # a finished copy is not done again: the destination is no longer empty
    again = run_cli(lab, "store", "copy", source, pg_url)
    assert again.code == 2
    assert again.stderr.startswith("error: the destination ") and "not empty" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def test_a_stopped_copy_resumes_and_copies_nothing_twice(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in MODEL_ENV.items():
        monkeypatch.setenv(key, value)
    source = build_source(tmp_path)
    calls: list[tuple[str, int]] = []

    class Stop(Exception):
        pass

    def stop_in_vectors(table: str, rows: int, total: int) -> None:
        calls.append((table, rows))
        if table == "vectors" and rows >= 100:
            raise Stop

    with SqliteStore.open(source) as a, PgStore(pg_url, tmp_path / "lab") as b:
        with pytest.raises(Stop):
            copy_store(a, b, chunk=50, progress=stop_in_vectors)
        partial = b.copying.counts()
        assert partial["papers"] == a.copying.counts()["papers"]
        assert partial["vectors"] == 100 and partial["profiles"] == 0
        # another source into the stopped copy's destination: refused, nothing written
        with SqliteStore.open(tmp_path / "other") as other, pytest.raises(UsageError):
            copy_store(other, b)
        assert b.copying.counts() == partial
        # a second copy while one holds the destination's lock: busy
        with b.lock(LOCK) as held:
            assert held
            with pytest.raises(StoreBusyError, match="another store copy"):
                copy_store(a, b)
        report = copy_store(a, b, chunk=50)
        assert report.resumed
        assert report.copied["papers"] == 0 and report.copied["vectors"] == len_rows(a) - 100
        assert b.copying.counts() == a.copying.counts()
        assert snapshot(b) == snapshot(a)


def len_rows(store: Store) -> int:
    return store.copying.counts()["vectors"]


def test_a_copy_reads_one_snapshot_and_a_resumed_one_checks_the_counts(tmp_path: Path) -> None:
    def paper(i: int) -> Paper:
        return Paper(id=f"arxiv:2601.0000{i}", arxiv_id=f"2601.0000{i}", title=f"Paper {i}")

    class Stop(Exception):
        pass

    with (
        SqliteStore.open(tmp_path / "a") as a,
        SqliteStore.open(tmp_path / "a") as writer,  # another connection, as another process
        SqliteStore.open(tmp_path / "b") as b,
        SqliteStore.open(tmp_path / "c") as c,
    ):
        a.papers.upsert([paper(1)])

        def write_to_source(table: str, rows: int, total: int) -> None:
            if table == "aliases" and rows == 0:
                writer.papers.upsert([paper(2)])

        report = copy_store(a, b, progress=write_to_source)
        assert report.counts["papers"] == 1  # what the source held when the copy began
        assert b.copying.counts() == report.counts

        def stop(table: str, rows: int, total: int) -> None:
            if table == "vectors":
                raise Stop

        with pytest.raises(Stop):
            copy_store(a, c, progress=stop)
        assert c.copying.counts()["papers"] == 2
        writer.papers.upsert([paper(3)])  # the source changes before the copy is resumed
        with pytest.raises(StoreError, match=r"papers has 2 rows but the source's has 3"):
            copy_store(a, c)
        with pytest.raises(StoreError, match=r"papers has 2 rows"):  # and so does a re-run
            copy_store(a, c)


def test_sqlite_to_sqlite_keeps_vectors_and_the_keyword_index(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / "a") as a, SqliteStore.open(tmp_path / "b") as b:
        a.papers.upsert(
            [
                Paper(id=f"arxiv:2601.{i:05d}", arxiv_id=f"2601.{i:05d}", title=f"Wombat {i}")
                for i in range(30)
            ]
        )
        hashes = [h for h, _, _ in a.vectors.pending("m", 100)]
        a.vectors.save("m", hashes, np.eye(30, 8, dtype=np.float32))
        report = copy_store(a, b, chunk=7)
        assert report.counts["papers"] == 30 and report.counts["vectors"] == 30
        assert b.keyword.rank(['"wombat"'], 50) == a.keyword.rank(['"wombat"'], 50)
        assert len(b.keyword.rank(['"wombat"'], 50)) == 30
        for model in ("m",):
            ids_a, matrix_a = a.vectors.matrix(model)
            ids_b, matrix_b = b.vectors.matrix(model)
            assert ids_a.tolist() == ids_b.tolist() and (matrix_a == matrix_b).all()


@pytest.mark.parametrize(
    ("src", "dst", "code", "message"),
    [
        (
            "{tmp}/missing",
            "{tmp}/dst",
            2,
            "SRC: {tmp}/missing is not a paperradar home (no such directory)",
        ),
        ("{tmp}", "{tmp}/dst", 2, "SRC: {tmp} is not a paperradar home (it has no paperradar.db)"),
        ("mysql://db/x", "{tmp}/dst", 2, "SRC: expected a postgresql:// URL or a paperradar home"),
        ("{tmp}/src", "sqlite:///x.db", 2, "DST: expected a postgresql:// URL"),
        (
            "{tmp}/src",
            "postgresql://127.0.0.1:1/nowhere",
            1,
            "cannot open the store at postgresql://127.0.0.1:1/nowhere",
        ),
        ("{tmp}/src", "{tmp}/src", 2, "the source and the destination are the same store"),
    ],
)
def test_bad_sources_and_destinations_are_one_line_errors(
    tmp_path: Path, src: str, dst: str, code: int, message: str
) -> None:
    SqliteStore.open(tmp_path / "src").close()
    result = run_cli(
        tmp_path / "home", "store", "copy", src.format(tmp=tmp_path), dst.format(tmp=tmp_path)
    )
    assert result.code == code, result.stderr
    assert result.stderr.startswith("error: " + message.format(tmp=tmp_path)), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
