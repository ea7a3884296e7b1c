"""Bulk ingest runs: bounded transactions that stay all-or-nothing.

A run commits step by step (one batch of records a step), so another writer -- a like from
the web, a CLI ``like`` -- waits for one step at most, never for the whole file. Every row the
run inserts, updates or deletes in the paper tables is journalled in ``ingest_undo`` by
temporary triggers on the run's own connection, in the same transaction as the change. A run
that fails undoes itself, newest step first, one transaction a step. A run stopped by Ctrl-C
undoes what it can in 0.3 s and leaves the rest, like a run whose process died, to
the next process that opens the store, or to a store already open elsewhere once it notices
the stopped run (the papers gate, an flock, tells a dead run from a live one). While a run
is going on, the papers it has stored so far are visible to readers.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from paperradar.errors import StoreError

if TYPE_CHECKING:
    from paperradar.store.sqlite.store import SqliteStore

#: the tables a run's changes are journalled in: the papers and every row that refers to one
#: (paper_categories follows papers by its own triggers; papers_fts is kept in step below)
JOURNALLED = ("papers", "aliases", "sightings", "profile_papers", "feedback", "digest_items")
#: after each committed step the run waits this long, so a writer polling for the lock gets in
STEP_PAUSE_S = 0.005
_TRIGGER = "paperradar_undo"


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]


def _tables(conn: sqlite3.Connection) -> list[_Table]:
    tables = []
    for name in JOURNALLED:
        info = conn.execute(f"PRAGMA main.table_info({name})").fetchall()
        columns = tuple(str(row[1]) for row in info)
        key = tuple(str(row[1]) for row in sorted(info, key=lambda r: r[5]) if row[5])
        if not key:
            raise StoreError(f"table {name} has no primary key to journal by")
        tables.append(_Table(name, columns, key))
    return tables


def _values(prefix: str, columns: tuple[str, ...]) -> str:
    return "json_array(" + ", ".join(f"{prefix}.{c}" for c in columns) + ")"


_STEP = "temp.paperradar_run_step"


def _create_triggers(conn: sqlite3.Connection, tables: list[_Table], run: int) -> None:
    """Journal this connection's changes to the paper tables under ``run`` and the step in
    ``temp.paperradar_run_step`` (set by :func:`_set_step` before each step: the triggers
    are made once a run, as making them again would re-prepare every statement). The papers
    a step creates (ids from ``first_new`` on, one range: the run holds the papers gate) are
    journalled as that range at the end of the step (:meth:`SqliteIngestRun.step`), and rows
    inserted under them not at all: deleting the range deletes them by the cascade."""
    _drop_triggers(conn, tables)
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_STEP[5:]} (step INTEGER, first_new INTEGER)")
    conn.execute(f"DELETE FROM {_STEP}")
    conn.execute(f"INSERT INTO {_STEP} VALUES (0, 0)")
    step = f"(SELECT step FROM {_STEP})"
    for t in tables:
        log = f"INSERT INTO ingest_undo(run_id, step, op, tbl, data) VALUES ({run}, {step}"
        parent = "id" if t.name == "papers" else "paper_id" if "paper_id" in t.columns else None
        when = f"WHEN new.{parent} < (SELECT first_new FROM {_STEP}) " if parent else ""
        conn.execute(
            f"CREATE TEMP TRIGGER {_TRIGGER}_{t.name}_i AFTER INSERT ON main.{t.name} {when}"
            f"BEGIN {log}, 'i', '{t.name}', {_values('new', t.key)}); END"
        )
        conn.execute(
            f"CREATE TEMP TRIGGER {_TRIGGER}_{t.name}_u AFTER UPDATE ON main.{t.name} BEGIN "
            f"{log}, 'u', '{t.name}', "
            f"json_array({_values('new', t.key)}, {_values('old', t.columns)})); END"
        )
        conn.execute(
            f"CREATE TEMP TRIGGER {_TRIGGER}_{t.name}_d AFTER DELETE ON main.{t.name} BEGIN "
            f"{log}, 'd', '{t.name}', {_values('old', t.columns)}); END"
        )


def _set_step(conn: sqlite3.Connection, step: int, first_new: int) -> None:
    conn.execute(f"UPDATE {_STEP} SET step = ?, first_new = ?", (step, first_new))


def _drop_triggers(conn: sqlite3.Connection, tables: list[_Table]) -> None:
    for t in tables:
        for op in "iud":
            conn.execute(f"DROP TRIGGER IF EXISTS temp.{_TRIGGER}_{t.name}_{op}")


class SqliteIngestRun:
    """One bulk ingest in progress: :meth:`step` is one bounded, journalled transaction.
    A run without an id lives inside a caller's transaction: its steps join it."""

    def __init__(self, store: SqliteStore, run_id: int | None) -> None:
        self._store = store
        self.id = run_id
        self._conn = store.conn
        self._tables = _tables(self._conn) if run_id is not None else []
        self._steps = 0
        if run_id is not None:
            _create_triggers(self._conn, self._tables, run_id)

    @contextmanager
    def step(self) -> Iterator[None]:
        """One transaction of the run; committed at the end of the block (kept undoable
        until the run ends), then a short pause that lets waiting writers in."""
        if self.id is None:
            with self._store.transaction():
                yield
            return
        if self._store.conn is not self._conn:
            raise StoreError("an ingest run's steps must run in the thread that started it")
        self._steps += 1
        # no one else creates papers meanwhile: the run holds the papers gate
        first_new = _last_paper_id(self._conn) + 1
        _set_step(self._conn, self._steps, first_new)
        with self._store.transaction():
            yield
            self._conn.execute(
                "INSERT INTO ingest_undo(run_id, step, op, tbl, data) "
                "SELECT ?, ?, 'r', 'papers', json_array(min(id), max(id)) FROM papers "
                "WHERE id >= ? HAVING count(*) > 0",
                (self.id, self._steps, first_new),
            )
        time.sleep(STEP_PAUSE_S)

    def close(self) -> None:
        _drop_triggers(self._conn, self._tables)


def _last_paper_id(conn: sqlite3.Connection) -> int:
    """The largest id ever given to a paper (AUTOINCREMENT: ids never return)."""
    row = conn.execute(
        "SELECT max(ifnull((SELECT seq FROM sqlite_sequence WHERE name = 'papers'), 0), "
        "ifnull((SELECT max(id) FROM papers), 0))"
    ).fetchone()
    return int(row[0])


def start_run(store: SqliteStore, origin: str) -> SqliteIngestRun:
    """Record a new run (the caller holds the papers gate)."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with store.transaction():
        cursor = store.conn.execute(
            "INSERT INTO ingest_runs(origin, started) VALUES (?, ?)", (origin[:1000], now)
        )
        run_id = cursor.lastrowid
    assert run_id is not None
    return SqliteIngestRun(store, run_id)


def finish_run(store: SqliteStore, run_id: int) -> None:
    """The run succeeded: forget its journal, in bounded transactions, then the run."""
    while True:
        with store.transaction():
            done = store.conn.execute(
                "DELETE FROM ingest_undo WHERE seq IN "
                "(SELECT seq FROM ingest_undo WHERE run_id = ? LIMIT 50000)",
                (run_id,),
            ).rowcount
            if done < 50000:
                store.conn.execute("DELETE FROM ingest_runs WHERE id = ?", (run_id,))
                return
        time.sleep(STEP_PAUSE_S)


def unfinished_runs(store: SqliteStore) -> list[int]:
    return [int(r[0]) for r in store.conn.execute("SELECT id FROM ingest_runs ORDER BY id")]


def undo_run(store: SqliteStore, run_id: int, seconds: float | None = None) -> bool:
    """Put back everything the run changed, newest step first, one transaction a step (so an
    undo cut short resumes where it stopped); then forget the run. ``seconds``: stop after
    the step that passes that budget, leaving the rest to the next undo. Whether it is done."""
    conn = store.conn
    tables = {t.name: t for t in _tables(conn)}
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        if deadline is not None and time.monotonic() >= deadline:
            return False
        with store.transaction():
            conn.execute("PRAGMA defer_foreign_keys = ON")  # a step's rows come back together
            row = conn.execute(
                "SELECT max(step) FROM ingest_undo WHERE run_id = ?", (run_id,)
            ).fetchone()
            if row[0] is None:
                conn.execute("DELETE FROM ingest_runs WHERE id = ?", (run_id,))
                return True
            step = int(row[0])
            entries = conn.execute(
                "SELECT op, tbl, data FROM ingest_undo WHERE run_id = ? AND step = ? "
                "ORDER BY seq DESC",
                (run_id, step),
            ).fetchall()
            _undo_entries(conn, tables, entries)
            conn.execute("DELETE FROM ingest_undo WHERE run_id = ? AND step = ?", (run_id, step))


def _undo_entries(
    conn: sqlite3.Connection, tables: dict[str, _Table], entries: list[sqlite3.Row]
) -> None:
    """Apply the inverse of each entry, in the given (newest first) order; consecutive
    inserts into one table are deleted by one statement."""
    pending: list[Any] = []
    pending_table: _Table | None = None

    def flush() -> None:
        if pending_table is None or not pending:
            return
        keys = ", ".join(pending_table.key)
        conn.execute(
            f"DELETE FROM {pending_table.name} WHERE ({keys}) IN "
            f"(SELECT {', '.join(f'value ->> {i}' for i in range(len(pending_table.key)))} "
            "FROM json_each(?))",
            (orjson.dumps(pending).decode(),),
        )
        pending.clear()

    for op, name, data in entries:
        table = tables.get(str(name))
        if table is None:
            raise StoreError(f"the ingest journal names an unknown table {name!r}")
        values = orjson.loads(data)
        if op == "r":  # the papers a step created: one range of ids
            flush()
            pending_table = None
            conn.execute(f"DELETE FROM {table.name} WHERE id BETWEEN ? AND ?", values)
            continue
        if op == "i":
            if pending_table is not table:
                flush()
                pending_table = table
            pending.append(values)
            continue
        flush()
        pending_table = None
        if op == "u":
            key, old = values
            assignments = ", ".join(f"{c} = ?" for c in table.columns)
            where = " AND ".join(f"{c} = ?" for c in table.key)
            conn.execute(f"UPDATE {table.name} SET {assignments} WHERE {where}", (*old, *key))
        elif op == "d":
            marks = ", ".join("?" for _ in table.columns)
            conn.execute(
                f"INSERT OR REPLACE INTO {table.name}({', '.join(table.columns)}) VALUES ({marks})",
                values,
            )
            if table.name == "papers":  # new rows are indexed by the store, not a trigger
                row = dict(zip(table.columns, values, strict=True))
                conn.execute(
                    "INSERT INTO papers_fts(rowid, title, abstract, authors) VALUES (?, ?, ?, ?)",
                    (row["id"], row["title"], row["abstract"], row["authors"]),
                )
        else:
            raise StoreError(f"the ingest journal has an unknown operation {op!r}")
    flush()
