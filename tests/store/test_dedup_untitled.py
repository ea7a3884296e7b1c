"""An own paper held as an untitled abstract (a publication list's ``Abstract:`` line) and a
BibTeX export of the same paper, whose abstract differs by small edits, are one paper; two
papers that only share the start of their abstracts stay two."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import paths

from paperradar.ingest import ingest_files
from paperradar.models import Filters, Paper
from paperradar.store.api import Store
from paperradar.store.dedup import abstracts_alike, same_abstract

SEED = sorted((paths.REPO / "data" / "seeds").glob("000_*.txt"))[0]


def seed_abstract(line: int) -> str:
    text = SEED.read_text(encoding="utf-8").splitlines()[line]
    return text.split("Abstract:", 1)[1].strip()


def bibtex(abstract: str, key: str = "flash2024", title: str = "LLM in a Flash") -> str:
    return (
        f"@inproceedings{{{key},\n"
        f"  title = {{{title}: Efficient Large Language Model Inference with Limited Memory}},\n"
        "  author = {Alizadeh, Keivan and Mirzadeh, Iman},\n"
        "  year = {2024},\n"
        f"  abstract = {{{abstract}}}\n"
        "}\n"
    )


def edited(abstract: str) -> str:
    """The abstract as a publisher's export spells it: LaTeX math and a word changed."""
    assert "4-5x" in abstract
    return abstract.replace("4-5x", "4-5$\\times$").replace("naive", 'na\\"ive', 1)


@pytest.mark.parametrize("list_first", [True, False], ids=["list-then-bibtex", "bibtex-then-list"])
def test_untitled_abstract_and_bibtex_export_are_one_paper(
    store: Store, tmp_path: Path, list_first: bool
) -> None:
    abstract = seed_abstract(9)
    listing = tmp_path / "publications.txt"
    listing.write_text(f"Abstract:{abstract}\n", encoding="utf-8")
    export = tmp_path / "mine.bib"
    export.write_text(bibtex(edited(abstract)), encoding="utf-8")
    for path in (listing, export) if list_first else (export, listing):
        ingest_files(store, [path])
    assert store.papers.count() == 1
    (only,) = store.papers.load(store.papers.matching(Filters()))
    assert only.title.startswith("LLM in a Flash")
    assert "limited memory" in only.abstract.lower()


def test_papers_sharing_only_an_opening_stay_apart(store: Store, tmp_path: Path) -> None:
    abstract = seed_abstract(9)
    opening = abstract[:200]
    other = opening + " " + " ".join(f"unrelated{i} words{i} here{i}" for i in range(40))
    listing = tmp_path / "publications.txt"
    listing.write_text(f"Abstract:{abstract}\n", encoding="utf-8")
    export = tmp_path / "other.bib"
    export.write_text(bibtex(other, "other", "Another Paper"), encoding="utf-8")
    ingest_files(store, [listing])
    ingest_files(store, [export])
    assert store.papers.count() == 2


def test_two_titled_records_need_the_prefix_rule() -> None:
    abstract = seed_abstract(9)
    a = Paper(title="LLM in a Flash", abstract=abstract)
    b = Paper(title="A Different Title Entirely", abstract=edited(abstract))
    assert abstracts_alike(a.abstract, b.abstract)
    assert not same_abstract(a, b)
    assert same_abstract(Paper(title="", abstract=abstract), b)
    assert not abstracts_alike("one two three", "one two three")  # too little text
