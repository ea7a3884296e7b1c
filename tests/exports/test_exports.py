"""The export writers, read back by paperradar's own readers: BibTeX, RIS and CSL-JSON.

Each format is written to a file, the file is read with the reader its content is sniffed
as, and the papers that come back must have the same key fields: title, authors, date,
abstract, DOI, arXiv id, journal, URL, and categories and keywords where the format keeps
them. The papers are real-shaped: real arXiv listings (data/) and hand-made ones with LaTeX
specials, non-ASCII names, particles, suffixes and missing fields.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from itertools import islice
from pathlib import Path

import pytest
from helpers.paths import ARXIV_SLICE

from paperradar.errors import UsageError
from paperradar.exports import FORMATS, citation_keys, cite, export, export_format
from paperradar.exports.fields import url_of
from paperradar.models import Paper
from paperradar.readers import BadRecord, read_path

READER_OF = {"bibtex": "bibtex", "ris": "ris", "csl-json": "csl-json"}

HARD = [
    Paper(
        title="Analytical engines -- {a} $O(n \\log n)$ survey: 100% of C# & C++_x ~ ^ `` ''",
        abstract="Line one\nline two\\with a backslash; {braces} and $math$ — dashes – too.",
        authors=[
            "Ada Lovelace",
            "Ludwig van Beethoven",
            "Martin Luther King Jr.",
            "Jean-Pierre de la Fontaine",
            "Søren Kierkegaard",
            "Łukasz Kaiser",
            "Zoë Ünal-Çelik",
            "Nguyễn Văn An",
            "李飞飞",
            "DeepSeek-AI",
            "Íñigo Ñúñez",
        ],
        categories=["cs.LG", "stat.ML"],
        arxiv_id="2607.00123",
        doi="10.1234/abc_def(2026)01",
        keywords=["graph neural networks", "LaTeX & friends"],
        submitted=dt.date(2026, 7, 1),
    ),
    Paper(
        title="Published work in a journal",
        abstract="An abstract with a lone { brace and a 50% share.",
        authors=["Grace Hopper", "Alan Turing"],
        doi="10.1145/3580305.3599999",
        journal_ref="Journal of Machine Learning Research 27 (2026)",
        links={"url": "https://example.org/paper?id=1&x=2"},
        submitted=dt.date(2025, 12, 31),
    ),
    Paper(title="Only a title"),  # no authors, date, ids or abstract
    Paper(abstract="Only an abstract, no title.", listed=dt.date(2024, 2, 29)),
    Paper(title="An old-style arXiv id", arxiv_id="hep-th/9901001", categories=["hep-th"]),
]


def real_papers(n: int = 1000) -> list[Paper]:
    """The first ``n`` papers of the shipped arXiv listings, as the reader gives them."""
    records = islice(read_path(ARXIV_SLICE).records, n)
    return [record for record in records if isinstance(record, Paper)]


def read_back(tmp_path: Path, text: str, fmt: str) -> list[Paper]:
    path = tmp_path / f"export.{export_format(fmt).extension}"
    path.write_text(text, encoding="utf-8")
    opened = read_path(path)
    assert opened.reader.name == READER_OF[fmt]
    records = list(opened.records)
    bad = [r for r in records if isinstance(r, BadRecord)]
    assert not bad, bad
    return [r for r in records if isinstance(r, Paper)]


def one_line(text: str) -> str:
    return " ".join(text.split())


def key_fields(paper: Paper, fmt: str) -> dict[str, object]:
    """What an export keeps of a paper, as the reader gives it back."""
    fields: dict[str, object] = {
        "title": one_line(paper.title),
        "authors": [one_line(a) for a in paper.authors],
        "date": paper.submitted,
        "abstract": one_line(paper.abstract),
        "doi": paper.doi,
        "arxiv_id": paper.arxiv_id,
        "journal": paper.journal_ref,
    }
    if fmt == "bibtex":
        fields["category"] = paper.categories[:1]
    elif fmt == "csl-json":  # the reader takes an ``archive.subject`` category from the note
        fields["category"] = [c for c in paper.categories[:1] if "." in c]
    fields["keywords"] = paper.keywords
    return fields


def expected(paper: Paper, fmt: str) -> dict[str, object]:
    fields = key_fields(paper, fmt)
    fields["date"] = paper.submitted or paper.listed or paper.updated
    return fields


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_hard_papers_come_back_the_same(tmp_path: Path, fmt: str) -> None:
    back = read_back(tmp_path, export(HARD, fmt), fmt)
    assert len(back) == len(HARD)
    for original, read in zip(HARD, back, strict=True):
        assert key_fields(read, fmt) == expected(original, fmt)
        url = url_of(original)
        if url:
            assert url in read.links.values()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_real_arxiv_listings_come_back_the_same(tmp_path: Path, fmt: str) -> None:
    papers = real_papers()
    back = read_back(tmp_path, export(papers, fmt), fmt)
    assert len(back) == len(papers)
    for original, read in zip(papers, back, strict=True):
        assert key_fields(read, fmt) == expected(original, fmt), original.title


def test_bibtex_escapes_latex_and_protects_case() -> None:
    text = export(HARD[:1], "bibtex")
    assert "@misc{lovelace2026analytical," in text
    braced_a = "\\textbraceleft{}a\\textbraceright{}"
    assert (
        f"title = {{{{Analytical engines -{{}}- {braced_a} \\$O(n \\textbackslash{{}}log n)\\$"
        in text
    )
    assert "100\\% of C\\# \\& C++\\_x \\textasciitilde{} \\textasciicircum{} `{}` '{}'" in text
    assert "{S}{\\o}ren" not in text and "Kierkegaard, S{\\o}ren" in text
    assert "{\\L}ukasz" in text and "{\\'{I}}{\\~{n}}igo" in text
    assert "{李飞飞} and {DeepSeek-AI}" in text  # one-word names stay whole
    assert "King, Jr., Martin Luther" in text and "de la Fontaine, Jean-Pierre" in text
    assert "archivePrefix = {arXiv}" in text and "primaryClass = {cs.LG}" in text
    assert "month = jul," in text and "date = {2026-07-01}" in text
    # braces balance, as BibTeX counts them (escaped ones too)
    assert text.count("{") == text.count("}")
    assert "@article{hopper2025published," in export(HARD[1:2], "bibtex")


def test_ris_has_the_usual_tags() -> None:
    text = export(HARD[:2], "ris")
    lines = text.splitlines()
    assert lines[0] == "TY  - UNPB"
    assert "AU  - King, Martin Luther, Jr." in lines
    assert "AU  - van Beethoven, Ludwig" in lines
    assert "DA  - 2026/07/01/" in lines and "PY  - 2026" in lines
    assert "N1  - arXiv:2607.00123 [cs.LG]" in lines
    assert "TY  - JOUR" in lines and "JO  - Journal of Machine Learning Research 27 (2026)" in lines
    assert lines.count("ER  - ") == 2
    assert all(re.match(r"^([A-Z][A-Z0-9]  - |$)", line) for line in lines)  # one line a value


def test_csl_json_items() -> None:
    items = json.loads(export(HARD, "csl-json"))
    first = items[0]
    assert first["id"] == first["citation-key"] == "lovelace2026analytical"
    assert first["type"] == "article"
    assert first["author"][0] == {"family": "Lovelace", "given": "Ada"}
    assert first["author"][2] == {"family": "King", "given": "Martin Luther", "suffix": "Jr."}
    assert {"literal": "李飞飞"} in first["author"]
    assert first["issued"] == {"date-parts": [[2026, 7, 1]]}
    assert first["URL"] == "https://arxiv.org/abs/2607.00123"
    assert items[1]["type"] == "article-journal"
    assert items[1]["container-title"].startswith("Journal of Machine Learning")
    assert "issued" not in items[2] and "author" not in items[2]


def test_citation_keys_are_unique_and_stable() -> None:
    same = [HARD[0], HARD[0], HARD[0]]
    assert citation_keys(same) == [
        "lovelace2026analytical",
        "lovelace2026analyticalb",
        "lovelace2026analyticalc",
    ]
    assert citation_keys(HARD) == citation_keys(HARD)
    assert citation_keys(HARD)[2:4] == ["anonndonly", "anon2024only"]
    keys = citation_keys(real_papers())
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[a-z0-9]+", key) for key in keys)


def test_cite_gives_a_reference_line_and_bibtex() -> None:
    citation = cite(HARD[1])
    assert citation.text == (
        "Hopper, G., & Turing, A. (2025). Published work in a journal. "
        "Journal of Machine Learning Research 27 (2026). https://doi.org/10.1145/3580305.3599999"
    )
    assert citation.bibtex.startswith("@article{hopper2025published,")
    preprint = cite(HARD[0]).text
    assert preprint.startswith("Lovelace, A., van Beethoven, L., King, M. L., Jr., ")
    assert "de la Fontaine, J.-P.," in preprint and "(2026). Analytical engines" in preprint
    assert "arXiv preprint arXiv:2607.00123." in preprint
    assert cite(HARD[2]).text == "Only a title. (n.d.)."
    many = Paper(title="T", authors=[f"Author Number{i}" for i in range(25)])
    assert ", ... Number24, A. (n.d.). T." in cite(many).text
    assert "Number18" in cite(many).text and "Number19" not in cite(many).text


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="choose from bibtex, ris, csl-json"):
        export(HARD, "endnote")
