"""paperradar.eval.csfcube on a hand-written CSFCube folder (tests/fixtures/eval/csfcube).

The fixture, in the dataset's real file formats: three query papers (100, 200, 300) and seven
query-facets (100_background, 100_method, 200_method, 200_result, 300_background, 300_method,
300_result), each with a pool of 10 candidates graded 0-3 (the pool of 100_background also
lists the query paper itself, graded 3, as the real data does). Every candidate abstract is
"Work <pid> is about <word>. It is new. It is done." where <word> is one facet word of its
query paper or a word of its own, so rankings are known by hand:

    query 100: background "parsing" (1002, 1006), method "transformer" (1001, 1003),
               result "accuracy" (1004)
    query 200: background "retrieval" (2005), method "graph" (2001, 2004), result "speed"
               (2002, 2007)
    query 300: background "translation" (3002, 3005; the query's sentence is labelled
               objective_label), method "attention" (3004), result "fluency" (3001, 3007)

Test folds: background [100] | [300]; method [100] | [200, 300]; result [200] | [300];
all [100_b, 100_m, 200_r] | [300_b, 200_m, 300_m, 300_r]. Pools of 10: NDCG%20's cutoff is
int(0.2 * 10) = 2, and with the dataset's discount ranks 1 and 2 both weigh 1, so NDCG%20 =
(gain 1 + gain 2) / (the two best gains of the pool).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import orjson
import pytest
from helpers import paths
from helpers.cli import assert_ok, run_cli

from paperradar.embedding import FakeEmbedder, Progress, Vectors, normalise_rows
from paperradar.errors import FormatError, UsageError
from paperradar.eval import EvalReport, EvalRow, csfcube
from paperradar.eval.table import format_report, report_to_json
from paperradar.store import Store

FIXTURE = paths.FIXTURES / "eval" / "csfcube"
WORDS = (
    *("parsing", "transformer", "accuracy", "retrieval", "graph", "speed"),
    *("translation", "attention", "fluency"),
)


class WordEmbedder:
    """One dimension per facet word of the fixture: a text's vector is its counts of those
    words, normalised (other words are ignored), so every cosine is known by hand."""

    model_id = "fixture-words"
    dim = len(WORDS)

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> Vectors:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().replace(".", " ").split():
                if word in WORDS:
                    out[row, WORDS.index(word)] += 1.0
        return normalise_rows(out)


@pytest.fixture(scope="module")
def cube() -> csfcube.Cube:
    return csfcube.load(FIXTURE)


@pytest.fixture(scope="module")
def rankings(cube: csfcube.Cube) -> csfcube.Rankings:
    return csfcube.rank(cube, csfcube.METHODS, WordEmbedder())


def row(report: EvalReport, method: str, split: str) -> EvalRow:
    rows = [r for r in report.rows if r.method == method and r.split == split]
    assert len(rows) == 1
    return rows[0]


def test_load(cube: csfcube.Cube) -> None:
    assert sorted(cube.pools) == [
        "100_background",
        "100_method",
        "200_method",
        "200_result",
        "300_background",
        "300_method",
        "300_result",
    ]
    assert all(len(pool) == 10 for pool in cube.pools.values())
    assert "100" not in cube.pools["100_background"]  # the query paper left out of its pool
    assert cube.pools["100_background"]["1002"] == 3
    assert cube.folds["method"] == (["100_method"], ["200_method", "300_method"])
    assert cube.specter is not None and cube.specter["100_method"][0] == "1005"
    query = cube.papers["300"]
    assert query.facet_sentences("background") == "Goal is translation."  # objective_label
    assert query.facet_sentences("method") == "Method is attention."
    assert cube.papers["1001"].abstract == "Work 1001 is about transformer. It is new. It is done."


def test_query_metrics_by_hand(cube: csfcube.Cube) -> None:
    assert cube.specter is not None
    ranked = cube.specter["200_result"]
    # SPECTER's grades in rank order: [0, 3, 2, 0, 0, 1, 2, 0, 0, 0]; relevant (>= 2) at
    # ranks 2, 3 and 7, all 3 of the pool's relevant candidates
    assert [cube.pools["200_result"][pid] for pid in ranked] == [0, 3, 2, 0, 0, 1, 2, 0, 0, 0]
    got = csfcube.query_metrics(ranked, cube.pools["200_result"])
    # ndcg: DCG = 0 + 3/log2(2) + 2/log2(3) + 0 + 0 + 1/log2(6) + 2/log2(7)
    #           = 3 + 1.2618595 + 0.3868528 + 0.7124144 = 5.3611267
    #      IDCG ([3, 2, 2, 1, 0, ...]) = 3 + 2/log2(2) + 2/log2(3) + 1/log2(4)
    #           = 3 + 2 + 1.2618595 + 0.5 = 6.7618595; NDCG = 0.7928480 (@20: the same)
    assert got == pytest.approx(
        {
            "r_prec": 3 / 7,  # 3 relevant down to the last one, at rank 7
            "p@20": 3 / 20,
            "r@20": 1.0,
            "ndcg": 0.7928480,
            "ndcg@20": 0.7928480,
            "ndcg%20": 3 / 5,  # (0 + 3) / (3 + 2)
            "map": 0.5317460,  # (1/2 + 2/3 + 3/7) / 3
        },
        abs=1e-6,
    )


def test_specter_on_the_two_fold_protocol(tmp_path: Path) -> None:
    report = csfcube.run(FIXTURE, embedder=FakeEmbedder(), methods=["specter"])
    # SPECTER's NDCG%20 per query-facet (top-2 gains / best two gains of the pool):
    #   100_background [3, 2] / (3 + 2) = 1        100_method [3, 2] / (3 + 3) = 5/6
    #   200_method     [2, 3] / (3 + 2) = 1        200_result [0, 3] / (3 + 2) = 3/5
    #   300_background [3, 2] / (3 + 2) = 1        300_method [3, 1] / (3 + 2) = 4/5
    #   300_result     [0, 1] / (3 + 3) = 1/6
    # background: (1 + 1) / 2 = 1
    # method:     (5/6 + (1 + 4/5) / 2) / 2 = (0.8333333 + 0.9) / 2 = 0.8666667
    # result:     (3/5 + 1/6) / 2 = 0.3833333
    # all:        ((1 + 5/6 + 3/5) / 3 + (1 + 1 + 4/5 + 1/6) / 4) / 2
    #           = (0.8111111 + 0.7416667) / 2 = 0.7763889  (the plain mean would be 0.7714286)
    expected = {"background": 1.0, "method": 0.8666667, "result": 0.3833333, "all": 0.7763889}
    for split, value in expected.items():
        assert row(report, "specter", split).metrics["ndcg%20"] == pytest.approx(value, abs=1e-6)
    assert [row(report, "specter", s).n for s in csfcube.SPLITS] == [2, 3, 2, 7]
    # a fold of one query has no interval; 'all' has 3 and 4 per fold
    assert row(report, "specter", "method").ci95 == {}
    assert set(row(report, "specter", "all").ci95) == set(csfcube.METRICS)
    assert report.published[(csfcube.PUBLISHED_SOURCE, "all", "ndcg%20")] == 0.533
    assert len(report.published) == 24


def test_rankings_by_hand(cube: csfcube.Cube, rankings: csfcube.Rankings) -> None:
    by = rankings.by_method
    rest = ["1005", "1007", "1008", "1009", "1010"]
    # whole query = parsing + transformer + accuracy: cosine 1/sqrt(3) with each candidate
    # holding one of them (a tie: paper-id order), 0 with the rest (paper-id order)
    assert by["paperradar"]["100_method"] == ["1001", "1002", "1003", "1004", "1006", *rest]
    # the method sentence alone: "transformer" -> 1001 and 1003 (cosine 1), then the rest
    facet_order = ["1001", "1003", "1002", "1004", "1005", "1006", "1007", "1008", "1009", "1010"]
    assert by["paperradar-facet"]["100_method"] == facet_order
    # bm25 over the collection: "accuracy" is in 2 papers (query 100 and 1004), "parsing" and
    # "transformer" in 3 each, so 1004 scores highest; equal scores in paper-id order
    assert by["bm25"]["100_method"] == ["1004", "1001", "1002", "1003", "1006", *rest]
    assert by["bm25-facet"]["100_method"] == facet_order
    # RRF (k = 60) of bm25's matches and the cosine ranking:
    #   1001: 1/62 + 1/61 = 0.0325224   1004: 1/61 + 1/64 = 0.0320184
    #   1002: 1/63 + 1/62 = 0.0320020   1003: 1/64 + 1/63 = 0.0314980
    #   1006: 1/65 + 1/65 = 0.0307692   then 1005 (1/66), 1007 (1/67), ... by cosine rank
    assert by["hybrid"]["100_method"] == ["1001", "1004", "1002", "1003", "1006", *rest]
    assert by["hybrid-facet"]["100_method"] == facet_order
    # background of query 300 is its objective sentence: "translation" -> 3002, 3005
    assert by["paperradar-facet"]["300_background"][:2] == ["3002", "3005"]
    # NDCG%20 per query: grades of 100_method are 1001:2 1002:0 1003:3 1004:1 1005:3 ...
    per_query = csfcube.per_query(cube, by["paperradar"])
    assert per_query["100_method"]["ndcg%20"] == pytest.approx((2 + 0) / (3 + 3))
    assert csfcube.per_query(cube, by["bm25"])["100_method"]["ndcg%20"] == pytest.approx(0.5)
    per_query = csfcube.per_query(cube, by["paperradar-facet"])
    assert per_query["100_method"]["ndcg%20"] == pytest.approx((2 + 3) / (3 + 3))


def test_facet_queries_on_the_protocol(cube: csfcube.Cube, rankings: csfcube.Rankings) -> None:
    report = csfcube.report(cube, rankings)
    # paperradar-facet, top two = the two candidates holding the facet word (id order):
    #   100_background 1002:3 1006:2 -> 5/5    100_method 1001:2 1003:3 -> 5/6
    #   200_method 2001:3 2004:1 -> 4/5        200_result 2002:2 2007:2 -> 4/5
    #   300_background 3002:2 3005:3 -> 5/5    300_method 3004:3 3001:0 -> 3/5
    #   300_result 3001:3 3007:3 -> 6/6
    # all: ((1 + 5/6 + 4/5) / 3 + (1 + 4/5 + 3/5 + 1) / 4) / 2 = (0.8777778 + 0.85) / 2
    assert row(report, "paperradar-facet", "all").metrics["ndcg%20"] == pytest.approx(
        0.8638889, abs=1e-6
    )
    # method: (5/6 + (4/5 + 3/5) / 2) / 2 = (0.8333333 + 0.7) / 2
    assert row(report, "paperradar-facet", "method").metrics["ndcg%20"] == pytest.approx(
        0.7666667, abs=1e-6
    )
    # bm25 ties the same way on these texts: the same figures
    bm25 = row(report, "bm25-facet", "all")
    assert bm25.metrics == row(report, "paperradar-facet", "all").metrics
    assert rankings.texts == 40  # 30 candidates + 3 whole queries + 7 facet queries
    assert [r.method for r in report.rows[:: len(csfcube.SPLITS)]] == list(csfcube.METHODS)


def test_vectors_are_cached_in_the_store(tmp_path: Path) -> None:
    methods = ["paperradar", "paperradar-facet", "hybrid"]
    plain = csfcube.run(FIXTURE, embedder=FakeEmbedder(), methods=methods)
    with Store.open(tmp_path / "home") as store:
        first = FakeEmbedder()
        cached = csfcube.run(FIXTURE, embedder=first, methods=methods, store=store)
        assert sum(first.calls) == 40
        again = FakeEmbedder()
        rerun = csfcube.run(FIXTURE, embedder=again, methods=methods, store=store)
        assert again.calls == []  # nothing embedded twice
    assert [r.metrics for r in rerun.rows] == [r.metrics for r in cached.rows]
    assert [r.metrics for r in plain.rows] == [r.metrics for r in cached.rows]
    assert "0 embedded now" in rerun.notes[-1]


def test_bm25_and_specter_need_no_embedding() -> None:
    embedder = WordEmbedder()
    report = csfcube.run(FIXTURE, embedder=embedder, methods=["bm25", "specter"])
    assert embedder.calls == []
    assert {r.method for r in report.rows} == {"bm25", "specter"}


def copy_fixture(tmp_path: Path) -> Path:
    data = tmp_path / "csfcube"
    shutil.copytree(FIXTURE, data)
    return data


@pytest.mark.parametrize(
    "name",
    [
        "abstracts_reconstructed.jsonl",
        "test-pid2anns-csfcube-method.json",
        "evaluation_splits.json",
        "queries-release.csv",
    ],
)
def test_a_missing_file_is_named(tmp_path: Path, name: str) -> None:
    data = copy_fixture(tmp_path)
    (data / name).unlink()
    with pytest.raises(UsageError, match=re.escape(f"{name}: no such file")):
        csfcube.load(data)


def test_bad_folders(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such directory"):
        csfcube.load(tmp_path / "nowhere")
    data = copy_fixture(tmp_path)
    (data / "evaluation_splits.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(FormatError, match=re.escape("evaluation_splits.json: not valid JSON")):
        csfcube.load(data)
    splits = json.loads((FIXTURE / "evaluation_splits.json").read_text(encoding="utf-8"))
    splits["result"]["fold2_test"] = []
    (data / "evaluation_splits.json").write_text(json.dumps(splits), encoding="utf-8")
    with pytest.raises(FormatError, match="the result test folds do not split"):
        csfcube.load(data)
    shutil.copy(FIXTURE / "evaluation_splits.json", data / "evaluation_splits.json")
    lines = (FIXTURE / "abstracts_reconstructed.jsonl").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if '"paper_id": "2006"' not in line]
    (data / "abstracts_reconstructed.jsonl").write_text("\n".join(kept), encoding="utf-8")
    with pytest.raises(FormatError, match="no paper 2006"):
        csfcube.load(data)


def test_methods_and_the_specter_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown csfcube method 'cosine'"):
        csfcube.run(FIXTURE, embedder=FakeEmbedder(), methods=["cosine"])
    data = copy_fixture(tmp_path)
    shutil.rmtree(data / "specter_ranked_pools")
    with pytest.raises(UsageError, match="specter_ranked_pools"):
        csfcube.run(data, embedder=FakeEmbedder(), methods=["specter"])
    report = csfcube.run(data, embedder=FakeEmbedder())  # default: all it can
    assert "specter" not in {r.method for r in report.rows}
    assert any("specter" in note for note in report.notes)


def test_table_and_json() -> None:
    report = csfcube.run(FIXTURE, embedder=FakeEmbedder(), methods=["specter", "bm25"])
    text = format_report(report)
    lines = text.splitlines()
    assert lines[0].startswith("csfcube: CSFCube's own")
    header = next(line for line in lines if line.startswith("method"))
    assert header.split() == ["method", "split", "n", *csfcube.METRICS]
    all_row = next(line for line in lines if line.startswith("specter") and " all " in line)
    assert "0.776 ±" in all_row  # NDCG%20 0.7763889 with its interval
    readme = next(line for line in lines if line.startswith("SPECTER") and " all " in line)
    assert readme.split()[-2:] == ["0.533", "-"]  # NDCG%20, and no published MAP
    as_json = orjson.loads(orjson.dumps(report_to_json(report)))
    assert as_json["metrics"] == list(csfcube.METRICS)
    assert {
        "source": csfcube.PUBLISHED_SOURCE,
        "split": "all",
        "metric": "ndcg%20",
        "value": 0.533,
    } in as_json["published"]


def test_cli_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    home = tmp_path / "home"
    result = assert_ok(run_cli(home, "eval", "csfcube", "--data", FIXTURE, "--json"))
    report = orjson.loads(result.stdout)
    assert report["dataset"] == "csfcube"
    assert {r["method"] for r in report["rows"]} == set(csfcube.METHODS)
    specter_all = next(
        r for r in report["rows"] if r["method"] == "specter" and r["split"] == "all"
    )
    assert specter_all["metrics"]["ndcg%20"] == pytest.approx(0.7763889, abs=1e-6)
    assert (home / "paperradar.db").exists()  # the vectors' cache
    again = assert_ok(run_cli(home, "eval", "csfcube", "--data", FIXTURE, "--json"))
    assert "0 embedded now" in orjson.loads(again.stdout)["notes"][-1]
    table = assert_ok(
        run_cli(home, "eval", "csfcube", "--data", FIXTURE, "--method", "specter,bm25")
    )
    assert "SPECTER (CSFCube README)" in table.stdout and "bm25" in table.stdout
    bad = run_cli(home, "eval", "csfcube", "--data", tmp_path / "missing")
    assert bad.code == 2 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr


def test_a_query_without_facet_sentences_uses_the_whole_paper(tmp_path: Path) -> None:
    data = copy_fixture(tmp_path)
    path = data / "abstracts_reconstructed.jsonl"
    text = path.read_text(encoding="utf-8")
    relabelled = '"pred_labels": ["objective_label", "other_label", "result_label"]'
    text = text.replace(
        '"pred_labels": ["objective_label", "method_label", "result_label"]', relabelled
    )
    path.write_text(text, encoding="utf-8")
    cube = csfcube.load(data)
    ranked = csfcube.rank(cube, ["paperradar", "paperradar-facet"], WordEmbedder()).by_method
    assert ranked["paperradar-facet"]["300_method"] == ranked["paperradar"]["300_method"]
    assert ranked["paperradar-facet"]["300_result"] != ranked["paperradar"]["300_result"]
    report = csfcube.report(cube, csfcube.rank(cube, ["bm25-facet"], WordEmbedder()))
    assert report.notes[-1].endswith("the whole paper is the -facet query: 300_method")
