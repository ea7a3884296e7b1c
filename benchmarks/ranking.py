"""Why the ranking's defaults are what they are: k_nearest, keyword_weight, feedback_half and
the text fields, each chosen on TUNE units of three benchmarks and reported on REPORT units.

A thin caller of the library (``paperradar eval tune`` prints the same report): the
benchmarks and their TUNE / REPORT splits are paperradar.eval.tuning.sets (CSFCube's fold 1 /
fold 2; the first / second half of 500 CiteULike-a dense users and of 300 arxiv-cs-daily
authors drawn with seed 0), the rule is paperradar.eval.tuning.rule (the value with the largest
mean relative TUNE change over the benchmarks, adopted only when it is significantly better
on one benchmark's TUNE units and significantly worse on none). Vectors come from the real
MiniLM model through one paperradar home (``--home``), so a re-run embeds nothing; a first
run embeds ~75,000 arXiv abstracts (about an hour on 2 cores), as many titles, CiteULike-a's
16,980 titles and CSFCube's papers.

    python benchmarks/ranking.py [--csfcube DIR] [--citeulike DIR] [--authors FILE]
        [--home DIR] [--citeulike-users 500] [--authors-users 300] [--results PATH]

Results: benchmarks/results/ranking.json (the report, the machine, the load average). About
15 minutes on 2 shared cores once the vectors are cached.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from _lib.machine import run_record, summary_row, write_results
from _lib.paths import ARXIV_DAILY, CITEULIKE, CSFCUBE, EVAL_HOME, RESULTS_DIR

from paperradar import PaperRadarError, Store
from paperradar.embedding import default_embedder
from paperradar.eval.tuning import sets as tuning_sets
from paperradar.eval.tuning.run import format_tuning, run, tuning_to_json

RESULTS = RESULTS_DIR / "ranking.json"
DEFAULT_HOME = EVAL_HOME


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csfcube", type=Path, default=CSFCUBE)
    parser.add_argument("--citeulike", type=Path, default=CITEULIKE)
    parser.add_argument("--authors", type=Path, default=ARXIV_DAILY)
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="vector cache")
    parser.add_argument("--citeulike-users", type=int, default=500)
    parser.add_argument("--authors-users", type=int, default=300)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    record = run_record()
    started = time.perf_counter()
    embedder = default_embedder()
    try:
        with Store.open(args.home) as store:
            benchmarks = [
                tuning_sets.csfcube_benchmark(args.csfcube, embedder, store),
                tuning_sets.citeulike_benchmark(
                    args.citeulike, embedder, store, users=args.citeulike_users
                ),
                tuning_sets.authors_benchmark(
                    args.authors, embedder, store, users=args.authors_users
                ),
            ]
        report = run(benchmarks)
    except PaperRadarError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(format_tuning(report), end="")
    results = {
        **record,
        "command": " ".join(sys.argv),
        "model": embedder.model_id,
        "seconds": round(time.perf_counter() - started, 1),
        "tuning": tuning_to_json(report),
    }
    write_results(args.results, results)
    print(f"results: {args.results}")
    return 0


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The tuned defaults against the defaults before, on each benchmark's REPORT units."""
    tuning = results.get("tuning")
    if not tuning:  # a results file of the script before it ran the library's tuning
        return []
    before, after = tuning["before"], tuning["after"]
    changed = ", ".join(
        f"{k} {before[k]:g} -> {after[k]:g}"
        for k in ("k_nearest", "keyword_weight", "feedback_half")
        if before[k] != after[k]
    )
    metric = {b["name"]: b["metric"] for b in tuning["benchmarks"]}
    rows = []
    for name, paired in tuning["report_before_vs_after"].items():
        rows.append(
            summary_row(
                f"ranking, {name} {metric[name]} (REPORT)",
                paired["after"],
                "",
                "higher",
                baseline="defaults before tuning",
                baseline_value=paired["before"],
                note=(
                    f"paired {paired['diff']:+.4f} ± {paired['ci95']:.4f}, n={paired['n']}; "
                    + (changed or "no default changed")
                ),
            )
        )
    return rows


if __name__ == "__main__":
    sys.exit(main())
