"""The seed documents (shipped in data/seeds): the researcher's list and three listing pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from helpers import paths

from paperradar import Store, ingest_files
from paperradar.readers import ReadContext, detect, read_head, read_path
from paperradar.readers.base import BadRecord

SEEDS = paths.SEEDS
SEED_FILES = sorted(SEEDS.glob("00*.txt"))
TODAY = dt.date(2026, 11, 22)


def read_all(name: str) -> list[Any]:
    """Every record of a seed file (Paper or BadRecord: the tests know which)."""
    path = SEEDS / name
    opened = read_path(path, ctx=ReadContext(origin=str(path), reference_date=TODAY))
    return list(opened.records)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store.open(tmp_path_factory.mktemp("home"))
    ingest_files(store, SEED_FILES, reference_date=TODAY)
    return store


def test_every_seed_file_is_detected() -> None:
    formats = {p.name[:3]: detect(read_head(p), p.name).name for p in SEED_FILES}
    assert formats == {
        "000": "abstracts",
        "001": "abstracts",
        "002": "listing",
        "003": "listing",
        "004": "listing",
    }


@pytest.mark.parametrize(
    ("prefix", "entries"), [("000", 10), ("001", 10), ("002", 87), ("003", 231), ("004", 61)]
)
def test_entry_counts(prefix: str, entries: int) -> None:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    records = read_all(path.name)
    assert not [r for r in records if isinstance(r, BadRecord)]
    assert len(records) == entries


def test_all_five_files_give_376_unique_papers(seeded: Store) -> None:
    assert seeded.papers.count() == 376


def test_listing_titles_are_unique_by_title(seeded: Store) -> None:
    titled = seeded.conn.execute("SELECT count(*) AS n FROM papers WHERE title != ''").fetchall()[
        0
    ]["n"]
    untitled = seeded.conn.execute("SELECT count(*) AS n FROM papers WHERE title = ''").fetchall()[
        0
    ]["n"]
    assert (titled, untitled) == (363, 13)  # 14 own abstracts, one merged into a titled entry


def test_own_abstract_merges_with_its_titled_listing_entry(seeded: Store) -> None:
    rows = seeded.conn.execute(
        "SELECT pid FROM papers WHERE title = "
        "'Computational Bottlenecks of Training Small-scale Large Language Models'"
    ).fetchall()
    assert len(rows) == 1
    paper = seeded.papers.get(rows[0]["pid"])
    assert paper.abstract.startswith("While large language models")
    assert not paper.abstract_truncated
    assert {s.source for s in paper.sightings} == {"abstracts", "listing"}
    own = [s for s in paper.sightings if s.source == "abstracts"]
    assert len(own) == 2  # the paper is on both pages of the publication list


def test_full_layout_fields() -> None:
    records = read_all("002_cb8c4f90c784550f.txt")
    first, second, third = records[:3]
    assert first.title == "When, Why and How Much? Adaptive Learning Rate Scheduling by Refinement"
    assert first.author_count == 4
    assert first.submitted == dt.date(2023, 10, 11)
    assert not first.submitted_year_inferred
    assert second.author_count == 7
    # "alibaba-inc alibaba-inc" / "Sep 29 1": organisation, a date without a year, an upvote
    assert third.organisation == "alibaba-inc"
    assert third.upvotes == 1
    assert third.submitted == dt.date(2025, 9, 29)  # page date "Nov 27" -> 2025-11-27
    assert third.submitted_year_inferred
    sighting = third.sightings[0]
    assert (sighting.source, sighting.rank, sighting.upvotes) == ("listing", 3, 1)
    assert sighting.seen_on == dt.date(2025, 11, 27)
    assert sighting.seen_on_inferred


def test_organisation_with_full_name_and_upvotes_after_a_full_date() -> None:
    records = read_all("004_2b0629a46ae4dc49.txt")
    adamp = records[0]
    assert adamp.organisation == "NAVER AI Lab"
    assert adamp.submitted == dt.date(2020, 6, 15)
    with_votes = [r for r in records if r.upvotes and not r.submitted_year_inferred]
    assert with_votes, "entries like 'Oct 14, 2024 4' carry a year and upvotes"
    no_meta = [r for r in records if r.submitted is None]
    assert [r.title for r in no_meta][:1] == [
        "Step-3 is Large yet Affordable: Model-system Co-design for Cost-effective Decoding"
    ]


def test_compact_layout_strips_the_glued_chrome() -> None:
    records = read_all("003_1f7f8f86d87ea2bb.txt")
    assert records[0].title == (
        "On Retrieval Augmentation and the Limitations of Language Model Training"
    )
    assert records[1].title == "Discrete Key-Value Bottleneck"
    assert all(r.submitted is None and r.author_count is None for r in records)
    # every abstract in these pages is whole: ending in a full stop, a brace or a URL
    assert not [r.title for r in records if r.abstract_truncated]


def test_reingesting_the_seeds_adds_nothing(seeded: Store) -> None:
    before = seeded.conn.execute("SELECT count(*) AS n FROM sightings").fetchall()[0]["n"]
    report = ingest_files(seeded, SEED_FILES, reference_date=TODAY)
    assert report.new == 0
    assert seeded.papers.count() == 376
    assert seeded.conn.execute("SELECT count(*) AS n FROM sightings").fetchall()[0]["n"] == before
