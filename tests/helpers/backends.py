"""The end-to-end tests on both storage backends: a home whose store is the SQLite file in it
(``sqlite``) or a database of its own on the PostgreSQL test server (``postgres``: the home's
config.toml says ``[store] url = "postgresql://..."``; tests/helpers/pgserver.py starts the
server), and what the tests need to look at a home's store either way.

A test opts in by asking for the ``backend`` fixture, parametrized (tests/conftest.py):
``@on_both_backends``; the ``home`` fixture then gives a home on that backend. Each PostgreSQL
home is a whole database (not a schema), so a prepared home can be copied
(:func:`copy_home`: ``CREATE DATABASE ... TEMPLATE``) as a SQLite home's folder is. Every
database made here is dropped at the end of the test that made it (:func:`forget`) or, at the
latest, when the test process exits.

``PAPERRADAR_TEST_BACKENDS=sqlite`` leaves the PostgreSQL variants out (as in tests/store/);
on a server named by ``PAPERRADAR_TEST_PG_URL`` its user needs ``CREATEDB``.
SQL here is the tests' own view of the tables, never the product's way to reach them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sqlite3
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from helpers import pgserver
from paperradar.store import open_store
from paperradar.store.api import Store

SQLITE, POSTGRES = "sqlite", "postgres"
#: the backends the end-to-end tests run on (``PAPERRADAR_TEST_BACKENDS``, comma-separated)
BACKENDS = [
    name.strip()
    for name in os.environ.get("PAPERRADAR_TEST_BACKENDS", f"{SQLITE},{POSTGRES}").split(",")
    if name.strip()
]
#: a test that runs once per backend (its ``home`` and ``backend`` fixtures follow)
on_both_backends = pytest.mark.parametrize("backend", BACKENDS)

DB_FILE = "paperradar.db"
#: how long a check waits for a killed process's server sessions to end, in seconds
SETTLE_S = 30.0

T = TypeVar("T")

#: the databases made here and not dropped yet
_made: set[str] = set()


def _drop_all() -> None:
    for name in sorted(_made):
        with contextlib.suppress(psycopg.Error):
            _drop(name)


def _admin() -> psycopg.Connection[Any]:
    return psycopg.connect(pgserver.server_url(), autocommit=True)


def _drop(name: str) -> None:
    with _admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _made.discard(name)


def database_url(name: str) -> str:
    """The test server's URL, naming the database ``name``."""
    parts = urlsplit(pgserver.server_url())
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def new_database(template: str | None = None) -> str:
    """A new database on the test server (empty with pgvector, or a copy of ``template``'s
    database, which nobody may be connected to); its URL."""
    name = f"d_{uuid.uuid4().hex[:16]}"
    # the server first, then the handler that drops what is left at exit: atexit runs the
    # newest first, so the databases go before the server's own handler stops it
    pgserver.server_url()
    if not _made:
        atexit.unregister(_drop_all)
        atexit.register(_drop_all)
    with _admin() as conn:
        if template is None:
            conn.execute(f"CREATE DATABASE {name}")
        else:
            source = database_of(template)
            _settle(template)
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {source}")
    _made.add(name)
    url = database_url(name)
    if template is None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
    return url


def forget(home: Path) -> None:
    """Drop the database of ``home`` (nothing for a SQLite home)."""
    url = store_url(home)
    if url is not None and database_of(url) in _made:
        _drop(database_of(url))


# --------------------------------------------------------------------------- homes


def store_url(home: Path) -> str | None:
    """The ``[store] url`` of the home's config.toml (None: the SQLite file)."""
    config = home / "config.toml"
    if not config.is_file():
        return None
    url = tomllib.loads(config.read_text(encoding="utf-8")).get("store", {}).get("url")
    return str(url) if url else None


def backend_of(home: Path) -> str:
    return SQLITE if store_url(home) is None else POSTGRES


def _store_table(url: str | None) -> str:
    return f'\n[store]\nurl = "{url}"\n' if url else ""


def make_home(home: Path, backend: str) -> Path:
    """The folder ``home`` made, with its store on ``backend`` (a new database for
    ``postgres``; the SQLite file is made by the first command, as always)."""
    home.mkdir(parents=True, exist_ok=True)
    if backend == POSTGRES:
        write_config(home, _store_table(new_database()))
    elif backend != SQLITE:
        raise AssertionError(f"no such backend: {backend!r}")
    return home


def write_config(home: Path, text: str) -> Path:
    """Write the home's config.toml as ``text``, keeping the ``[store]`` table it had (the
    tests that write their own config stay on the test's backend)."""
    home.mkdir(parents=True, exist_ok=True)
    kept = "" if "[store]" in text else _store_table(store_url(home))
    (home / "config.toml").write_text(text + kept, encoding="utf-8")
    return home


def copy_home(template: Path, target: Path) -> Path:
    """A copy of a prepared home: its folder, and on PostgreSQL its database (config.toml of
    the copy names the copy)."""
    shutil.copytree(template, target)
    url = store_url(template)
    if url is not None:
        text = (target / "config.toml").read_text(encoding="utf-8")
        (target / "config.toml").write_text(
            text.replace(f'"{url}"', f'"{new_database(template=url)}"'), encoding="utf-8"
        )
    return target


def open_home(home: Path) -> Store:
    """The home's store, as the commands open it."""
    return open_store(home)


# --------------------------------------------------------------------------- looking in


@contextlib.contextmanager
def connect(home: Path) -> Iterator[Any]:
    """A plain connection to the home's store (sqlite3 or psycopg), for the tests' checks;
    ``execute(sql)`` works on both, for SQL without parameters."""
    url = store_url(home)
    if url is None:
        conn = sqlite3.connect(home / DB_FILE, isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()
    else:
        with psycopg.connect(url, autocommit=True) as pg:
            yield pg


def rows(home: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` (no parameters) on the home's store."""
    with connect(home) as conn:
        return [tuple(row) for row in conn.execute(sql).fetchall()]


def one(home: Path, sql: str) -> Any:
    """The single value of ``sql``."""
    (row,) = rows(home, sql)
    return row[0]


def count(home: Path, table: str, where: str = "") -> int:
    return int(one(home, f"SELECT count(*) FROM {table} {'WHERE ' + where if where else ''}"))


def _tables(home: Path, conn: Any) -> list[str]:
    if store_url(home) is None:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        skip: tuple[str, ...] = ("sqlite_", "papers_fts")  # SQLite's and FTS5's own
    else:
        sql = (
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
        skip = ()
    names = [str(name) for (name,) in conn.execute(sql).fetchall()]
    return sorted(n for n in names if n != "migrations" and not n.startswith(skip))


def tables(home: Path) -> list[str]:
    """The store's tables (SQLite's FTS5 shadow tables and the migrations' list left out)."""
    with connect(home) as conn:
        return _tables(home, conn)


def contents(home: Path) -> dict[str, list[tuple[str, ...]]]:
    """Every table's rows, as text, sorted: equal before and after means nothing changed."""
    with connect(home) as conn:
        return {
            table: sorted(
                tuple(map(repr, row)) for row in conn.execute(f"SELECT * FROM {table}").fetchall()
            )
            for table in _tables(home, conn)
        }


def _settle(url: str) -> None:
    """Wait until no session but this check's is connected to the database of ``url``: a
    killed process's server sessions end when the server notices (after the statement it was
    running, whose transaction is then rolled back)."""
    deadline = time.monotonic() + SETTLE_S
    name = database_of(url)
    with _admin() as conn:
        while True:
            (others,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                "pg_backend_pid()",
                (name,),
            ).fetchone() or (0,)
            if not others:
                return
            assert time.monotonic() < deadline, f"{others} sessions still on {name}"
            time.sleep(0.05)


def check_integrity(home: Path) -> None:
    """The store's own integrity checks pass. SQLite: ``PRAGMA integrity_check`` and FTS5's
    ``integrity-check``. PostgreSQL (after the sessions of a killed process have ended):
    amcheck over every table (``verify_heapam``), B-tree index (``bt_index_check`` with
    ``heapallindexed``: every row is in the index) and GIN index (``gin_index_check``)."""
    url = store_url(home)
    if url is None:
        with connect(home) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('integrity-check')")
        return
    _settle(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        relations = conn.execute(
            "SELECT c.oid::regclass::text, c.relkind, am.amname FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_am am ON am.oid = c.relam"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i')"
        ).fetchall()
        assert any(kind == "r" for _, kind, _ in relations), "no tables: not a store"
        for name, kind, method in relations:
            if kind == "r":
                bad = conn.execute("SELECT * FROM verify_heapam(%s::regclass)", (name,)).fetchall()
                assert not bad, (name, bad)
            elif method == "btree":
                conn.execute("SELECT bt_index_check(%s::regclass, true)", (name,))
            elif method == "gin":
                conn.execute("SELECT gin_index_check(%s::regclass)", (name,))


class PerBackend(Generic[T]):
    """Something a module builds once per backend, when a test first asks for it (a
    module-scoped fixture returns one; the tests' ``backend`` picks)."""

    def __init__(self, build: Callable[[str], T]) -> None:
        self._build = build
        self._built: dict[str, T] = {}

    def __call__(self, backend: str) -> T:
        if backend not in self._built:
            self._built[backend] = self._build(backend)
        return self._built[backend]

    def built(self) -> list[T]:
        return list(self._built.values())
