"""The PostgreSQL vector cache (one halfvec row per model and content hash) and vector search.

Vectors are kept as pgvector ``halfvec`` (float16, as SQLite keeps them) and read and written
in pgvector's binary format (:mod:`paperradar.store.postgres.ann`). Nearest-neighbour search
runs in the server, filters and exclusions in the same query: exact below the model's HNSW
threshold, through its HNSW index above it (results re-scored in float32 as SQLite's are).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from psycopg import errors as pg_errors
from psycopg.rows import tuple_row

from paperradar import identifiers
from paperradar.errors import UsageError
from paperradar.models import Filters
from paperradar.store.api.vectors import VECTOR_DTYPE, PendingText
from paperradar.store.dedup import abstracts_match
from paperradar.store.postgres import ann
from paperradar.store.postgres.base import PgRepo
from paperradar.store.postgres.filters import filter_sql
from paperradar.store.postgres.store import lock_key

if TYPE_CHECKING:
    from paperradar.store.postgres.store import PgStore

__all__ = ["PgVectors"]

#: rows read at a time by :meth:`PgVectors.matrix`
_MATRIX_CHUNK = 65_536
_NO_VECTORS = "the store has no embeddings yet: run `paperradar embed` first"
_PENDING = (
    "SELECT p.content_hash, min(p.title) AS title, min(p.abstract) AS abstract FROM papers p "
    "WHERE {where} AND NOT EXISTS (SELECT 1 FROM vectors v "
    "WHERE v.model = %s AND v.content_hash = p.content_hash) "
    "GROUP BY p.content_hash ORDER BY p.content_hash"
)


def _ids(ids: Collection[int]) -> list[int]:
    return [int(i) for i in ids]


class PgVectors(PgRepo):
    """The PostgreSQL VectorRepo. Remembers each model's dimension and which models have an
    HNSW index (both only ever become true)."""

    def __init__(self, db: PgStore) -> None:
        super().__init__(db)
        self._dims: dict[str, int] = {}
        self._indexed: set[str] = set()
        self._deferred: set[str] | None = None
        self._defer_lock = threading.Lock()

    # -- the cache

    def has_any(self, model: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM vectors WHERE model = %s LIMIT 1", (model,))
        return row.fetchone() is not None

    def count_pending(self, model: str) -> int:
        row = self.conn.execute(
            "SELECT count(DISTINCT p.content_hash) AS n FROM papers p WHERE NOT EXISTS ("
            "SELECT 1 FROM vectors v WHERE v.model = %s AND v.content_hash = p.content_hash)",
            (model,),
        ).fetchone()
        return int(row["n"]) if row else 0

    def pending(self, model: str, limit: int, after: str = "") -> list[PendingText]:
        rows = self.conn.execute(
            _PENDING.format(where="p.content_hash > %s") + " LIMIT %s", (after, model, limit)
        )
        return [(r["content_hash"], r["title"], r["abstract"]) for r in rows]

    def pending_for_papers(self, model: str, ids: Sequence[int]) -> list[PendingText]:
        rows = self.conn.execute(
            _PENDING.format(where="p.id = ANY(%s::bigint[])"), (_ids(ids), model)
        )
        return [(r["content_hash"], r["title"], r["abstract"]) for r in rows]

    def save(self, model: str, hashes: Sequence[str], matrix: npt.NDArray[np.float32]) -> None:
        if len(hashes) == 0:
            return
        rows = np.ascontiguousarray(matrix, dtype=VECTOR_DTYPE)
        with self._db.transaction():
            with ann.adapt(self.conn.cursor()) as cursor:
                cursor.executemany(
                    "INSERT INTO vectors (model, content_hash, embedding) "
                    "VALUES (%s, %s, %s::halfvec) ON CONFLICT (model, content_hash) "
                    "DO UPDATE SET embedding = excluded.embedding",
                    [(model, h, ann.HalfVec(rows[i])) for i, h in enumerate(hashes)],
                )
            with self._defer_lock:
                deferred = self._deferred
                if deferred is not None:
                    deferred.add(model)
            if deferred is None:
                self.ensure_index(model)

    def for_papers(self, model: str, ids: Sequence[int]) -> dict[int, npt.NDArray[np.float32]]:
        with self.conn.cursor(binary=True, row_factory=tuple_row) as cursor:
            rows = cursor.execute(
                "SELECT p.id, v.embedding FROM papers p JOIN vectors v "
                "ON v.model = %s AND v.content_hash = p.content_hash "
                "WHERE p.id = ANY(%s::bigint[])",
                (model, _ids(ids)),
            ).fetchall()
        return {int(i): ann.halfvec_array(data).astype(np.float32) for i, data in rows}

    def by_hash(self, model: str, hashes: Sequence[str]) -> dict[str, npt.NDArray[np.float16]]:
        with self.conn.cursor(binary=True, row_factory=tuple_row) as cursor:
            rows = cursor.execute(
                "SELECT content_hash, embedding FROM vectors "
                "WHERE model = %s AND content_hash = ANY(%s::text[])",
                (model, list(hashes)),
            ).fetchall()
        return {str(h): ann.halfvec_array(data) for h, data in rows}

    def matrix(
        self, model: str, dtype: npt.DTypeLike = np.float32
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.floating]]:
        """Every paper's row id and vector for ``model``, ordered by row id.

        One query read through a server-side cursor in chunks straight into a preallocated
        matrix, so memory peaks at the matrix itself (1M x 384 float16 = 768 MB)."""
        conn = self.conn
        joined = "FROM papers p JOIN vectors v ON v.model = %s AND v.content_hash = p.content_hash"
        with conn.transaction():  # a server-side cursor lives in a transaction
            row = conn.execute(f"SELECT count(*) AS n {joined}", (model,)).fetchone()
            count = int(row["n"]) if row else 0
            if not count:
                return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=dtype)
            ids = np.empty(count, dtype=np.int64)
            out: npt.NDArray[Any] | None = None
            filled = 0
            with conn.cursor("paperradar_matrix", binary=True, row_factory=tuple_row) as cur:
                cur.execute(f"SELECT p.id, v.embedding {joined} ORDER BY p.id", (model,))
                while filled < count and (rows := cur.fetchmany(_MATRIX_CHUNK)):
                    rows = rows[: count - filled]  # a concurrent writer may have added rows
                    if out is None:
                        dim = (len(rows[0][1]) - 4) // 2
                        out = np.empty((count, dim), dtype=dtype)
                    end = filled + len(rows)
                    ids[filled:end] = [r[0] for r in rows]
                    out[filled:end] = ann.halfvec_matrix([r[1] for r in rows], dim, dtype)
                    filled = end
        if out is None:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=dtype)
        return ids[:filled], out[:filled]

    # -- the HNSW index

    def ensure_index(self, model: str) -> bool:
        """Build ``model``'s HNSW index if it has none and at least ``[search]
        hnsw_threshold`` vectors (inside the caller's transaction, if any); whether it has
        one now. Another writer building it, or holding the table past the lock timeout,
        leaves it to a later save."""
        if model in self._indexed:
            return True
        conn = self.conn
        if ann.has_index(conn, model):
            self._indexed.add(model)
            return True
        threshold = ann.hnsw_threshold(self._db.home)
        row = conn.execute(
            "SELECT count(*) AS n, max(vector_dims(embedding)) AS dim FROM "
            "(SELECT embedding FROM vectors WHERE model = %s LIMIT %s) s",
            (model, max(threshold, 1)),
        ).fetchone()
        if row is None or row["dim"] is None or int(row["n"]) < threshold:
            return False
        with self._db.transaction():
            try:
                with conn.transaction():  # a savepoint: undone alone
                    got = conn.execute(
                        "SELECT pg_try_advisory_xact_lock(%s) AS got",
                        (lock_key(f"vectors-index:{model}"),),
                    ).fetchone()
                    if not (got and got["got"]):
                        return False
                    ann.create_index(conn, model, int(row["dim"]))
            except (pg_errors.LockNotAvailable, pg_errors.QueryCanceled):
                return False
        return True

    @contextmanager
    def deferred_index(self) -> Iterator[None]:
        """Saves inside the block build no HNSW index; the models they saved get theirs at
        the end, when over the threshold (a bulk load builds a graph once, about ten times
        faster than adding each row to it)."""
        with self._defer_lock:
            outer = self._deferred
            if outer is None:
                self._deferred = set()
        try:
            yield
        finally:
            if outer is None:
                with self._defer_lock:
                    models, self._deferred = self._deferred or set(), None
                for model in sorted(models):
                    self.ensure_index(model)

    # -- search

    def _dim(self, model: str) -> int | None:
        """``model``'s dimension (None when it has no vector)."""
        dim = self._dims.get(model)
        if dim is None:
            row = self.conn.execute(
                "SELECT vector_dims(embedding) AS dim FROM vectors WHERE model = %s LIMIT 1",
                (model,),
            ).fetchone()
            if row is None:
                return None
            dim = self._dims[model] = int(row["dim"])
        return dim

    def _searchable(self, model: str) -> bool:
        """Whether any paper has a vector for ``model``."""
        row = self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM vectors v JOIN papers p "
            "ON p.content_hash = v.content_hash WHERE v.model = %s) AS found",
            (model,),
        ).fetchone()
        return bool(row and row["found"])

    def nearest(
        self,
        model: str,
        query: npt.NDArray[np.float32],
        k: int,
        filters: Filters | None = None,
        exclude: Collection[int] = (),
        *,
        exact: bool = False,
    ) -> list[tuple[int, float]]:
        """The ``k`` papers nearest ``query`` (VectorRepo.nearest); ``exact`` scores every
        admitted paper even where the HNSW index would be used (what benchmarks measure the
        graph's recall against)."""
        dim = self._dim(model)
        if dim is None:
            raise UsageError(_NO_VECTORS)
        q = np.asarray(query, dtype=np.float32)
        if q.ndim == 2 and len(q):
            q = q[0]  # as the in-process indexes do: the first of several queries
        if q.shape != (dim,):
            raise ValueError(f"query must have shape ({dim},) or (q, {dim}), got {q.shape}")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        norm = float(np.linalg.norm(q))
        if norm > 0:
            q = q / norm
        where, params = filter_sql(filters or Filters())
        head: list[object] = [sorted({int(i) for i in exclude}), *params]
        graph = not exact and norm > 0 and 2 * k <= ann.EF_SEARCH_MAX and self._has_index(model)
        if graph and where:  # a selective filter: scoring what it admits beats the graph
            row = self.conn.execute(ann.admitted_sql(where), [*params, ann.EXACT_BELOW])
            counted = row.fetchone()
            graph = counted is not None and int(counted["n"]) >= ann.EXACT_BELOW
        found = self._search(model, dim, where, head, q, k, graph)
        if graph and len(found) < k:  # too few passed the filters on the graph: count them all
            found = self._search(model, dim, where, head, q, k, False)
        if not found and not self._searchable(model):
            raise UsageError(_NO_VECTORS)
        return found

    def _has_index(self, model: str) -> bool:
        if model not in self._indexed and ann.has_index(self.conn, model):
            self._indexed.add(model)
        return model in self._indexed

    def _search(
        self,
        model: str,
        dim: int,
        where: str,
        head: list[object],
        q: npt.NDArray[np.float32],
        k: int,
        graph: bool,
    ) -> list[tuple[int, float]]:
        conn = self.conn
        query = ann.nearest_sql(model, dim, where, graph)
        params = ann.nearest_params(head, q, k, graph)
        with ann.adapt(conn.cursor(row_factory=tuple_row)) as cursor:
            if not graph:
                rows = cursor.execute(query, params).fetchall()
            else:
                with conn.transaction():  # SET LOCAL lasts until its end
                    cursor.execute(ann.search_settings(k))
                    rows = cursor.execute(query, params).fetchall()
        return [(int(i), float(s)) for i, s in rows]

    # -- near-duplicates

    def duplicates_of(self, ids: Sequence[int]) -> set[int]:
        out = set(ids)
        conn = self.conn
        wanted = _ids(ids)
        papers = conn.execute(
            "SELECT id, title, abstract FROM papers WHERE id = ANY(%s::bigint[])", (wanted,)
        ).fetchall()
        for paper in papers:
            key = identifiers.abstract_key(paper["abstract"]) if paper["abstract"] else None
            if key:
                out.update(
                    int(r["id"])
                    for r in conn.execute(
                        "SELECT id, abstract FROM papers WHERE abstract_key = %s", (key,)
                    )
                    if abstracts_match(r["abstract"], paper["abstract"])
                )
        out.update(
            int(r["id"])
            for r in conn.execute(
                "SELECT q.id FROM papers q WHERE q.content_hash IN "
                "(SELECT content_hash FROM papers WHERE id = ANY(%s::bigint[]))",
                (wanted,),
            )
        )
        cids = [c for p in papers if (c := identifiers.content_id(p["title"], p["abstract"]))]
        if cids:
            out.update(
                int(r["paper_id"])
                for r in conn.execute(
                    "SELECT paper_id FROM aliases WHERE alias = ANY(%s::text[])", (cids,)
                )
            )
        return out
