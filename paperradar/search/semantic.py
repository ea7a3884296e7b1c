"""Semantic, hybrid and similar-paper search over the store's vectors.

- semantic: cosine between the query's embedding and every paper's vector (the store's
  ``vectors.nearest``: in SQLite, exact with NumPy, or an HNSW index above a corpus size; see
  paperradar/store/ann.py);
- hybrid (the default): reciprocal-rank fusion of keyword (bm25) and semantic rankings;
- similar: the papers nearest to a paper, a text or the papers of a file, never returning
  the paper itself or its duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from paperradar.embedding import Embedder, normalise_rows, paper_text
from paperradar.errors import UsageError
from paperradar.models import Filters, Paper
from paperradar.search import (
    Hit,
    hits_for,
    keyword_ranking,
    keyword_search,
)
from paperradar.search.rerank import IdentityReranker, Reranker, RerankQuery, apply_reranker
from paperradar.store.api import Store

#: Hybrid search fuses its keyword and semantic rankings by reciprocal rank (Cormack et al.
#: 2009; see fuse_ranks) with this constant, each ranking taken FUSION_DEPTH deep (or the
#: limit, if that is larger). benchmarks/experiments/fusion.py measured the alternatives
#: (other k and depths, weighted RRF, convex combinations of normalised bm25 and cosine) on
#: CSFCube text queries and on name lookups: none beat k = 60, depth 100 on CSFCube without
#: making named papers harder to find (docs/search.md, "Why reciprocal rank").
RRF_K = 60
FUSION_DEPTH = 100
MODES = ("keyword", "semantic", "hybrid")


def has_vectors(store: Store, model: str) -> bool:
    """Whether any paper has a vector for ``model`` (cheap: no model, no index)."""
    return store.vectors.has_any(model)


def _nearest(
    store: Store,
    embedder: Embedder,
    query: npt.NDArray[np.float32],
    limit: int,
    filters: Filters | None,
    exclude: set[int] | None = None,
) -> list[tuple[int, float]]:
    return store.vectors.nearest(embedder.model_id, query, limit, filters, exclude or set())


def semantic_search(
    store: Store, query: str, embedder: Embedder, limit: int = 20, filters: Filters | None = None
) -> list[Hit]:
    """Papers whose embeddings are closest to the query's, best first (score = cosine)."""
    if not query.strip():
        raise UsageError("the query is empty")
    vector = embedder.embed([query])[0]
    return hits_for(store, _nearest(store, embedder, vector, limit, filters))


def fuse_ranks(
    rankings: Sequence[Sequence[tuple[int, float]]], k: float = RRF_K
) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion of ``(row id, score)`` rankings, each best first: a paper
    scores the sum of ``1 / (k + rank)`` over the rankings it is in (rank 1 = first), and
    the papers come best first. Only ranks count, not the rankings' own scores. Equal sums
    keep the order in which papers are first met (the first ranking, then the next)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (row_id, _) in enumerate(ranking, start=1):
            fused[row_id] = fused.get(row_id, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


def hybrid_search(
    store: Store, query: str, embedder: Embedder, limit: int = 20, filters: Filters | None = None
) -> list[Hit]:
    """Keyword and semantic rankings, each ``max(FUSION_DEPTH, limit)`` deep, fused by
    :func:`fuse_ranks` (score = the fused RRF score)."""
    if not query.strip():
        raise UsageError("the query is empty")
    depth = max(FUSION_DEPTH, limit)
    try:
        keyword = keyword_ranking(store, query, depth, filters)
    except UsageError:  # no words to match: semantic alone
        keyword = []
    vector = embedder.embed([query])[0]
    semantic = _nearest(store, embedder, vector, depth, filters)
    return hits_for(store, fuse_ranks((keyword, semantic))[:limit])


#: with a reranker, the first stage fetches this many times the results asked for
RERANK_DEPTH = 4


def search(
    store: Store,
    query: str,
    mode: str = "hybrid",
    embedder: Embedder | None = None,
    limit: int = 20,
    filters: Filters | None = None,
    reranker: Reranker | None = None,
) -> list[Hit]:
    """Search in one of :data:`MODES`. With a ``reranker`` (``[search] rerank``), the first
    :data:`RERANK_DEPTH` x ``limit`` results are reranked and the best ``limit`` kept."""
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    if reranker is None or isinstance(reranker, IdentityReranker):
        return _first_stage(store, query, mode, embedder, limit, filters)
    hits = _first_stage(store, query, mode, embedder, limit * RERANK_DEPTH, filters)
    reranked = apply_reranker(
        reranker,
        RerankQuery(text=query),
        hits,
        lambda h: paper_text(h.paper.title, h.paper.abstract),
    )
    return reranked[:limit]


def _first_stage(
    store: Store,
    query: str,
    mode: str,
    embedder: Embedder | None,
    limit: int,
    filters: Filters | None,
) -> list[Hit]:
    if mode == "keyword":
        return keyword_search(store, query, limit, filters)
    if embedder is None:
        raise UsageError(f"--mode {mode} needs an embedding model")
    if mode == "semantic":
        return semantic_search(store, query, embedder, limit, filters)
    if mode == "hybrid":
        return hybrid_search(store, query, embedder, limit, filters)
    raise UsageError(f"unknown search mode {mode!r}; choose from {', '.join(MODES)}")


def duplicates_of(store: Store, row_ids: Sequence[int]) -> set[int]:
    """The papers themselves plus any with the same text, the same normalised title, or the
    same abstract (one a prefix of the other) -- even where ids kept them apart in the store."""
    return store.vectors.duplicates_of(row_ids)


def similar(
    store: Store,
    embedder: Embedder,
    paper_id: str | None = None,
    text: str | None = None,
    papers: Sequence[Paper] = (),
    limit: int = 10,
    filters: Filters | None = None,
) -> list[Hit]:
    """Papers nearest to a stored paper, a text, or the mean of some papers (score = cosine).

    The query papers and their duplicates are never returned.
    """
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    chosen = sum(x is not None and x != () for x in (paper_id, text, papers or None))
    if chosen != 1:
        raise UsageError("give exactly one of: a paper id, --text or --file")
    exclude: set[int] = set()
    if paper_id is not None:
        row_id = store.papers.resolve(paper_id)
        exclude = duplicates_of(store, [row_id])
        stored = store.vectors.for_papers(embedder.model_id, [row_id])
        if row_id in stored:
            query = stored[row_id]
        else:
            paper = store.papers.load([row_id])[0]
            query = embedder.embed([paper_text(paper.title, paper.abstract)])[0]
    elif text is not None:
        if not text.strip():
            raise UsageError("--text is empty")
        query = embedder.embed([text])[0]
    else:
        texts = [paper_text(p.title, p.abstract) for p in papers]
        query = normalise_rows(embedder.embed(texts).mean(axis=0, keepdims=True))[0]
        exclude = duplicates_of(store, _stored_ids(store, papers))
    return hits_for(store, _nearest(store, embedder, query, limit, filters, exclude))


def _stored_ids(store: Store, papers: Sequence[Paper]) -> list[int]:
    out: list[int] = []
    for paper in papers:
        for alias in paper.derived_aliases():
            try:
                out.append(store.papers.resolve(alias))
                break
            except UsageError:
                continue
    return out


def papers_from_file(path: Path) -> list[Paper]:
    """The papers of any readable file (for ``similar --file``)."""
    from paperradar.readers import read_path
    from paperradar.readers.base import BadRecord

    records = [r for r in read_path(path).records if not isinstance(r, BadRecord)]
    if not records:
        raise UsageError(f"{path}: no papers in the file")
    return records
