"""Every input the fuzzer ever broke a reader with (tests/fuzz/regressions/<format>/),
replayed through the ingest path: each must now give papers or a clean error."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from paperradar import Store

from .contract import REGRESSIONS, case_of, check, regression_files

pytestmark = pytest.mark.fuzz


@pytest.mark.parametrize("path", regression_files(), ids=lambda p: str(p.relative_to(REGRESSIONS)))
def test_a_kept_input_now_keeps_the_contract(path: Path) -> None:
    case = case_of(path)
    with tempfile.TemporaryDirectory(prefix="paperradar-fuzz-") as tmp:
        store = Store.open(Path(tmp) / "home")
        try:
            check(store, Path(tmp), case)
        finally:
            store.close()
