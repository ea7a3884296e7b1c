"""Reading and writing the vector cache: one float16 row per (model, content hash)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from paperradar.store.sqlite.base import SqliteRepo
from paperradar.store.sqlite.store import Store

VECTOR_DTYPE = np.dtype("<f2")


def pending_texts(
    store: Store, model: str, limit: int, after: str = ""
) -> list[tuple[str, str, str]]:
    """Up to ``limit`` ``(content_hash, title, abstract)`` with no vector for ``model``, in
    content-hash order after ``after`` (one row per distinct text)."""
    rows = store.query(
        "SELECT p.content_hash, min(p.title) AS title, min(p.abstract) AS abstract "
        "FROM papers p WHERE p.content_hash > ? AND NOT EXISTS ("
        "  SELECT 1 FROM vectors v WHERE v.model = ? AND v.content_hash = p.content_hash) "
        "GROUP BY p.content_hash ORDER BY p.content_hash LIMIT ?",
        (after, model, limit),
    )
    return [(r["content_hash"], r["title"], r["abstract"]) for r in rows]


def count_pending(store: Store, model: str) -> int:
    return int(
        store.query(
            "SELECT count(DISTINCT p.content_hash) AS n FROM papers p WHERE NOT EXISTS ("
            "  SELECT 1 FROM vectors v WHERE v.model = ? AND v.content_hash = p.content_hash)",
            (model,),
        )[0]["n"]
    )


def save_vectors(
    store: Store, model: str, hashes: list[str], matrix: npt.NDArray[np.float32]
) -> None:
    """Store one vector per content hash, in one transaction."""
    blobs = np.ascontiguousarray(matrix, dtype=VECTOR_DTYPE)
    with store.transaction():
        store.conn.executemany(
            "INSERT OR REPLACE INTO vectors (model, content_hash, vector) VALUES (?, ?, ?)",
            [(model, h, blobs[i].tobytes()) for i, h in enumerate(hashes)],
        )


def load_matrix(
    store: Store, model: str, dtype: npt.DTypeLike = np.float32, chunk: int = 65536
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.floating]]:
    """Every paper's row id and vector for ``model``, ordered by row id.

    One query, read in chunks straight into a preallocated matrix, so memory peaks at the
    matrix itself (1M x 384 float16 = 768 MB; float32 twice that).
    """
    count, dim = store.conn.execute(
        "SELECT count(*), max(length(v.vector)) FROM papers p JOIN vectors v "
        "ON v.model = ? AND v.content_hash = p.content_hash",
        (model,),
    ).fetchone()
    if not count:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=dtype)
    dim //= VECTOR_DTYPE.itemsize
    ids = np.empty(count, dtype=np.int64)
    matrix = np.empty((count, dim), dtype=dtype)
    cursor = store.conn.execute(
        "SELECT p.id, v.vector FROM papers p JOIN vectors v "
        "ON v.model = ? AND v.content_hash = p.content_hash ORDER BY p.id",
        (model,),
    )
    filled = 0
    while rows := cursor.fetchmany(chunk):
        end = min(filled + len(rows), count)  # a concurrent writer may have added rows
        rows = rows[: end - filled]
        ids[filled:end] = [r[0] for r in rows]
        flat = np.frombuffer(b"".join(r[1] for r in rows), dtype=VECTOR_DTYPE)
        matrix[filled:end] = flat.reshape(len(rows), dim)
        filled = end
    return ids[:filled], matrix[:filled]


def vectors_for(store: Store, model: str, row_ids: list[int]) -> dict[int, npt.NDArray[np.float32]]:
    """The vectors of some papers (those that have one)."""
    # CROSS JOIN fixes the order: the ids, then each paper by rowid, then its vector by key
    # (left to itself, SQLite may walk every vector of the model instead)
    rows = store.query(
        "SELECT p.id, v.vector FROM json_each(?) j CROSS JOIN papers p ON p.id = j.value "
        "CROSS JOIN vectors v ON v.model = ? AND v.content_hash = p.content_hash",
        ("[" + ",".join(str(int(i)) for i in row_ids) + "]", model),
    )
    return {
        r["id"]: np.frombuffer(r["vector"], dtype=VECTOR_DTYPE).astype(np.float32) for r in rows
    }


class SqliteVectors(SqliteRepo):
    """The SQLite VectorRepo."""
