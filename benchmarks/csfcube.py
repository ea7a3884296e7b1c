"""Quality sanity check: paperradar's rankings on CSFCube, beside SPECTER's published figures.

A thin caller of paperradar.eval.csfcube, which holds the data loading, the methods, the
metrics and the dataset's two-fold test protocol (see its docstring; ``paperradar eval
csfcube --data PATH`` prints the same table). This script runs it with the real MiniLM model,
caches the vectors in a paperradar home (``--home``; a temporary one by default), writes
benchmarks/results/csfcube.json (the report, per-query NDCG%20 and the machine), and checks
that SPECTER's figures, recomputed from the shipped specter_ranked_pools with the library's
code, match the README's to its printed 3 decimals (within 0.0006): the exit code is 1
otherwise.

    python benchmarks/csfcube.py [--data PATH] [--home DIR] [--precision auto|fp32|bf16]
                                 [--method NAME ...]

The helpers at the end (load_gold, query_metrics, aggregate, ...) keep benchmarks/fusion.py's
imports working; they delegate to the library.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _machine import run_record, summary_row, write_results

from paperradar import PaperRadarError, Store
from paperradar.embedding import MiniLMEmbedder
from paperradar.eval import EvalReport, csfcube
from paperradar.eval.metrics import fold_mean_ci95
from paperradar.eval.table import format_report, report_to_json

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "csfcube"
RESULTS = ROOT / "benchmarks" / "results" / "csfcube.json"
FACETS = csfcube.FACETS
GROUPS = csfcube.SPLITS
METRICS = csfcube.METRICS
TOLERANCE = 0.0006  # the README prints 3 decimals

Grades = dict[str, int]  # candidate pid -> adjudicated grade
QueryKey = str  # "<qpid>_<facet>", as in evaluation_splits.json


def specter_reproduced(report: EvalReport) -> bool:
    """Whether every published SPECTER figure is matched by this run's specter row."""
    ours = {
        (row.split, name): v
        for row in report.rows
        if row.method == "specter"
        for name, v in row.metrics.items()
    }
    return bool(ours) and all(
        abs(ours[(split, name)] - value) <= TOLERANCE
        for (_, split, name), value in report.published.items()
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the CSFCube folder")
    parser.add_argument("--home", type=Path, help="keep the vectors in this paperradar home")
    parser.add_argument(
        "--precision", choices=("auto", "fp32", "bf16"), default="auto", help="MiniLM precision"
    )
    parser.add_argument("--method", action="append", choices=csfcube.METHODS, dest="methods")
    args = parser.parse_args()
    methods: list[str] = list(args.methods or csfcube.METHODS)
    if "specter" not in methods:
        methods.append("specter")  # the reproduction check needs it
    record = run_record()
    embedder = MiniLMEmbedder(precision=args.precision)
    try:
        cube = csfcube.load(args.data)
        chosen, _ = csfcube.check_methods(methods, cube)
        with contextlib.ExitStack() as stack:
            home = args.home or Path(stack.enter_context(tempfile.TemporaryDirectory()))
            store = stack.enter_context(Store.open(home))
            started = time.perf_counter()
            rankings = csfcube.rank(cube, chosen, embedder, store)
            seconds = time.perf_counter() - started
    except PaperRadarError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    report = csfcube.report(cube, rankings)
    reproduced = specter_reproduced(report)
    per_query = {
        method: {k: round(v["ndcg%20"], 4) for k, v in csfcube.per_query(cube, ranked).items()}
        for method, ranked in rankings.by_method.items()
    }
    results = {
        **record,
        "data": str(args.data),
        "model": embedder.model_id,
        "precision": embedder.precision,
        "texts": rankings.texts,
        "embedded_now": rankings.embedded,
        "seconds": round(seconds, 1),
        "report": report_to_json(report),
        "specter_reproduced": reproduced,
        "per_query_ndcg%20": per_query,
    }
    write_results(RESULTS, results)
    machine = results["machine"]
    print(f"machine:   {machine['cpu']} x{machine['cores']}")
    print(
        f"embedding: {embedder.model_id} ({embedder.precision}), {rankings.texts:,} texts, "
        f"{rankings.embedded:,} embedded now; ranking took {seconds:.1f} s\n"
    )
    print(format_report(report))
    print(f"SPECTER reproduced: {reproduced}")
    print(f"results:   {RESULTS.relative_to(ROOT)}")
    return 0 if reproduced else 1


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """paperradar's similar papers on all of CSFCube beside SPECTER's rankings, scored by the
    same code in the same run."""
    by = {(r["method"], r["split"]): r for r in results["report"]["rows"]}
    ours, specter = by.get(("paperradar", "all")), by.get(("specter", "all"))
    if ours is None:
        return []
    note = f"{ours['n']} query-facets; SPECTER reproduced: {results.get('specter_reproduced')}"
    return [
        summary_row(
            f"similar, {label} (all)",
            ours["metrics"][metric],
            "",
            "higher",
            baseline="SPECTER (shipped rankings)",
            baseline_value=specter["metrics"][metric] if specter else None,
            note=note if metric == "ndcg%20" else None,
        )
        for metric, label in (("ndcg%20", "NDCG%20"), ("map", "MAP"))
    ]


# --- helpers benchmarks/fusion.py imports (delegating to paperradar.eval.csfcube) ----------


def load_gold(data: Path) -> dict[QueryKey, Grades]:
    """The graded pool of every query-facet, without the query paper itself."""
    return csfcube.read_pools(data)


def check_queries(data: Path, gold: dict[QueryKey, Grades], splits: dict[str, Any]) -> None:
    """queries-release.csv, the pools and the splits must agree (a library error otherwise)."""
    del splits  # read again, and checked, by the library
    csfcube.check_queries(data / csfcube.QUERIES, gold)
    csfcube.read_folds(data / csfcube.SPLITS_FILE, gold)


def query_metrics(grades: Sequence[int]) -> dict[str, float]:
    """Every metric for one query, from the grades of its pool in ranked order."""
    ids = [str(i) for i in range(len(grades))]
    return csfcube.query_metrics(ids, dict(zip(ids, grades, strict=True)))


def aggregate(
    per_query: dict[QueryKey, dict[str, float]], splits: dict[str, Any]
) -> dict[str, dict[str, dict[str, float]]]:
    """{"test"|"all50": {group: {metric: value}}}: the two-fold test protocol and the plain
    mean over the group's query-facets."""
    out: dict[str, dict[str, dict[str, float]]] = {"test": {}, "all50": {}}
    for group in GROUPS:
        folds = [splits[group]["fold1_test"], splits[group]["fold2_test"]]
        members = [q for q in per_query if group == "all" or q.endswith("_" + group)]
        out["test"][group] = {
            m: fold_mean_ci95([[per_query[q][m] for q in fold] for fold in folds])[0]
            for m in METRICS
        }
        out["all50"][group] = {
            m: statistics.mean(per_query[q][m] for q in members) for m in METRICS
        }
    return out


def write_corpus(data: Path, out: Path) -> int:
    """The CSFCube papers as paperradar JSON Lines; returns how many."""
    source = data / csfcube.ABSTRACTS
    papers = csfcube.read_papers(source)
    with out.open("w", encoding="utf-8") as dst:
        for n, paper in enumerate(papers.values()):
            record = {
                "title": paper.title,
                "abstract": paper.abstract,
                "s2_id": paper.id,
                "aliases": [],
                "sightings": [{"source": "csfcube", "locator": str(source), "rank": n + 1}],
            }
            dst.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(papers)


if __name__ == "__main__":
    sys.exit(main())
