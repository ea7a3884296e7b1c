"""The SQLite store: one file in WAL mode holding papers, aliases, sightings and FTS5."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from paperradar.errors import ConfigError, StoreBusyError, StoreError
from paperradar.store.sqlite.migrate import migrate
from paperradar.store.sqlite.papers import Prepared as Prepared  # re-exported
from paperradar.store.sqlite.runs import (
    SqliteIngestRun,
    finish_run,
    start_run,
    undo_run,
    unfinished_runs,
)

DB_NAME = "paperradar.db"
#: how long a connection waits for another's write lock before giving up, in seconds
BUSY_TIMEOUT_S = 10.0
#: the environment variable that sets another busy timeout (seconds)
BUSY_TIMEOUT_ENV = "PAPERRADAR_STORE_BUSY_TIMEOUT"
#: WAL pages a commit may leave before it copies them into the database (SQLite: 1,000): a
#: bulk ingest commits every batch, and checkpointing after each would write the same hot
#: pages (index interiors, FTS segments) to the file dozens of times over
WAL_AUTOCHECKPOINT_PAGES = 10_000
#: how often a writer waiting for the write lock, or for the papers gate, tries again
_POLL_S = 0.002
_GATE_POLL_S = 0.02
#: how long an ingest run stopped by Ctrl-C spends undoing itself before it exits; the rest
#: is undone by the next process to open the store (or by an open store that notices it)
CTRL_C_UNDO_S = 0.3
#: SQLite's primary result codes for a database another connection has locked
_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED


def busy_timeout() -> float:
    """The busy timeout: ``$PAPERRADAR_STORE_BUSY_TIMEOUT`` seconds, else 10."""
    text = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not text:
        return BUSY_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise ConfigError(f"{BUSY_TIMEOUT_ENV} must be 0-3600 seconds, not {text!r}")
    return value


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _BUSY_CODES
    return "locked" in str(exc) or "busy" in str(exc)


def _write_error(message: str, exc: sqlite3.Error) -> StoreError:
    """StoreBusyError(``message``) when another writer held the lock past the busy timeout,
    else StoreError(``message``)."""
    return StoreBusyError(message) if _is_busy(exc) else StoreError(message)


class SqliteStore:
    """A paperradar store in the SQLite file at ``path``; created and migrated on open.

    One object may be shared by threads: each thread gets its own connection (made on first
    use), so a web request never waits for another's connection. :meth:`version` reads a
    dedicated connection that never writes, so it sees every commit of every other
    connection, in this process or another.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.home = path.parent
        if sqlite3.sqlite_version_info < (3, 38, 0):
            raise StoreError(
                f"paperradar needs SQLite 3.38 or newer; this Python has {sqlite3.sqlite_version}"
            )
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        self._busy_ms = int(busy_timeout() * 1000)
        self._gate = threading.Lock()
        self._gate_owner: int | None = None
        self._gate_depth = 0
        self._seen_version = -1
        self._undoer: threading.Thread | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            migrate(self.conn)
            self._watcher = self._connect()
            self._watcher_lock = threading.Lock()
        except (sqlite3.Error, OSError) as exc:
            self.close()
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        self._wire()
        try:
            self._undo_dead_runs()
        except BaseException:
            self.close()
            raise

    def _wire(self) -> None:
        """Attach the repositories (each holds its own caches, validated by version())."""
        from paperradar.store.sqlite.accounts import SqliteAccounts
        from paperradar.store.sqlite.copying import SqliteCopying
        from paperradar.store.sqlite.delivery import SqliteDelivery
        from paperradar.store.sqlite.keyword import SqliteKeyword
        from paperradar.store.sqlite.papers import SqlitePapers
        from paperradar.store.sqlite.radar import SqliteRadar
        from paperradar.store.sqlite.scheduling import SqliteScheduling
        from paperradar.store.sqlite.vectors import SqliteVectors

        self.papers = SqlitePapers(self)
        self.keyword = SqliteKeyword(self)
        self.vectors = SqliteVectors(self)
        self.radar = SqliteRadar(self)
        self.delivery = SqliteDelivery(self)
        self.scheduling = SqliteScheduling(self)
        self.accounts = SqliteAccounts(self)
        self.copying = SqliteCopying(self)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (for the backend's repositories only)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StoreError(f"the store at {self.path} is closed")
            try:
                conn = self._connect()
            except (sqlite3.Error, OSError) as exc:
                raise StoreError(f"cannot open the store at {self.path}: {exc}") from exc
            self._local.conn = conn
        return conn

    @classmethod
    def open(cls, home: Path) -> SqliteStore:
        return cls(home / DB_NAME)

    def describe(self) -> str:
        return str(self.path)

    def version(self) -> Hashable:
        """Changes whenever anything is committed to the store, by any connection of any
        thread or process: the ``data_version`` of the watcher connection, which never
        writes, so every commit is another connection's. The same value in every thread, so
        caches shared by threads stay valid across them -- except inside this thread's open
        transaction, whose own writes no other connection sees yet: there the value also
        names the thread and its write count, so a cache read there is never one from before
        those writes."""
        with self._watcher_lock:
            committed = int(self._watcher.execute("PRAGMA data_version").fetchone()[0])
            if committed != self._seen_version:
                self._seen_version = committed
                stopped = self._watcher.execute("SELECT 1 FROM ingest_runs LIMIT 1").fetchone()
                if stopped is not None:
                    self._undo_in_background()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and conn.in_transaction:
            return committed, threading.get_ident(), conn.total_changes
        return committed

    def _lock_file(self, name: str) -> BinaryIO:
        """``<db>.<name>.lock``, opened (created if need be) for an flock."""
        path = self.path.with_name(f"{self.path.name}.{name}.lock")
        try:
            return path.open("a+b")
        except OSError as exc:
            raise StoreError(f"cannot open the {name} lock {path}: {exc}") from exc

    @contextmanager
    def lock(self, name: str) -> Iterator[bool]:
        """Hold ``<db>.<name>.lock`` (an flock, dropped by the OS if the process dies);
        yields False when another process or thread holds it."""
        with self._lock_file(name) as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True

    def close(self) -> None:
        self._closed = True
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, papers: bool = False) -> Iterator[None]:
        """One write transaction: committed whole or rolled back whole. ``papers``: it writes
        papers, so it also holds the papers gate (waiting for a bulk ingest in progress to
        end, unless it is called inside a transaction: then a busy gate is a
        :class:`StoreBusyError`)."""
        if papers:
            with self._papers_gate(wait=not self.conn.in_transaction), self._transaction():
                yield
            return
        with self._transaction():
            yield

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        try:
            self._begin(conn)
        except sqlite3.Error as exc:
            raise _write_error(f"cannot write to the store at {self.path}: {exc}", exc) from exc
        try:
            yield
            conn.execute("COMMIT")
        except BaseException as exc:
            # a closed connection has nothing to roll back (closing discarded it): so a
            # transaction left suspended by Ctrl-C, closed by the collector after the store,
            # ends quietly instead of printing a traceback at exit
            with contextlib.suppress(sqlite3.ProgrammingError):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                failed = f"writing to the store at {self.path} failed: {exc}"
                raise _write_error(failed, exc) from exc
            raise

    def _begin(self, conn: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE, trying again every 2 ms up to the busy timeout. SQLite's own
        busy handler sleeps up to 100 ms between tries and so misses the short gaps a bulk
        ingest leaves between its steps; polling finds them."""
        deadline = time.monotonic() + self._busy_ms / 1000
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.Error as exc:
                    if not _is_busy(exc) or time.monotonic() >= deadline:
                        raise
                time.sleep(_POLL_S)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")

    @contextmanager
    def _papers_gate(self, wait: bool) -> Iterator[None]:
        """Hold the papers gate: one writer of papers at a time across threads and processes
        (a thread lock, then ``<db>.papers.lock``, an flock the OS drops if the process
        dies). Re-entrant in the thread that holds it. ``wait=False``: StoreBusyError when
        it is held elsewhere."""
        me = threading.get_ident()
        if self._gate_owner == me:
            self._gate_depth += 1
            try:
                yield
            finally:
                self._gate_depth -= 1
            return
        busy = StoreBusyError(
            f"another ingest is writing papers to the store at {self.path}; try again when it ends"
        )
        while not self._gate.acquire(timeout=_GATE_POLL_S if wait else 0):
            if not wait:
                raise busy
        try:
            with self._lock_file("papers") as handle:
                while True:
                    try:
                        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if not wait:
                            raise busy from None
                        time.sleep(_GATE_POLL_S)
                self._gate_owner, self._gate_depth = me, 1
                try:
                    yield
                finally:
                    self._gate_owner, self._gate_depth = None, 0
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            self._gate.release()

    @contextmanager
    def ingest_run(self, origin: str) -> Iterator[SqliteIngestRun]:
        """A bulk ingest of ``origin``: its :meth:`~SqliteIngestRun.step` blocks each commit
        on their own, and the whole run is undone if the block raises (an error, Ctrl-C) or
        the process dies (then by the next process to open the store). Holds the papers
        gate throughout. Inside a caller's transaction the steps simply join it."""
        if self.conn.in_transaction:
            with self._papers_gate(wait=False):
                yield SqliteIngestRun(self, None)
            return
        with self._papers_gate(wait=True):
            for stale in unfinished_runs(self):
                undo_run(self, stale)
            run = start_run(self, origin)
            run_id = run.id
            assert run_id is not None
            try:
                yield run
            except KeyboardInterrupt:  # stop at once: what is left is undone by the next open
                run.close()
                undo_run(self, run_id, seconds=CTRL_C_UNDO_S)
                raise
            except BaseException:
                run.close()
                undo_run(self, run_id)
                raise
            run.close()
            finish_run(self, run_id)

    def _undo_in_background(self) -> None:
        """Undo stopped runs on a thread of its own, if no run of this process is live and no
        such thread is already at it (a live run in another process holds the gate: then the
        thread finds it busy and ends)."""
        if self._gate.locked() or (self._undoer is not None and self._undoer.is_alive()):
            return

        def undo() -> None:
            # a failure (the store closed, a disk error) leaves the journal for the next try
            with contextlib.suppress(StoreError, sqlite3.Error):
                self._undo_dead_runs()

        self._undoer = threading.Thread(target=undo, name="paperradar-undo", daemon=True)
        self._undoer.start()

    def _undo_dead_runs(self) -> None:
        """Undo the runs of processes that died mid-ingest (a live run holds the gate)."""
        if not unfinished_runs(self):
            return
        try:
            with self._papers_gate(wait=False):
                for stale in unfinished_runs(self):
                    undo_run(self, stale)
        except StoreBusyError:
            return


#: ``paperradar.Store``: the embedded default, opened from a path or with ``Store.open(home)``
Store = SqliteStore
