"""Every input the fuzzer ever broke a reader with (tests/fuzz/regressions/<format>/),
replayed through the ingest path: each must now give papers or a clean error, on SQLite (a
fresh store each) and on PostgreSQL (one store for them all: a failed read leaves it as it
was; tests/helpers/backends.py)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import backends

from paperradar import Store
from paperradar.store.api import Store as AnyStore

from .contract import REGRESSIONS, case_of, check, regression_files

pytestmark = pytest.mark.fuzz


def name_of(path: Path) -> str:
    return str(path.relative_to(REGRESSIONS))


@pytest.mark.parametrize("path", regression_files(), ids=name_of)
def test_a_kept_input_now_keeps_the_contract(path: Path) -> None:
    case = case_of(path)
    with tempfile.TemporaryDirectory(prefix="paperradar-fuzz-") as tmp:
        store = Store.open(Path(tmp) / "home")
        try:
            check(store, Path(tmp), case)
        finally:
            store.close()


@pytest.fixture(scope="module")
def pg_store() -> Iterator[tuple[AnyStore, Path]]:
    with tempfile.TemporaryDirectory(prefix="paperradar-fuzz-") as tmp:
        home = backends.make_home(Path(tmp) / "home", backends.POSTGRES)
        store = backends.open_home(home)
        try:
            yield store, Path(tmp)
        finally:
            store.close()
            backends.forget(home)


@pytest.mark.skipif(backends.POSTGRES not in backends.BACKENDS, reason="PostgreSQL left out")
@pytest.mark.parametrize("path", regression_files(), ids=name_of)
def test_a_kept_input_keeps_the_contract_on_postgres(
    path: Path, pg_store: tuple[AnyStore, Path]
) -> None:
    store, folder = pg_store
    check(store, folder, case_of(path))
