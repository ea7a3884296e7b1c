"""Embedding the store, and semantic / hybrid / similar search with the fake embedder."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from paperradar import Store, UsageError, ingest_files
from paperradar.embedding import FakeEmbedder
from paperradar.indexer import embed_missing
from paperradar.models import Paper
from paperradar.search import Filters
from paperradar.semantic import has_vectors, hybrid_search, search, semantic_search, similar
from paperradar.store.vectors import count_pending, load_matrix

SLICE = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "arxiv-cs-daily-2026-06-18_2026-07-01.jsonl.gz"
)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, FakeEmbedder]:
    store = Store.open(tmp_path_factory.mktemp("home"))
    ingest_files(store, [SLICE])
    embedder = FakeEmbedder(dim=256)
    embed_missing(store, embedder)
    return store, embedder


def test_every_text_is_embedded_once(embedded: tuple[Store, FakeEmbedder]) -> None:
    store, embedder = embedded
    assert count_pending(store, embedder.model_id) == 0
    assert sum(embedder.calls) == 2518
    ids, matrix = load_matrix(store, embedder.model_id)
    assert matrix.shape == (2518, 256) and len(set(ids.tolist())) == 2518
    again = embed_missing(store, embedder)
    assert again.embedded == 0 and sum(embedder.calls) == 2518


def test_a_changed_abstract_is_embedded_again(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    embedder = FakeEmbedder()
    title = "A paper on sparse routing"
    store.upsert([Paper(title=title, abstract="short", arxiv_id="2601.00001", arxiv_version=1)])
    assert embed_missing(store, embedder).embedded == 1
    v2 = Paper(
        title=title, abstract="a longer abstract now", arxiv_id="2601.00001", arxiv_version=2
    )
    store.upsert([v2])
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


def test_similar_never_returns_the_paper_or_its_duplicates(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    ingest_files(store, [SLICE])
    twin = Paper(title="Multimodal Concept Bottleneck Models", abstract="x", doi="10.9999/twin")
    store.upsert([twin])  # merges by title into the arXiv paper: one paper, not a duplicate
    copy = store.get("2606.19882")
    store.upsert(
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
    papers = [store.get("2606.19882"), store.get("2606.30498")]
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
    from paperradar import semantic
    from paperradar.vectors import ExactIndex, HnswIndex

    store, embedder = embedded
    queries = ["language model reasoning", "robot grasping", "diffusion image editing"]
    semantic._INDEXES.clear()
    exact = [[h.paper.id for h in semantic_search(store, q, embedder, 10)] for q in queries]
    assert isinstance(semantic.vector_index(store, embedder.model_id), ExactIndex)
    monkeypatch.setenv("PAPERRADAR_SEARCH_HNSW_THRESHOLD", "100")
    semantic._INDEXES.clear()
    approx = [[h.paper.id for h in semantic_search(store, q, embedder, 10)] for q in queries]
    assert isinstance(semantic.vector_index(store, embedder.model_id), HnswIndex)
    overlap = sum(len(set(a) & set(b)) for a, b in zip(approx, exact, strict=True)) / 30
    assert overlap >= 0.9
    assert list((store.path.parent / "index").glob("hnsw-*"))  # cached for the next process
    semantic._INDEXES.clear()
