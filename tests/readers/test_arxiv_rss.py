"""The announcement-feed reader (arxiv-rss) on rss.arxiv.org RSS 2.0 and Atom feeds."""

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
from paperradar.readers import _xml, arxiv_atom, arxiv_rss
from paperradar.readers.base import BadRecord, ReadContext, Record

FIXTURES = paths.FIXTURES
HERE = FIXTURES / "arxiv-rss"
RSS = HERE / "cs.CL_2025-01-06.rss.xml"
ATOM = HERE / "cs.CL_2025-01-06.atom.xml"
READER = arxiv_rss.READER
MONDAY = dt.date(2025, 1, 6)


def read(path: Path) -> list[Record]:
    with path.open(encoding="utf-8") as fh:
        return list(READER.parse(fh, ReadContext(origin=path.name)))


def read_text(text: str) -> list[Record]:
    return list(READER.parse(io.StringIO(text), ReadContext(origin="feed.xml")))


def papers(records: list[Record]) -> list[Paper]:
    assert all(isinstance(r, Paper) for r in records), records
    return [r for r in records if isinstance(r, Paper)]


def head_of(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8-sig", errors="replace")[:16384]


# --- RSS 2.0 ----------------------------------------------------------------------------------


def test_rss_new_announcement_maps_every_field() -> None:
    first = papers(read(RSS))[0]
    assert (first.arxiv_id, first.arxiv_version) == ("2501.01957", 1)
    assert first.title == (
        "Tokenizer-Free Language Modelling for Morphologically Rich Languages: "
        "A Study on Turkish and Finnish"
    )
    assert first.abstract.startswith("Subword tokenizers fragment agglutinative words")
    assert "arXiv:" not in first.abstract and "Announce Type" not in first.abstract
    assert "stride $s \\in \\{2, 4\\}$" in first.abstract
    assert first.abstract.endswith('We release T\\"urk\\c{c}e-Bytes, a 40B-byte corpus.')
    assert first.authors == ["Elif Şahin", "Ville Mäkelä", "Ayşe Yılmaz", "Jürgen Schödl"]
    assert first.categories == ["cs.CL", "cs.LG"]
    assert first.listed == MONDAY
    assert first.submitted is None and first.updated is None
    assert first.links == {
        "abs": "https://arxiv.org/abs/2501.01957",
        "license": "http://creativecommons.org/licenses/by/4.0/",
    }
    [sighting] = first.sightings
    assert (sighting.source, sighting.locator, sighting.seen_on, sighting.rank, sighting.kind) == (
        "arxiv-rss",
        "cs.CL_2025-01-06.rss.xml",
        MONDAY,
        1,
        "new",
    )


def test_rss_announce_types_ranks_and_versions() -> None:
    found = papers(read(RSS))
    assert [p.sightings[0].kind for p in found] == [
        "new",
        "new",
        "cross",
        "replace",
        "replace-cross",
    ]
    assert [p.sightings[0].rank for p in found] == [1, 2, 3, 4, 5]
    assert [p.arxiv_version for p in found] == [1, 1, 1, 3, 4]
    assert all(p.listed == MONDAY and p.sightings[0].seen_on == MONDAY for p in found)


def test_rss_escaped_text_affiliations_and_and() -> None:
    found = papers(read(RSS))
    assert found[1].abstract.endswith("drops by 3--9 points on the paraphrased set (p < 0.01).")
    assert "benchmark items & on paraphrases" in found[1].abstract
    assert found[1].authors == ["Priya Raghunathan", "Tomás O'Neill", "Mei Chen"]
    assert found[2].authors == ["Nguyễn Thị Lan", "Wei Zhang", "Hamid Reza Farahani"]
    assert found[2].categories == ["eess.AS", "cs.CL", "cs.SD"]  # cross-list: primary first


def test_rss_replace_carries_doi_and_journal_reference() -> None:
    replace, replace_cross = papers(read(RSS))[3:]
    assert (replace.arxiv_id, replace.arxiv_version) == ("2410.08812", 3)
    assert replace.doi == "10.18653/v1/2025.naacl-long.112"
    assert replace.journal_ref == "Proceedings of NAACL 2025, pp. 2201--2215"
    assert replace.abstract == (
        "Retrieval-augmented generation (RAG) systems answer confidently even when the "
        "retrieved passages do not support the answer. We propose a conformal abstention rule "
        "that guarantees a user-chosen error rate $\\alpha$."
    )
    assert replace_cross.doi == "10.5802/jep.257"
    assert replace_cross.journal_ref is not None
    assert replace_cross.journal_ref.startswith("Journal de l'\\'Ecole polytechnique")
    assert replace_cross.categories == ["math.AP", "cs.CL"]


# --- Atom -------------------------------------------------------------------------------------


def test_atom_flavour_reads_like_the_rss_one() -> None:
    atom = papers(read(ATOM))
    rss = {p.arxiv_id: p for p in papers(read(RSS))}
    assert [p.sightings[0].kind for p in atom] == ["new", "cross", "replace"]
    for paper in atom:
        twin = rss[paper.arxiv_id]
        assert paper.arxiv_version == twin.arxiv_version
        assert paper.title == twin.title
        assert paper.listed == MONDAY and paper.sightings[0].seen_on == MONDAY
        assert paper.links["abs"] == twin.links["abs"]
        assert paper.sightings[0].source == "arxiv-rss"
    assert atom[0].abstract == rss["2501.01957"].abstract
    assert atom[0].authors == rss["2501.01957"].authors  # from dc:creator
    assert atom[1].authors == ["Nguyễn Thị Lan", "Wei Zhang"]  # from atom <author> elements
    assert atom[2].doi == "10.18653/v1/2025.naacl-long.112"
    assert atom[2].journal_ref == "Proceedings of NAACL 2025, pp. 2201--2215"
    assert [p.sightings[0].rank for p in atom] == [1, 2, 3]


@pytest.mark.parametrize(
    "name", ["cs.CL_2025-01-04_empty.rss.xml", "cs.CL_2025-01-04_empty.atom.xml"]
)
def test_empty_announcement_day_yields_nothing(name: str) -> None:
    assert read(HERE / name) == []


# --- bad items and broken files ---------------------------------------------------------------


def test_bad_items_are_reported_and_the_channel_date_stands_in() -> None:
    records = read(HERE / "bad_items.rss.xml")
    first = records[0]
    assert isinstance(first, Paper)
    assert first.listed == dt.date(2025, 1, 7) and first.sightings[0].seen_on == dt.date(2025, 1, 7)
    assert records[1:] == [
        BadRecord(18, "item 2: 'pubDate' is not a date: 'yesterday'"),
        BadRecord(29, "item 3: no arXiv id in 'guid', 'description' or 'link'"),
        BadRecord(37, "item 4: no 'title' and no abstract"),
    ]


def test_id_and_type_fall_back_to_the_description() -> None:
    feed = (
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" version="2.0"><channel>\n'
        "<item><title>T</title><description>arXiv:2501.00001v2 Announce Type: replace\n"
        "Abstract: A.</description></item>\n</channel></rss>"
    )
    [paper] = papers(read_text(feed))
    assert (paper.arxiv_id, paper.arxiv_version, paper.abstract) == ("2501.00001", 2, "A.")
    assert paper.sightings[0].kind == "replace"
    assert paper.listed is None and paper.sightings[0].seen_on is None


def test_truncated_feed_raises_with_the_line() -> None:
    records: list[Record] = []
    with (
        (HERE / "truncated.rss.xml").open(encoding="utf-8") as fh,
        pytest.raises(FormatError) as info,
    ):
        for record in READER.parse(fh, ReadContext(origin="truncated.rss.xml")):
            records.append(record)
    assert info.value.line == 43
    assert str(info.value).startswith("truncated.rss.xml:43: not well-formed XML")
    assert len(records) == 2


def test_entity_bomb_is_refused_not_expanded() -> None:
    start = time.perf_counter()
    with pytest.raises(FormatError) as info:
        read(HERE / "billion_laughs.rss.xml")
    assert time.perf_counter() - start < 1.0
    assert info.value.line == 2


def test_a_document_that_is_neither_rss_nor_atom_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="expected <rss> or an Atom <feed>, found <OAI-PMH>"):
        read(FIXTURES / "oai-pmh" / "no_records_match.xml")


def test_small_chunks_give_the_same_records_and_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = read(RSS) + read(ATOM) + read(HERE / "bad_items.rss.xml")
    monkeypatch.setattr(_xml, "CHUNK_CHARS", 3)
    assert read(RSS) + read(ATOM) + read(HERE / "bad_items.rss.xml") == whole


# --- helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("creator", "names"),
    [
        ("Antonin Monteil, Paul Pegon", ["Antonin Monteil", "Paul Pegon"]),
        ("A. One, B. Two and C. Three", ["A. One", "B. Two", "C. Three"]),
        ("Alice Smith and Bob Lee", ["Alice Smith", "Bob Lee"]),
        ("Jo Ng (MIT, Cambridge), Al Anders", ["Jo Ng", "Al Anders"]),
        ("Sandra Andersen,  ", ["Sandra Andersen"]),
        ("The ATLAS Collaboration", ["The ATLAS Collaboration"]),
        ("", []),
    ],
)
def test_split_authors(creator: str, names: list[str]) -> None:
    assert arxiv_rss.split_authors(creator) == names


def test_parse_feed_date() -> None:
    assert arxiv_rss.parse_feed_date("Mon, 06 Jan 2025 00:00:00 -0500") == MONDAY
    assert arxiv_rss.parse_feed_date("2025-01-06T00:00:00-05:00") == MONDAY
    assert arxiv_rss.parse_feed_date(" ") is None
    for bad in ("yesterday", "Mon, 99 Foo 2025", "2025-13-45"):
        with pytest.raises(ValueError):
            arxiv_rss.parse_feed_date(bad)


# --- sniffing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(HERE.glob("*.xml")), ids=lambda p: p.name)
def test_sniff_accepts_announcement_feeds(path: Path) -> None:
    assert READER.sniff(head_of(path), path.name)


OTHERS = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.parent.name != "arxiv-rss")


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sniff_rejects_other_formats(path: Path) -> None:
    assert not READER.sniff(head_of(path), path.name)


def test_sniff_rejects_generic_feeds() -> None:
    blog_rss = '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>News</title>'
    assert not READER.sniff(blog_rss, "feed.rss")
    blog_atom = '<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id>'
    assert not READER.sniff(blog_atom, "feed.atom")
    rdf = '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">rss.arxiv.org'
    assert not READER.sniff(rdf, "feed.rdf")


@pytest.mark.parametrize("path", sorted(HERE.glob("*.xml")), ids=lambda p: p.name)
def test_registry_detects_arxiv_rss(path: Path) -> None:
    assert readers.detect(head_of(path), path.name).name == "arxiv-rss"


def test_text_mentioning_the_other_feed_does_not_confuse_sniffing() -> None:
    api_head = (HERE.parent / "arxiv-atom" / "query_cat_cs_CL.xml").read_text()[:16384]
    api_head = api_head.replace(
        "Code and checkpoints are", "See rss.arxiv.org/atom/cs.CL and &lt;announce_type&gt;; code"
    )
    assert arxiv_atom.READER.sniff(api_head, "q.xml")
    assert not READER.sniff(api_head, "q.xml")
    atom_head = ATOM.read_text()[:16384].replace(
        "a 40B-byte corpus.",
        "a corpus; compare http://arxiv.org/api/query and http://a9.com/-/spec/opensearch/1.1/.",
    )
    assert READER.sniff(atom_head, "a.xml")
    assert not arxiv_atom.READER.sniff(atom_head, "a.xml")
    assert readers.detect(atom_head, "a.xml") is READER
