"""The RIS reader on real-looking exports (Zotero, Scopus, EndNote/Mendeley)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from helpers import paths

from paperradar.errors import FormatError
from paperradar.models import Paper
from paperradar.readers import ris
from paperradar.readers.base import BadRecord, ReadContext, Record

FIXTURES = paths.FIXTURES
HERE = FIXTURES / "ris"


def read(name: str) -> list[Record]:
    path = HERE / name
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(ris.READER.parse(fh, ReadContext(origin=str(path))))


def read_text(text: str) -> list[Record]:
    return list(ris.READER.parse(io.StringIO(text, newline=""), ReadContext(origin="t.ris")))


def papers(records: list[Record]) -> list[Paper]:
    assert all(isinstance(record, Paper) for record in records), records
    return [record for record in records if isinstance(record, Paper)]


def one(body: str) -> Record:
    (record,) = read_text(f"TY  - JOUR\n{body}\nER  - \n")
    return record


# -- Zotero ---------------------------------------------------------------------------------


def test_zotero_preprint_maps_every_tag() -> None:
    first = papers(read("zotero.ris"))[0]
    assert first.title == "Attention Is All You Need"
    assert first.abstract.startswith("The dominant sequence transduction models")
    assert first.abstract.endswith("dispensing with recurrence and convolutions entirely.")
    assert first.authors == [
        "Ashish Vaswani",
        "Noam Shazeer",
        "Niki Parmar",
        "Jakob Uszkoreit",
        "Llion Jones",
        "Aidan N. Gomez",
        "Lukasz Kaiser",
        "Illia Polosukhin",
    ]
    assert first.submitted == dt.date(2017, 12, 5)  # DA beats the less precise PY
    assert first.doi == "10.48550/arxiv.1706.03762"
    assert (first.arxiv_id, first.arxiv_version) == ("1706.03762", None)
    assert first.links == {
        "abs": "http://arxiv.org/abs/1706.03762",
        "doi": "https://doi.org/10.48550/arxiv.1706.03762",
    }
    assert first.keywords == [
        "Computer Science - Computation and Language",
        "Computer Science - Machine Learning",
    ]
    # the HTML note, wrapped over two lines, loses its tags and Zotero's "Comment:" label
    assert first.comment == "15 pages, 5 figures"
    assert first.journal_ref is None  # T2 = "arXiv:1706.03762 [cs]" is no journal
    assert first.categories == []
    (sighting,) = first.sightings
    assert (sighting.source, sighting.rank, sighting.seen_on) == ("ris", 1, None)
    assert sighting.locator.endswith("zotero.ris")


def test_zotero_conference_paper_and_year_only_article() -> None:
    _, conference, article = papers(read("zotero.ris"))
    assert conference.authors == ["Rico Sennrich", "Barry Haddow", "Alexandra Birch"]  # no A2
    assert conference.submitted == dt.date(2016, 8, 1)  # DA 2016/08//
    assert conference.journal_ref == "ACL 2016"
    assert conference.doi == "10.18653/v1/p16-1162"
    assert conference.links == {
        "url": "https://aclanthology.org/P16-1162/",
        "doi": "https://doi.org/10.18653/v1/p16-1162",
    }
    assert article.authors == ["Jörg Müller", "Søren Nørgaard", "Åsa Ångström"]
    assert article.submitted == dt.date(2024, 1, 1)  # DA 2024///
    assert article.journal_ref == "Journal of Machine Learning Research"
    assert [p.sightings[0].rank for p in (conference, article)] == [2, 3]


# -- Scopus, EndNote, Mendeley ---------------------------------------------------------------


def test_scopus_export() -> None:
    bert, alphago = papers(read("scopus.ris"))
    assert bert.authors == ["J. Devlin", "M.-W. Chang", "K. Lee", "K. Toutanova"]
    assert bert.title.startswith("BERT: Pre-training of deep bidirectional transformers")
    assert bert.abstract.endswith("© 2019 Association for Computational Linguistics")
    assert bert.keywords == [
        "Computational linguistics",
        "Language understanding",
        "Question answering",
        "Pre-training",
    ]
    assert bert.submitted == dt.date(2019, 1, 1)
    assert bert.comment == "Cited by: 25674"
    assert bert.journal_ref is not None and bert.journal_ref.startswith("NAACL HLT 2019")
    assert bert.doi is None and list(bert.links) == ["url"]
    assert alphago.doi == "10.1038/nature24270"
    assert alphago.journal_ref == "Nature"
    assert alphago.links["doi"] == "https://doi.org/10.1038/nature24270"


def test_endnote_and_mendeley_records() -> None:
    records = papers(read("endnote.ris"))  # the provider header before the first TY is skipped
    assert len(records) == 4
    baldwin, vae, preprint, proceedings = records
    assert baldwin.authors == ["S.A. Baldwin", "I. Fugaccia", "D.R. Brown"]  # A1 "Last,First"
    assert baldwin.title == "Blood-brain barrier breach following cortical contusion in the rat"
    assert baldwin.abstract == (
        "Adult rats were subjected to a unilateral impact to the dorsal cortex above the "
        "hippocampus. Breakdown of the blood-brain barrier was assessed by injecting a protein "
        "tracer at various times following injury."
    )
    assert baldwin.journal_ref == "J.Neurosurg."
    assert baldwin.submitted == dt.date(1996, 1, 1)  # Y1
    assert baldwin.keywords == ["cortical contusion", "blood-brain barrier"]
    # Mendeley: "N1 - arXiv: 1312.6114" is an id, not a comment; "DA - 2013 Dec 20"
    assert (vae.arxiv_id, vae.arxiv_version, vae.comment) == ("1312.6114", None, None)
    assert vae.submitted == dt.date(2013, 12, 20)
    # "ID - arXiv:2503.11731v3", "DA - March 2025", a PDF URL
    assert (preprint.arxiv_id, preprint.arxiv_version) == ("2503.11731", 3)
    assert preprint.submitted == dt.date(2025, 3, 1)
    assert preprint.links == {"pdf": "https://arxiv.org/pdf/2503.11731v3"}
    assert preprint.authors == ["Wei Zhang", "María García"]
    # a record with only secondary authors (A2) gets them
    assert proceedings.authors == ["Yoshua Bengio", "Yann LeCun"]


# -- bad records and broken files ------------------------------------------------------------


def test_bad_records_name_the_ty_line_and_tag() -> None:
    records = read("bad_records.ris")
    assert isinstance(records[0], Paper) and isinstance(records[-1], Paper)
    assert records[-1].title == "The Record After the Bad Ones Is Read"
    assert records[-1].sightings[0].rank == 6
    assert records[1:-1] == [
        BadRecord(7, "record 2: no title (TI/T1) or abstract (AB/N2)"),
        BadRecord(13, "record 3: 'DA' is not a date: 'sometime in spring'"),
        BadRecord(18, "record 4: 'DO' is not a DOI: 'not a doi'"),
        BadRecord(23, "record 5: 'DA' is not a date: '2021/13/01/'"),
    ]


def test_record_cut_off_at_end_of_file() -> None:
    with pytest.raises(FormatError) as caught:
        read("broken_unclosed.ris")
    assert caught.value.line == 6
    assert caught.value.reason == "record is not closed by 'ER  - ' at end of file"
    assert str(caught.value).startswith(str(HERE / "broken_unclosed.ris") + ":6: ")


def test_lost_ty_line_is_reported_at_the_first_stray_tag() -> None:
    with pytest.raises(FormatError) as caught:
        read("broken_stray_er.ris")
    assert caught.value.line == 6
    assert caught.value.reason == "tag 'TI' outside a record (no 'TY  - ' line opens it)"


def test_er_without_ty() -> None:
    with pytest.raises(FormatError) as caught:
        read_text("\n\nER  - \n")
    assert caught.value.line == 3
    assert caught.value.reason.startswith("'ER  - ' without a record")


def test_ty_inside_an_open_record() -> None:
    text = "TY  - JOUR\nTI  - One\nTY  - JOUR\nTI  - Two\nER  - \n"
    with pytest.raises(FormatError) as caught:
        read_text(text)
    assert caught.value.line == 3
    assert "record starting at line 1 has no 'ER  - '" in caught.value.reason


def test_records_before_a_broken_one_are_yielded_first() -> None:
    parsed: list[Record] = []
    with pytest.raises(FormatError):
        for record in ris.READER.parse(
            io.StringIO("TY  - JOUR\nTI  - Kept\nER  - \nTY  - JOUR\n"), ReadContext("t.ris")
        ):
            parsed.append(record)
    assert [p.title for p in papers(parsed)] == ["Kept"]


# -- tag details -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ("PY  - 2017", dt.date(2017, 1, 1)),
        ("PY  - 2017///", dt.date(2017, 1, 1)),
        ("Y1  - 1996/03/14/other info", dt.date(1996, 3, 14)),
        ("DA  - 2023-05-02", dt.date(2023, 5, 2)),
        ("DA  - 2023-05-02T10:11:12Z", dt.date(2023, 5, 2)),
        ("DA  - 2017 Mar", dt.date(2017, 3, 1)),
        ("DA  - May 4, 2019", dt.date(2019, 5, 4)),
        ("PY  - 2016\nDA  - 2016/08//", dt.date(2016, 8, 1)),
        ("DA  - 2016\nPY  - 2016/08/09/", dt.date(2016, 8, 9)),  # the most precise wins
    ],
)
def test_dates(tags: str, expected: dt.date) -> None:
    record = one(f"TI  - T\n{tags}")
    assert isinstance(record, Paper) and record.submitted == expected


def test_one_space_before_the_hyphen_and_missing_trailing_space() -> None:
    (record,) = read_text("TY - JOUR\nTI - Loose Spacing\nAU - Doe, Jane, Jr.\nER  -\n")
    assert isinstance(record, Paper)
    assert (record.title, record.authors) == ("Loose Spacing", ["Jane Doe Jr."])


def test_title_and_abstract_fallbacks() -> None:
    record = one("T1  - Old Title Tag\nN2  - Old abstract tag.")
    assert isinstance(record, Paper)
    assert (record.title, record.abstract) == ("Old Title Tag", "Old abstract tag.")
    record = one("TI  - New\nT1  - Old\nAB  - Abstract.\nN2  - Notes abstract.")
    assert isinstance(record, Paper)
    assert (record.title, record.abstract) == ("New", "Abstract.")


def test_abstract_only_record_is_a_paper() -> None:
    record = one("AB  - Only an abstract here.")
    assert isinstance(record, Paper) and record.title == ""


def test_arxiv_id_from_doi_and_url_with_version() -> None:
    record = one(
        "TI  - T\nDO  - 10.48550/arXiv.2401.00001\nUR  - https://arxiv.org/abs/2401.00001v4"
    )
    assert isinstance(record, Paper)
    assert (record.arxiv_id, record.arxiv_version) == ("2401.00001", 4)
    assert record.doi == "10.48550/arxiv.2401.00001"


def test_several_notes_are_joined() -> None:
    record = one("TI  - T\nN1  - First note\nN1  - <p>Second <b>note</b></p>")
    assert isinstance(record, Paper) and record.comment == "First note; Second note"


# -- sniffing --------------------------------------------------------------------------------


def test_sniff_accepts_ris_fixtures() -> None:
    for path in sorted(HERE.glob("*.ris")):
        head = path.read_text(encoding="utf-8-sig")[:16384]
        assert ris.READER.sniff(head, path.name), path.name
    assert ris.READER.sniff("\n\nTY  - JOUR\nTI  - x\n", "export.txt")


def test_sniff_requires_ty_first_unless_the_name_says_ris() -> None:
    head = (HERE / "endnote.ris").read_text(encoding="utf-8")
    assert not ris.READER.sniff(head, "endnote.txt")  # provider header lines come first
    assert not ris.READER.sniff("TI  - no type line\n", "x.txt")
    assert not ris.READER.sniff("", "x.ris")


def test_sniff_rejects_other_formats_fixtures() -> None:
    others = [p for p in FIXTURES.rglob("*") if p.is_file() and p.parent.name != "ris"]
    for path in others:
        try:
            head = path.read_text(encoding="utf-8-sig")[:16384]
        except (UnicodeDecodeError, OSError):
            continue
        assert not ris.READER.sniff(head, path.name), path
