"""``store copy`` in PostgreSQL: rows of the copied tables converted to and from the neutral
form of :mod:`paperradar.store.api.copying` (the SQLite store's: ISO text for DATE and
TIMESTAMPTZ, 0/1 for BOOLEAN, compact JSON text for JSONB, the text of JSON, little-endian
float16 bytes for halfvec, a slot's local ISO text for ``slot`` + ``utc_offset``), written by
``COPY``; the identity sequences' high-water marks; counts; the copy's progress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import orjson
from psycopg import sql
from psycopg.rows import tuple_row

from paperradar.store.api.copying import DERIVED, TABLES, Column, CopyProgress, Row, Table
from paperradar.store.api.vectors import VECTOR_DTYPE
from paperradar.store.postgres.base import PgRepo
from paperradar.store.postgres.scheduling import _slot, _slot_key
from paperradar.store.postgres.store import IDLE

_BIG = np.dtype(">f2")


def _none(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


def _time_out(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def _time_in(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _vector_out(value: bytes) -> bytes:
    """A halfvec in pgvector's binary format (4 header bytes, big-endian float16s)."""
    return np.frombuffer(value, dtype=_BIG, offset=4).astype(VECTOR_DTYPE).tobytes()


def _vector_in(value: bytes) -> str:
    """float16 bytes as halfvec's text input (each float16 exact as a decimal)."""
    floats = np.frombuffer(value, dtype=VECTOR_DTYPE).astype(np.float64).tolist()
    return "[" + ",".join(map(repr, floats)) + "]"


def _text_in(value: str) -> str:
    return value.replace("\x00", "")  # PostgreSQL's text cannot hold NUL (rows.py)


def _json_in(value: str) -> str:
    return value.replace("\\u0000", "")


#: per kind: the neutral value from the value psycopg reads (None stays None)
_OUT: dict[str, Callable[[Any], Any]] = {
    "int": _none(int),
    "real": _none(float),
    "text": _none(str),
    "bytes": _none(bytes),
    "bool": _none(int),
    "date": _none(dt.date.isoformat),
    "time": _none(_time_out),
    "json": _none(lambda v: orjson.dumps(v).decode()),
    "jsontext": _none(str),
    "vector": _none(_vector_out),
}
#: per kind: the value COPY is given for a neutral value
_IN: dict[str, Callable[[Any], Any]] = {
    "int": _none(int),
    "real": _none(float),
    "text": _none(_text_in),
    "bytes": _none(bytes),
    "bool": _none(bool),
    "date": lambda v: v or None,
    "time": _none(_time_in),
    "json": _none(_json_in),
    "jsontext": _none(_json_in),
    "vector": _none(_vector_in),
}


def _name(column: Column) -> str:
    """The column's name here (a vector is ``embedding``, as pgvector's columns go)."""
    return '"embedding"' if column.kind == "vector" else f'"{column.name}"'


def _select(column: Column) -> str:
    if column.kind == "jsontext":
        return f"{_name(column)}::text"
    if column.kind == "slot":
        return f"{_name(column)}, utc_offset"
    return _name(column)


def _copy_names(table: Table) -> str:
    names = []
    for column in table.columns:
        names.append(_name(column))
        if column.kind == "slot":
            names.append("utc_offset")
    return ", ".join(names)


def _neutral(table: Table, row: Sequence[Any]) -> Row:
    out: list[Any] = []
    i = 0
    for column in table.columns:
        if column.kind == "slot":
            out.append(_slot(row[i], row[i + 1]).isoformat())
            i += 2
        else:
            out.append(_OUT[column.kind](row[i]))
            i += 1
    return tuple(out)


def _native(table: Table, row: Row) -> list[Any]:
    out: list[Any] = []
    for column, value in zip(table.columns, row, strict=True):
        if column.kind == "slot":
            out.extend(_slot_key(dt.datetime.fromisoformat(value)))
        else:
            out.append(_IN[column.kind](value))
    return out


def _sequence(table: str) -> str:
    return f"pg_get_serial_sequence('{table}', 'id')"


class PgCopying(PgRepo):
    """The PostgreSQL CopyRepo."""

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A REPEATABLE READ, READ ONLY transaction: one snapshot for every read in it."""
        conn = self.conn
        if conn.info.transaction_status != IDLE:
            yield
            return
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            conn.execute("SELECT count(*) FROM migrations").fetchone()  # the snapshot starts
            yield
        finally:
            if not conn.closed and conn.info.transaction_status != IDLE:
                conn.execute("ROLLBACK")

    def read(self, table: Table, after: Row | None, limit: int | None) -> list[Row]:
        key = ", ".join(f'"{k}"' for k in table.key)
        query = f"SELECT {', '.join(map(_select, table.columns))} FROM {table.name}"
        params: list[object] = []
        if after is not None:
            query += f" WHERE ({key}) > ({', '.join('%s' for _ in table.key)})"
            params.extend(after)
        query += f" ORDER BY {key}"
        if limit is not None:
            query += " LIMIT %s"
            params.append(limit)
        binary = any(c.kind == "vector" for c in table.columns)  # halfvec's binary format
        with self.conn.cursor(binary=binary, row_factory=tuple_row) as cursor:
            rows = cursor.execute(query, params).fetchall()  # our own names, never user text
        return [_neutral(table, r) for r in rows]

    def write(self, table: Table, rows: Sequence[Row]) -> None:
        statement = f"COPY {table.name} ({_copy_names(table)}) FROM STDIN"
        with self._db.transaction(), self.conn.cursor().copy(statement) as copy:
            for row in rows:
                copy.write_row(_native(table, row))

    def counts(self) -> dict[str, int]:
        conn = self.conn
        out = {}
        for name in (*(t.name for t in TABLES), *DERIVED):
            row = conn.execute(f"SELECT count(*) AS n FROM {name}").fetchone()
            out[name] = int(row["n"]) if row else 0
        return out

    def marks(self) -> dict[str, int]:
        conn = self.conn
        out = {}
        for table in TABLES:
            if not table.ids:
                continue
            row = conn.execute(
                "SELECT greatest(coalesce(pg_sequence_last_value("
                f"{_sequence(table.name)}::regclass), 0), "
                f"coalesce((SELECT max(id) FROM {table.name}), 0)) AS mark"
            ).fetchone()
            out[table.name] = int(row["mark"]) if row else 0
        return out

    def raise_marks(self, marks: Mapping[str, int]) -> None:
        with self._db.transaction():
            for table in TABLES:
                mark = int(marks.get(table.name, 0))
                if not table.ids or mark < 1:
                    continue
                sequence = _sequence(table.name)
                self.conn.execute(
                    f"SELECT setval({sequence}, greatest(%s, "
                    f"coalesce(pg_sequence_last_value({sequence}::regclass), 0), "
                    f"coalesce((SELECT max(id) FROM {table.name}), 0)))",
                    (mark,),
                )

    def progress(self, origin: str) -> dict[str, CopyProgress]:
        rows = self.conn.execute(
            "SELECT tbl, last_key, rows, done FROM store_copies WHERE origin = %s", (origin,)
        )
        return {
            r["tbl"]: CopyProgress(
                None if r["last_key"] is None else tuple(r["last_key"]),
                int(r["rows"]),
                bool(r["done"]),
            )
            for r in rows
        }

    def record(self, origin: str, table: str, progress: CopyProgress) -> None:
        key = None if progress.last_key is None else orjson.dumps(list(progress.last_key))
        with self._db.transaction():
            self.conn.execute(
                "INSERT INTO store_copies(origin, tbl, last_key, rows, done, updated) "
                "VALUES (%s, %s, %s::json, %s, %s, now()) ON CONFLICT (origin, tbl) DO UPDATE "
                "SET last_key = EXCLUDED.last_key, rows = EXCLUDED.rows, done = EXCLUDED.done, "
                "updated = EXCLUDED.updated",
                (
                    origin,
                    table,
                    None if key is None else key.decode(),
                    progress.rows,
                    progress.done,
                ),
            )

    def forget(self, origin: str) -> None:
        with self._db.transaction():
            self.conn.execute("DELETE FROM store_copies WHERE origin = %s", (origin,))

    def finish(self) -> None:
        """Build the HNSW index of each model with enough vectors (as a save that crosses
        the threshold would), then refresh the planner's statistics of the copied tables."""
        models = [r["model"] for r in self.conn.execute("SELECT DISTINCT model FROM vectors")]
        for model in models:
            self._db.vectors.ensure_index(model)
        names = [*(t.name for t in TABLES), *DERIVED]
        self.conn.execute(
            sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(map(sql.Identifier, names)))
        )
