"""The PostgreSQL store: psycopg 3 and a connection pool, pgvector for the vectors.

Selected by a ``postgresql://`` URL (``[store] url``, ``--store``, ``PAPERRADAR_STORE``); the
home still holds config.toml and the file caches. Every thread gets a connection of its own
from the pool (autocommit; transactions are begun explicitly, as in the SQLite store), held
until the store is closed. Writers of different rows never wait for each other (MVCC and row
locks); writers of papers take one transaction-scoped advisory lock, so deduplication sees
every other writer's papers, as SQLite's single writer does. A bulk ingest is therefore one
transaction: nobody else waits for it but another writer of papers.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from paperradar.errors import StoreBusyError, StoreError

#: connections the pool may hold: one per thread that uses the store (the web app's workers)
POOL_MAX = 64
#: how long the first connection may take to be made, in seconds
CONNECT_TIMEOUT_S = 10
#: how long a thread waits for a free connection, in seconds
POOL_TIMEOUT_S = 30.0
#: seconds a statement waits for a lock (another transaction's row) before it fails as busy
LOCK_TIMEOUT_S = 10
#: the channel committed changes are announced on (see migrations/0001_store.sql)
CHANNEL = "paperradar_changes"

Conn = psycopg.Connection[dict[str, Any]]
# the pool logs each failed connection attempt: to the application's logging where there is
# any, never as Python's last-resort lines on a command's stderr (the store says it once)
logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())
IDLE = psycopg.pq.TransactionStatus.IDLE


def lock_key(name: str) -> int:
    """A stable 64-bit advisory-lock key for ``name`` (namespaced: ``paperradar:NAME``)."""
    digest = hashlib.blake2b(f"paperradar:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


#: the advisory lock every writer of papers holds for its transaction
PAPERS_KEY = lock_key("papers")
#: the advisory lock migrations run under
MIGRATE_KEY = lock_key("migrate")


def redacted(url: str) -> str:
    """``url`` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def _busy(exc: psycopg.Error) -> bool:
    return isinstance(
        exc,
        pg_errors.LockNotAvailable
        | pg_errors.QueryCanceled
        | pg_errors.DeadlockDetected
        | pg_errors.SerializationFailure,
    )


def _write_error(message: str, exc: psycopg.Error) -> StoreError:
    return StoreBusyError(message) if _busy(exc) else StoreError(message)


class PgStore:
    """A paperradar store on the PostgreSQL server at ``url``; migrated on open."""

    def __init__(self, url: str, home: Path) -> None:
        self.url = url
        self.home = home
        self._local = threading.local()
        self._closed = False
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the home {home}: {exc}") from exc
        self._held: list[Conn] = []
        self._held_lock = threading.Lock()
        self._changes = 0  # commits seen: the notifications received
        self._changes_lock = threading.Lock()
        try:  # one plain connection first: a server that is not there fails at once, clearly
            psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S).close()
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"cannot open the store at {redacted(url)}: {reason}") from exc
        try:
            self._pool: ConnectionPool[Conn] = ConnectionPool(
                url,
                min_size=1,
                max_size=POOL_MAX,
                timeout=POOL_TIMEOUT_S,
                kwargs={"autocommit": True, "row_factory": dict_row},
                configure=self._configure,
                open=False,
            )
            self._pool.open(wait=True, timeout=POOL_TIMEOUT_S)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"cannot open the store at {redacted(url)}: {exc}") from exc
        try:
            self._migrate()
            self._watcher: Conn = psycopg.connect(url, autocommit=True, row_factory=dict_row)
            self._watcher.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as exc:
            self.close()
            raise StoreError(f"cannot open the store at {redacted(url)}: {exc}") from exc
        self._wire()

    @staticmethod
    def _configure(conn: Conn) -> None:
        conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S}s'")

    def _wire(self) -> None:
        """Attach the repositories."""
        from paperradar.store.postgres.accounts import PgAccounts
        from paperradar.store.postgres.copying import PgCopying
        from paperradar.store.postgres.delivery import PgDelivery
        from paperradar.store.postgres.keyword import PgKeyword
        from paperradar.store.postgres.papers import PgPapers
        from paperradar.store.postgres.radar import PgRadar
        from paperradar.store.postgres.scheduling import PgScheduling
        from paperradar.store.postgres.vectors import PgVectors

        self.papers = PgPapers(self)
        self.keyword = PgKeyword(self)
        self.vectors = PgVectors(self)
        self.radar = PgRadar(self)
        self.delivery = PgDelivery(self)
        self.scheduling = PgScheduling(self)
        self.accounts = PgAccounts(self)
        self.copying = PgCopying(self)

    # -- connections ----------------------------------------------------------------------

    @property
    def conn(self) -> Conn:
        """This thread's connection (for the backend's repositories only)."""
        conn: Conn | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            if self._closed:
                raise StoreError(f"the store at {self.describe()} is closed")
            try:
                conn = self._pool.getconn()
            except (psycopg.Error, PoolTimeout) as exc:
                raise StoreError(f"cannot reach the store at {self.describe()}: {exc}") from exc
            with self._held_lock:
                self._held.append(conn)
            self._local.conn = conn
        return conn

    def describe(self) -> str:
        return redacted(self.url)

    def close(self) -> None:
        self._closed = True
        with self._held_lock:
            held, self._held = self._held, []
        for conn in held:
            try:
                if not conn.closed:
                    conn.rollback()
                self._pool.putconn(conn)
            except psycopg.Error:
                pass
        self._pool.close()
        watcher = getattr(self, "_watcher", None)
        if watcher is not None:
            watcher.close()
        self._local = threading.local()

    def __enter__(self) -> PgStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- migrations -----------------------------------------------------------------------

    def _migrate(self) -> list[str]:
        """Apply the migrations not yet applied, under an advisory lock (two processes
        starting at once: the second waits, then finds nothing to do)."""
        folder = resources.files("paperradar.store.postgres") / "migrations"
        files = sorted(
            (entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8"))
            for entry in folder.iterdir()
            if entry.name.endswith(".sql")
        )
        conn = self.conn
        applied: list[str] = []
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_KEY,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS migrations "
                "(name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            done = {row["name"] for row in conn.execute("SELECT name FROM migrations")}
            for name, sql in files:
                if name in done:
                    continue
                conn.execute(sql)  # our own files, never user text
                conn.execute("INSERT INTO migrations(name) VALUES (%s)", (name,))
                applied.append(name)
        return applied

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def transaction(self, papers: bool = False) -> Iterator[None]:
        """One write transaction: committed whole or rolled back whole. ``papers``: it
        writes papers, so it holds the papers lock until it ends (waiting for another
        writer of papers, up to the lock timeout)."""
        conn = self.conn
        if conn.info.transaction_status != IDLE:
            if papers:
                self._lock_papers(conn)
            yield
            return
        try:
            conn.execute("BEGIN")
            if papers:
                self._lock_papers(conn)
        except psycopg.Error as exc:
            if conn.info.transaction_status != IDLE:
                conn.execute("ROLLBACK")
            message = f"cannot write to the store at {self.describe()}: {exc}"
            raise _write_error(message, exc) from exc
        try:
            yield
            conn.execute("COMMIT")
        except BaseException as exc:
            if not conn.closed and conn.info.transaction_status != IDLE:
                conn.execute("ROLLBACK")
            if isinstance(exc, psycopg.Error):
                failed = f"writing to the store at {self.describe()} failed: {exc}"
                raise _write_error(failed, exc) from exc
            raise

    @staticmethod
    def _lock_papers(conn: Conn) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (PAPERS_KEY,))

    @contextmanager
    def ingest_run(self, origin: str) -> Iterator[PgIngestRun]:
        """A bulk ingest: one transaction holding the papers lock (PostgreSQL's row locks
        let every other writer go on beside it), undone whole if the block raises."""
        with self.transaction(papers=True):
            yield PgIngestRun()

    # -- change detection and locks -------------------------------------------------------

    def version(self) -> Hashable:
        """Changes whenever anything is committed, by any connection of any process: the
        number of ``paperradar_changes`` notifications the watcher connection has received
        (sent at commit). A round trip on the watcher first, so every commit finished before
        this call has had its notification delivered. Inside this thread's open transaction
        the value also names the thread and the connection, as the SQLite store's does."""
        with self._changes_lock:
            try:
                self._watcher.execute("SELECT 1")
                for _ in self._watcher.notifies(timeout=0):
                    self._changes += 1
            except psycopg.Error as exc:
                raise StoreError(f"lost the connection to {self.describe()}: {exc}") from exc
            committed = self._changes
        conn: Conn | None = getattr(self._local, "conn", None)
        if conn is not None and conn.info.transaction_status != IDLE:
            return committed, threading.get_ident(), conn.pgconn.backend_pid
        return committed

    @contextmanager
    def lock(self, name: str) -> Iterator[bool]:
        """Hold the advisory lock ``paperradar:NAME`` on a connection of its own (released
        with it, and by the server if this process dies); yields False when it is held."""
        try:
            conn = self._pool.getconn()
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"cannot take the {name} lock on {self.describe()}: {exc}") from exc
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s) AS held", (lock_key(name),))
            held = bool(row.fetchone()["held"])  # type: ignore[index]
            try:
                yield held
            finally:
                if held and not conn.closed:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(name),))
        finally:
            self._pool.putconn(conn)


class PgIngestRun:
    """A bulk ingest on PostgreSQL: its steps join the run's one transaction."""

    @contextmanager
    def step(self) -> Iterator[None]:
        yield
