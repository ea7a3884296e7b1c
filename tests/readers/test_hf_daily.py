"""The Hugging Face Daily Papers reader (/api/daily_papers JSON)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from helpers import paths

from paperradar.errors import FormatError
from paperradar.models import Paper, Sighting
from paperradar.readers import detect, hf_daily, read_head
from paperradar.readers.base import BadRecord, ReadContext, Record

FIXTURES = paths.FIXTURES
HERE = FIXTURES / "hf-daily"
READER = hf_daily.READER


def read(name: str) -> list[Record]:
    path = HERE / name
    with path.open(encoding="utf-8", newline="") as fh:
        return list(READER.parse(fh, ReadContext(origin=str(path))))


def read_text(text: str) -> list[Record]:
    return list(READER.parse(io.StringIO(text), ReadContext(origin="mem.json")))


def papers(records: list[Record]) -> list[Paper]:
    return [r for r in records if isinstance(r, Paper)]


def test_full_item_maps_every_field() -> None:
    records = read("daily_papers_2025-03-18.json")
    assert len(records) == 5 and all(isinstance(r, Paper) for r in records)
    trim = papers(records)[0]
    assert trim.hf_id == "2503.14162"
    assert (trim.arxiv_id, trim.arxiv_version) == ("2503.14162", None)
    assert trim.title == "TRIM: Task-Conditioned Pruning of Tool Observations for Coding Agents"
    assert trim.abstract.startswith("Large language models increasingly act as agents")
    assert "\n" not in trim.abstract and "  " not in trim.abstract
    assert trim.authors == ["Maya Lindqvist", "Tobias Reinhardt", "Priya Natarajan"]
    assert trim.submitted == dt.date(2025, 3, 17)  # paper.publishedAt: the arXiv date
    assert trim.listed == dt.date(2025, 3, 18)  # paper.submittedOnDailyAt: the listing day
    assert trim.upvotes == 42
    assert trim.organisation == "Nordic NLP Lab"  # fullname over the slug
    assert trim.keywords == ["tool observations", "context pruning", "coding agents", "LLM agents"]
    assert trim.links == {
        "abs": "https://arxiv.org/abs/2503.14162",
        "hf": "https://huggingface.co/papers/2503.14162",
        "code": "https://github.com/trim-agents/trim",
        "project": "https://trim-agents.github.io/",
    }
    assert trim.withdrawn is False
    assert trim.sightings == [
        Sighting(
            source="hf-daily",
            locator=str(HERE / "daily_papers_2025-03-18.json"),
            seen_on=dt.date(2025, 3, 18),
            rank=1,
            upvotes=42,
        )
    ]


def test_awkward_items() -> None:
    anchor, reward, kestrel, moe = papers(read("daily_papers_2025-03-18.json"))[1:]
    # a versioned id, unicode names (a hidden author is still an author), an item-level
    # organisation without fullname, githubRepo given as owner/name
    assert (anchor.arxiv_id, anchor.arxiv_version, anchor.hf_id) == ("2503.13390", 2, "2503.13390")
    assert anchor.title == (
        "Anchor-Frame Forcing: Long Camera-Controlled Video Generation without Drift"
    )
    assert anchor.authors == [
        "Zoë Ferreira-Łukasik",
        "Nguyễn Thị Minh Anh",
        "王 立群",
        "Søren Østergaard",
    ]
    assert anchor.organisation == "vidlab"
    assert anchor.links["code"] == "https://github.com/vidlab/anchor-forcing"
    assert anchor.sightings[0].rank == 2
    # an empty paper summary falls back to the item's summary; no keywords, no repo
    assert reward.abstract.startswith("We study how reward models")
    assert reward.keywords == [] and "code" not in reward.links
    assert reward.organisation is None
    # no arXiv id: only the HF id and link; title without abstract is a paper
    assert kestrel.arxiv_id is None and kestrel.hf_id == "67d9f4a2c81b3e5d7f9a0b1c"
    assert kestrel.links == {"hf": "https://huggingface.co/papers/67d9f4a2c81b3e5d7f9a0b1c"}
    assert kestrel.abstract == "" and kestrel.title.startswith("Open Weights Report")
    assert kestrel.external_aliases() == ["hf:67d9f4a2c81b3e5d7f9a0b1c"]
    # an older item without submittedOnDailyAt: the item's publishedAt is the listing day;
    # zero upvotes stay 0 (not None); withdrawnAt marks it withdrawn
    assert moe.listed == dt.date(2025, 3, 18) and moe.submitted == dt.date(2025, 3, 14)
    assert moe.upvotes == 0 and moe.sightings[0].upvotes == 0
    assert moe.withdrawn is True


def test_compact_api_response_reads_the_same() -> None:
    compact = papers(read("daily_papers_2025-03-18.min.json"))
    pretty = papers(read("daily_papers_2025-03-18.json"))[:2]
    for a, b in zip(compact, pretty, strict=True):
        assert (a.hf_id, a.title, a.abstract, a.authors, a.listed, a.upvotes) == (
            b.hf_id,
            b.title,
            b.abstract,
            b.authors,
            b.listed,
            b.upvotes,
        )


def test_page_props_wrapper_and_its_ranks() -> None:
    records = read("papers_page_props.json")
    assert [p.hf_id for p in papers(records)] == ["2503.12877", "67d9f4a2c81b3e5d7f9a0b1c"]
    assert [p.sightings[0].rank for p in papers(records)] == [1, 2]


def test_json_lines_with_a_cut_line() -> None:
    records = read("daily_papers.jsonl")
    assert [type(r).__name__ for r in records] == ["Paper"] * 3 + ["BadRecord", "Paper"]
    bad = records[3]
    assert isinstance(bad, BadRecord) and bad.line == 4
    assert bad.reason.startswith("item 4: invalid JSON")
    assert papers(records)[-1].sightings[0].rank == 5


def test_bad_records_name_line_and_field() -> None:
    records = read("bad_records.json")
    assert isinstance(records[0], Paper)
    assert records[1:] == [
        BadRecord(98, "item 2: 'paper.id' is missing"),
        BadRecord(145, "item 3: 'paper.publishedAt' is not a date: 'yesterday'"),
        BadRecord(185, "item 4: 'paper.upvotes' is not an integer: '27'"),
        BadRecord(259, "item 5: expected a JSON object, found a string"),
        BadRecord(260, "item 6: no title and no summary"),
    ]


@pytest.mark.parametrize(
    ("paper_json", "reason"),
    [
        ('"upvotes": 12.5', "'paper.upvotes' is not an integer: 12.5"),
        ('"upvotes": true', "'paper.upvotes' is not an integer: True"),
        ('"authors": "Jane Roe"', "'paper.authors' is not a list"),
        ('"authors": [{"_id": "x", "hidden": false}]', "'paper.authors' entry 1 has no name"),
        ('"ai_keywords": "agents"', "'paper.ai_keywords' is not a list of strings"),
        ('"title": 7', "'paper.title' is not a string: 7"),
        ('"submittedOnDailyAt": "2025-02-30T00:00:00.000Z"', "'paper.submittedOnDailyAt' is not"),
        ('"organization": ["x"]', "'paper.organization' is not an object"),
    ],
)
def test_wrong_types_are_bad_records(paper_json: str, reason: str) -> None:
    text = '[{"paper": {"id": "2503.00001", "summary": "An abstract.", ' + paper_json + "}}]"
    (record,) = read_text(text)
    assert isinstance(record, BadRecord) and record.line == 1
    assert record.reason.startswith(f"item 1: {reason}")


def test_integral_float_upvotes_and_bare_paper_object() -> None:
    (paper,) = papers(read_text('[{"paper": {"id": "2503.00001", "title": "T", "upvotes": 3.0}}]'))
    assert paper.upvotes == 3
    # /api/papers/{id} answers the paper object itself; --format hf-daily reads it too
    (bare,) = papers(read_text('{"id": "2503.00002", "title": "Bare", "upvotes": 1}'))
    assert (bare.arxiv_id, bare.title, bare.listed) == ("2503.00002", "Bare", None)


def test_truncated_response_is_a_format_error() -> None:
    with pytest.raises(FormatError) as err:
        read("truncated.json")
    assert err.value.line == 137 and "invalid JSON" in err.value.reason


@pytest.mark.parametrize(
    ("text", "line"),
    [("", 1), ("\n\n  ", 1), ("<html>\n</html>", 1), ('[{"paper": {}}\n\n{"x": 1}]', 3)],
)
def test_not_json_is_a_format_error(text: str, line: int) -> None:
    with pytest.raises(FormatError) as err:
        read_text(text)
    assert err.value.line == line


def test_empty_array_has_no_records() -> None:
    assert read_text("[]\n") == []


def test_sniff_accepts_every_shape() -> None:
    for name in (
        "daily_papers_2025-03-18.json",
        "daily_papers_2025-03-18.min.json",
        "daily_papers.jsonl",
        "papers_page_props.json",
    ):
        head = (HERE / name).read_text(encoding="utf-8")[:16384]
        assert READER.sniff(head, name), name


def test_sniff_rejects_other_formats() -> None:
    others = [p for p in FIXTURES.glob("*/*") if p.parent.name != "hf-daily" and p.is_file()]
    assert any(p.parent.name == "csl-json" for p in others)
    for path in others:
        head = path.read_bytes()[:16384].decode("utf-8", errors="replace")
        assert not READER.sniff(head, path.name), path
    # plain JSON with a "paper" key but none of HF's keys
    assert not READER.sniff('[{"paper": {"id": "x"}, "score": 1}]', "x.json")


def test_registry_detects_this_format() -> None:
    for path in sorted(HERE.iterdir()):
        assert detect(read_head(path), path.name).name == "hf-daily", path
