"""Which store a home opens: the SQLite file, or PostgreSQL when a URL names one (--store,
$PAPERRADAR_STORE, [store] url), on the real test server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import paths, pgserver
from helpers.cli import run_cli

from paperradar.errors import ConfigError
from paperradar.store import SqliteStore, open_store, store_url
from paperradar.store.postgres.store import PgStore


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pgserver.schema() as url:
        yield url


def test_no_url_is_the_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERRADAR_STORE", raising=False)
    with open_store(tmp_path) as store:
        assert isinstance(store, SqliteStore)
    assert (tmp_path / "paperradar.db").exists()


def test_the_environment_names_postgres(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_STORE", pg_url)
    with open_store(tmp_path) as store:
        assert isinstance(store, PgStore)
        assert store.describe().startswith("postgresql://")
    assert not (tmp_path / "paperradar.db").exists()


def test_config_names_postgres(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERRADAR_STORE", raising=False)
    (tmp_path / "config.toml").write_text(f'[store]\nurl = "{pg_url}"\n')
    assert store_url(tmp_path) == pg_url
    with open_store(tmp_path) as store:
        assert isinstance(store, PgStore)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ('url = "mysql://db/radar"', r"\[store\] url: expected a postgresql:// URL, got 'mysql'"),
        ("url = 5", r"\[store\] url: expected a postgresql:// URL, got 5"),
    ],
)
def test_another_kind_of_url_is_a_config_error(
    tmp_path: Path, setting: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERRADAR_STORE", raising=False)
    (tmp_path / "config.toml").write_text(f"[store]\n{setting}\n")
    with pytest.raises(ConfigError, match=message):
        open_store(tmp_path)


def test_the_cli_ingests_and_searches_on_postgres(tmp_path: Path, pg_url: str) -> None:
    """`--store URL` for every store the command opens: an ingest, then a search, with
    nothing written to the home's SQLite file."""
    home = tmp_path / "home"
    ingest = run_cli(home, "--store", pg_url, "ingest", "--quiet", paths.ARXIV_SLICE)
    assert ingest.code == 0, ingest.stderr
    found = run_cli(home, "--store", pg_url, "search", "--mode", "keyword", "quantum", "--json")
    assert found.code == 0, found.stderr
    hits = [hit["id"] for hit in json.loads(found.stdout)]
    assert not (home / "paperradar.db").exists()
    local = tmp_path / "local"  # the same on the SQLite file: the same best match
    assert run_cli(local, "ingest", "--quiet", paths.ARXIV_SLICE).code == 0
    found = run_cli(local, "search", "--mode", "keyword", "quantum", "--json")
    expected = [hit["id"] for hit in json.loads(found.stdout)]
    assert hits[0] == expected[0]
    assert len(set(hits) & set(expected)) >= 0.8 * len(expected)
    stats = run_cli(home, "--store", pg_url, "stats", "--json")
    assert stats.code == 0, stats.stderr
    assert json.loads(stats.stdout)["papers"] == 2518


def test_a_server_that_is_not_there_is_one_line_at_once(tmp_path: Path) -> None:
    missing = f"postgresql://radar@/radar?host={tmp_path / 'nowhere'}"
    began = time.monotonic()
    result = run_cli(tmp_path / "home", "--store", missing, "stats")
    assert result.code == 1
    assert time.monotonic() - began < 10
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot open the store at postgresql://")
    assert "Traceback" not in result.stderr
