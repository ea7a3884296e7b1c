"""Nearest-neighbour search over paper vectors: exact (NumPy) and HNSW (usearch).

Both indexes hold one row per paper, ``ids[i]`` naming row ``i`` (the store's paper id),
and answer ``search(query, k, allowed, exclude)`` with ``(id, cosine)`` pairs, best first.
Rows and queries are L2-normalised, so cosine is the inner product.

- :class:`ExactIndex` scores every row with one float32 matrix-vector product (BLAS) and
  takes the top k with ``argpartition``. It keeps float32: NumPy has no fast float16
  arithmetic (measured here at 1M x 384: float32 135 ms a query, float16 converted in
  chunks 1.9 s), so float16 storage would halve memory but make every query ~14x slower.
- :class:`HnswIndex` is a usearch HNSW graph (inner-product metric, float16 vectors by
  default). Filters are applied to an oversampled candidate list; when the allowed set is
  too small for that to be cheap, the allowed rows are scored exactly instead. The best
  candidates are re-scored in float32 from the rows it was given (float16 rows are fine).
  It saves to and views (memory-maps) a file, so a process does not rebuild it.
- :func:`build_index` picks exact below ``hnsw_threshold`` rows and HNSW at or above it,
  caching the HNSW file under a name derived from the ids, the model and the vectors.

``allowed`` (ids a filter admits) and ``exclude`` (the paper itself, its duplicates) are
exact in both indexes: a result is never outside ``allowed`` nor in ``exclude``, and a
search returns ``min(k, rows left after filtering)`` results.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
#: stored rows: float32, or float16 for an HNSW index's re-scoring copy
Stored = npt.NDArray[np.float32] | npt.NDArray[np.float16]
Ids = npt.NDArray[np.int64]
Results = list[list[tuple[int, float]]]
Progress = Callable[[int], None]

DEFAULT_HNSW_THRESHOLD = 200_000
#: score blocks of queries x rows are kept under this many float32 values (128 MB)
_SCORE_BLOCK = 1 << 25
#: float16 rows converted to float32 this many at a time
_HALF_CHUNK = 32_768
_CACHE_PREFIX = "hnsw-"
_CACHE_SUFFIX = ".usearch"
_FINGERPRINT_SAMPLE = 1024


class VectorIndex(Protocol):
    """Top-k cosine search over rows named by ``ids``."""

    ids: Ids
    dim: int

    def __len__(self) -> int: ...

    def search(
        self,
        query: Vectors,
        k: int,
        allowed: Ids | None = None,
        exclude: Collection[int] = (),
    ) -> Results:
        """For each query (a ``(dim,)`` vector or ``(q, dim)`` rows), up to ``k`` pairs
        ``(id, cosine)`` best first, only ids in ``allowed`` (when given) and never ids in
        ``exclude``."""
        ...


# --------------------------------------------------------------------------- helpers


class _IdMap:
    """Row positions of ids: a dense lookup table when ids are small non-negative
    integers (store rowids), else binary search over the sorted ids."""

    def __init__(self, ids: Ids) -> None:
        self.n = len(ids)
        self._table: Ids | None = None
        self._order: Ids | None = None
        self._sorted: Ids | None = None
        if self.n == 0:
            return
        low, high = int(ids.min()), int(ids.max())
        if low >= 0 and high < 4 * self.n + 65_536:
            table = np.full(high + 1, -1, dtype=np.int64)
            rows = np.arange(self.n, dtype=np.int64)
            table[ids] = rows
            if not np.array_equal(table[ids], rows):
                raise ValueError("vector ids must be unique")
            self._table = table
        else:
            order = np.argsort(ids, kind="stable")
            ordered = ids[order]
            if self.n > 1 and bool((ordered[1:] == ordered[:-1]).any()):
                raise ValueError("vector ids must be unique")
            self._order, self._sorted = order, ordered

    def rows(self, ids: Ids) -> Ids:
        """Positions of those ``ids`` that are present (any order, may repeat)."""
        ids = np.asarray(ids, dtype=np.int64).ravel()
        if self.n == 0 or len(ids) == 0:
            return np.zeros(0, dtype=np.int64)
        if self._table is not None:
            inside = ids[(ids >= 0) & (ids < len(self._table))]
            found = self._table[inside]
            return found[found >= 0]
        assert self._sorted is not None and self._order is not None
        at = np.searchsorted(self._sorted, ids)
        at[at == self.n] = 0
        hit = self._sorted[at] == ids
        rows: Ids = self._order[at[hit]]
        return rows

    def mask(self, ids: Ids) -> npt.NDArray[np.bool_]:
        """A boolean mask over rows, true for rows named in ``ids``."""
        out = np.zeros(self.n, dtype=bool)
        out[self.rows(ids)] = True
        return out


def _as_ids(ids: npt.ArrayLike) -> Ids:
    out = np.ascontiguousarray(np.asarray(ids, dtype=np.int64))
    if out.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {out.shape}")
    return out


def _as_matrix(matrix: npt.ArrayLike, n: int, half_ok: bool = False) -> Stored:
    """The matrix as float32 rows (or float16 ones, if ``half_ok``), without a copy when
    it already is one (memory maps stay memory maps)."""
    keep = (np.float32, np.float16) if half_ok else (np.float32,)
    if isinstance(matrix, np.ndarray) and matrix.dtype in keep and matrix.ndim == 2:
        out: Stored = matrix if matrix.flags.c_contiguous else np.ascontiguousarray(matrix)
    else:
        out = np.ascontiguousarray(np.asarray(matrix, dtype=np.float32))
    if out.ndim != 2 or out.shape[0] != n:
        raise ValueError(f"matrix must have shape ({n}, dim), got {out.shape}")
    return out


def _scores(queries: Vectors, source: Stored) -> Vectors:
    """``queries @ source.T`` in float32; float16 rows are converted a chunk at a time.

    One query is scored with NumPy's own single-threaded loop, not BLAS: the product is
    bound by memory bandwidth, and multithreaded BLAS gemv only adds thread wake-ups
    (measured on 2 busy cores: 75k rows 14 ms vs 23 ms, 1M rows 174 ms vs 227 ms).
    Several queries make a matrix product, where BLAS is far ahead."""
    if source.dtype == np.float32:
        return _product(queries, np.asarray(source, dtype=np.float32))
    out = np.empty((len(queries), len(source)), dtype=np.float32)
    for start in range(0, len(source), _HALF_CHUNK):
        chunk = np.asarray(source[start : start + _HALF_CHUNK], dtype=np.float32)
        out[:, start : start + len(chunk)] = _product(queries, chunk)
    return out


def _product(queries: Vectors, rows: Vectors) -> Vectors:
    if len(queries) == 1:
        one: Vectors = np.einsum("ij,j->i", rows, queries[0])[None, :]
        return one
    return np.asarray(queries @ rows.T, dtype=np.float32)


def _as_queries(query: npt.ArrayLike, dim: int) -> Vectors:
    """Queries as normalised float32 rows ``(q, dim)``."""
    q = np.asarray(query, dtype=np.float32)
    if q.ndim == 1:
        q = q[None, :]
    if q.ndim != 2 or q.shape[1] != dim:
        raise ValueError(f"query must have shape ({dim},) or (q, {dim}), got {q.shape}")
    norms = np.linalg.norm(q, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(q / norms, dtype=np.float32)


def _check_k(k: int) -> int:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return int(k)


def _exclude_ids(exclude: Collection[int]) -> Ids:
    if isinstance(exclude, np.ndarray):
        return exclude.astype(np.int64, copy=False).ravel()
    return np.fromiter((int(i) for i in exclude), dtype=np.int64, count=len(exclude))


def _top_rows(scores: Vectors, k: int) -> npt.NDArray[np.intp]:
    """Column indices of the ``k`` best scores of each row, best first (k <= columns)."""
    if k < scores.shape[1]:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(scores.shape[1]), scores.shape).copy()
    picked = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-picked, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def _exact_search(
    queries: Vectors,
    matrix: Stored,
    ids: Ids,
    k: int,
    rows: Ids | None,
    banned: Ids,
) -> Results:
    """Exact top-k over ``rows`` of ``matrix`` (sorted unique positions; every row when
    None) minus the ``banned`` positions (unique; only used when ``rows`` is None)."""
    n = matrix.shape[0]
    source: Stored = matrix
    names, columns = ids, None
    if rows is not None:
        m = len(rows)
        if m and int(rows[-1]) - int(rows[0]) + 1 == m:  # one run, e.g. the newest papers
            low = int(rows[0])
            source, names = matrix[low : low + m], ids[low : low + m]
        elif m * 4 <= n:  # gathering a small subset beats scoring every row
            source, names = matrix[rows], ids[rows]
        else:
            columns = rows
    else:
        m = n - len(banned)
    kk = min(k, m)
    if kk <= 0:
        return [[] for _ in range(len(queries))]
    block = max(1, _SCORE_BLOCK // max(source.shape[0], 1))
    out: Results = []
    for start in range(0, len(queries), block):
        scores = _scores(queries[start : start + block], source)
        if columns is not None:
            scores = scores[:, columns]
        elif rows is None and len(banned):
            scores[:, banned] = -np.inf
        best = _top_rows(scores, kk)
        best_scores = np.take_along_axis(scores, best, axis=1)
        found = names[columns[best] if columns is not None else best]
        out.extend(
            list(zip(found_row.tolist(), score_row.tolist(), strict=True))
            for found_row, score_row in zip(found, best_scores, strict=True)
        )
    return out


# --------------------------------------------------------------------------- exact


class ExactIndex:
    """Brute-force cosine search: one float32 BLAS product per query block.

    ``matrix`` rows must be L2-normalised; a float32 C-contiguous array (or memory map) is
    used as is, anything else is converted to float32 once.
    """

    def __init__(self, ids: npt.ArrayLike, matrix: npt.ArrayLike) -> None:
        self.ids = _as_ids(ids)
        self.matrix = _as_matrix(matrix, len(self.ids))
        self.dim = int(self.matrix.shape[1])
        self._map = _IdMap(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def search(
        self,
        query: Vectors,
        k: int,
        allowed: Ids | None = None,
        exclude: Collection[int] = (),
    ) -> Results:
        queries = _as_queries(query, self.dim)
        k = _check_k(k)
        banned = np.unique(self._map.rows(_exclude_ids(exclude)))
        rows = None
        if allowed is not None:
            admit = self._map.mask(np.asarray(allowed))
            admit[banned] = False
            rows = np.flatnonzero(admit)
        return _exact_search(queries, self.matrix, self.ids, k, rows, banned)


# --------------------------------------------------------------------------- HNSW


@dataclass(frozen=True, slots=True)
class HnswParams:
    """HNSW settings. ``connectivity`` (M) and ``expansion_add`` (efConstruction) shape
    the graph; ``expansion_search`` (ef) trades query time for recall; ``dtype`` is how
    usearch stores vectors ("f16" halves memory at no measurable recall cost).

    Measured on MiniLM title queries against 200k mixed abstract vectors (the 10th and 11th
    best cosines differ by ~0.001; benchmarks/search.py builds them): connectivity 16 gives
    recall@10 0.955 at ef 256 and 0.976 at ef 512; connectivity 32 gives 0.991 and 0.996
    for ~18% more build time and ~4 ms a query at ef 512. benchmarks/search.py reports 1M."""

    connectivity: int = 32
    expansion_add: int = 128
    expansion_search: int = 512
    dtype: str = "f16"


class HnswIndex:
    """Approximate cosine search with a usearch HNSW graph, keyed by row position.

    Filters: the graph is searched for ``count`` candidates, oversampled by the share of
    rows the filter admits, and candidates are filtered exactly; short results are retried
    with 4x the candidates. When a filter admits at most ``exact_below`` rows, or would need
    more than ``max_candidates`` candidates, or when scoring them exactly is cheaper (a run
    of consecutive rows, as a date filter over chronological ids gives, is scored at
    memory speed; ``prefer_exact=False`` turns both off), the admitted rows are scored
    exactly from
    ``matrix``, which is kept by reference: float16 rows are kept as they are (half the
    memory of float32; only the few rows a search touches are converted), and a memory map
    stays one. The best ``2k`` graph candidates are re-scored in float32 from ``matrix``, so
    returned cosines are those of exact search over the same rows.
    """

    def __init__(
        self,
        ids: npt.ArrayLike,
        matrix: npt.ArrayLike,
        params: HnswParams | None = None,
        *,
        exact_below: int = 5_000,
        max_candidates: int = 2_000,
        prefer_exact: bool = True,
        progress: Progress | None = None,
        _index: Any = None,
    ) -> None:
        self.ids = _as_ids(ids)
        self.matrix: Stored | None = _as_matrix(matrix, len(self.ids), half_ok=True)
        self.dim = int(self.matrix.shape[1])
        self.params = params or HnswParams()
        self.exact_below = exact_below
        self.max_candidates = max_candidates
        self.prefer_exact = prefer_exact
        self._map = _IdMap(self.ids)
        self._index = _index if _index is not None else self._build(progress)
        self._index.expansion_search = self.params.expansion_search

    def _build(self, progress: Progress | None) -> Any:
        from usearch.index import Index

        p = self.params
        index = Index(
            ndim=self.dim,
            metric="ip",
            dtype=p.dtype,
            connectivity=p.connectivity,
            expansion_add=p.expansion_add,
            expansion_search=p.expansion_search,
        )
        self._add(index, 0, progress)
        return index

    def _add(self, index: Any, first: int, progress: Progress | None) -> None:
        if self.matrix is None:
            raise ValueError("the rows were released: nothing to add")
        n = len(self.ids)
        step = 20_000
        for start in range(first, n, step):
            stop = min(n, start + step)
            index.add(
                np.arange(start, stop, dtype=np.uint64),
                np.asarray(self.matrix[start:stop], dtype=np.float32),
                threads=0,
            )
            if progress:
                progress(stop - start)

    def release_rows(self) -> None:
        """Let go of ``matrix``: from now on rows are read back from the graph, which holds
        them too (as float16, like the store), so a searching process keeps one copy of the
        vectors instead of two (768 MB less at a million papers)."""
        self.matrix = None

    def _rows(self, rows: Ids) -> Vectors:
        """Rows (positions) as float32, from ``matrix`` or, once released, from the graph."""
        if self.matrix is not None:
            return np.asarray(self.matrix[rows], dtype=np.float32)
        if len(rows) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        found = self._index.get(np.asarray(rows, dtype=np.uint64), dtype=np.float32)
        return np.vstack(found).astype(np.float32, copy=False)

    def _exact(self, queries: Vectors, k: int, rows: Ids | None, banned: Ids) -> Results:
        """Exact search over ``rows`` (every row but ``banned`` when None)."""
        if self.matrix is not None:
            return _exact_search(queries, self.matrix, self.ids, k, rows, banned)
        if rows is None:
            rows = np.setdiff1d(np.arange(len(self.ids), dtype=np.int64), banned)
        return _exact_search(
            queries, self._rows(rows), self.ids[rows], k, None, np.zeros(0, dtype=np.int64)
        )

    def add_rows(self, start: int, progress: Progress | None = None) -> None:
        """Add rows ``start`` onwards of ``matrix`` to the graph (it holds rows before)."""
        self._add(self._index, start, progress)

    def __len__(self) -> int:
        return len(self.ids)

    # -- persistence

    def save(self, path: Path) -> None:
        """Write the graph and its vectors to ``path`` atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            self._index.save(tmp)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(
        cls,
        path: Path,
        ids: npt.ArrayLike,
        matrix: npt.ArrayLike,
        params: HnswParams | None = None,
        *,
        view: bool = True,
        exact_below: int = 5_000,
        max_candidates: int = 2_000,
    ) -> HnswIndex | None:
        """The index saved at ``path`` if it fits ``ids`` and ``matrix`` (row count,
        dimension, metric, storage type), else None. ``view`` memory-maps the file, so
        only the graph pages a search touches are read."""
        from usearch.index import Index

        params = params or HnswParams()
        ids = _as_ids(ids)
        try:
            meta = Index.metadata(str(path))
            if meta is None or meta.get("count_present") != len(ids):
                return None
            index = Index.restore(str(path), view=view)
        except (OSError, RuntimeError, ValueError):
            return None
        if (
            index is None
            or index.size != len(ids)
            or index.ndim != np.shape(matrix)[1]
            or str(index.metric_kind) != "MetricKind.IP"
            or str(index.dtype) != f"ScalarKind.{params.dtype.upper()}"
        ):
            return None
        return cls(
            ids,
            matrix,
            params,
            exact_below=exact_below,
            max_candidates=max_candidates,
            _index=index,
        )

    # -- search

    def search(
        self,
        query: Vectors,
        k: int,
        allowed: Ids | None = None,
        exclude: Collection[int] = (),
    ) -> Results:
        queries = _as_queries(query, self.dim)
        k = _check_k(k)
        n = len(self.ids)
        banned = np.unique(self._map.rows(_exclude_ids(exclude)))
        admit: npt.NDArray[np.bool_] | None = None
        rows: Ids | None = None
        if allowed is not None:
            admit = self._map.mask(np.asarray(allowed))
            admit[banned] = False
            rows = np.flatnonzero(admit)
            left = len(rows)
        else:
            left = n - len(banned)
            if len(banned):
                admit = np.ones(n, dtype=bool)
                admit[banned] = False
        want = min(k, left)
        if want <= 0:
            return [[] for _ in range(len(queries))]
        # candidates needed so that ~2x `want` admitted rows come back, plus the banned ones
        count = min(n, math.ceil(2 * want * n / left) + len(banned))
        if count > self.max_candidates or (
            rows is not None and self._exact_is_cheaper(rows, count)
        ):
            return self._exact(queries, k, rows, banned)
        results: Results = [[] for _ in range(len(queries))]
        pending = np.arange(len(queries))
        while len(pending):
            keys, counts = self._candidates(queries[pending], count)
            short = []
            for slot, qi in enumerate(pending.tolist()):
                got = keys[slot, : counts[slot]]
                if admit is not None:
                    got = got[admit[got]]
                if len(got) < want:
                    short.append(qi)
                    continue
                results[qi] = self._rescore(queries[qi], got[: 2 * want], want)
            pending = np.asarray(short, dtype=np.int64)
            if len(pending) and count >= min(n, self.max_candidates):
                exact = self._exact(queries[pending], k, rows, banned)
                for qi, found in zip(pending.tolist(), exact, strict=True):
                    results[qi] = found
                break
            count = min(n, self.max_candidates, count * 4)
        return results

    def _exact_is_cheaper(self, rows: Ids, count: int) -> bool:
        """Whether scoring the admitted ``rows`` exactly costs no more than a graph search
        for ``count`` candidates (per-row and per-candidate costs measured on this 2-core
        box: a contiguous float32 run 0.15 us a row, gathered rows ~1 us, float16 rows
        +0.85 us to convert; the graph ~3.5 us a candidate)."""
        m = len(rows)
        if not self.prefer_exact:
            return False
        if m <= self.exact_below:
            return True
        if self.matrix is None:  # rows come from the graph one by one: only small sets
            return False
        contiguous = int(rows[-1]) - int(rows[0]) + 1 == m
        per_row = 0.15 if contiguous else 1.0
        if self.matrix.dtype != np.float32:
            per_row += 0.85
        return m * per_row <= 3.5 * count + 50

    def _candidates(self, queries: Vectors, count: int) -> tuple[Ids, Ids]:
        """Graph search: candidate row positions (best first) and how many are valid."""
        found = self._index.search(queries, count, threads=0)
        keys = np.asarray(found.keys, dtype=np.int64).reshape(len(queries), -1)
        counts = np.asarray(getattr(found, "counts", [keys.shape[1]]), dtype=np.int64)
        return keys, counts.reshape(-1)

    def _rescore(self, query: Vectors, rows: Ids, want: int) -> list[tuple[int, float]]:
        """The best ``want`` of candidate ``rows`` by float32 cosine: scores match
        :class:`ExactIndex` (the graph holds float16) and near-ties are ordered right."""
        scores = _product(query[None, :], self._rows(rows))[0]
        order = np.argsort(-scores, kind="stable")[:want]
        return list(zip(self.ids[rows[order]].tolist(), scores[order].tolist(), strict=True))


# --------------------------------------------------------------------------- building


def index_fingerprint(
    ids: Ids, matrix: Stored, model_id: str = "", params: HnswParams | None = None
) -> str:
    """A name for the HNSW file of these rows: the ids in order, the model, the graph
    settings and a sample of the vectors (1024 rows spread evenly). A vector that changes
    outside the sample is caught only if ``model_id`` changes too (the store can fold an
    embedding version into it)."""
    digest = hashlib.blake2b(digest_size=12)
    digest.update(b"paperradar-hnsw-1\0")
    digest.update(model_id.encode("utf-8") + b"\0")
    p = params or HnswParams()  # expansion_search is set at load time: not part of the file
    digest.update(repr((p.connectivity, p.expansion_add, p.dtype)).encode("utf-8"))
    digest.update(np.asarray(matrix.shape, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(ids, dtype=np.int64).tobytes())
    n = matrix.shape[0]
    if n:
        sample = np.unique(np.linspace(0, n - 1, min(n, _FINGERPRINT_SAMPLE)).astype(np.int64))
        digest.update(np.ascontiguousarray(matrix[sample], dtype=np.float32).tobytes())
    return digest.hexdigest()


def cached_hnsw(
    ids: npt.ArrayLike,
    matrix: npt.ArrayLike,
    cache_dir: Path,
    *,
    model_id: str = "",
    params: HnswParams | None = None,
    progress: Progress | None = None,
) -> HnswIndex:
    """The HNSW index of these rows from ``cache_dir``, built and saved when missing or
    stale. Older index files in ``cache_dir`` are removed once a new one is saved."""
    ids = _as_ids(ids)
    matrix = _as_matrix(matrix, len(ids), half_ok=True)
    params = params or HnswParams()
    cache_dir = Path(cache_dir)
    path = cache_dir / (
        _CACHE_PREFIX + index_fingerprint(ids, matrix, model_id, params) + _CACHE_SUFFIX
    )
    if path.exists():
        loaded = HnswIndex.load(path, ids, matrix, params)
        if loaded is not None:
            return loaded
    index = _extend_cached(ids, matrix, cache_dir, model_id, params, progress)
    if index is None:
        index = HnswIndex(ids, matrix, params, progress=progress)
    index.save(path)
    for old in cache_dir.glob(_CACHE_PREFIX + "*" + _CACHE_SUFFIX):
        if old != path:
            old.unlink(missing_ok=True)
    reloaded = HnswIndex.load(path, ids, matrix, params)  # a view: the graph leaves the heap
    return reloaded if reloaded is not None else index


def _extend_cached(
    ids: Ids,
    matrix: Stored,
    cache_dir: Path,
    model_id: str,
    params: HnswParams,
    progress: Progress | None,
) -> HnswIndex | None:
    """A cached graph of a prefix of these rows, loaded and extended with the rest, or None.

    New papers get larger row ids, so after an ingest the old rows are usually a prefix of
    the new ones: adding only the new rows costs seconds where a rebuild of a million rows
    costs many minutes. A cached file qualifies when its name is the fingerprint of the
    first ``count`` rows it holds (same ids, model, settings and vector sample)."""
    from usearch.index import Index

    n = len(ids)
    for candidate in sorted(cache_dir.glob(_CACHE_PREFIX + "*" + _CACHE_SUFFIX)):
        try:
            meta = Index.metadata(str(candidate))
        except (OSError, RuntimeError, ValueError):
            continue
        count = int(meta.get("count_present", 0)) if meta else 0
        if not 0 < count < n:
            continue
        name = index_fingerprint(ids[:count], matrix[:count], model_id, params)
        if candidate.name != _CACHE_PREFIX + name + _CACHE_SUFFIX:
            continue
        try:
            graph = Index.restore(str(candidate), view=False)
        except (OSError, RuntimeError, ValueError):
            continue
        if graph is None or graph.size != count:
            continue
        index = HnswIndex(ids, matrix, params, _index=graph)
        index.add_rows(count, progress)
        return index
    return None


def build_index(
    ids: npt.ArrayLike,
    matrix: npt.ArrayLike,
    hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD,
    cache_dir: Path | None = None,
    *,
    model_id: str = "",
    params: HnswParams | None = None,
    progress: Progress | None = None,
) -> VectorIndex:
    """Exact search below ``hnsw_threshold`` rows, HNSW at or above it (from
    ``cache_dir`` when given, so later processes load instead of rebuilding).

    ``matrix`` may be float16 (as the store keeps vectors): exact search converts it to
    float32 once (NumPy has no fast float16 product), HNSW keeps it as it is, so a 1M x 384
    corpus holds 768 MB of rows instead of 1.5 GB. ``model_id`` (and anything else that
    changes vectors, e.g. an embedding version) goes into the cache file's name."""
    ids = _as_ids(ids)
    if len(ids) < hnsw_threshold:
        return ExactIndex(ids, matrix)
    if cache_dir is None:
        return HnswIndex(ids, matrix, params, progress=progress)
    return cached_hnsw(ids, matrix, cache_dir, model_id=model_id, params=params, progress=progress)


def recall_at_k(approx: VectorIndex, exact: VectorIndex, queries: Vectors, k: int = 10) -> float:
    """Mean share of the exact top-k ids that the approximate index also returns."""
    truth = exact.search(queries, k)
    found = approx.search(queries, k)
    shares = [
        len({i for i, _ in got} & {i for i, _ in want}) / len(want)
        for got, want in zip(found, truth, strict=True)
        if want
    ]
    return float(np.mean(shares)) if shares else 1.0
