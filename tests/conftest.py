"""Shared fixtures: a temporary home, the ``paperradar`` command bound to it, the shipped
data, a local HTTP server. What is not a fixture is in tests/helpers/.

A test that asks for ``backend``, parametrized (``@on_both_backends`` of
tests/helpers/backends.py), gets a ``home`` on that backend: ``sqlite`` (the file in the home)
or ``postgres`` (a database of its own on the test server, named by the home's config.toml)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import backends
from helpers.cli import Cli
from helpers.paths import ARXIV_SLICE, CLI_FIXTURES, SEED_FILES


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The storage backend of the test's ``home``: ``sqlite`` unless the test is parametrized
    (``@on_both_backends``)."""
    return str(getattr(request, "param", backends.SQLITE))


@pytest.fixture
def home(tmp_path: Path, backend: str) -> Iterator[Path]:
    """A fresh, empty paperradar home (the store is created on first use). On the test's
    ``backend``: for ``sqlite`` the folder does not exist yet; for ``postgres`` it does, and
    its config.toml names a new, empty database, dropped after the test (a test that writes
    its own config keeps that ``[store]`` table through ``backends.write_config``)."""
    path = tmp_path / "home"
    if backend == backends.SQLITE:
        yield path
        return
    backends.make_home(path, backend)
    try:
        yield path
    finally:
        backends.forget(path)


@pytest.fixture
def home_copies(tmp_path: Path) -> Iterator[Callable[[Path, str], Path]]:
    """``copy(template, name)``: a copy of a prepared home, its store included, as
    ``tmp_path / name``; a PostgreSQL copy's database is dropped after the test."""
    made: list[Path] = []

    def copy(template: Path, name: str) -> Path:
        made.append(backends.copy_home(template, tmp_path / name))
        return made[-1]

    try:
        yield copy
    finally:
        for path in made:
            backends.forget(path)


@pytest.fixture
def cli(home: Path) -> Cli:
    """The command, run in this process against the temporary home."""
    return Cli(home)


@pytest.fixture
def cli_process(home: Path) -> Cli:
    """The real command, run as a subprocess against the temporary home."""
    return Cli(home, process=True)


@pytest.fixture(scope="session")
def make_cli() -> type[Cli]:
    """Bind the command to another home (for module-scoped stores)."""
    return Cli


@pytest.fixture(scope="session")
def cli_fixtures() -> Path:
    """The small files written for these tests (tests/fixtures/cli)."""
    return CLI_FIXTURES


@pytest.fixture(scope="session")
def seed_files() -> list[Path]:
    """The five seed documents the repository ships (data/seeds/0*.txt)."""
    assert len(SEED_FILES) == 5
    return SEED_FILES


@pytest.fixture(scope="session")
def arxiv_slice() -> Path:
    """The shipped two-week slice of arxiv-cs-daily (2,518 papers, JSON Lines, gzip)."""
    assert ARXIV_SLICE.is_file()
    return ARXIV_SLICE


@pytest.fixture
def http_server() -> Any:
    """A real HTTP server on 127.0.0.1 with scripted replies (see tests/helpers/httpserver.py)."""
    from helpers.httpserver import LocalServer

    server = LocalServer().start()
    yield server
    server.stop()
