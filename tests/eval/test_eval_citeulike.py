"""CiteULike-a loading and protocol, on a miniature in the dataset's own file formats."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import paths

from paperradar.embedding import FakeEmbedder
from paperradar.errors import FormatError, InputError, UsageError
from paperradar.eval import EvalReport, EvalRow
from paperradar.eval.citeulike import (
    METRICS,
    draw_users,
    embed_titles,
    libraries_matrix,
    load,
    recalls,
    run,
)
from paperradar.store import Store

FIXTURE = paths.FIXTURES / "eval" / "citeulike"


def rows_by_method(report: EvalReport) -> dict[str, EvalRow]:
    return {row.method: row for row in report.rows}


def copy_fixture(tmp_path: Path) -> Path:
    target = tmp_path / "citeulike-a"
    shutil.copytree(FIXTURE, target)
    return target


# --------------------------------------------------------------------------- loading


def test_load_reads_both_splits() -> None:
    sparse = load(FIXTURE, "sparse")
    assert len(sparse.titles) == 400
    assert sparse.titles[0] == "Residue folding and peptide analysis"
    assert len(sparse.train) == len(sparse.test) == 24
    assert all(len(items) == 1 for items in sparse.train)
    dense = load(FIXTURE, "dense")
    assert all(len(items) == 10 for items in dense.train)
    assert dense.test[23] == []  # a user with exactly 10 items: nothing left to find
    # the same libraries, cut differently
    for user in range(24):
        assert sorted(sparse.train[user] + sparse.test[user]) == sorted(
            dense.train[user] + dense.test[user]
        )


def test_missing_folder_and_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a folder"):
        load(tmp_path / "nowhere")
    data = copy_fixture(tmp_path)
    (data / "splits-cvae" / "cf-test-1-users.dat").unlink()
    (data / "titles.txt").unlink()
    with pytest.raises(InputError, match=r"missing titles.txt, splits-cvae/cf-test-1-users.dat"):
        load(data, "sparse")
    with pytest.raises(InputError, match=r"missing titles.txt$"):
        load(data, "dense")


def test_malformed_lines_are_reported_with_file_and_line(tmp_path: Path) -> None:
    data = copy_fixture(tmp_path)
    path = data / "splits-cvae" / "cf-train-1-users.dat"
    lines = path.read_text().splitlines()
    lines[2] = "2 17"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=r"cf-train-1-users.dat:3: says 2 items and lists 1"):
        load(data)
    lines[2] = "1 400"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=r":3: item 400 is not one of the 400 titles"):
        load(data)
    lines[2] = "1 x"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=r":3: not a list of integers"):
        load(data)


def test_a_test_item_that_is_also_a_training_item_is_refused(tmp_path: Path) -> None:
    data = copy_fixture(tmp_path)
    train = (data / "splits-cvae" / "cf-train-1-users.dat").read_text().splitlines()
    path = data / "splits-cvae" / "cf-test-1-users.dat"
    lines = path.read_text().splitlines()
    lines[0] = "1 " + train[0].split()[1]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=r"cf-test-1-users.dat:1: test items that are also"):
        load(data)


def test_unknown_split_method_and_mode_are_usage_errors() -> None:
    embedder = FakeEmbedder()
    with pytest.raises(UsageError, match="sparse or dense"):
        run(FIXTURE, embedder=embedder, split="medium")
    with pytest.raises(UsageError, match="unknown method"):
        run(FIXTURE, embedder=embedder, methods=["magic"])
    with pytest.raises(UsageError, match="collaborative"):
        run(FIXTURE, embedder=embedder, methods=["co-occurrence"], collaborative="all")
    with pytest.raises(UsageError, match="users must be"):
        run(FIXTURE, embedder=embedder, methods=["max-cosine"], users=-1)


# --------------------------------------------------------------------------- protocol


def test_recall_counts_test_items_in_the_top_m() -> None:
    ranked = list(range(400))
    # targets at positions 10, 60 and 250: 1/3 in the top 50, 2/3 in 100, all in 300
    assert recalls(ranked, {10, 60, 250}) == pytest.approx((1 / 3, 2 / 3, 1.0))


def test_users_are_a_seeded_draw_of_users_with_a_test_item() -> None:
    dense = load(FIXTURE, "dense")
    everyone = draw_users(dense, 0, seed=0)
    assert sorted(everyone) == [u for u in range(24) if u != 23]
    assert draw_users(dense, 5, seed=0) == everyone[:5]
    assert draw_users(dense, 5, seed=0) == draw_users(dense, 5, seed=0)
    assert draw_users(dense, 5, seed=1) != draw_users(dense, 5, seed=0)


def test_libraries_hold_training_items_or_whole_libraries() -> None:
    sparse = load(FIXTURE, "sparse")
    train = libraries_matrix(sparse, "train")
    full = libraries_matrix(sparse, "full")
    assert train.shape == full.shape == (24, 400)
    assert train.sum() == 24
    assert full.sum() == sum(
        len(a) + len(b) for a, b in zip(sparse.train, sparse.test, strict=True)
    )


def test_run_sparse_content_methods_find_the_users_topic() -> None:
    report = run(FIXTURE, embedder=FakeEmbedder(), methods=["max-cosine", "bm25"], users=0)
    rows = rows_by_method(report)
    assert set(rows) == {"max-cosine", "bm25"}
    for row in rows.values():
        assert row.split == "sparse"
        assert row.n == 24
        assert list(row.metrics) == list(METRICS)
        r50, r100, r300 = (row.metrics[m] for m in METRICS)
        # each user's topic has 50 items, most of their library: chance is 50/399 = 0.13
        assert r50 > 0.4, row
        assert r50 <= r100 <= r300 <= 1.0
        assert set(row.ci95) == set(METRICS) and all(v >= 0 for v in row.ci95.values())
    assert report.dataset == "citeulike-a"
    assert "sparse" in report.protocol and "titles only" in report.protocol
    assert report.published[("CVAE (Li & She 2017)", "sparse", "recall@50")] == 0.107
    assert len(report.published) == 12
    assert any("titles only" in note for note in report.notes)


def test_run_dense_leaves_out_users_without_test_items() -> None:
    report = run(FIXTURE, embedder=FakeEmbedder(), methods=["mean-cosine"], split="dense", users=0)
    (row,) = report.rows
    assert row.split == "dense" and row.n == 23
    assert report.published == {}
    assert any("1 users have no test item" in note for note in report.notes)
    assert any("10 lowest item ids" in note for note in report.notes)


def test_runs_are_reproducible_and_a_sample_is_smaller() -> None:
    first = run(FIXTURE, embedder=FakeEmbedder(), methods=["zotero"], users=7, seed=3)
    second = run(FIXTURE, embedder=FakeEmbedder(), methods=["zotero"], users=7, seed=3)
    assert first.rows[0].n == 7
    assert first.rows == second.rows


def test_co_occurrence_needs_other_users_libraries_to_help() -> None:
    # the training matrix holds each user's 10 lowest item ids, their other users' whole
    # libraries hold most of each topic: co-occurrence finds the topic from the latter
    def recall(collaborative: str, split: str) -> float:
        report = run(
            FIXTURE,
            embedder=FakeEmbedder(),
            methods=["co-occurrence"],
            users=0,
            split=split,
            collaborative=collaborative,
        )
        return report.rows[0].metrics["recall@50"]

    full_dense = recall("full", "dense")
    assert full_dense > recall("train", "dense") + 0.3
    # the user's own row is left out: with it, every test item would co-occur with the
    # training items and recall@50 would be about 1
    assert full_dense < 0.8
    # sparse: one training item per user, so no two items ever co-occur in the training
    # matrix; co-occurrence is then popularity alone, about chance here (50/399)
    assert recall("train", "sparse") < 0.2
    full = run(
        FIXTURE, embedder=FakeEmbedder(), methods=["co-occurrence"], users=2, collaborative="full"
    )
    assert any("not comparable" in note for note in full.notes)


def test_the_blend_is_tuned_on_tune_users_and_reported_on_report_users() -> None:
    report = run(
        FIXTURE,
        embedder=FakeEmbedder(),
        methods=["paperradar", "paperradar+co-occurrence"],
        users=0,
        collaborative="full",
    )
    rows = {(row.method, row.split): row for row in report.rows}
    assert rows[("paperradar", "sparse")].n == 24
    blend = rows[("paperradar+co-occurrence", "sparse/REPORT")]
    assert blend.n == 12
    assert rows[("paperradar", "sparse/REPORT")].n == 12
    assert rows[("co-occurrence", "sparse/REPORT")].n == 12
    assert ("paperradar+co-occurrence", "sparse") not in rows
    tuned = [note for note in report.notes if "chosen on TUNE" in note]
    assert len(tuned) == 1
    assert "the first 12 drawn users" in tuned[0] and "chosen w = " in tuned[0]
    assert any("minus paperradar" in note for note in report.notes)


def test_vectors_are_cached_in_the_store(tmp_path: Path) -> None:
    titles = load(FIXTURE).titles
    embedder = FakeEmbedder()
    with Store(tmp_path / "store.db") as store:
        first, embedded = embed_titles(titles, embedder, store)
        assert embedded == 400
        again, embedded = embed_titles(titles, embedder, store)
        assert embedded == 0
    assert sum(embedder.calls) == 400
    assert np.allclose(first, again)
    # float16 in the cache, renormalised: within 1e-3 of the embedder's own vectors
    assert np.abs(first - FakeEmbedder().embed(titles)).max() < 1e-3
    with Store(tmp_path / "store.db") as store:
        report = run(FIXTURE, embedder=embedder, methods=["max-cosine"], users=3, store=store)
    assert sum(embedder.calls) == 400
    assert any("0 titles embedded" in note for note in report.notes)
