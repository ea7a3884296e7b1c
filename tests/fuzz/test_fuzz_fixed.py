"""Each kind of damage issue 15 found (deep nesting, huge numbers, lone surrogates, other
encodings, NULs, huge fields, gzip damage, empty files), once, in every format's first real
file, read as that format and as recognised: papers or a clean error, every run."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperradar import Store
from paperradar.readers import FORMAT_NAMES

from .contract import Broken, check, save
from .inputs import FIXED_DAMAGE, SOURCES, Case, seed_bytes

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module")
def store_and_folder() -> Iterator[tuple[Store, Path]]:
    with tempfile.TemporaryDirectory(prefix="paperradar-fuzz-") as tmp:
        store = Store.open(Path(tmp) / "home")
        try:
            yield store, Path(tmp)
        finally:
            store.close()


@pytest.mark.parametrize("damage", FIXED_DAMAGE)
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_fixed_damage_gives_papers_or_a_clean_error(
    fmt: str, damage: str, store_and_folder: tuple[Store, Path]
) -> None:
    store, folder = store_and_folder
    source = SOURCES[fmt][0]
    data = FIXED_DAMAGE[damage](seed_bytes(source))
    for forced in (fmt, None):
        case = Case(data=data, name=source.name, fmt=forced, steps=(source.name, damage))
        try:
            check(store, folder, case)
        except Broken as broken:
            kept = save(fmt, case, broken.signature)
            raise AssertionError(f"{damage}: {broken} [kept as {kept}]") from broken
