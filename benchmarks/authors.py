"""Quality: author pseudo-users on arxiv-cs-daily, replayed day by day, paperradar beside the
methods of other tools (arxiv-sanity's SVM, zotero-arxiv-daily's mean cosine, BM25, ...).

A thin caller of paperradar.eval.authors.run, which holds the data loading, the pseudo-users,
the day-by-day replay, the simulated likes and the metrics (see its docstring and
docs/evaluation.md; ``paperradar eval authors --data FILE`` prints the same table). This script
runs it with the real model (``paperradar.embedding.default_embedder()``), the vectors cached
in a paperradar home (``--home``; the default one already holds every MiniLM vector of the
file, so nothing is embedded), prints the table and writes benchmarks/results/authors.json:
the report (paperradar.eval.table.report_to_json) plus the machine, the load average at the
start, the seconds the run took and the command.

arxiv-sanity's SVM costs 8-25 s a user on the 74,728 papers, so by default it runs on the first
80 of the 300 users drawn (``--method-users``); the report's ", first 80" splits give every
other method on those same 80 users. The users are drawn with seed 1, not the eval command's
0: benchmarks/ranking.py chose the ranking's defaults on the first 150 authors of the seed-0
draw, and only 5 of these 300 are among them, so paperradar's figures here are held out. The
full run took 13-25 minutes on 2 shared cores (783 s at load average 2-3; 1,518 s at 1.3-5),
most of it arxiv-sanity's SVM.

    python benchmarks/authors.py [--data FILE] [--home DIR] [--users 300] [--seed 1]
                                 [--method-users NAME=N ...] [--method NAME ...] [--no-likes]
                                 [--results PATH] [--quiet]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from _lib.machine import run_record, write_results
from _lib.paths import ARXIV_DAILY, EVAL_HOME, RESULTS_DIR, shown

from paperradar import PaperRadarError, Store
from paperradar.embedding import MINILM_ID, default_embedder
from paperradar.errors import UsageError
from paperradar.eval import authors
from paperradar.eval.replay import SPLITS, EvalProgress
from paperradar.eval.table import format_report, report_to_json

DEFAULT_DATA = ARXIV_DAILY
DEFAULT_HOME = EVAL_HOME
RESULTS = RESULTS_DIR / "authors.json"
DEFAULT_METHOD_USERS = ("arxiv-sanity=80",)
REFERENCE = authors.REFERENCE  # paperradar
METRIC = "recall@20"  # a digest's default size


# --------------------------------------------------------------------------- summary


def _rows(results: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["method"], row["split"]): row for row in results.get("rows", [])}


def _value(row: dict[str, Any]) -> float | None:
    value = row.get("metrics", {}).get(METRIC)
    return None if value is None else float(value)


def _cell(row: dict[str, Any]) -> str:
    half = row.get("ci95", {}).get(METRIC)
    return f"{row['metrics'][METRIC]:.3f}" + (f" ±{half:.3f}" if half is not None else "")


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The headline figures of a results file: paperradar's recall@20 beside each other
    tool's method, on the same users (a capped method is compared on its first N users), and
    what simulated likes add to paperradar's."""
    rows = _rows(results)
    split = SPLITS[0]  # no-feedback
    ours = rows.get((REFERENCE, split))
    if ours is None or _value(ours) is None:
        return []
    out: list[dict[str, Any]] = []
    for (method, row_split), theirs in rows.items():
        if row_split != split or method.startswith(REFERENCE) or _value(theirs) is None:
            continue
        capped = theirs["n"] < ours["n"]  # a slow method: paperradar on the same first users
        mine = rows.get((REFERENCE, f"{split}, first {theirs['n']}")) if capped else ours
        if mine is None or _value(mine) is None:
            continue
        users = f"the first {theirs['n']} users drawn" if capped else f"{theirs['n']} users"
        out.append(
            {
                "figure": f"authors {METRIC}, {REFERENCE} ({split}"
                + (f", first {theirs['n']} users)" if capped else ")"),
                "value": _value(mine),
                "unit": METRIC,
                "better": "higher",
                "baseline": method,
                "baseline_value": _value(theirs),
                "target": None,
                "note": f"{REFERENCE} {_cell(mine)}, {method} {_cell(theirs)} (95%); {users}",
            }
        )
    liked = rows.get((REFERENCE, SPLITS[1]))
    if liked is not None and _value(liked) is not None:
        paired = next(
            (
                note.split(", ", 1)[1]
                for note in results.get("notes", [])
                if note.startswith(f"{REFERENCE}: simulated likes - no feedback, ")
            ),
            None,
        )
        out.append(
            {
                "figure": f"authors {METRIC} gain from simulated likes, {REFERENCE}",
                "value": (_value(liked) or 0.0) - (_value(ours) or 0.0),
                "unit": METRIC,
                "better": "higher",
                "baseline": None,
                "baseline_value": None,
                "target": None,
                "note": f"{SPLITS[1]} {_cell(liked)} minus {split} {_cell(ours)}"
                + (f"; paired: {paired}" if paired else ""),
            }
        )
    return out


# --------------------------------------------------------------------------- the run


def method_users(values: list[str]) -> dict[str, int]:
    """``NAME=N`` values (repeated or comma-separated) as {NAME: N}."""
    caps: dict[str, int] = {}
    for item in (part.strip() for value in values for part in value.split(",")):
        if not item:
            continue
        name, sep, count = (s.strip() for s in item.partition("="))
        if not sep or not (count.isascii() and count.isdigit()) or int(count) < 1:
            raise UsageError(f"--method-users {item!r}: expected NAME=N with N >= 1")
        try:
            authors.check_methods([name])
        except UsageError as exc:
            raise UsageError(f"--method-users {item!r}: {exc}") from exc
        caps[name] = int(count)
    return caps


def progress_printer(quiet: bool) -> EvalProgress | None:
    """Progress lines on stderr (every 10% of a stage), or None."""
    if quiet:
        return None
    started = time.perf_counter()
    shown: dict[str, int] = {}

    def show(stage: str, done: int, total: int) -> None:
        step = max(1, total // 10)
        if done == total or done // step > shown.get(stage, -1):
            shown[stage] = done // step
            elapsed = time.perf_counter() - started
            print(f"{stage}: {done:,}/{total:,} ({elapsed:.0f} s)", file=sys.stderr, flush=True)

    return show


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="arxiv-cs-daily file")
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="vector cache home")
    parser.add_argument("--users", type=int, default=300, help="authors drawn")
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="sampling seed (1: users the tuning of benchmarks/ranking.py, seed 0, never saw)",
    )
    parser.add_argument(
        "--method-users",
        action="append",
        metavar="NAME=N",
        help=f"cap a slow method's users (default: {' '.join(DEFAULT_METHOD_USERS)})",
    )
    parser.add_argument(
        "--method", action="append", dest="methods", help="repeat, or commas; default: all"
    )
    parser.add_argument("--no-likes", action="store_true", help="skip the simulated likes")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the JSON to write")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    args = parser.parse_args()
    methods = [m.strip() for v in args.methods or [] for m in v.split(",") if m.strip()]
    embedder = default_embedder()
    record = run_record()  # when, the machine, the load average at the start
    load = record["load_average_at_start"]
    started = time.perf_counter()
    try:
        caps = method_users(args.method_users or list(DEFAULT_METHOD_USERS))
        if embedder.model_id != MINILM_ID and args.results.resolve() == RESULTS:
            raise UsageError(
                f"the embedder is {embedder.model_id} (PAPERRADAR_EMBEDDER?), not {MINILM_ID}: "
                f"give another --results than {shown(RESULTS)}"
            )
        with Store.open(args.home) as store:
            report = authors.run(
                args.data,
                embedder=embedder,
                methods=methods or None,
                users=args.users,
                seed=args.seed,
                store=store,
                likes=not args.no_likes,
                method_users=caps,
                progress=progress_printer(args.quiet),
            )
    except PaperRadarError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    seconds = time.perf_counter() - started
    results = {
        **report_to_json(report),
        "model": embedder.model_id,
        **record,
        "seconds": round(seconds, 1),
        "command": shlex.join(["python", "benchmarks/authors.py", *sys.argv[1:]]),
    }
    write_results(args.results, results)
    machine = results["machine"]
    print(f"machine: {machine['cpu']} x{machine['cores']}, load average at start {load}")
    print(f"model:   {embedder.model_id}; the run took {seconds:.1f} s\n")
    print(format_report(report))
    for row in summary(results):
        baseline = f" vs {row['baseline']} {row['baseline_value']:.3f}" if row["baseline"] else ""
        print(f"{row['figure']}: {row['value']:.3f}{baseline}")
    print(f"results: {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
