"""The embed, similar and search --mode commands, end to end with the fake embedder.

PAPERRADAR_EMBEDDER=fake swaps the model for deterministic hashed-word vectors, so these
run fast; the real model has its own integration tests (test_embedding.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from helpers.cli import CliResult, assert_ok, run_cli
from helpers.paths import ARXIV_SLICE, REPO


@pytest.fixture(autouse=True)
def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ["PAPERRADAR_EMBEDDER"] = "fake"
    try:
        home = tmp_path_factory.mktemp("home")
        assert_ok(run_cli(home, "ingest", ARXIV_SLICE, "--embed"))
    finally:
        del os.environ["PAPERRADAR_EMBEDDER"]
    return home


def ids(result: CliResult) -> list[str]:
    assert_ok(result)
    return [item["id"] for item in orjson.loads(result.stdout)]


def test_ingest_embed_then_embed_has_nothing_left(home: Path) -> None:
    result = assert_ok(run_cli(home, "embed", "--json"))
    report = orjson.loads(result.stdout)
    assert report == {"model": "fake-64", "embedded": 0, "pending": 0}


def test_embed_in_parts_resumes(tmp_path: Path) -> None:
    assert_ok(run_cli(tmp_path, "ingest", ARXIV_SLICE))
    first = orjson.loads(assert_ok(run_cli(tmp_path, "embed", "--limit", "1000", "--json")).stdout)
    assert (first["embedded"], first["pending"]) == (1000, 1518)
    rest = assert_ok(run_cli(tmp_path, "embed"))
    assert "embedded 1,518 texts" in rest.stdout and "0 still to do" in rest.stdout
    # stderr is not a terminal here: progress comes as plain lines, first and last at least
    lines = [line for line in rest.stderr.splitlines() if line.startswith("embed: ")]
    assert len(lines) >= 2 and lines[-1].startswith("embed: 1,518 of 1,518 (100%)"), rest.stderr


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_search_modes(home: Path, mode: str) -> None:
    found = ids(run_cli(home, "search", "multimodal concept bottleneck", "--mode", mode, "--json"))
    assert len(found) == (2 if mode == "keyword" else 20)  # only two papers have all words
    if mode != "semantic":
        assert found[0] == "arxiv:2606.19882"


def test_semantic_search_with_filters(home: Path) -> None:
    result = run_cli(
        home,
        "search",
        "robot manipulation policy",
        "--mode",
        "semantic",
        "--category",
        "cs.RO",
        "--since",
        "2026-06-30",
        "--json",
        "-n",
        "5",
    )
    assert_ok(result)
    papers = orjson.loads(result.stdout)
    assert len(papers) == 5
    for paper in papers:
        assert "cs.RO" in paper["categories"] and paper["listed"] >= "2026-06-30"


def test_semantic_mode_without_embeddings_is_a_clear_error(tmp_path: Path) -> None:
    assert_ok(run_cli(tmp_path, "ingest", ARXIV_SLICE))
    result = run_cli(tmp_path, "search", "anything", "--mode", "semantic")
    assert result.code == 2
    assert result.stderr.strip() == (
        "error: the store has no embeddings yet: run `paperradar embed` first"
    )


def test_similar_by_id_text_and_file(home: Path, tmp_path: Path) -> None:
    by_id = ids(run_cli(home, "similar", "2606.19882v2", "--json", "-n", "7"))
    assert len(by_id) == 7 and "arxiv:2606.19882" not in by_id
    by_text = ids(run_cli(home, "similar", "--text", "concept bottleneck models", "--json"))
    assert len(by_text) == 10
    bib = tmp_path / "mine.bib"
    bib.write_text(
        "@article{shi2026, title = {Multimodal Concept Bottleneck Models},\n"
        "  author = {Shi, Tongqing}, eprint = {2606.19882}, archivePrefix = {arXiv}}\n",
        encoding="utf-8",
    )
    by_file = ids(run_cli(home, "similar", "--file", bib, "--json", "-n", "5"))
    assert len(by_file) == 5 and "arxiv:2606.19882" not in by_file


def test_similar_needs_exactly_one_query(home: Path) -> None:
    for args in ([], ["2606.19882", "--text", "x"]):
        result = run_cli(home, "similar", *args)
        assert result.code == 2
        assert result.stderr.startswith("error: give exactly one of")


def test_similar_table_output(home: Path) -> None:
    result = assert_ok(run_cli(home, "similar", "2606.19882", "-n", "3"))
    assert "cosine" in result.stdout and result.stdout.count("arxiv:") == 3
    assert REPO.exists()
