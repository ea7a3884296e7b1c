"""ingest_files: transactions, sightings, round trips, errors as the library reports them."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import orjson
import pytest
from helpers import paths

from paperradar import FormatError, Store, StoreError, ingest_files, paper_to_dict
from paperradar.search import Filters, keyword_search

DATA = paths.DATA
SLICE = DATA / "arxiv-cs-daily-2026-06-18_2026-07-01.jsonl.gz"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "home")


def test_the_shipped_slice_ingests_with_listing_dates(store: Store) -> None:
    report = ingest_files(store, [SLICE])
    assert (report.read, report.new, report.merged, report.skipped) == (2518, 2518, 0, 0)
    days = store.conn.execute("SELECT count(DISTINCT listed) AS n FROM papers").fetchall()[0]["n"]
    assert days == 9
    paper = store.papers.get("2606.19882")
    assert paper.listed is not None and paper.listed.isoformat() == "2026-06-19"
    assert paper.categories[:1] == ["cs.CV"] and paper.arxiv_id == "2606.19882"


def test_same_file_by_relative_and_absolute_path_is_one_sighting(
    store: Store, tmp_path: Path
) -> None:
    target = tmp_path / "papers.jsonl.gz"
    target.write_bytes(SLICE.read_bytes())
    ingest_files(store, [target])
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        again = ingest_files(store, [Path("papers.jsonl.gz")])
    finally:
        os.chdir(cwd)
    assert again.new == 0
    assert store.conn.execute("SELECT count(*) AS n FROM sightings").fetchall()[0]["n"] == 2518


def test_show_json_output_ingests_back(store: Store, tmp_path: Path) -> None:
    ingest_files(store, [SLICE])
    exported = tmp_path / "one.json"
    paper = store.papers.get("2606.19882")
    exported.write_bytes(orjson.dumps(paper_to_dict(paper), option=orjson.OPT_INDENT_2))
    other = Store.open(tmp_path / "other")
    report = ingest_files(other, [exported])
    assert report.new == 1
    back = other.papers.get("2606.19882")
    assert (back.title, back.abstract, back.authors) == (paper.title, paper.abstract, paper.authors)
    assert back.listed == paper.listed


def test_category_filter_ignores_case(store: Store) -> None:
    ingest_files(store, [SLICE])
    lower = keyword_search(store, "concept bottleneck", filters=Filters(category="cs.cv"))
    upper = keyword_search(store, "concept bottleneck", filters=Filters(category="CS.CV"))
    assert lower and [h.paper.id for h in lower] == [h.paper.id for h in upper]


def test_missing_file_with_a_forced_format_is_a_format_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"missing\.json: cannot open"):
        ingest_files(store, [tmp_path / "missing.json"], fmt="paperradar-json")


def test_a_locked_store_is_a_store_error(store: Store, tmp_path: Path) -> None:
    blocker = sqlite3.connect(store.path, timeout=0.1)
    blocker.execute("BEGIN IMMEDIATE")
    store.conn.execute("PRAGMA busy_timeout = 100")
    try:
        with pytest.raises(StoreError, match="cannot write to the store"):
            ingest_files(store, [SLICE])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.papers.count() == 0


def test_a_bad_record_in_the_second_file_keeps_the_first_out(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    good = {
        "id": "2601.00001",
        "title": "Fine",
        "authors": ["A B"],
        "categories": ["cs.CL"],
        "abstract": "Text.",
        "comment": "None",
        "crawl_date": "2026-01-02",
    }
    bad.write_text(orjson.dumps(good).decode() + "\n{oops\n")
    with pytest.raises(FormatError) as caught:
        ingest_files(store, [SLICE, bad])
    assert str(caught.value).endswith(
        "bad.jsonl:2: invalid JSON: unexpected character, expected a string key"
    )
    assert store.papers.count() == 0
    report = ingest_files(store, [SLICE, bad], skip_bad=True)
    assert (report.new, report.skipped) == (2519, 1)
    assert report.bad == [f"{bad}:2: invalid JSON: unexpected character, expected a string key"]
