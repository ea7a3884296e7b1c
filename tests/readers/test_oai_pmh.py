"""The OAI-PMH reader (oai-pmh) on arXiv ListRecords/GetRecord pages, metadataPrefix=arXiv."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import time
from pathlib import Path

import pytest
from helpers import paths

from paperradar import readers
from paperradar.errors import FormatError
from paperradar.models import Paper
from paperradar.readers import _xml, oai_pmh
from paperradar.readers.base import BadRecord, ReadContext, Record
from paperradar.readers.oai_pmh import ResumptionToken

FIXTURES = paths.FIXTURES
HERE = FIXTURES / "oai-pmh"
READER = oai_pmh.READER


def read(path: Path) -> list[Record]:
    with path.open(encoding="utf-8") as fh:
        return list(READER.parse(fh, ReadContext(origin=path.name)))


def read_text(text: str) -> list[Record]:
    return list(READER.parse(io.StringIO(text), ReadContext(origin="oai.xml")))


def papers(records: list[Record]) -> list[Paper]:
    assert all(isinstance(r, Paper) for r in records), records
    return [r for r in records if isinstance(r, Paper)]


def head_of(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8-sig", errors="replace")[:16384]


def page(records: str, verb: str = "ListRecords", prefix: str = "arXiv") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
        "<responseDate>2025-03-19T08:02:17Z</responseDate>\n"
        f'<request verb="{verb}" metadataPrefix="{prefix}">http://export.arxiv.org/oai2</request>\n'
        f"<{verb}>\n{records}</{verb}>\n</OAI-PMH>\n"
    )


# --- field mapping ----------------------------------------------------------------------------


def test_list_records_maps_every_field() -> None:
    first = papers(read(HERE / "list_records_cs_page1.xml"))[0]
    assert first.arxiv_id == "2503.11731"
    assert first.arxiv_version is None  # the arXiv format has no version list
    assert first.title == (
        "Sparse Mixture-of-Experts Routing for Low-Resource Machine Translation: "
        "When $k$ Experts Are Better Than One"
    )
    assert first.abstract.startswith("Mixture-of-experts (MoE) layers scale the capacity")
    assert first.abstract.endswith("over a dense baseline of equal FLOPs.")
    assert "$k \\geq 2$ reduces" in first.abstract and "\n" not in first.abstract
    assert first.authors == ["José Ángel Müller-Çelik", "Zoë Łukasiewicz", "Carlos A. Rivera Jr"]
    assert first.categories == ["cs.CL", "cs.AI", "cs.LG"]
    assert first.submitted == dt.date(2025, 3, 14)
    assert first.updated == dt.date(2025, 3, 17)
    assert first.listed is None
    assert first.comment == "16 pages, 5 figures; v2: added Guaran\\'i results"
    assert first.journal_ref is None and first.doi is None
    assert first.links == {
        "abs": "https://arxiv.org/abs/2503.11731",
        "license": "http://creativecommons.org/licenses/by/4.0/",
    }
    [sighting] = first.sightings
    assert (sighting.source, sighting.locator, sighting.rank) == (
        "oai-pmh",
        "list_records_cs_page1.xml",
        1,
    )
    assert sighting.seen_on == dt.date(2025, 3, 18)  # the header datestamp


def test_journal_ref_doi_and_old_style_ids() -> None:
    found = papers(read(HERE / "list_records_cs_page1.xml"))
    diphoton = found[1]
    assert diphoton.arxiv_id == "0704.0001"
    assert diphoton.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert diphoton.journal_ref == "Phys.Rev.D76:013009,2007"
    assert diphoton.doi == "10.1103/physrevd.76.013009"
    assert diphoton.submitted == dt.date(2007, 4, 2) and diphoton.updated == dt.date(2008, 11, 13)
    assert diphoton.sightings[0].seen_on == dt.date(2025, 3, 17)
    ricci = found[3]
    assert ricci.arxiv_id == "math/0211159"
    assert ricci.authors == ["Grisha Perelman", "The Geometric Flows Working Group"]
    assert ricci.categories == ["math.DG", "cs.CG"]  # duplicates dropped, primary first
    assert ricci.updated is None


def test_deleted_record_is_an_id_marked_withdrawn() -> None:
    deleted = papers(read(HERE / "list_records_cs_page1.xml"))[2]
    assert deleted.arxiv_id == "2503.09876"
    assert deleted.withdrawn is True
    assert (deleted.title, deleted.abstract, deleted.authors, deleted.categories) == (
        "",
        "",
        [],
        [],
    )
    assert deleted.links == {} and deleted.submitted is None
    assert deleted.sightings[0].rank == 3
    assert deleted.sightings[0].seen_on == dt.date(2025, 3, 18)


def test_get_record_and_last_page() -> None:
    [brane] = papers(read(HERE / "get_record.xml"))
    assert (brane.arxiv_id, brane.arxiv_version) == ("hep-th/9901001", None)
    assert brane.authors == ["Amihay Hanany", "Ángel M. Uranga"]
    assert brane.updated == dt.date(1999, 3, 22)
    [last] = papers(read(HERE / "list_records_cs_last.xml"))
    assert last.authors == ["Siobhán O'Connor", "Pieter van der Berg"]
    assert last.categories == ["stat.ML", "cs.CL"]
    assert last.doi == "10.18653/v1/2025.naacl-long.112"


def test_no_records_match_is_an_empty_page() -> None:
    assert read(HERE / "no_records_match.xml") == []


# --- resumption tokens ------------------------------------------------------------------------


def test_resumption_token_with_size_and_cursor() -> None:
    text = (HERE / "list_records_cs_page1.xml").read_text(encoding="utf-8")
    assert oai_pmh.resumption_token(text) == ResumptionToken("6960524|1001", 2345, 0)


def test_empty_or_absent_token_means_the_list_is_complete() -> None:
    for name in ("list_records_cs_last.xml", "get_record.xml", "no_records_match.xml"):
        assert oai_pmh.resumption_token((HERE / name).read_text(encoding="utf-8")) is None
    assert oai_pmh.resumption_token(page("<resumptionToken>\n  </resumptionToken>\n")) is None


def test_token_without_attributes_and_with_bad_numbers() -> None:
    assert oai_pmh.resumption_token(page("<resumptionToken>abc</resumptionToken>")) == (
        ResumptionToken("abc", None, None)
    )
    token = page('<resumptionToken cursor="x" completeListSize="12">abc</resumptionToken>')
    assert oai_pmh.resumption_token(token) == ResumptionToken("abc", 12, None)


def test_resumption_token_of_other_text() -> None:
    assert oai_pmh.resumption_token('<feed xmlns="http://www.w3.org/2005/Atom"/>') is None
    with pytest.raises(FormatError):
        oai_pmh.resumption_token("<OAI-PMH")


# --- errors -----------------------------------------------------------------------------------


def test_other_oai_errors_raise_with_code_and_message() -> None:
    with pytest.raises(FormatError) as info:
        read(HERE / "bad_resumption_token.xml")
    assert info.value.line == 5
    assert info.value.reason == (
        "OAI-PMH error badResumptionToken: "
        "The value of the resumptionToken argument is invalid or expired."
    )


def test_other_metadata_formats_and_verbs_are_refused() -> None:
    with pytest.raises(FormatError, match="metadataPrefix 'oai_dc' is not supported") as info:
        read(HERE / "list_records_oai_dc.xml")
    assert info.value.line == 5
    with pytest.raises(FormatError, match="ListIdentifiers response holds no records"):
        read_text(
            page("<header><identifier>oai:arXiv.org:1</identifier></header>", "ListIdentifiers")
        )


def test_bad_records_are_reported_with_line_and_field() -> None:
    records = read(HERE / "bad_records.xml")
    assert records[0] == BadRecord(6, "record 1: 'created' is not a date: '2007-04-999'")
    assert records[1] == BadRecord(17, "record 2: no metadata in the arXiv format")
    assert records[2] == BadRecord(
        24, "record 3: 'identifier' is not an arXiv id: 'oai:example.org:record/17'"
    )
    assert isinstance(records[3], Paper) and records[3].authors == ["Thi Hoa Nguyen"]
    assert records[3].sightings[0].rank == 4
    assert records[4] == BadRecord(41, "record 5: 'datestamp' is not a date: '18 March 2025'")
    assert len(records) == 5


def test_record_without_title_and_abstract_or_with_bad_id() -> None:
    meta = (
        "<record><header><identifier>oai:arXiv.org:{id}</identifier>"
        "<datestamp>2025-03-18</datestamp></header><metadata>"
        '<arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>{id}</id>{body}</arXiv>'
        "</metadata></record>\n"
    )
    records = read_text(
        page(
            meta.format(id="2503.00001", body="<title> </title>")
            + meta.format(id="25030002", body="<title>T</title>")
        )
    )
    assert records == [
        BadRecord(6, "record 1: no 'title' and no 'abstract'"),
        BadRecord(7, "record 2: 'id' is not an arXiv id: '25030002'"),
    ]


def test_truncated_page_raises_with_the_line() -> None:
    with pytest.raises(FormatError) as info:
        read(HERE / "truncated.xml")
    assert info.value.line == 34
    assert "truncated" in info.value.reason


def test_entity_bomb_is_refused_not_expanded() -> None:
    start = time.perf_counter()
    with pytest.raises(FormatError) as info:
        read(HERE / "billion_laughs.xml")
    assert time.perf_counter() - start < 1.0
    assert info.value.line == 2


def test_external_entity_is_refused() -> None:
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE OAI-PMH SYSTEM "http://example.org/evil.dtd">\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"/>'
    )
    with pytest.raises(FormatError, match="DTD"):
        read_text(text)


def test_a_document_that_is_not_oai_pmh_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="expected <OAI-PMH>, found <feed>"):
        read(FIXTURES / "arxiv-atom" / "empty_result.xml")


def test_small_chunks_give_the_same_records_and_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = read(HERE / "bad_records.xml") + read(HERE / "list_records_cs_page1.xml")
    monkeypatch.setattr(_xml, "CHUNK_CHARS", 5)
    assert read(HERE / "bad_records.xml") + read(HERE / "list_records_cs_page1.xml") == whole


# --- sniffing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(HERE.glob("*.xml")), ids=lambda p: p.name)
def test_sniff_accepts_oai_pmh(path: Path) -> None:
    assert READER.sniff(head_of(path), path.name)


OTHERS = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.parent.name != "oai-pmh")


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sniff_rejects_other_formats(path: Path) -> None:
    assert not READER.sniff(head_of(path), path.name)


def test_sniff_needs_the_oai_2_namespace_on_the_root() -> None:
    assert not READER.sniff("<OAI-PMH><ListRecords/></OAI-PMH>", "oai.xml")
    old = '<OAI-PMH xmlns="http://www.openarchives.org/OAI/1.1/OAI_ListRecords">'
    assert not READER.sniff(old, "oai.xml")
    assert not READER.sniff(
        '<html><p>xmlns="http://www.openarchives.org/OAI/2.0/"</p></html>', "oai.html"
    )
    assert READER.sniff('<oai:OAI-PMH xmlns:oai="http://www.openarchives.org/OAI/2.0/">', "x.xml")


@pytest.mark.parametrize("path", sorted(HERE.glob("*.xml")), ids=lambda p: p.name)
def test_registry_detects_oai_pmh(path: Path) -> None:
    assert readers.detect(head_of(path), path.name).name == "oai-pmh"
