"""The CSV/TSV table reader."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from helpers import paths

from paperradar.errors import FormatError
from paperradar.models import Paper, Sighting
from paperradar.readers import csv_table, detect, open_text, read_head
from paperradar.readers.base import BadRecord, ReadContext, Record

FIXTURES = paths.FIXTURES
HERE = FIXTURES / "csv"
READER = csv_table.READER


def read(name: str) -> list[Record]:
    path = HERE / name
    with open_text(path) as fh:  # as ingest opens files: BOM stripped, newlines untouched
        return list(READER.parse(fh, ReadContext(origin=str(path))))


def read_text(text: str, origin: str = "mem.csv") -> list[Record]:
    return list(READER.parse(io.StringIO(text, newline=""), ReadContext(origin=origin)))


def papers(records: list[Record]) -> list[Paper]:
    return [r for r in records if isinstance(r, Paper)]


def test_reading_list_maps_every_column() -> None:
    records = read("reading_list.csv")
    trim = records[0]
    assert isinstance(trim, Paper)
    assert (trim.arxiv_id, trim.arxiv_version) == ("2503.14162", 2)
    assert trim.title == "TRIM: Task-Conditioned Pruning of Tool Observations for Coding Agents"
    assert trim.abstract.startswith("Large language models increasingly act as agents")
    assert trim.authors == ["Maya Lindqvist", "Tobias Reinhardt", "Priya Natarajan"]
    assert (trim.submitted, trim.updated, trim.listed) == (
        dt.date(2025, 3, 17),
        dt.date(2025, 4, 2),
        None,
    )
    assert trim.categories == ["cs.CL", "cs.LG", "cs.SE"]  # primary first, no duplicate
    assert trim.upvotes == 42
    assert trim.organisation == "Nordic NLP Lab"
    assert trim.comment == "12 pages, 5 figures"  # a quoted field with a comma
    assert trim.links == {"abs": "https://arxiv.org/abs/2503.14162"}
    assert trim.sightings == [
        Sighting(source="csv", locator=str(HERE / "reading_list.csv"), rank=1, upvotes=42)
    ]


def test_multiline_quoted_abstract_unicode_and_missing_fields() -> None:
    anchor, retrieval = papers(read("reading_list.csv"))[1:3]
    assert anchor.abstract == (
        "Video diffusion models produce convincing short clips but drift when asked to render "
        'long, camera-controlled sequences. We introduce "Anchor-Frame Forcing", a training '
        "scheme that conditions each denoising window on a sparse set of anchor frames."
    )
    assert anchor.authors == ["Zoë Ferreira-Łukasik", "Nguyễn Thị Minh Anh", "王 立群"]
    assert anchor.categories == ["cs.CV", "cs.AI"]
    assert anchor.updated is None and anchor.organisation is None and anchor.comment is None
    # no id, no abstract, a bare year, "Family, Given" names; the unknown Notes column is ignored
    assert retrieval.arxiv_id is None and retrieval.abstract == ""
    assert retrieval.submitted == dt.date(2019, 1, 1)
    assert retrieval.authors == ["Wei Chen", "José María García"]
    assert retrieval.links == {} and retrieval.doi is None


def test_bad_rows_are_reported_at_their_physical_line() -> None:
    records = read("reading_list.csv")
    # row 2 spans lines 3-6, a blank line follows row 3 and row 4 spans lines 9-10: a bad
    # row is reported at the physical line it starts on
    assert [r for r in records if isinstance(r, BadRecord)] == [
        BadRecord(9, "row 4: 'Published' is not a date: 'yesterday'"),
        BadRecord(11, "row 5: no title and no abstract"),
        BadRecord(12, "row 6: 'Upvotes' is not a whole number: 'many'"),
        BadRecord(13, "row 7: 'arxiv_id' is not an arXiv id: 'see paper'"),
    ]
    last = records[-1]
    assert isinstance(last, Paper) and last.sightings[0].rank == 8
    assert last.authors == ["Ana Souza", "Bruno Lima", "Carla Dias"]  # "A, B, and C"
    assert last.submitted == dt.date(2024, 11, 1)
    assert last.categories == ["q-bio.QM", "cs.LG"]


def test_tsv_with_urls_listing_dates_and_dois() -> None:
    moe, article, post = papers(read("hf_export.tsv"))
    assert (moe.arxiv_id, moe.arxiv_version) == ("2503.11020", 3)  # from the arXiv URL
    assert moe.authors == ["R. Iyer", "K. Mensah"]
    assert moe.submitted == dt.date(2025, 3, 14)  # a timestamp
    assert moe.listed == dt.date(2025, 3, 18)  # "Mar 18, 2025"
    assert moe.sightings[0].seen_on == dt.date(2025, 3, 18) and moe.sightings[0].upvotes == 5
    assert moe.links == {
        "abs": "https://arxiv.org/abs/2503.11020",
        "url": "https://arxiv.org/abs/2503.11020v3",
    }
    assert article.doi == "10.1038/s42256-024-00831-7"  # lower-cased
    assert article.authors == ["Johanna D. van der Waals", "Åsa Ångström"]
    assert article.submitted == dt.date(2024, 5, 1)  # "May 2024"
    assert post.submitted == dt.date(2024, 11, 2)  # "2 Nov 2024"
    assert post.links == {"url": "https://gradient-notebook.example.org/posts/long-context-eval/"}


def test_excel_semicolons_bom_and_crlf() -> None:
    records = read("excel_semicolon.csv")
    paper = records[0]
    assert isinstance(paper, Paper)
    assert paper.title.startswith("Perturbed Problems")  # "Title", not the unknown "Titel"
    assert paper.authors == ["Sara Mirzadeh", "Kian Alizadeh"]  # BibTeX-style "and"
    assert paper.submitted == dt.date(2024, 10, 28)  # 28.10.2024: the day is over 12
    assert (paper.arxiv_id, paper.doi) == ("2410.05229", None)  # from arXiv's own DOI
    assert records[1] == BadRecord(
        3, "row 2: 'Year' is not a date: '03.04.2024' (day and month could be either way round)"
    )


def test_header_without_title_or_abstract_is_a_format_error() -> None:
    with pytest.raises(FormatError) as err:
        read("no_title_column.csv")
    assert err.value.line == 1 and "no title or abstract column" in err.value.reason


def test_unclosed_quote_is_a_format_error_at_the_row() -> None:
    with pytest.raises(FormatError) as err:
        read("unclosed_quote.csv")
    assert err.value.line == 3 and "unexpected end of data" in err.value.reason


def test_header_after_blank_lines_and_short_and_long_rows() -> None:
    text = "\n\nTitle,Abstract,Authors\nShort row,Only two cells\nLong,row,with,extra,cells\n"
    short, long = read_text(text)
    assert isinstance(short, Paper) and short.authors == []
    assert long == BadRecord(5, "row 2: 5 fields where the header has 3")
    with pytest.raises(FormatError) as err:
        read_text("\n\nid,name\n1,x\n")
    assert err.value.line == 3


@pytest.mark.parametrize(
    ("cell", "authors"),
    [
        ("Jane Doe, Rick Roe", ["Jane Doe", "Rick Roe"]),
        ("Jane Doe and Rick Roe", ["Jane Doe", "Rick Roe"]),
        ("Jane Doe, Rick Roe and Ann Poe", ["Jane Doe", "Rick Roe", "Ann Poe"]),
        ("Doe, Jane and Roe, Rick", ["Jane Doe", "Rick Roe"]),
        ("Doe, Jane | Roe, Rick", ["Jane Doe", "Rick Roe"]),
        ("Jane Doe; Rick Roe; et al.", ["Jane Doe", "Rick Roe"]),
        ("", []),
    ],
)
def test_author_separators(cell: str, authors: list[str]) -> None:
    assert csv_table.split_authors(cell) == authors


def test_id_column_is_lenient_but_doi_column_is_not() -> None:
    text = (
        "ID,Title,DOI,Link\n"
        "1,Row number id,,\n"
        "arXiv:2401.00001v1,Prefixed id,,\n"
        "2,Bad DOI,not-a-doi,\n"
        "3,DOI from link,,https://doi.org/10.1145/3580305.3599256\n"
    )
    plain, prefixed, bad, linked = read_text(text)
    assert isinstance(plain, Paper) and plain.arxiv_id is None and plain.doi is None
    assert isinstance(prefixed, Paper) and prefixed.arxiv_id == "2401.00001"
    assert bad == BadRecord(4, "row 3: 'DOI' is not a DOI: 'not-a-doi'")
    assert isinstance(linked, Paper) and linked.doi == "10.1145/3580305.3599256"


def test_sniff_accepts_tables() -> None:
    for path in HERE.iterdir():
        head = path.read_bytes()[:16384].decode("utf-8-sig")
        assert READER.sniff(head, path.name), path
        # content alone decides too, except for a header without title/abstract
        if path.name != "no_title_column.csv":
            assert READER.sniff(head, "export.txt"), path
    assert READER.sniff("title\tabstract\n", "papers.tsv.gz")


def test_sniff_rejects_other_formats() -> None:
    others = [p for p in FIXTURES.glob("*/*") if p.parent.name != "csv" and p.is_file()]
    assert any(p.parent.name == "hf-daily" for p in others)
    for path in others:
        head = path.read_bytes()[:16384].decode("utf-8", errors="replace")
        assert not READER.sniff(head, path.name), path
    # a title line with commas is not a header
    listing = "When, Why and How Much? Adaptive Learning Rate Scheduling\nLearning rate...\n"
    assert not READER.sniff(listing, "page.txt")
    assert not READER.sniff("Abstract:Recent generations of language models, ...\n", "a.txt")
    assert not READER.sniff("title\n", "notes.txt")  # one column: no delimiter


def test_registry_detects_this_format() -> None:
    for path in sorted(HERE.iterdir()):
        assert detect(read_head(path), path.name).name == "csv", path
