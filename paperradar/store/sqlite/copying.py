"""``store copy`` in SQLite: rows of the copied tables, read and written as they are stored
(the neutral form of :mod:`paperradar.store.api.copying` is this store's own), the ids'
high-water marks (``sqlite_sequence``), counts, and the copy's progress (``store_copies``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import orjson

from paperradar.errors import StoreError
from paperradar.store.api.copying import DERIVED, TABLES, CopyProgress, Row, Table
from paperradar.store.sqlite.base import SqliteRepo

#: the tables whose ids are AUTOINCREMENT (a high-water mark in sqlite_sequence); the other
#: tables with ids (sightings, feedback) hand out max(id) + 1
_SEQUENCED = ("papers", "profiles", "digests", "outbox", "users")


def _names(names: Sequence[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


class SqliteCopying(SqliteRepo):
    """The SQLite CopyRepo."""

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction (WAL: later commits of other connections are not seen),
        begun between two bulk ingests: it waits for the papers gate, so no run's first
        batches are copied without the rest (a dead run's are undone first)."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        with self._db._papers_gate(wait=True):
            self._db._undo_dead_runs()
            conn.execute("BEGIN")
            conn.execute("SELECT count(*) FROM migrations").fetchone()  # the snapshot starts
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    def read(self, table: Table, after: Row | None, limit: int | None) -> list[Row]:
        key = _names(table.key)
        sql = f"SELECT {_names(table.names)} FROM {table.name}"
        params: list[object] = []
        if after is not None:
            sql += f" WHERE ({key}) > ({', '.join('?' for _ in table.key)})"
            params.extend(after)
        sql += f" ORDER BY {key}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [tuple(r) for r in self.conn.execute(sql, params)]

    def write(self, table: Table, rows: Sequence[Row]) -> None:
        marks = ", ".join("?" for _ in table.columns)
        with self._db.transaction():
            conn = self.conn
            conn.executemany(
                f"INSERT INTO {table.name} ({_names(table.names)}) VALUES ({marks})", rows
            )
            if table.name == "papers":  # as the papers repository indexes new papers
                conn.execute(
                    "INSERT INTO papers_fts(rowid, title, abstract, authors) "
                    "SELECT id, title, abstract, authors FROM papers "
                    "WHERE id IN (SELECT value FROM json_each(?))",
                    (orjson.dumps([r[0] for r in rows]).decode(),),
                )

    def counts(self) -> dict[str, int]:
        conn = self.conn
        return {
            name: int(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])
            for name in (*(t.name for t in TABLES), *DERIVED)
        }

    def marks(self) -> dict[str, int]:
        conn = self.conn
        out = {}
        for table in TABLES:
            if not table.ids:
                continue
            row = conn.execute(
                f"SELECT max(ifnull((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), "
                f"ifnull((SELECT max(id) FROM {table.name}), 0))",
                (table.name,),
            ).fetchone()
            out[table.name] = int(row[0])
        return out

    def raise_marks(self, marks: Mapping[str, int]) -> None:
        with self._db.transaction():
            conn = self.conn
            for name in _SEQUENCED:
                mark = int(marks.get(name, 0))
                if not mark:
                    continue
                found = conn.execute(
                    "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (mark, name)
                ).rowcount
                if not found:
                    conn.execute(
                        "INSERT INTO sqlite_sequence(name, seq) VALUES (?, ?)", (name, mark)
                    )

    def progress(self, origin: str) -> dict[str, CopyProgress]:
        rows = self.conn.execute(
            "SELECT tbl, last_key, rows, done FROM store_copies WHERE origin = ?", (origin,)
        )
        return {
            r["tbl"]: CopyProgress(
                tuple(orjson.loads(r["last_key"])) if r["last_key"] else None,
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
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(origin, tbl) DO UPDATE SET "
                "last_key = excluded.last_key, rows = excluded.rows, done = excluded.done, "
                "updated = excluded.updated",
                (
                    origin,
                    table,
                    None if key is None else key.decode(),
                    progress.rows,
                    int(progress.done),
                    dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                ),
            )

    def forget(self, origin: str) -> None:
        with self._db.transaction():
            self.conn.execute("DELETE FROM store_copies WHERE origin = ?", (origin,))

    def finish(self) -> None:
        """Check that the keyword index holds every paper (papers_fts has no insert
        trigger: :meth:`write` indexes them)."""
        conn = self.conn
        papers = int(conn.execute("SELECT count(*) FROM papers").fetchone()[0])
        indexed = int(conn.execute("SELECT count(*) FROM papers_fts_docsize").fetchone()[0])
        if indexed != papers:
            raise StoreError(
                f"the keyword index of {self._db.describe()} holds {indexed:,} papers of {papers:,}"
            )
