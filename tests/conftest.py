"""Shared fixtures: a temporary home, the ``paperradar`` command bound to it, the shipped
data, a local HTTP server. What is not a fixture is in tests/helpers/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.cli import Cli
from helpers.paths import ARXIV_SLICE, CLI_FIXTURES, SEED_FILES


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh, empty paperradar home (the store is created on first use)."""
    return tmp_path / "home"


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
