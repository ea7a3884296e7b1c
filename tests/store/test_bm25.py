"""Keyword ranking computes FTS5's own bm25, from cached counts and a small scratch index."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from helpers import paths

from paperradar import Store, UsageError, ingest_files
from paperradar.models import Filters, Paper
from paperradar.search import fts_terms, keyword_ranking
from paperradar.store.sqlite.filters import filter_sql
from paperradar.store.sqlite.keyword import BM25_WEIGHTS, TOKENIZE, read_varints

SLICE = paths.REPO / "data" / "arxiv-cs-daily-2026-06-18_2026-07-01.jsonl.gz"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store.open(tmp_path_factory.mktemp("home"))
    ingest_files(store, [SLICE])
    return store


def fts5_bm25(
    store: Store, terms: list[str], where: str = "", params: tuple[object, ...] = ()
) -> list[tuple[int, float]]:
    weights = ", ".join(str(w) for w in BM25_WEIGHTS)
    rows = store.conn.execute(
        f"SELECT p.id, bm25(papers_fts, {weights}) AS rank FROM papers_fts "
        f"JOIN papers p ON p.id = papers_fts.rowid WHERE papers_fts MATCH ?{where} "
        "ORDER BY rank, p.id",
        (" AND ".join(terms), *params),
    ).fetchall()
    return [(int(r["id"]), -float(r["rank"])) for r in rows]


def assert_same_ranking(ours: list[tuple[int, float]], theirs: list[tuple[int, float]]) -> None:
    assert [i for i, _ in ours] == [i for i, _ in theirs]
    for (_, a), (_, b) in zip(ours, theirs, strict=True):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def queries_from(store: Store) -> list[str]:
    titles = [
        r["title"]
        for r in store.conn.execute("SELECT title FROM papers ORDER BY id LIMIT 40").fetchall()
    ]
    names = [
        r["value"]
        for r in store.conn.execute(
            "SELECT j.value FROM papers p, json_each(p.authors) j WHERE p.id % 97 = 0 LIMIT 10"
        ).fetchall()
    ]
    return [
        *titles,
        *names,
        "language models",
        "graph neural network",
        '"large language models" reasoning',
        '"reinforcement learning" "reward model"',
        "attention attention transformer",  # a phrase twice counts twice, as in FTS5
        "Müller détection naïve",  # accents folded by the tokenizer
        "learned learning learns",  # one stem, three phrases
    ]


def test_scores_equal_fts5_bm25(store: Store) -> None:
    checked = 0
    for query in queries_from(store):
        terms = fts_terms(query)
        ours = store.keyword.rank_all_of(terms, 10_000, "", [])
        if ours is None:  # too many matches: FTS5 ranks it (covered below)
            continue
        assert_same_ranking(ours, fts5_bm25(store, terms))
        checked += bool(ours)
    assert checked >= 40


def test_filters_apply_to_the_candidates(store: Store) -> None:
    filters = Filters(category="cs.CL")
    where, params = filter_sql(filters)
    terms = fts_terms("retrieval augmented generation")
    ours = store.keyword.rank_all_of(terms, 10_000, where, params)
    assert ours is not None and ours
    assert_same_ranking(ours, fts5_bm25(store, terms, where, tuple(params)))


def test_too_many_matches_are_left_to_fts5(store: Store) -> None:
    terms = fts_terms("learning")
    assert store.keyword.rank_all_of(terms, 10, "", []) is None
    top = keyword_ranking(store, "learning", 10)
    assert_same_ranking(top, fts5_bm25(store, terms)[:10])


def test_limit_and_no_match(store: Store) -> None:
    terms = fts_terms("graph neural network")
    assert len(store.keyword.rank_all_of(terms, 3, "", []) or []) == 3
    assert store.keyword.rank_all_of(fts_terms("zzzqqqxx graph"), 10, "", []) == []


def test_stopwords_are_left_out_unless_nothing_else(store: Store) -> None:
    assert fts_terms("On the Limits of Scaling") == ['"Limits"', '"Scaling"']
    assert fts_terms("the of") == ['"the"', '"of"']
    assert fts_terms('"state of the art" of') == ['"state of the art"']
    with pytest.raises(UsageError):
        keyword_ranking(store, "!!!")


def test_counts_are_cached_until_the_store_changes(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.papers.upsert(
        [Paper(title="Sparse routing for mixtures", abstract="x", arxiv_id="2601.00001")]
    )
    assert [i for i, _ in keyword_ranking(store, "sparse routing")] == [1]
    stats = store.keyword.stats()
    assert stats.df == {'"sparse"': 1, '"routing"': 1}
    store.papers.upsert([Paper(title="Sparse attention", abstract="y", arxiv_id="2601.00002")])
    fresh = store.keyword.stats()
    assert fresh is not stats and fresh.rows == 2
    terms = fts_terms("sparse")
    assert_same_ranking(keyword_ranking(store, "sparse"), fts5_bm25(store, terms))


def test_the_scratch_index_tokenizes_like_the_store(store: Store) -> None:
    sql = store.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'papers_fts'").fetchall()[
        0
    ]["sql"]
    assert f"tokenize = '{TOKENIZE}'" in sql


def test_varints_as_sqlite_writes_them() -> None:
    assert read_varints(bytes([0x05, 0x81, 0x00, 0xFF, 0x7F])) == [5, 128, 16383]
    nine = bytes([0xFF] * 8 + [0x01])
    assert read_varints(nine) == [(2**56 - 1) << 8 | 1]
