"""Each kind of damage issue 15 found (deep nesting, huge numbers, lone surrogates, other
encodings, NULs, huge fields, gzip damage, empty files), once, in every format's first real
file, read as that format and as recognised: papers or a clean error, every run. The damage
PostgreSQL's types refuse (NULs, lone surrogates, numbers past BIGINT, a field past tsvector's
1 MB) runs on a PostgreSQL store too (tests/helpers/backends.py)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import backends
from helpers.backends import PerBackend

from paperradar.readers import FORMAT_NAMES
from paperradar.store.api import Store

from .contract import Broken, check, save
from .inputs import FIXED_DAMAGE, SOURCES, Case, seed_bytes

pytestmark = pytest.mark.fuzz

#: the damage that also runs on PostgreSQL (text it cannot hold, numbers past BIGINT, a field
#: past tsvector's 1 MB)
PG_DAMAGE = ["nul bytes", "lone surrogate escape", "number of 5000 digits", "a field of 9 MiB"]
assert set(PG_DAMAGE) <= set(FIXED_DAMAGE)
BACKEND_DAMAGE = [
    (backend, damage)
    for backend in backends.BACKENDS
    for damage in FIXED_DAMAGE
    if backend == backends.SQLITE or damage in PG_DAMAGE
]


@pytest.fixture(scope="module")
def stores() -> Iterator[PerBackend[tuple[Store, Path]]]:
    """One store per backend for the module (a failed read leaves it as it was)."""
    with tempfile.TemporaryDirectory(prefix="paperradar-fuzz-") as tmp:

        def open_one(backend: str) -> tuple[Store, Path]:
            home = backends.make_home(Path(tmp) / backend / "home", backend)
            return backends.open_home(home), home.parent

        made = PerBackend(open_one)
        try:
            yield made
        finally:
            for store, _ in made.built():
                store.close()


@pytest.mark.parametrize(("backend", "damage"), BACKEND_DAMAGE)
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_fixed_damage_gives_papers_or_a_clean_error(
    fmt: str, backend: str, damage: str, stores: PerBackend[tuple[Store, Path]]
) -> None:
    store, folder = stores(backend)
    source = SOURCES[fmt][0]
    data = FIXED_DAMAGE[damage](seed_bytes(source))
    for forced in (fmt, None):
        case = Case(data=data, name=source.name, fmt=forced, steps=(source.name, damage))
        try:
            check(store, folder, case)
        except Broken as broken:
            kept = save(fmt, case, broken.signature)
            raise AssertionError(f"{damage}: {broken} [kept as {kept}]") from broken
