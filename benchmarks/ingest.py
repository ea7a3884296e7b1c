"""Ingest benchmark: all of arxiv-cs-daily into a fresh store, then the same file again.

Prints papers/s for parse + dedup + store + FTS5 and the store's size, and two baselines
measured in the same run on the same file: parsing alone (gzip + JSON, no store) and a bare
FTS5 table fed the same text (no dedup, no aliases, no sightings) -- the floor SQLite sets.
Re-ingesting must add 0 papers. Results go to benchmarks/results/ingest.json.

    python benchmarks/ingest.py [--data PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _lib.child import peak_rss_mb
from _lib.machine import run_record, summary_row, write_results
from _lib.paths import ARXIV_DAILY, RESULTS_DIR, data_missing, shown
from _lib.storefile import store_bytes

from paperradar import Store, ingest_files
from paperradar.store.sqlite.keyword import TOKENIZE

DEFAULT_DATA = ARXIV_DAILY
RESULTS = RESULTS_DIR / "ingest.json"
TARGET = 5000.0


def baseline_parse(path: Path) -> tuple[int, float]:
    started = time.perf_counter()
    n = 0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            json.loads(line)
            n += 1
    return n, time.perf_counter() - started


def baseline_bare_fts(path: Path, folder: Path) -> float:
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            rows.append((d["title"], " ".join(d["abstract"].split()), json.dumps(d["authors"])))
    conn = sqlite3.connect(folder / "bare.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    # the store's tokenizer (papers_fts), so that the floor tokenizes alike
    conn.execute(
        f"CREATE VIRTUAL TABLE f USING fts5(title, abstract, authors, tokenize = '{TOKENIZE}')"
    )
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO f(title, abstract, authors) VALUES (?, ?, ?)", rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="arxiv-cs-daily .jsonl.gz")
    args = parser.parse_args()
    if data_missing(args.data):
        return 2
    record = run_record()
    with tempfile.TemporaryDirectory(prefix="paperradar-bench-") as tmp:
        home = Path(tmp) / "home"
        store = Store.open(home)
        started = time.perf_counter()
        first = ingest_files(store, [args.data])
        first_s = time.perf_counter() - started
        store.close()  # the last connection checkpoints the WAL into the database file
        size = store_bytes(home)
        store = Store.open(home)
        started = time.perf_counter()
        second = ingest_files(store, [args.data])
        second_s = time.perf_counter() - started
        papers = store.papers.count()
        store.close()
        n_parsed, parse_s = baseline_parse(args.data)
        bare_s = baseline_bare_fts(args.data, Path(tmp))
    rss_mb = peak_rss_mb()
    results = {
        **record,
        "data": str(args.data),
        "records": first.read,
        "papers": papers,
        "first_ingest": {"seconds": round(first_s, 2), "papers_per_s": round(first.new / first_s)},
        "reingest": {
            "seconds": round(second_s, 2),
            "records_per_s": round(second.read / second_s),
            "new": second.new,
        },
        "store_mb": round(size / 1e6, 1),
        "peak_rss_mb": round(rss_mb),
        "baseline_parse_only": {
            "seconds": round(parse_s, 2),
            "records_per_s": round(n_parsed / parse_s),
        },
        "baseline_bare_fts5": {
            "seconds": round(bare_s, 2),
            "records_per_s": round(n_parsed / bare_s),
        },
        "target_papers_per_s": TARGET,
    }
    out = RESULTS
    write_results(out, results)
    rate = results["first_ingest"]["papers_per_s"]
    print(f"machine:            {results['machine']['cpu']} x{results['machine']['cores']}")
    print(f"papers:             {first.new:,} new of {first.read:,} records")
    print(f"ingest:             {first_s:6.1f} s  {rate:8,} papers/s  (target >= {TARGET:,.0f})")
    print(f"store size:         {size / 1e6:6.1f} MB")
    print(
        f"re-ingest:          {second_s:6.1f} s  {second.new} new (idempotent: {second.new == 0})"
    )
    print(f"baseline parse:     {parse_s:6.1f} s  {n_parsed / parse_s:8,.0f} records/s (gzip+json)")
    print(f"baseline bare FTS5: {bare_s:6.1f} s  {n_parsed / bare_s:8,.0f} records/s (insert only)")
    print(f"peak RSS:           {rss_mb:6.0f} MB")
    print(f"results:            {shown(out)}")
    return 0 if second.new == 0 else 1


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The ingest rate beside each same-run baseline, and the re-ingest."""
    rate = results["first_ingest"]["papers_per_s"]
    target = results.get("target_papers_per_s")
    figure = f"ingest, {results['records']:,} records"
    rows = [
        summary_row(
            figure,
            rate,
            "papers/s",
            "higher",
            baseline="bare FTS5 table, insert only",
            baseline_value=results.get("baseline_bare_fts5", {}).get("records_per_s"),
            target=target,
            note=f"store {results['store_mb']} MB, peak RSS {results['peak_rss_mb']} MB",
        ),
        summary_row(
            figure,
            rate,
            "papers/s",
            "higher",
            baseline="parse only (gzip + JSON)",
            baseline_value=results.get("baseline_parse_only", {}).get("records_per_s"),
            target=target,
        ),
    ]
    reingest = results.get("reingest")
    if reingest:
        rows.append(
            summary_row(
                "re-ingest, same file",
                reingest["records_per_s"],
                "records/s",
                "higher",
                note=f"{reingest['new']} new papers (must be 0)",
            )
        )
    return rows


if __name__ == "__main__":
    sys.exit(main())
