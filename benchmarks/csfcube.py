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
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _lib.machine import run_record, summary_row, write_results
from _lib.paths import CSFCUBE, RESULTS_DIR, shown

from paperradar import PaperRadarError, Store
from paperradar.embedding import MiniLMEmbedder
from paperradar.eval import EvalReport, csfcube
from paperradar.eval.table import format_report, report_to_json

DEFAULT_DATA = CSFCUBE
RESULTS = RESULTS_DIR / "csfcube.json"
TOLERANCE = 0.0006  # the README prints 3 decimals


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
    print(f"results:   {shown(RESULTS)}")
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


if __name__ == "__main__":
    sys.exit(main())
