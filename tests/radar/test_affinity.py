"""Reviewer–paper affinity: the OpenReview expertise readers, the CSV, scores that are the
digest's scores, and the vector cache (fixtures in tests/fixtures/affinity/)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from helpers import paths

from paperradar.embedding import FakeEmbedder, Progress, Vectors
from paperradar.errors import FormatError, UsageError
from paperradar.models import Paper
from paperradar.radar.affinity import (
    AffinityReport,
    compute_affinity,
    read_reviewers,
    read_submissions,
    reviewer_scorer,
    write_scores,
)
from paperradar.radar.profiles import add_ids, create_profile, load_profile
from paperradar.radar.ranking import Anchor, Scorer, Text, rank
from paperradar.store import Store
from paperradar.store.sqlite.vectors import VECTOR_DTYPE

FIXTURES = paths.FIXTURES / "affinity"
REVIEWERS = FIXTURES / "reviewers"
SUBMISSION_FILES = ["submissions.json", "submissions-list.json", "submissions.jsonl"]
SUBMISSIONS = FIXTURES / "submissions.json"
TOPICS = {
    "~Alice_Graph1": "sub-graph",
    "~Bob_Speech1": "sub-speech",
    "~Carol_Crypto1": "sub-crypto",
}


class CountingEmbedder:
    """The fake embedder, counting the calls and texts that reach it."""

    def __init__(self) -> None:
        self.inner = FakeEmbedder()
        self.model_id = self.inner.model_id
        self.dim = self.inner.dim
        self.calls = 0
        self.texts = 0

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> Vectors:
        self.calls += 1
        self.texts += len(texts)
        return self.inner.embed(texts, progress)


def current_umask() -> int:
    mask = os.umask(0o22)
    os.umask(mask)
    return mask


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def score_of(report: AffinityReport, reviewer: str, submission: str) -> float:
    r = report.reviewer_ids.index(reviewer)
    return float(report.scores[r, report.submission_ids.index(submission)])


# --------------------------------------------------------------------------- reading


def test_reviewers_are_file_stems_with_their_papers() -> None:
    reviewers = {r.id: r for r in read_reviewers(REVIEWERS)}
    assert set(reviewers) == {"~Alice_Graph1", "~Bob_Speech1", "~Carol_Crypto1", "~Dan_Empty1"}
    assert reviewers["~Dan_Empty1"].papers == []
    bob = reviewers["~Bob_Speech1"].papers  # API v2 {"value": ...} content
    assert bob[0].title == "Streaming speech recognition with transducer acoustic models"
    assert bob[2].title.startswith("Speaker adaptation") and bob[2].abstract == ""
    carol = reviewers["~Carol_Crypto1"].papers  # a blank line, then no title; no text at all
    assert [p.id for p in carol] == ["carol-1", "carol-2", "carol-3", "carol-4"]
    assert carol[1].title == "" and carol[1].abstract.startswith("Lattice key exchange")
    assert str(carol[1].where).endswith("~Carol_Crypto1.jsonl:3")
    assert [p.has_text for p in carol] == [True, True, False, False]


@pytest.mark.parametrize("name", SUBMISSION_FILES)
def test_submission_formats_read_alike(name: str) -> None:
    docs = read_submissions(FIXTURES / name)
    assert [d.id for d in docs] == ["sub-graph", "sub-speech", "sub-crypto", "sub-empty"]
    assert docs[1].title == "Acoustic encoders for streaming speech recognition"
    assert docs[2].abstract == "" and docs[2].title.startswith("Module lattice")
    assert not docs[3].has_text
    reference = read_submissions(SUBMISSIONS)
    assert [(d.title, d.abstract) for d in docs] == [(d.title, d.abstract) for d in reference]


def test_submission_id_falls_back_to_the_key_and_numbers_are_ids(tmp_path: Path) -> None:
    mapping = write(tmp_path / "s.json", '{"n1": {"content": {"title": "A"}}, "n2": {"id": 7}}')
    assert [d.id for d in read_submissions(mapping)] == ["n1", "7"]
    one = write(tmp_path / "one.jsonl", '\n{"id": "x", "content": {"abstract": "B"}}\n')
    assert [(d.id, d.abstract) for d in read_submissions(one)] == [("x", "B")]


# --------------------------------------------------------------------------- bad input


def test_malformed_reviewer_line_names_file_and_line() -> None:
    with pytest.raises(FormatError) as caught:
        compute_affinity(FIXTURES / "reviewers-bad", SUBMISSIONS, FakeEmbedder())
    path = FIXTURES / "reviewers-bad" / "~Eve_Broken1.jsonl"
    assert caught.value.line == 2
    assert str(caught.value).startswith(f"{path}:2: invalid JSON")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"id": "a", "content": {}}\n{"id": "b", "content": {}}\n{"id": \n', ":3: invalid JSON"),
        ('[{"id": "a"},\n "b"]', ": item 2: expected a submission object, got a string"),
        ('[{"id": "a"},\n {"id": "b",}]', ":2: invalid JSON"),
        ('{\n  "a": {"id": "a"},\n  "b": {"id": "b"\n}\n', ":5: invalid JSON"),
        ('{"id": "a", "content": {"title": ["x"]}}\n', ":1: title must be a string, got an array"),
        ('{"id": "a"}\n\n{"id": "a"}\n', ":3: duplicate submission id 'a' (first at "),
        ('{"content": {"title": "no id"}}\n', ":1: submission has no id"),
        ('{"s": {"id": "s", "content": "text"}}', ": submission 's': content must be an object"),
        ("id,title\n1,x\n", ":1: expected a JSON object, a JSON array or JSON Lines"),
    ],
)
def test_malformed_submissions_are_format_errors(tmp_path: Path, text: str, where: str) -> None:
    path = write(tmp_path / "subs.json", text)
    with pytest.raises(FormatError) as caught:
        read_submissions(path)
    assert str(caught.value).startswith(f"{path}{where}")


def test_empty_inputs_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no reviewer files"):
        compute_affinity(tmp_path / "empty", SUBMISSIONS, FakeEmbedder())
    with pytest.raises(UsageError, match="not a directory"):
        compute_affinity(tmp_path / "missing", SUBMISSIONS, FakeEmbedder())
    for text in ("", "  \n", "[]", "{}"):
        with pytest.raises(UsageError, match="no submissions"):
            compute_affinity(REVIEWERS, write(tmp_path / "s.json", text), FakeEmbedder())
    with pytest.raises(UsageError, match="no such file"):
        compute_affinity(REVIEWERS, tmp_path / "absent.json", FakeEmbedder())
    only_empty = write(tmp_path / "e.jsonl", '{"id": "x", "content": {"title": ""}}\n')
    with pytest.raises(UsageError, match="no submission has a title or an abstract"):
        compute_affinity(REVIEWERS, only_empty, FakeEmbedder())
    write(tmp_path / "nobody" / "~Z1.jsonl", '{"id": "z", "content": {}}\n')
    with pytest.raises(UsageError, match="no reviewer has a paper"):
        compute_affinity(tmp_path / "nobody", SUBMISSIONS, FakeEmbedder())


# --------------------------------------------------------------------------- scores and CSV


@pytest.mark.parametrize("name", SUBMISSION_FILES)
def test_csv_has_one_row_per_pair_and_no_header(tmp_path: Path, name: str) -> None:
    report = compute_affinity(REVIEWERS, FIXTURES / name, FakeEmbedder())
    out = tmp_path / "scores.csv"
    assert write_scores(report.rows(), out) == 9
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 9 and all(len(row) == 3 for row in rows)
    assert {r[1] for r in rows} == set(TOPICS)  # the empty reviewer has no rows
    assert {r[0] for r in rows} == set(TOPICS.values())  # nor the submission without text
    assert len({(r[0], r[1]) for r in rows}) == 9
    for submission, reviewer, score in rows:
        assert float(score) == pytest.approx(score_of(report, reviewer, submission), abs=5e-7)
    assert report.reviewers_without_papers == ["~Dan_Empty1"]
    assert report.skipped_papers == 2
    assert report.skipped_submissions == ["sub-empty"]
    assert report.pairs == 9 and report.texts == 11


def test_reviewer_scores_their_topic_highest() -> None:
    report = compute_affinity(REVIEWERS, SUBMISSIONS, FakeEmbedder())
    for reviewer, topic in TOPICS.items():
        others = [s for s in report.submission_ids if s != topic]
        best_other = max(score_of(report, reviewer, s) for s in others)
        assert score_of(report, reviewer, topic) > best_other + 0.1
        rivals = [r for r in TOPICS if r != reviewer]  # and the topic's best reviewer
        assert score_of(report, reviewer, topic) > max(score_of(report, r, topic) for r in rivals)


def test_scores_are_the_scorers_scores(tmp_path: Path) -> None:
    """Each reviewer scored by a Scorer built as the digest builds one: anchors and texts of
    their papers, vectors as the store's cache holds them (float16, renormalised)."""
    store = Store(tmp_path / "radar.db")
    embedder = FakeEmbedder()
    report = compute_affinity(REVIEWERS, SUBMISSIONS, embedder, store=store)
    reviewers = {r.id: r for r in read_reviewers(REVIEWERS)}
    subs = [d for d in read_submissions(SUBMISSIONS) if d.has_text]

    def cached(keys: list[str]) -> Vectors:
        rows = [
            store.conn.execute(
                "SELECT vector FROM vectors WHERE model = ? AND content_hash = ?",
                (embedder.model_id, key),
            ).fetchall()[0]["vector"]
            for key in keys
        ]
        m = np.vstack([np.frombuffer(b, dtype=VECTOR_DTYPE) for b in rows]).astype(np.float32)
        normalised: Vectors = m / np.linalg.norm(m, axis=1, keepdims=True)
        return normalised

    sub_vectors = cached([d.key for d in subs])
    for r, reviewer in enumerate(report.reviewer_ids):
        papers = [p for p in reviewers[reviewer].papers if p.has_text]
        anchors = [Anchor(i, p.id, p.title, "own") for i, p in enumerate(papers)]
        bodies = [Text(p.title, p.abstract).body for p in papers]
        scorer = Scorer(anchors, cached([p.key for p in papers]), bodies)
        expected = scorer.score(sub_vectors, [Text(d.title, d.abstract) for d in subs]).score
        np.testing.assert_array_equal(report.scores[r], expected)
        again = reviewer_scorer(papers, cached([p.key for p in papers]))
        np.testing.assert_array_equal(
            again.score(sub_vectors, [Text(d.title, d.abstract) for d in subs]).score, expected
        )
    store.close()


def test_scores_match_the_digest_ranking(tmp_path: Path) -> None:
    """A reviewer's papers as a stored profile and the submissions as stored candidates:
    ``ranking.rank`` gives each submission the score affinity gives it."""
    report = compute_affinity(REVIEWERS, SUBMISSIONS, FakeEmbedder())
    store = Store(tmp_path / "radar.db")
    embedder = FakeEmbedder()
    subs = [d for d in read_submissions(SUBMISSIONS) if d.has_text]
    store.papers.upsert(
        [Paper(title=d.title, abstract=d.abstract, doi=f"10.1/{d.id}") for d in subs]
    )
    candidates = [store.papers.resolve(f"doi:10.1/{d.id}") for d in subs]
    for reviewer in read_reviewers(REVIEWERS):
        papers = [p for p in reviewer.papers if p.has_text]
        if not papers:
            continue
        store.papers.upsert(
            [Paper(title=p.title, abstract=p.abstract, doi=f"10.1/{p.id}") for p in papers]
        )
        name = reviewer.id.strip("~").lower().replace("_", "-")
        create_profile(store, name)
        add_ids(store, name, [f"doi:10.1/{p.id}" for p in papers])
        ranked, _ = rank(store, load_profile(store, name), embedder, candidates)
        digest = {r.row_id: r.score for r in ranked}
        for d, row_id in zip(subs, candidates, strict=True):
            assert score_of(report, reviewer.id, d.id) == pytest.approx(digest[row_id], abs=5.1e-5)
    store.close()


# --------------------------------------------------------------------------- cache, progress


def test_second_run_with_a_store_embeds_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "radar.db")
    first_embedder = CountingEmbedder()
    first = compute_affinity(REVIEWERS, SUBMISSIONS, first_embedder, store=store)
    assert (first_embedder.calls, first_embedder.texts) == (1, 11)  # every text once
    assert first.embedded == 11

    second_embedder = CountingEmbedder()
    second = compute_affinity(
        REVIEWERS, FIXTURES / "submissions.jsonl", second_embedder, store=store
    )
    assert (second_embedder.calls, second_embedder.texts, second.embedded) == (0, 0, 0)
    np.testing.assert_array_equal(second.scores, first.scores)  # cached = fresh vectors

    no_store = compute_affinity(REVIEWERS, SUBMISSIONS, CountingEmbedder())
    np.testing.assert_array_equal(no_store.scores, first.scores)

    grown = write(
        tmp_path / "more.jsonl", '{"id": "new", "content": {"title": "Graph lattices"}}\n'
    )
    third_embedder = CountingEmbedder()
    compute_affinity(REVIEWERS, grown, third_embedder, store=store)
    assert (third_embedder.calls, third_embedder.texts) == (1, 1)  # only the new text
    store.close()


def test_progress_reports_embedding_and_scoring() -> None:
    seen: list[tuple[str, int, int]] = []
    compute_affinity(REVIEWERS, SUBMISSIONS, FakeEmbedder(), progress=lambda *a: seen.append(a))
    assert seen[0] == ("embed", 0, 11) and ("embed", 11, 11) in seen
    assert [s for s in seen if s[0] == "score"] == [("score", i, 3) for i in (1, 2, 3)]


# --------------------------------------------------------------------------- writing


def test_write_scores_replaces_atomically(tmp_path: Path) -> None:
    out = write(tmp_path / "scores.csv", "old\n")

    def rows() -> Iterator[tuple[str, str, float]]:
        yield ("s1", "~R1", 0.5)
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        write_scores(rows(), out)
    assert out.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.csv"]
    assert write_scores([("s1", "~R1", 0.25), ("s,2", "~R1", -0.125)], out) == 2
    assert out.read_text(encoding="utf-8") == 's1,~R1,0.250000\n"s,2",~R1,-0.125000\n'
    odd = ["a,b", 'q"uote', "new\nline", "cr\rx", " spaced "]
    write_scores([(v, v, 1.0) for v in odd], out)
    with open(out, encoding="utf-8", newline="") as fh:
        assert list(csv.reader(fh)) == [[v, v, "1.000000"] for v in odd]
    assert out.stat().st_mode & 0o777 == 0o666 & ~current_umask()
    with pytest.raises(UsageError, match="cannot write"):
        write_scores([], tmp_path / "no-such-dir" / "scores.csv")


def test_cli_affinity_writes_the_csv_and_reports_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers.cli import run_cli

    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    fixtures = paths.FIXTURES / "affinity"
    out = tmp_path / "scores.csv"
    done = run_cli(
        tmp_path / "home",
        "affinity",
        "--reviewers",
        fixtures / "reviewers",
        "--submissions",
        fixtures / "submissions.json",
        "--out",
        out,
        "--json",
    )
    assert done.code == 0, done.stderr
    rows = out.read_text(encoding="utf-8").splitlines()
    assert len(rows) == json.loads(done.stdout)["pairs"] > 0
    assert all(len(row.split(",")) == 3 for row in rows)
    bad = run_cli(
        tmp_path / "home",
        "affinity",
        "--reviewers",
        fixtures / "reviewers-bad",
        "--submissions",
        fixtures / "submissions.json",
        "--out",
        tmp_path / "bad.csv",
    )
    assert bad.code == 2 and "~Eve_Broken1.jsonl:2:" in bad.stderr
    assert not (tmp_path / "bad.csv").exists()
