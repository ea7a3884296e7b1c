"""The CSL-JSON reader (Zotero's export)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from helpers import paths

from paperradar.errors import FormatError
from paperradar.models import Paper, Sighting
from paperradar.readers import csl_json, detect, read_head
from paperradar.readers.base import BadRecord, ReadContext, Record

FIXTURES = paths.FIXTURES
HERE = FIXTURES / "csl-json"
READER = csl_json.READER


def read(name: str) -> list[Record]:
    path = HERE / name
    with path.open(encoding="utf-8", newline="") as fh:
        return list(READER.parse(fh, ReadContext(origin=str(path))))


def read_items(*items: object) -> list[Record]:
    text = json.dumps(list(items), indent="\t")
    return list(READER.parse(io.StringIO(text), ReadContext(origin="mem.json")))


def papers(records: list[Record]) -> list[Paper]:
    return [r for r in records if isinstance(r, Paper)]


def test_zotero_preprint_maps_every_field() -> None:
    records = read("zotero_export.json")
    assert len(records) == 5 and all(isinstance(r, Paper) for r in records)
    trim = papers(records)[0]
    assert trim.title == "TRIM: Task-Conditioned Pruning of Tool Observations for Coding Agents"
    assert trim.abstract.startswith("Large language models increasingly act as agents")
    assert trim.authors == ["Maya Lindqvist", "Tobias Reinhardt", "Priya Natarajan"]
    assert (trim.arxiv_id, trim.arxiv_version) == ("2503.14162", None)
    assert trim.doi is None  # 10.48550/arXiv.ID is the arXiv id again, not a journal DOI
    assert trim.submitted == dt.date(2025, 3, 17)  # date-parts with the year as a string
    assert trim.categories == []  # "[cs]" in the note is an archive, not a category
    assert trim.keywords == [
        "Computer Science - Computation and Language",
        "Computer Science - Machine Learning",
    ]
    assert trim.journal_ref is None
    assert trim.links == {
        "abs": "https://arxiv.org/abs/2503.14162",
        "url": "http://arxiv.org/abs/2503.14162",
    }
    assert trim.sightings == [
        Sighting(source="csl-json", locator=str(HERE / "zotero_export.json"), rank=1)
    ]


def test_journal_article_names_and_partial_dates() -> None:
    _, article, proceedings, report, post = papers(read("zotero_export.json"))
    assert article.doi == "10.1038/s42256-024-00831-7" and article.arxiv_id is None
    assert article.abstract == ""  # no abstract in the export: the title carries it
    assert article.authors == [
        "Johanna D. van der Waals",
        "Åsa Ångström",
        "Chidi Okafor Jr.",
        "Zoë Müller-Øvergaard",
        "The OpenScholar Consortium",
    ]
    assert article.journal_ref == "Nature Machine Intelligence"
    assert article.links["doi"] == "https://doi.org/10.1038/s42256-024-00831-7"
    # year and month only: the first day of the month (the documented lower-bound rule)
    assert article.submitted == dt.date(2024, 5, 1)
    # year only: 1 January; a rich-text <i> tag is dropped from the title
    assert proceedings.submitted == dt.date(2019, 1, 1)
    assert proceedings.title == "When Does Retrieval Help? Selective kNN-LM Lookups"
    assert proceedings.authors == ["Wei Chen", "José María García"]
    assert proceedings.arxiv_id is None and proceedings.doi is None
    assert proceedings.links == {"url": "https://aclanthology.org/P19-1450"}
    # a bare id in "number" with publisher arXiv; the note's [cs.LG] is a category
    assert (report.arxiv_id, report.categories) == ("2410.05229", ["cs.LG"])
    assert post.title == "Notes on evaluating long-context models" and post.abstract == ""
    assert [p.sightings[0].rank for p in (article, proceedings, report, post)] == [2, 3, 4, 5]


def test_single_item_object() -> None:
    (paper,) = papers(read("single_item.json"))
    assert paper.arxiv_id == "2410.05229" and paper.submitted == dt.date(2024, 10, 7)


@pytest.mark.parametrize(
    ("fields", "arxiv"),
    [
        ({"number": "arXiv:2306.13455v2"}, ("2306.13455", 2)),
        ({"URL": "https://arxiv.org/pdf/2306.13455"}, ("2306.13455", None)),
        ({"note": "arXiv:2306.13455 [cs]"}, ("2306.13455", None)),
        ({"DOI": "10.48550/ARXIV.2306.13455"}, ("2306.13455", None)),
        ({"id": "arxiv:hep-th/9901001v1"}, ("hep-th/9901001", 1)),
        ({"number": "12"}, None),  # a journal issue number is not an id
    ],
)
def test_arxiv_id_found_anywhere(fields: dict[str, str], arxiv: tuple[str, int] | None) -> None:
    (paper,) = papers(read_items({"type": "article", "title": "A paper", **fields}))
    found = (paper.arxiv_id, paper.arxiv_version) if paper.arxiv_id else None
    assert found == arxiv


def test_numbers_accepted_where_csl_allows_them() -> None:
    (paper,) = papers(
        read_items({"id": 17, "type": "article-journal", "title": "T", "number": 4, "volume": 2})
    )
    assert paper.title == "T"


def test_bad_records_name_line_and_field() -> None:
    records = read("bad_records.json")
    assert isinstance(records[0], Paper)
    assert records[1:] == [
        BadRecord(48, "item 2: 'title' is not a string: ['Two', 'titles']"),
        BadRecord(71, "item 3: 'issued' is not a date: [['Spring', 2020]]"),
        BadRecord(90, "item 4: 'DOI' is not a DOI: 'see publisher site'"),
        BadRecord(105, "item 5: 'issued' is not a date: [[2021, 2, 30]]"),
        BadRecord(119, "item 6: no title and no abstract"),
    ]


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ({"title": "T", "author": "Jane Roe"}, "'author' is not a list of names"),
        ({"title": "T", "author": ["Jane Roe"]}, "'author' entry 1 is not a name object"),
        ({"title": "T", "author": [{"family": 3}]}, "'author' entry 1: 'family' is not a string"),
        ({"title": "T", "issued": "2020"}, "'issued' is not a date: '2020'"),
        ({"title": "T", "issued": {"raw": "someday"}}, "'issued' is not a date: 'someday'"),
        ("just a string", "expected a JSON object, found str"),
    ],
)
def test_wrong_types_are_bad_records(item: object, reason: str) -> None:
    (record,) = read_items(item)
    assert isinstance(record, BadRecord) and record.line == 2
    assert record.reason == f"item 1: {reason}"


def test_raw_and_empty_issued() -> None:
    raw, empty = papers(
        read_items(
            {"type": "article", "title": "Raw", "issued": {"raw": "2021-01-05"}},
            {"type": "article", "title": "Undated", "issued": {"date-parts": [[]]}},
        )
    )
    assert raw.submitted == dt.date(2021, 1, 5) and empty.submitted is None


def test_invalid_json_is_a_format_error_at_its_line() -> None:
    with pytest.raises(FormatError) as err:
        read("broken.json")
    assert err.value.line == 9 and err.value.reason.startswith("invalid JSON")


def test_sniff_accepts_csl() -> None:
    for name in ("zotero_export.json", "single_item.json", "bad_records.json"):
        assert READER.sniff((HERE / name).read_text(encoding="utf-8")[:16384], name), name
    compact = '[{"id":"x","type":"paper-conference","title":"T","issued":{"date-parts":[[2019]]}}]'
    assert READER.sniff(compact, "refs.json")


def test_sniff_rejects_other_formats() -> None:
    others = [p for p in FIXTURES.glob("*/*") if p.parent.name != "csl-json" and p.is_file()]
    assert any(p.parent.name == "hf-daily" for p in others)
    for path in others:
        head = path.read_bytes()[:16384].decode("utf-8", errors="replace")
        assert not READER.sniff(head, path.name), path
    # JSON with a "type" that is not a CSL item, and arxiv-cs-daily-style records
    assert not READER.sniff('[{"type": "article", "title": "T", "authors": ["A B"]}]', "a.json")
    daily = '{"id": "2503.11731", "title": "T", "authors": ["A B"], "crawl_date": "2025-03-18"}'
    assert not READER.sniff(daily, "a.jsonl")


def test_registry_detects_this_format() -> None:
    for path in sorted(HERE.iterdir()):
        assert detect(read_head(path), path.name).name == "csl-json", path
