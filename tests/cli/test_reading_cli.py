"""``paperradar saved``, ``export`` and ``cite``, run in this process on a small real store
(tests/fixtures/cli: six arXiv papers and an Atom file with a DOI paper); every export is
read back with paperradar's own readers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from helpers import paths
from helpers.cli import Cli

from paperradar import Store
from paperradar.cli.reading import EXPORT_FORMATS, MODES
from paperradar.exports import FORMATS
from paperradar.models import Paper
from paperradar.readers import read_path
from paperradar.search import semantic
from paperradar.store.api.radar import DigestItem

ATOM = paths.FIXTURES / "arxiv-atom" / "cli_dup_and_doi.xml"


def arxiv(n: int) -> str:
    return f"arxiv:2605.{90000 + n}"


@pytest.fixture
def filled(cli: Cli, cli_fixtures: Path) -> Cli:
    cli.ingest(cli_fixtures / "papers.jsonl", ATOM)
    cli.ok("profile", "create", "me")
    return cli


def read_back(path: Path) -> list[Paper]:
    return [r for r in read_path(path).records if isinstance(r, Paper)]


def test_the_choices_are_the_librarys() -> None:
    assert tuple(FORMATS) == EXPORT_FORMATS
    assert semantic.MODES == MODES


def test_saved_lists_the_reading_list_newest_first(filled: Cli) -> None:
    assert "me has no saved papers" in filled.ok("saved").stdout
    filled.ok("save", arxiv(1), arxiv(3))
    filled.ok("save", arxiv(7))
    filled.ok("unsave", arxiv(3))
    rows = filled.json("saved")
    assert [r["id"] for r in rows] == [arxiv(7), arxiv(1)]
    assert dt.datetime.fromisoformat(rows[0]["saved"]) >= dt.datetime.fromisoformat(
        rows[1]["saved"]
    )
    table = filled.ok("saved", "--profile", "me").stdout
    assert "2605.90007" in table and "2605.90003" not in table
    filled.ok("like", arxiv(2))
    assert [r["id"] for r in filled.json("saved", "--liked")] == [arxiv(2)]


def test_export_saved_in_every_format_reads_back(filled: Cli, tmp_path: Path) -> None:
    filled.ok("save", arxiv(1), arxiv(7))
    for fmt in FORMATS:
        out = tmp_path / f"saved.{FORMATS[fmt].extension}"
        result = filled.ok("export", "--format", fmt, "--saved", "--out", out)
        assert f"wrote 2 papers (saved papers of me) to {out}" in result.stderr
        assert result.stdout == ""
        back = read_back(out)
        assert {p.arxiv_id for p in back} == {"2605.90001", "2605.90007"}
        doi_paper = next(p for p in back if p.arxiv_id == "2605.90007")
        assert doi_paper.doi == "10.5555/devil.2026.7"
    stdout = filled.ok("export", "--format", "csl-json", "--saved").stdout
    assert len(json.loads(stdout)) == 2


def test_export_liked_a_digest_and_a_search(filled: Cli, tmp_path: Path) -> None:
    filled.ok("like", arxiv(4))
    liked = filled.ok("export", "--format", "ris", "--liked").stdout
    assert liked.startswith("TY  - ") and liked.count("ER  - ") == 1
    with Store.open(filled.home) as store:
        profile = store.radar.profile_id("me")
        assert profile is not None
        rows = [store.papers.resolve(arxiv(n)) for n in (5, 2, 6)]
        digest = store.radar.record_digest(
            profile,
            dt.date(2026, 6, 20),
            dt.date(2026, 6, 20),
            dt.datetime.now(dt.UTC),
            3,
            [DigestItem(row, 1.0 / n, "{}") for n, row in enumerate(rows, start=1)],
        )
    path = tmp_path / "digest.bib"
    filled.ok("export", "--format", "bibtex", "--digest", str(digest), "--out", path)
    assert [p.arxiv_id for p in read_back(path)] == ["2605.90005", "2605.90002", "2605.90006"]
    path = tmp_path / "search.json"
    filled.ok(
        "export", "--format", "csl-json", "--search", "quokkaformer", "--mode", "keyword",
        "--category", "cs", "--out", path,
    )  # fmt: skip
    assert {p.arxiv_id for p in read_back(path)} == {"2605.90001", "2605.90002", "2605.90003"}


def test_export_needs_exactly_one_source_and_a_real_digest(filled: Cli) -> None:
    for args in ([], ["--saved", "--liked"], ["--saved", "--search", "x"]):
        result = filled("export", "--format", "bibtex", *args)
        assert result.code == 2 and "export what? give one of --saved" in result.stderr
    result = filled("export", "--format", "bibtex", "--digest", "999")
    assert result.code == 2 and "error: no digest with id 999" in result.stderr
    result = filled("export", "--format", "endnote", "--saved")
    assert result.code == 2 and "Invalid value for '--format'" in result.stderr
    empty = filled.ok("export", "--format", "csl-json", "--saved")
    assert empty.stdout == "[]\n" and "note: no saved papers of me to export" in empty.stderr


def test_export_to_an_unwritable_file_is_a_clear_error(filled: Cli, tmp_path: Path) -> None:
    filled.ok("save", arxiv(1))
    target = tmp_path / "missing" / "out.bib"
    result = filled("export", "--format", "bibtex", "--saved", "--out", target)
    assert result.code == 1 and "Traceback" not in result.stderr
    assert f"error: cannot write {target}: No such file or directory" in result.stderr


def test_cite_prints_a_reference_or_an_entry(filled: Cli) -> None:
    text = filled.ok("cite", "10.5555/Devil.2026.7").stdout
    assert text.endswith("https://doi.org/10.5555/devil.2026.7\n")
    assert "(2026)." in text and text.count("\n") == 1
    bib = filled.ok("cite", arxiv(1), "--format", "bibtex").stdout
    assert bib.startswith("@misc{") and "eprint = {2605.90001}" in bib
    assert filled.ok("cite", arxiv(1), "--format", "ris").stdout.startswith("TY  - UNPB")
    assert json.loads(filled.ok("cite", arxiv(1), "--format", "csl-json").stdout)[0]["number"] == (
        "arXiv:2605.90001"
    )
    missing = filled("cite", "2699.00001")
    assert missing.code == 2 and "error: " in missing.stderr and "Traceback" not in missing.stderr


def test_export_search_without_embeddings_uses_keywords(
    filled: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    result = filled.ok("export", "--format", "ris", "--search", "quokkaformer", "-n", "2")
    assert "note: no embeddings yet, so keyword results only" in result.stderr
    assert result.stdout.count("ER  - ") == 2
    semantic_only = filled("export", "--format", "ris", "--search", "x", "--mode", "semantic")
    assert semantic_only.code == 2 and "no embeddings yet" in semantic_only.stderr
