"""Semantic, hybrid and similar-paper search over the store's vectors.

- semantic: cosine between the query's embedding and every paper's vector (exact with NumPy,
  or an HNSW index above a corpus size; see vectors.py);
- hybrid (the default): reciprocal-rank fusion of keyword (bm25) and semantic rankings;
- similar: the papers nearest to a paper, a text or the papers of a file, never returning
  the paper itself or its duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import orjson

from paperradar import identifiers
from paperradar.config import load_config
from paperradar.embedding import Embedder, normalise_rows, paper_text
from paperradar.errors import ConfigError, UsageError
from paperradar.models import Filters, Paper
from paperradar.search import (
    Hit,
    hits_for,
    keyword_ranking,
    keyword_search,
)
from paperradar.store import Store
from paperradar.store.ann import DEFAULT_HNSW_THRESHOLD, HnswIndex, VectorIndex, build_index
from paperradar.store.dedup import abstracts_match
from paperradar.store.sqlite.filters import CATEGORY_MATCH, category_params, filter_sql
from paperradar.store.sqlite.vectors import load_matrix, vectors_for

#: Hybrid search fuses its keyword and semantic rankings by reciprocal rank (Cormack et al.
#: 2009; see fuse_ranks) with this constant, each ranking taken FUSION_DEPTH deep (or the
#: limit, if that is larger). benchmarks/fusion.py measured the alternatives (other k and
#: depths, weighted RRF, convex combinations of normalised bm25 and cosine) on CSFCube text
#: queries and on name lookups: none beat k = 60, depth 100 on CSFCube without making named
#: papers harder to find (docs/search.md, "Why reciprocal rank").
RRF_K = 60
FUSION_DEPTH = 100
MODES = ("keyword", "semantic", "hybrid")


@dataclass(slots=True)
class _Loaded:
    version: tuple[int, int]
    signature: tuple[int, int]
    index: VectorIndex


_INDEXES: dict[tuple[str, str], _Loaded] = {}


def _version(store: Store) -> tuple[int, int]:
    """Changes whenever anything was committed to the store, by this connection or another
    (cheap: no table is read)."""
    other = int(store.conn.execute("PRAGMA data_version").fetchone()[0])
    return other, store.conn.total_changes


def _signature(store: Store, model: str) -> tuple[int, int]:
    """What the index depends on: the number of vectors of the model and the newest paper
    (counting the vectors reads them all: done only when the store changed)."""
    row = store.query(
        "SELECT (SELECT count(*) FROM vectors WHERE model = ?) AS n, "
        "(SELECT ifnull(max(id), 0) FROM papers) AS top",
        (model,),
    )[0]
    return int(row["n"]), int(row["top"])


def vector_index(store: Store, model: str) -> VectorIndex:
    """The store's vector index for ``model``, built once per process and rebuilt when
    papers or vectors change."""
    key = (str(store.path), model)
    cached = _INDEXES.get(key)
    version = _version(store)
    if cached is not None and cached.version == version:
        return cached.index
    signature = _signature(store, model)
    if cached is None or cached.signature != signature:
        ids, matrix = load_matrix(store, model, dtype=np.float16)
        index = build_index(
            ids,
            matrix,
            hnsw_threshold=hnsw_threshold(store),
            cache_dir=store.path.parent / "index",
            model_id=model,
        )
        if isinstance(index, HnswIndex):
            index.release_rows()  # the graph holds the vectors too: keep one copy
        del matrix
        cached = _INDEXES[key] = _Loaded(version, signature, index)
    cached.version = version
    return cached.index


def hnsw_threshold(store: Store) -> int:
    """Corpus size from which search uses the HNSW index: ``[search] hnsw_threshold`` in
    config.toml or ``PAPERRADAR_SEARCH_HNSW_THRESHOLD``; default 200,000."""
    value = load_config(store.path.parent).get("search", "hnsw_threshold", DEFAULT_HNSW_THRESHOLD)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"search.hnsw_threshold must be an integer, not {value!r}") from None


def has_vectors(store: Store, model: str) -> bool:
    """Whether any paper has a vector for ``model`` (cheap: no model, no index)."""
    return bool(store.query("SELECT 1 FROM vectors WHERE model = ? LIMIT 1", (model,)))


def _require_vectors(index: VectorIndex) -> None:
    if len(index) == 0:
        raise UsageError("the store has no embeddings yet: run `paperradar embed` first")


_ALLOWED: dict[tuple[object, ...], npt.NDArray[np.int64]] = {}
_ALLOWED_KEEP = 8


def allowed_ids(store: Store, filters: Filters | None) -> npt.NDArray[np.int64] | None:
    """Row ids passing the filters, or None when there are no filters. The last few sets are
    kept until the store changes (a category holds a third of a million papers at 1M)."""
    filters = filters or Filters()
    where, params = filter_sql(filters)
    if not where:
        return None
    key: tuple[object, ...] = (str(store.path), _version(store), filters.since, filters.until)
    key += (filters.category, filters.source)
    cached = _ALLOWED.get(key)
    if cached is not None:
        return cached
    if filters.category and not filter_sql(replace(filters, category=None))[0]:
        # the category alone: an index range, without reading a single paper row
        sql = f"SELECT DISTINCT c.paper_id AS id FROM paper_categories c WHERE {CATEGORY_MATCH}"
        params = category_params(filters.category)
    else:  # dates and sources narrow first; the category is checked per paper
        sql = f"SELECT p.id FROM papers p WHERE 1 = 1{where}"
    # one JSON array instead of a Python row per id: ~10x faster for large sets
    text = store.query(f"SELECT json_group_array(id) AS ids FROM ({sql})", tuple(params))
    ids = np.asarray(orjson.loads(text[0]["ids"]), dtype=np.int64)
    if len(_ALLOWED) >= _ALLOWED_KEEP:
        _ALLOWED.pop(next(iter(_ALLOWED)))
    _ALLOWED[key] = ids
    return ids


def _nearest(
    store: Store,
    embedder: Embedder,
    query: npt.NDArray[np.float32],
    limit: int,
    filters: Filters | None,
    exclude: set[int] | None = None,
) -> list[tuple[int, float]]:
    index = vector_index(store, embedder.model_id)
    _require_vectors(index)
    allowed = allowed_ids(store, filters)
    return index.search(query, limit, allowed=allowed, exclude=exclude or set())[0]


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


def search(
    store: Store,
    query: str,
    mode: str = "hybrid",
    embedder: Embedder | None = None,
    limit: int = 20,
    filters: Filters | None = None,
) -> list[Hit]:
    """Search in one of :data:`MODES`."""
    if limit < 1:
        raise UsageError("--limit must be at least 1")
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
    out = set(row_ids)
    papers = store.load(list(row_ids))
    for paper in papers:
        key = identifiers.abstract_key(paper.abstract) if paper.abstract else None
        if key:
            out.update(
                r["id"]
                for r in store.query(
                    "SELECT id, abstract FROM papers WHERE abstract_key = ?", (key,)
                )
                if abstracts_match(r["abstract"], paper.abstract)
            )
    hashes = store.query(
        "SELECT DISTINCT content_hash FROM papers WHERE id IN (SELECT value FROM json_each(?))",
        ("[" + ",".join(str(i) for i in row_ids) + "]",),
    )
    for row in hashes:
        out.update(
            r["id"]
            for r in store.query(
                "SELECT id FROM papers WHERE content_hash = ?", (row["content_hash"],)
            )
        )
    for paper in papers:
        cid = identifiers.content_id(paper.title, paper.abstract)
        if cid:
            out.update(
                r["paper_id"]
                for r in store.query("SELECT paper_id FROM aliases WHERE alias = ?", (cid,))
            )
    return out


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
        row_id = store.resolve(paper_id)
        exclude = duplicates_of(store, [row_id])
        stored = vectors_for(store, embedder.model_id, [row_id])
        if row_id in stored:
            query = stored[row_id]
        else:
            paper = store.load([row_id])[0]
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
                out.append(store.resolve(alias))
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
