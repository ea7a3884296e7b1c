"""The demo's commands on both backends give the same answers: ingest, a profile, a digest,
trending, keyword and semantic search, run by the CLI on a SQLite home and on PostgreSQL (the
real test server, ``--store URL``), their ``--json`` outputs compared."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import paths, pgserver
from helpers.cli import run_cli

QUERY = "why do reasoning models fail on harder puzzles"


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pgserver.schema() as url:
        yield url


def demo(home: Path, *store: str) -> dict[str, Any]:
    """The demo's steps on ``home`` (``store``: ``--store URL`` or nothing); their outputs."""

    def ok(*args: str | Path) -> str:
        result = run_cli(home, *store, *args)
        assert result.code == 0, (args, result.stderr)
        return result.stdout

    seeds = sorted(paths.SEED_FILES)
    ok("ingest", "--embed", "--quiet", *seeds[2:5], paths.ARXIV_SLICE)
    ok("profile", "create", "researcher")
    ok("profile", "add", "researcher", *seeds[:2])
    day = ("--day", "2026-07-01")
    return {
        "digest": json.loads(
            ok("digest", "--profile", "researcher", *day, "--top", "10", "--json")
        ),
        "trending": json.loads(ok("trending", "--since", "2025-01-01", "--limit", "10", "--json")),
        "keyword": json.loads(ok("search", "--mode", "keyword", QUERY, "--limit", "10", "--json")),
        "semantic": json.loads(
            ok("search", "--mode", "semantic", QUERY, "--limit", "10", "--json")
        ),
        "stats": json.loads(ok("stats", "--json")),
    }


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [str(item["id"]) for item in items]


def test_the_demo_gives_the_same_answers_on_both_backends(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    sqlite = demo(tmp_path / "sqlite")
    pg = demo(tmp_path / "pg", "--store", pg_url)
    assert not (tmp_path / "pg" / "paperradar.db").exists()
    assert sqlite["stats"]["papers"] == pg["stats"]["papers"] == 2894
    assert ids(pg["semantic"]) == ids(sqlite["semantic"])
    assert ids(pg["trending"]) == ids(sqlite["trending"])
    assert ids(pg["digest"]["entries"]) == ids(sqlite["digest"]["entries"])
    # keyword scores are FTS5's bm25 on both, over slightly different tokens (Snowball and
    # Porter stems, lengths in distinct words: docs/storage.md): the same papers, close scores
    keyword_pg = {str(h["id"]): float(h["score"]) for h in pg["keyword"]}
    keyword_sqlite = {str(h["id"]): float(h["score"]) for h in sqlite["keyword"]}
    assert keyword_pg.keys() == keyword_sqlite.keys()
    for paper, score in keyword_sqlite.items():
        assert keyword_pg[paper] == pytest.approx(score, rel=0.05), paper
