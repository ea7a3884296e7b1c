"""The arXiv export API reader (arxiv-atom) on recorded-style API responses."""

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
from paperradar.readers import _xml, arxiv_atom
from paperradar.readers.base import BadRecord, ReadContext, Record

FIXTURES = paths.FIXTURES
HERE = FIXTURES / "arxiv-atom"
READER = arxiv_atom.READER


def read(path: Path) -> list[Record]:
    with path.open(encoding="utf-8") as fh:
        return list(READER.parse(fh, ReadContext(origin=path.name)))


def read_text(text: str, origin: str = "feed.xml") -> list[Record]:
    return list(READER.parse(io.StringIO(text), ReadContext(origin=origin)))


def papers(records: list[Record]) -> list[Paper]:
    assert all(isinstance(r, Paper) for r in records), records
    return [r for r in records if isinstance(r, Paper)]


def head_of(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8-sig", errors="replace")[:16384]


# --- field mapping ----------------------------------------------------------------------------


def test_query_page_maps_every_field_of_the_first_entry() -> None:
    first = papers(read(HERE / "query_cat_cs_CL.xml"))[0]
    assert first.arxiv_id == "2503.11731"
    assert first.arxiv_version == 2
    assert first.title == (
        "Sparse Mixture-of-Experts Routing for Low-Resource Machine Translation: "
        "When $k$ Experts Are Better Than One"
    )
    assert first.abstract.startswith("Mixture-of-experts (MoE) layers scale the capacity")
    assert "$\\mathcal{L}_{\\mathrm{ent}} = -\\sum_i p_i \\log p_i$ on the router" in first.abstract
    assert first.abstract.endswith("Code and checkpoints are released.")
    assert "\n" not in first.abstract and "  " not in first.abstract
    assert first.authors == ["José Ángel Müller-Çelik", "Zoë Łukasiewicz", "Nguyễn Văn An"]
    assert first.categories == ["cs.CL", "cs.AI", "cs.LG"]
    assert first.submitted == dt.date(2025, 3, 14)
    assert first.updated == dt.date(2025, 4, 2)
    assert first.listed is None
    assert first.comment == "16 pages, 5 figures; v2: added Guaran\\'i results and fixed Table 3"
    assert first.journal_ref is None and first.doi is None
    assert first.links == {
        "abs": "http://arxiv.org/abs/2503.11731v2",
        "pdf": "http://arxiv.org/pdf/2503.11731v2",
    }
    assert not first.withdrawn


def test_primary_category_comes_first_and_doi_is_bare_lower_case() -> None:
    second = papers(read(HERE / "query_cat_cs_CL.xml"))[1]
    assert second.categories == ["cs.CL", "cs.IR", "I.2.7"]
    assert second.primary_category == "cs.CL"
    assert second.doi == "10.18653/v1/2025.naacl-long.112"
    assert second.links["doi"] == "http://dx.doi.org/10.18653/v1/2025.naacl-long.112"
    assert second.journal_ref == "Proceedings of NAACL 2025, pp. 2201--2215"
    assert second.comment == "Accepted at NAACL 2025"
    assert second.abstract.endswith("five open-domain benchmarks & two biomedical ones.")


def test_old_style_ids_and_several_dois() -> None:
    found = papers(read(HERE / "query_cat_cs_CL.xml"))
    old = found[2]
    assert (old.arxiv_id, old.arxiv_version) == ("cs/9901002", 1)
    assert old.title == "A Statistical Model of Word Co-occurrence for Part-of-Speech Tagging"
    assert old.authors == ["R. O'Donnell"]
    assert old.submitted == old.updated == dt.date(1999, 1, 10)
    erratum = found[3]
    assert erratum.doi == "10.1162/tacl_a_00712"  # the first of the two DOIs arXiv lists
    assert erratum.authors[1] == "ACL Multilingual Evaluation Consortium"


def test_every_paper_has_one_sighting_ranked_by_position() -> None:
    found = papers(read(HERE / "query_cat_cs_CL.xml"))
    assert len(found) == 4
    for rank, paper in enumerate(found, start=1):
        assert len(paper.sightings) == 1
        sighting = paper.sightings[0]
        assert (sighting.source, sighting.locator, sighting.rank) == (
            "arxiv-atom",
            "query_cat_cs_CL.xml",
            rank,
        )
        assert sighting.seen_on is None and sighting.kind is None and sighting.upvotes is None


def test_new_style_feed_with_namespaces_on_the_root_and_hep_th_id() -> None:
    found = papers(read(HERE / "id_list_new_style.xml"))
    assert [(p.arxiv_id, p.arxiv_version) for p in found] == [
        ("hep-th/9901001", 1),
        ("2501.04519", 1),
    ]
    brane = found[0]
    assert brane.title == "Brane Dynamics and Four-Dimensional Quantum Field Theory"
    assert brane.authors == ["Amihay Hanany", "Ángel M. Uranga"]
    assert brane.journal_ref == "Rev.Mod.Phys. 71 (1999) 983-1084"
    assert brane.links["pdf"] == "https://arxiv.org/pdf/hep-th/9901001v1"
    # primary category listed after the plain categories still comes first
    assert found[1].categories == ["cs.LG", "cs.CL"]


def test_empty_result_yields_nothing() -> None:
    assert read(HERE / "empty_result.xml") == []


# --- errors -----------------------------------------------------------------------------------


def test_api_error_entry_raises_with_arxivs_message() -> None:
    with pytest.raises(FormatError) as info:
        read(HERE / "api_error.xml")
    assert info.value.line == 11
    assert info.value.reason == "arXiv API error: incorrect id format for 1234.1234"
    assert str(info.value).startswith("api_error.xml:11: ")


def test_entry_titled_error_without_an_id_is_an_error_but_a_paper_titled_error_is_not() -> None:
    feed = (
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "<entry><title>Error</title><summary>max_results must be an integer</summary></entry>\n"
        "</feed>"
    )
    with pytest.raises(FormatError, match="max_results must be an integer"):
        read_text(feed)
    paper_feed = feed.replace(
        "<entry>", "<entry><id>http://arxiv.org/abs/2504.01234v1</id>"
    ).replace("max_results must be an integer", "On errors.")
    [paper] = papers(read_text(paper_feed))
    assert (paper.title, paper.arxiv_id) == ("Error", "2504.01234")


def test_bad_entries_are_reported_with_line_and_field() -> None:
    records = read(HERE / "bad_entries.xml")
    assert isinstance(records[0], Paper) and records[0].arxiv_id == "2504.00001"
    assert records[1:] == [
        BadRecord(19, "entry 2: 'published' is not a date: 'yesterday'"),
        BadRecord(27, "entry 3: no 'title' and no 'summary'"),
        BadRecord(36, "entry 4: 'id' is not an arXiv id: 'http://example.org/papers/17'"),
        BadRecord(43, "entry 5: 'arxiv:doi' is not a DOI: 'see journal website'"),
    ]
    assert records[0].sightings[0].rank == 1


def test_truncated_body_raises_with_the_line() -> None:
    records: list[Record] = []
    with (HERE / "truncated.xml").open(encoding="utf-8") as fh, pytest.raises(FormatError) as info:
        for record in READER.parse(fh, ReadContext(origin="truncated.xml")):
            records.append(record)
    assert info.value.line == 51
    assert "truncated" in info.value.reason
    assert len(records) == 1  # the entry before the cut was read


def test_entity_bomb_is_refused_not_expanded() -> None:
    start = time.perf_counter()
    with pytest.raises(FormatError) as info:
        read(HERE / "billion_laughs.xml")
    assert time.perf_counter() - start < 1.0
    assert info.value.line == 2
    assert "DTD" in info.value.reason


def test_undefined_entity_and_garbage_raise_with_line() -> None:
    with pytest.raises(FormatError) as info:
        read_text('<feed xmlns="http://www.w3.org/2005/Atom">\n<title>A&nbsp;B</title>\n</feed>')
    assert info.value.line == 2 and "undefined entity" in info.value.reason
    with pytest.raises(FormatError) as info:
        read_text("Rate exceeded.")
    assert info.value.line == 1


def test_a_document_that_is_not_an_atom_feed_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="expected an Atom <feed>, found <OAI-PMH>"):
        read(FIXTURES / "oai-pmh" / "get_record.xml")


def test_small_chunks_give_the_same_records_and_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = read(HERE / "bad_entries.xml") + read(HERE / "query_cat_cs_CL.xml")
    monkeypatch.setattr(_xml, "CHUNK_CHARS", 7)
    assert read(HERE / "bad_entries.xml") + read(HERE / "query_cat_cs_CL.xml") == whole


def test_many_entries_stream() -> None:
    entry = (
        "<entry><id>http://arxiv.org/abs/2504.{n:05d}v1</id><title>Paper {n}</title>"
        "<summary>Abstract {n}.</summary><published>2025-04-01T00:00:00Z</published></entry>\n"
    )
    body = "".join(entry.format(n=n) for n in range(3000))
    feed = f'<feed xmlns="http://www.w3.org/2005/Atom">\n{body}</feed>'
    found = papers(read_text(feed))
    assert len(found) == 3000
    assert found[-1].arxiv_id == "2504.02999" and found[-1].sightings[0].rank == 3000


# --- feed_totals ------------------------------------------------------------------------------


def test_feed_totals() -> None:
    assert arxiv_atom.feed_totals((HERE / "query_cat_cs_CL.xml").read_text()) == (61847, 0, 4)
    assert arxiv_atom.feed_totals((HERE / "id_list_new_style.xml").read_text()) == (2, 0, 10)
    assert arxiv_atom.feed_totals((HERE / "empty_result.xml").read_text()) == (0, 0, 10)
    rss = (FIXTURES / "arxiv-rss" / "cs.CL_2025-01-06.rss.xml").read_text()
    assert arxiv_atom.feed_totals(rss) is None
    assert arxiv_atom.feed_totals('<feed xmlns="http://www.w3.org/2005/Atom"/>') is None
    with pytest.raises(FormatError):
        arxiv_atom.feed_totals((HERE / "truncated.xml").read_text()[:200])


# --- sniffing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(HERE.glob("*.xml")), ids=lambda p: p.name)
def test_sniff_accepts_api_feeds(path: Path) -> None:
    assert READER.sniff(head_of(path), path.name)


OTHERS = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.parent.name != "arxiv-atom")


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sniff_rejects_other_formats(path: Path) -> None:
    assert not READER.sniff(head_of(path), path.name)


def test_sniff_rejects_generic_atom_and_html() -> None:
    blog = '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title>'
    assert not READER.sniff(blog, "feed.xml")
    assert not READER.sniff("<!DOCTYPE html>\n<html><body>arxiv.org/api/</body></html>", "x.xml")
    assert not READER.sniff('{"feed": "http://a9.com/-/spec/opensearch/1.1/"}', "x.json")


def test_sniff_sees_past_comments_and_processing_instructions() -> None:
    head = (
        '<?xml version="1.0"?>\n<!-- saved from export.arxiv.org -->\n'
        '<?xml-stylesheet href="x.xsl"?>\n'
        '<atom:feed xmlns:atom="http://www.w3.org/2005/Atom">'
        '<opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
    )
    assert READER.sniff(head, "query.xml")


@pytest.mark.parametrize("path", sorted(HERE.glob("*.xml")), ids=lambda p: p.name)
def test_registry_detects_arxiv_atom(path: Path) -> None:
    assert readers.detect(head_of(path), path.name).name == "arxiv-atom"


def test_read_path_detects_and_reads_a_response_file() -> None:
    path = HERE / "query_cat_cs_CL.xml"
    opened = readers.read_path(path)
    assert opened.reader is READER
    found = papers(list(opened.records))
    assert [p.arxiv_id for p in found] == ["2503.11731", "2502.01234", "cs/9901002", "2409.00457"]
    assert found[0].sightings[0].locator == str(path)
