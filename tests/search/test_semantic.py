"""Embedding the store, and semantic / hybrid / similar search with the fake embedder."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from helpers import paths

from paperradar import Store, UsageError, ingest_files
from paperradar.embedding import FakeEmbedder
from paperradar.embedding.backfill import embed_missing
from paperradar.models import Paper
from paperradar.search import Filters, keyword_ranking
from paperradar.search.semantic import (
    FUSION_DEPTH,
    RRF_K,
    fuse_ranks,
    has_vectors,
    hybrid_search,
    search,
    semantic_search,
    similar,
)

SLICE = paths.REPO / "data" / "arxiv-cs-daily-2026-06-18_2026-07-01.jsonl.gz"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, FakeEmbedder]:
    store = Store.open(tmp_path_factory.mktemp("home"))
    ingest_files(store, [SLICE])
    embedder = FakeEmbedder(dim=256)
    embed_missing(store, embedder)
    return store, embedder


def test_every_text_is_embedded_once(embedded: tuple[Store, FakeEmbedder]) -> None:
    store, embedder = embedded
    assert store.vectors.count_pending(embedder.model_id) == 0
    assert sum(embedder.calls) == 2518
    ids, matrix = store.vectors.matrix(embedder.model_id)
    assert matrix.shape == (2518, 256) and len(set(ids.tolist())) == 2518
    again = embed_missing(store, embedder)
    assert again.embedded == 0 and sum(embedder.calls) == 2518


def test_a_changed_abstract_is_embedded_again(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    embedder = FakeEmbedder()
    title = "A paper on sparse routing"
    store.papers.upsert(
        [Paper(title=title, abstract="short", arxiv_id="2601.00001", arxiv_version=1)]
    )
    assert embed_missing(store, embedder).embedded == 1
    v2 = Paper(
        title=title, abstract="a longer abstract now", arxiv_id="2601.00001", arxiv_version=2
    )
    store.papers.upsert([v2])
    assert embed_missing(store, embedder).embedded == 1
    assert embed_missing(store, embedder).embedded == 0


def test_interrupted_embedding_resumes(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    ingest_files(store, [SLICE])
    embedder = FakeEmbedder()
    first = embed_missing(store, embedder, chunk=100, limit=300)
    assert (first.embedded, first.pending) == (300, 2218)
    rest = embed_missing(store, embedder, chunk=500)
    assert (rest.embedded, rest.pending) == (2218, 0)
    assert sum(embedder.calls) == 2518


def test_semantic_search_finds_the_topic(embedded: tuple[Store, FakeEmbedder]) -> None:
    store, embedder = embedded
    hits = semantic_search(store, "concept bottleneck models interpretability", embedder, 10)
    assert len(hits) == 10
    assert any("Concept Bottleneck" in h.paper.title for h in hits[:5])
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))


def test_filters_apply_to_semantic_and_hybrid(embedded: tuple[Store, FakeEmbedder]) -> None:
    store, embedder = embedded
    day = Filters(since=dt.date(2026, 7, 1))
    for hits in (
        semantic_search(store, "language models", embedder, 20, day),
        hybrid_search(store, "language models", embedder, 20, day),
    ):
        assert hits and all(
            h.paper.listed and h.paper.listed.isoformat() == "2026-07-01" for h in hits
        )
    cat = Filters(category="cs.RO")
    assert all(
        "cs.RO" in h.paper.categories for h in semantic_search(store, "robot", embedder, 15, cat)
    )


def test_hybrid_fuses_both_rankings(embedded: tuple[Store, FakeEmbedder]) -> None:
    store, embedder = embedded
    hybrid = hybrid_search(store, "multimodal concept bottleneck", embedder, 5)
    assert hybrid[0].paper.id == "arxiv:2606.19882"
    assert search(store, "multimodal concept bottleneck", "keyword", embedder, 5)[0].paper.id == (
        "arxiv:2606.19882"
    )


KEYWORD = [(10, 9.5), (11, 7.0), (12, 6.1), (20, 2.0)]  # bm25: ignored, only ranks count
SEMANTIC = [(13, 0.9), (14, 0.8), (15, 0.7), (20, 0.6)]  # cosine: the same


def same(fused: list[tuple[int, float]], expected: list[tuple[int, float]]) -> bool:
    """The same ids in the same order, with the same scores up to rounding."""
    return [r for r, _ in fused] == [r for r, _ in expected] and [
        s for _, s in fused
    ] == pytest.approx([s for _, s in expected])


def test_reciprocal_rank_fusion_by_hand() -> None:
    # k = 60: 20 is 4th in both (2/64); 10 and 13 are 1st in one (1/61), 10 first met
    by_60 = [(20, 2 / 64), (10, 1 / 61), (13, 1 / 61), (11, 1 / 62), (14, 1 / 62)]
    assert same(fuse_ranks((KEYWORD, SEMANTIC)), [*by_60, (12, 1 / 63), (15, 1 / 63)])
    # k = 1 favours the top of each list: 20 (1/5 + 1/5) falls behind 10 and 13 (1/2)
    by_1 = [(10, 1 / 2), (13, 1 / 2), (20, 2 / 5), (11, 1 / 3), (14, 1 / 3)]
    assert same(fuse_ranks((KEYWORD, SEMANTIC), k=1), [*by_1, (12, 1 / 4), (15, 1 / 4)])
    # first in both lists: the highest score there is, 2 / (k + 1)
    top, score = fuse_ranks(([(7, 1.0), (8, 0.5)], [(7, 0.3)]))[0]
    assert top == 7 and score == pytest.approx(2 / 61)


def test_reciprocal_rank_fusion_of_one_or_no_ranking() -> None:
    # no keyword ranking (a query with no words): the semantic ranking's order
    assert same(fuse_ranks(([], [(5, 0.8), (6, 0.4)])), [(5, 1 / 61), (6, 1 / 62)])
    assert fuse_ranks(([], [])) == []
    assert fuse_ranks(()) == []


def test_hybrid_search_fuses_the_two_rankings_to_the_fusion_depth(
    embedded: tuple[Store, FakeEmbedder],
) -> None:
    store, embedder = embedded
    query = "speculative decoding for language models"
    keyword = keyword_ranking(store, query, FUSION_DEPTH)
    semantic = store.vectors.index(embedder.model_id).search(
        embedder.embed([query])[0], FUSION_DEPTH
    )[0]
    assert keyword and len(semantic) == FUSION_DEPTH
    hits = hybrid_search(store, query, embedder, 10)
    fused = [(store.papers.resolve(str(h.paper.id)), h.score) for h in hits]
    assert same(fused, fuse_ranks((keyword, semantic), k=RRF_K)[:10])
    assert all(0.0 < h.score <= 2 / (RRF_K + 1) for h in hits)
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))


def test_similar_never_returns_the_paper_or_its_duplicates(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    ingest_files(store, [SLICE])
    twin = Paper(title="Multimodal Concept Bottleneck Models", abstract="x", doi="10.9999/twin")
    store.papers.upsert([twin])  # merges by title into the arXiv paper: one paper, not a duplicate
    copy = store.papers.get("2606.19882")
    store.papers.upsert(
        [Paper(title=copy.title + " (extended)", abstract=copy.abstract, doi="10.9999/copy")]
    )
    embedder = FakeEmbedder(dim=256)
    embed_missing(store, embedder)
    hits = similar(store, embedder, paper_id="2606.19882", limit=10)
    ids = [h.paper.id for h in hits]
    assert "arxiv:2606.19882" not in ids
    assert "doi:10.9999/copy" not in ids  # same abstract text: a duplicate
    assert len(ids) == 10 and all(h.score < 0.999 for h in hits)
    by_text = similar(store, embedder, text="concept bottleneck layers align clip", limit=3)
    assert len(by_text) == 3
    with pytest.raises(UsageError):
        similar(store, embedder, limit=3)


def test_similar_to_papers_of_a_file_excludes_them(embedded: tuple[Store, FakeEmbedder]) -> None:
    store, embedder = embedded
    papers = [store.papers.get("2606.19882"), store.papers.get("2606.30498")]
    hits = similar(store, embedder, papers=papers, limit=5)
    assert {"arxiv:2606.19882", "arxiv:2606.30498"}.isdisjoint(h.paper.id for h in hits)


def test_semantic_needs_vectors(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    ingest_files(store, [SLICE])
    embedder = FakeEmbedder()
    assert not has_vectors(store, embedder.model_id)
    with pytest.raises(UsageError, match="run `paperradar embed`"):
        semantic_search(store, "anything", embedder)


def test_hnsw_above_the_configured_threshold_agrees_with_exact(
    embedded: tuple[Store, FakeEmbedder], monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperradar.store.ann import ExactIndex, HnswIndex

    store, embedder = embedded
    queries = ["language model reasoning", "robot grasping", "diffusion image editing"]
    store.vectors.forget()
    exact = [[h.paper.id for h in semantic_search(store, q, embedder, 10)] for q in queries]
    assert isinstance(store.vectors.index(embedder.model_id), ExactIndex)
    monkeypatch.setenv("PAPERRADAR_SEARCH_HNSW_THRESHOLD", "100")
    store.vectors.forget()
    approx = [[h.paper.id for h in semantic_search(store, q, embedder, 10)] for q in queries]
    assert isinstance(store.vectors.index(embedder.model_id), HnswIndex)
    overlap = sum(len(set(a) & set(b)) for a, b in zip(approx, exact, strict=True)) / 30
    assert overlap >= 0.9
    assert list((store.path.parent / "index").glob("hnsw-*"))  # cached for the next process
    store.vectors.forget()
