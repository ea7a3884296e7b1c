"""Every reader over damaged real files, through the ingest path (see tests/fuzz/inputs.py
for the damage and tests/fuzz/contract.py for the contract)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given

from paperradar import Store
from paperradar.readers import FORMAT_NAMES

from .contract import Broken, check, save
from .inputs import SOURCES, Case, cases
from .profiles import fuzz_settings

pytestmark = pytest.mark.fuzz


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_damaged_files_give_papers_or_a_clean_error(fmt: str) -> None:
    with tempfile.TemporaryDirectory(prefix="paperradar-fuzz-") as tmp:
        folder = Path(tmp)
        store = Store.open(folder / "home")
        files = folder / "files"
        files.mkdir()

        @fuzz_settings(ci=30, fuzz=300)
        @given(cases(fmt))
        def read(case: Case) -> None:
            try:
                check(store, files, case)
            except Broken as broken:
                kept = save(fmt, case, broken.signature)
                raise AssertionError(f"{broken} [kept as {kept}]") from broken

        try:
            read()
        finally:
            store.close()


def test_every_format_has_real_files_to_damage() -> None:
    assert set(SOURCES) == set(FORMAT_NAMES)
    for fmt, files in SOURCES.items():
        assert files, fmt
