"""Vectors in PostgreSQL: pgvector's binary halfvec/vector format, the per-model HNSW index,
and the nearest-neighbour query.

- Vectors travel in pgvector's binary format (a 16-bit dimension, 16 unused bits, then the
  big-endian values): :class:`HalfVec` (float16, what is stored) and :class:`Vec` (float32, the
  query as given) are dumped by :func:`adapt`; a halfvec read with a binary cursor arrives as
  those bytes (:func:`halfvec_array`, :func:`halfvec_matrix`).
- A model's HNSW index is partial and on an expression (the column has no dimension):
  ``(embedding::halfvec(DIM)) halfvec_cosine_ops WHERE model = 'MODEL'``. It is made once the
  model has ``[search] hnsw_threshold`` vectors (default here :data:`DEFAULT_PG_HNSW_THRESHOLD`:
  an exact scan in PostgreSQL cost 1-2 us a row on this 2-core box, ten times NumPy's; 200k
  rows ~250 ms), so smaller stores are searched exactly, as SQLite searches them.
- Search is one query over papers joined to their vectors, filters and exclusions in its
  WHERE clause: exact (every admitted row scored in float32, best first, ties by row id), or
  through the index (``hnsw.iterative_scan = relaxed_order`` keeps scanning until enough rows
  pass the filters) for ``2k`` candidates re-scored in float32, as
  :class:`paperradar.store.ann.HnswIndex` does. A filter that admits fewer than
  :data:`EXACT_BELOW` papers is searched exactly, and so is a graph search that comes back
  short (the scan stops at ``hnsw.max_scan_tuples``): results are never outside the filters
  and number ``min(k, papers admitted)``. The model and dimension are written into the
  SQL as literals, so even a generic (prepared) plan matches the partial index.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import sql
from psycopg.adapt import Dumper
from psycopg.pq import Format

from paperradar.config import load_config
from paperradar.errors import ConfigError
from paperradar.store.api.vectors import VECTOR_DTYPE

#: HNSW graph settings (pgvector's defaults): neighbours per node, candidates while building
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
#: candidates the graph search keeps (hnsw.ef_search) at least; 2k when that is more
EF_SEARCH_MIN = 400
#: a filter admitting fewer papers than this is searched exactly (no graph), as
#: :class:`paperradar.store.ann.HnswIndex` does below its ``exact_below``
EXACT_BELOW = 5_000
#: pgvector's largest hnsw.ef_search: a search for more than half of it is answered exactly
EF_SEARCH_MAX = 1000
#: maintenance_work_mem while building (the graph is built far faster when it fits: 1M MiniLM
#: vectors need about 1.1 GB)
BUILD_MEMORY = "1GB"
#: vectors of a model from which it gets an HNSW index, unless [search] hnsw_threshold says
DEFAULT_PG_HNSW_THRESHOLD = 10_000

_BIG = np.dtype(">f2")
_BIG32 = np.dtype(">f4")


class HalfVec:
    """A vector sent as a pgvector ``halfvec`` (float16)."""

    __slots__ = ("values",)

    def __init__(self, values: npt.ArrayLike) -> None:
        self.values = np.asarray(values).ravel()


class Vec(HalfVec):
    """A vector sent as a pgvector ``vector`` (float32)."""

    __slots__ = ()


class _HalfVecDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: Any) -> bytes:
        values: npt.NDArray[Any] = obj.values
        return struct.pack(">HH", len(values), 0) + values.astype(_BIG).tobytes()


class _VecDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: Any) -> bytes:
        values: npt.NDArray[Any] = obj.values
        return struct.pack(">HH", len(values), 0) + values.astype(_BIG32).tobytes()


def adapt(cursor: psycopg.Cursor[Any]) -> psycopg.Cursor[Any]:
    """``cursor``, able to send :class:`HalfVec` and :class:`Vec` parameters (each one must
    be cast in the SQL: ``%s::halfvec``, ``%s::vector``)."""
    cursor.adapters.register_dumper(HalfVec, _HalfVecDumper)
    cursor.adapters.register_dumper(Vec, _VecDumper)
    return cursor


def halfvec_array(data: bytes) -> npt.NDArray[np.float16]:
    """A halfvec read in binary, as :data:`VECTOR_DTYPE` values."""
    return np.frombuffer(data, dtype=_BIG, offset=4).astype(VECTOR_DTYPE)


def halfvec_matrix(blobs: list[bytes], dim: int, dtype: npt.DTypeLike) -> npt.NDArray[Any]:
    """Binary halfvecs of ``dim`` values each, as the rows of one ``dtype`` matrix."""
    record = np.dtype([("head", ">u4"), ("values", _BIG, (dim,))])
    return np.frombuffer(b"".join(blobs), dtype=record)["values"].astype(dtype)


# -- the HNSW index


def hnsw_threshold(home: Path) -> int:
    """Vectors of a model from which it gets an HNSW index: ``[search] hnsw_threshold`` in
    config.toml or ``PAPERRADAR_SEARCH_HNSW_THRESHOLD`` (the setting SQLite reads), else
    :data:`DEFAULT_PG_HNSW_THRESHOLD`."""
    value = load_config(home).get("search", "hnsw_threshold", DEFAULT_PG_HNSW_THRESHOLD)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"search.hnsw_threshold must be an integer, not {value!r}") from None


def index_name(model: str) -> str:
    """The name of ``model``'s HNSW index (a digest: model ids may hold any character)."""
    return "vectors_hnsw_" + hashlib.blake2b(model.encode("utf-8"), digest_size=8).hexdigest()


def has_index(conn: psycopg.Connection[Any], model: str) -> bool:
    """Whether ``model`` has its HNSW index (in the schema the store's tables are in)."""
    row = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL AS found", (index_name(model),)
    ).fetchone()
    return bool(row and row["found"])


def create_index(conn: psycopg.Connection[Any], model: str, dim: int) -> None:
    """Build ``model``'s HNSW index over its ``dim``-dimensional vectors, in the caller's
    transaction (writers of vectors wait for it; readers do not)."""
    conn.execute(sql.SQL("SET LOCAL maintenance_work_mem = {}").format(sql.Literal(BUILD_MEMORY)))
    conn.execute(
        sql.SQL(
            "CREATE INDEX IF NOT EXISTS {name} ON vectors USING hnsw "
            "((embedding::halfvec({dim})) halfvec_cosine_ops) "
            "WITH (m = {m}, ef_construction = {ef}) WHERE model = {model}"
        ).format(
            name=sql.Identifier(index_name(model)),
            dim=sql.SQL(str(int(dim))),
            m=sql.SQL(str(HNSW_M)),
            ef=sql.SQL(str(HNSW_EF_CONSTRUCTION)),
            model=sql.Literal(model),
        )
    )


# -- the nearest-neighbour query


def search_settings(k: int) -> sql.Composed:
    """``SET LOCAL`` statements for a graph search of ``2k`` candidates."""
    ef = min(EF_SEARCH_MAX, max(EF_SEARCH_MIN, 2 * k))
    return sql.SQL(
        "SET LOCAL hnsw.ef_search = {}; SET LOCAL hnsw.iterative_scan = relaxed_order"
    ).format(sql.SQL(str(ef)))


def nearest_sql(model: str, dim: int, where: str, graph: bool) -> sql.Composed:
    """The query for the nearest papers of ``model``: ``(id, score)`` rows, best first; its
    parameters come from :func:`nearest_params`.

    Exact: papers joined to their vectors (a hash join), every admitted row scored. Graph:
    the index yields vectors nearest first, and each one's papers are looked up by content
    hash and filtered (a LATERAL subquery the planner cannot flatten: joined otherwise, it
    may scan every admitted paper for each vector the index yields)."""
    model_is = sql.SQL("v.model = {}").format(sql.Literal(model))
    admitted = sql.SQL("p.id <> ALL(%s::bigint[])" + where)  # where: filters.py's SQL
    score = sql.SQL("-(v.embedding::vector <#> %s::vector)")
    if not graph:
        return sql.SQL(
            "SELECT p.id, {score} AS score FROM vectors v JOIN papers p "
            "ON p.content_hash = v.content_hash WHERE {model_is} AND {admitted} "
            "ORDER BY score DESC, p.id LIMIT %s"
        ).format(score=score, model_is=model_is, admitted=admitted)
    return sql.SQL(
        "WITH hits AS MATERIALIZED (SELECT p.id, v.embedding FROM vectors v "
        "CROSS JOIN LATERAL (SELECT p.id FROM papers p "
        "WHERE p.content_hash = v.content_hash AND {admitted} OFFSET 0) p "
        "WHERE {model_is} "
        "ORDER BY v.embedding::halfvec({dim}) <=> %s::halfvec({dim}) LIMIT %s) "
        "SELECT v.id, {score} AS score FROM hits v ORDER BY score DESC, v.id LIMIT %s"
    ).format(admitted=admitted, model_is=model_is, dim=sql.SQL(str(int(dim))), score=score)


def admitted_sql(where: str) -> str:
    """How many papers pass the filter clause ``where``, counted up to a limit (a
    parameter after the clause's own)."""
    return f"SELECT count(*) AS n FROM (SELECT 1 FROM papers p WHERE true{where} LIMIT %s) s"


def nearest_params(
    head: list[object], query: npt.NDArray[np.float32], k: int, graph: bool
) -> list[object]:
    """The parameters of :func:`nearest_sql`: ``head`` holds the excluded ids (a list) and
    the filter clause's parameters; ``query`` is normalised."""
    if not graph:
        return [Vec(query), *head, k]
    return [*head, HalfVec(query), 2 * k, Vec(query), k]
