"""Tuning the ranking's defaults (paperradar.eval.tuning.rule, tuning.sets, tuning.run, and
``paperradar eval tune``) on the hand-written eval fixtures, with the fake embedder."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import paths

from paperradar.cli import main
from paperradar.embedding import FakeEmbedder
from paperradar.errors import UsageError
from paperradar.eval import authors as author_data
from paperradar.eval.methods import PaperRadar
from paperradar.eval.metrics import ndcg_percent
from paperradar.eval.replay import UserRanker, replay, user_metrics
from paperradar.eval.tuning.rule import (
    TEXTS,
    Benchmark,
    Paired,
    Task,
    choose,
    figure,
    measure_config,
    measure_feedback,
    measure_grid,
)
from paperradar.eval.tuning.run import format_tuning, run, tuning_to_json
from paperradar.eval.tuning.sets import (
    authors_benchmark,
    citeulike_benchmark,
    csfcube_benchmark,
)
from paperradar.radar.ranking import RankingConfig

EVAL = paths.FIXTURES / "eval"
CSFCUBE = EVAL / "csfcube"
CITEULIKE = EVAL / "citeulike"
AUTHORS = EVAL / "authors.jsonl"


@pytest.fixture(scope="module")
def benches() -> dict[str, Benchmark]:
    embedder = FakeEmbedder()
    return {
        "csfcube": csfcube_benchmark(CSFCUBE, embedder, None),
        "citeulike": citeulike_benchmark(CITEULIKE, embedder, None, users=0),
        "authors": authors_benchmark(AUTHORS, embedder, None, users=4),
    }


# --------------------------------------------------------------------------- figures


def test_recall_is_pooled_over_a_units_tasks() -> None:
    a = Task((0,), np.arange(1, 6), {1: 1.0, 2: 1.0})
    b = Task((0,), np.arange(6, 9), {8: 1.0})
    # task a finds 1 of 2 in its top 2, task b finds its one target: 2 of 3 targets
    assert figure("recall@2", [a, b], [[1, 3, 2], [8, 6]]) == pytest.approx(2 / 3)
    assert figure("recall@1", [a, b], [[3, 1], [6, 8]]) == 0.0


def test_ndcg20_is_csfcubes_on_the_whole_pool() -> None:
    pool = np.arange(10)
    task = Task((99,), pool, {3: 3.0, 7: 1.0})
    ranking = [7, 3, 0, 1, 2, 4, 5, 6, 8, 9]
    gains = [1.0, 3.0] + [0.0] * 8
    ideal = [0, 0, 0, 3.0, 0, 0, 0, 1.0, 0, 0]
    assert figure("ndcg%20", [task], [ranking]) == pytest.approx(ndcg_percent(gains, ideal, 20))
    with pytest.raises(UsageError):
        figure("map", [task], [ranking])


# --------------------------------------------------------------------------- the rule


def _values(**by_value: tuple[list[float], list[float]]) -> dict[str, dict[str, list[float]]]:
    return {v: {"one": a, "two": b} for v, (a, b) in by_value.items()}


def test_a_value_significantly_better_on_one_and_worse_on_none_is_adopted() -> None:
    same = [0.5, 0.4, 0.6, 0.5]
    per_value = _values(
        old=(same, same),
        new=([0.6, 0.5, 0.7, 0.6], [0.5, 0.41, 0.6, 0.5]),
    )
    choice = choose("knob", "old", per_value)
    assert choice.candidate == "new" and choice.adopted and choice.chosen == "new"
    assert choice.tune_paired["one"].better and choice.tune_paired["two"].diff > 0
    assert choice.relative["new"] == pytest.approx(0.0025 / 0.5)  # the worst benchmark's
    assert choice.mean_relative["new"] == pytest.approx((0.1 / 0.5 + 0.0025 / 0.5) / 2)


def test_the_value_best_on_every_benchmark_beats_a_larger_gain_on_one() -> None:
    base = [0.5, 0.4, 0.6, 0.5]
    up = [x + 0.02 for x in base]
    per_value = _values(
        old=(base, base),
        lopsided=([x + 0.2 for x in base], [x - 0.01 for x in base]),
        even=(up, up),
    )
    choice = choose("knob", "old", per_value)
    assert choice.mean_relative["lopsided"] > choice.mean_relative["even"]
    assert choice.candidate == "even" and choice.adopted


def test_a_value_worse_on_one_benchmark_is_never_adopted() -> None:
    same = [0.5, 0.4, 0.6, 0.5]
    per_value = _values(old=(same, same), new=([0.9, 0.8, 1.0, 0.9], [0.4, 0.3, 0.5, 0.4]))
    choice = choose("knob", "old", per_value)
    assert choice.relative["new"] < 0 < choice.mean_relative["new"]
    assert choice.candidate == "old" and not choice.adopted and choice.chosen == "old"


def test_a_gain_within_the_noise_is_not_adopted_and_ties_keep_the_current_value() -> None:
    base = [0.5, 0.4, 0.6, 0.5]
    noisy = [0.6, 0.3, 0.7, 0.42]
    choice = choose("knob", "old", _values(old=(base, base), new=(noisy, noisy)))
    assert choice.candidate == "new" and not choice.adopted
    assert "noise" in choice.reason
    tie = choose("knob", "old", _values(old=(base, base), new=(base, base)))
    assert tie.candidate == "old" and not tie.adopted


def test_one_benchmark_or_an_unmeasured_current_value_is_refused() -> None:
    with pytest.raises(UsageError, match="two benchmarks"):
        choose("knob", "old", {"old": {"one": [0.5]}, "new": {"one": [0.6]}})
    with pytest.raises(UsageError, match="not measured"):
        choose("knob", "gone", _values(old=([0.5], [0.5])))


def test_paired_difference_and_its_interval() -> None:
    p = Paired.of([0.1, 0.2, 0.3], [0.2, 0.4, 0.3])
    assert p.before == pytest.approx(0.2) and p.after == pytest.approx(0.3) and p.n == 3
    assert p.diff == pytest.approx(0.1)
    assert p.ci95 == pytest.approx(1.96 * np.std([0.1, 0.2, 0.0], ddof=1) / np.sqrt(3))


# --------------------------------------------------------------------------- the splits


def test_tune_and_report_units_are_disjoint_and_follow_the_data(
    benches: dict[str, Benchmark],
) -> None:
    cube = benches["csfcube"]
    splits = json.loads((CSFCUBE / "evaluation_splits.json").read_text(encoding="utf-8"))
    assert [u.name for u in cube.tune] == splits["all"]["fold1_test"]
    assert [u.name for u in cube.report] == splits["all"]["fold2_test"]
    for bench in benches.values():
        assert bench.tune and bench.report
        assert not {u.name for u in bench.tune} & {u.name for u in bench.report}
    citeulike = benches["citeulike"]
    assert set(citeulike.items) == {TEXTS[0]}  # titles only: no text variant
    for unit in citeulike.tune:
        (task,) = unit.tasks
        assert len(task.own) == 10 and not set(task.own) & set(task.candidates.tolist())
        (fb,) = unit.feedback
        assert (len(fb.own), len(fb.liked), len(fb.disliked)) == (3, 3, 3)
        assert set(fb.own) | set(fb.liked) <= set(task.own)
        assert not set(fb.disliked) & (set(task.own) | set(task.relevant))
        assert not set(fb.disliked) & set(fb.candidates.tolist())
    authors = benches["authors"]
    assert all(u.sequential and u.feedback for u in authors.tune + authors.report)


# --------------------------------------------------------------------------- measuring


def test_the_grid_shortcut_equals_the_scorer_end_to_end(benches: dict[str, Benchmark]) -> None:
    base = RankingConfig()
    for bench in benches.values():
        units = bench.tune + bench.report
        grid = measure_grid(bench, units, base, ks=(1, 3), weights=(0.0, 0.2, 0.5))
        for (k, w), figures in grid.values.items():
            config = replace(base, k_nearest=k, keyword_weight=w)
            assert figures == pytest.approx(measure_config(bench, units, config)), (bench.name, k)


def test_sequential_feedback_is_the_author_replay_with_simulated_likes(
    benches: dict[str, Benchmark],
) -> None:
    embedder = FakeEmbedder()
    listing = author_data.load(AUTHORS)
    feed, _ = author_data.make_feed(listing, embedder, None)
    cut = author_data.default_cutoff(listing.listing_days())
    everyone = author_data.pseudo_users([p.authors for p in listing.papers], listing.days, cut)
    drawn = author_data.sample_users(everyone, 4, 0)
    bench = benches["authors"]
    units = bench.tune + bench.report
    assert [u.name for u in units] == [u.name for u in drawn]
    config = RankingConfig(feedback_half=2.5)
    ours = measure_feedback(bench, units, config)
    for number, (user, value) in enumerate(zip(drawn, ours, strict=True)):
        method = PaperRadar("paperradar", config)
        days = replay(UserRanker(method, feed, user, 20), likes=True, seed=number)
        assert value == pytest.approx(user_metrics(days, (20,))["recall@20"]), user.name


def test_feedback_without_the_classifier_differs_only_by_the_classifier(
    benches: dict[str, Benchmark],
) -> None:
    bench = benches["citeulike"]
    with_classifier = measure_feedback(bench, bench.tune, RankingConfig())
    plain = measure_feedback(bench, bench.tune, RankingConfig(), classifier=False)
    # a huge half gives the classifier a weight near 0: the plain figures again
    faint = measure_feedback(bench, bench.tune, RankingConfig(feedback_half=1e12))
    assert faint == pytest.approx(plain)
    assert len(with_classifier) == len(plain) == len(bench.tune)


# --------------------------------------------------------------------------- the run


def test_run_chooses_every_knob_on_tune_and_reports_the_rest(
    benches: dict[str, Benchmark],
) -> None:
    report = run(list(benches.values()))
    knobs = [c.knob for c in report.choices]
    assert knobs == ["k_nearest, keyword_weight", "feedback_half", "text fields"]
    grid, feedback, text = report.choices
    assert set(grid.report) == set(benches)
    assert set(feedback.tune[10.0]) == {"citeulike", "authors"}  # no feedback in csfcube
    assert set(text.tune["title"]) == {"csfcube", "authors"}  # citeulike has titles only
    assert (report.after.k_nearest, report.after.keyword_weight) == grid.chosen
    assert report.after.feedback_half == feedback.chosen
    for choice in report.choices:
        assert choice.chosen in (choice.current, choice.candidate)
        assert choice.adopted == (choice.chosen != choice.current)
    assert set(report.overall) == set(benches)
    text_out = format_tuning(report)
    now = RankingConfig()
    assert (
        f"defaults before: k_nearest={now.k_nearest}, keyword_weight={now.keyword_weight:g}, "
        f"feedback_half={now.feedback_half:g}"
    ) in text_out
    assert "REPORT" in text_out and "TUNE" in text_out
    data = json.loads(json.dumps(tuning_to_json(report)))
    assert data["choices"][0]["current"] == f"k={now.k_nearest}, w={now.keyword_weight:g}"
    assert set(data["choices"][0]["worst_relative_change"]) == set(data["choices"][0]["tune"])
    assert "worst rel." in text_out and "mean rel." in text_out
    assert "k=all, w=0" in data["choices"][0]["tune"]


def test_run_refuses_one_benchmark(benches: dict[str, Benchmark]) -> None:
    with pytest.raises(UsageError, match="at least two"):
        run([benches["csfcube"]])
    with pytest.raises(UsageError, match="twice"):
        run([benches["csfcube"], benches["csfcube"]])


def test_cli_tunes_on_two_benchmarks_and_refuses_one(tmp_path: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(tmp_path / "home")]
    one = runner.invoke(main, [*home, "eval", "tune", "--csfcube", str(CSFCUBE), "-q"])
    assert one.exit_code != 0
    assert "at least two of --csfcube, --citeulike and --authors" in one.output
    missing = runner.invoke(
        main,
        [*home, "eval", "tune", "--csfcube", str(tmp_path / "nope"), "--authors", str(AUTHORS)],
    )
    assert missing.exit_code != 0 and "nope" in missing.output
    two = runner.invoke(
        main,
        [
            *home,
            "eval",
            "tune",
            "--csfcube",
            str(CSFCUBE),
            "--authors",
            str(AUTHORS),
            "--authors-users",
            "4",
            "--json",
        ],
        env={"PAPERRADAR_EMBEDDER": "fake"},
    )
    assert two.exit_code == 0, two.output
    data = json.loads(two.output)
    assert [b["name"] for b in data["benchmarks"]] == ["csfcube", "authors"]
    assert [c["knob"] for c in data["choices"]] == ["k_nearest, keyword_weight", "text fields"]
