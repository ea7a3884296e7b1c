"""Writers beside a long ingest: how long a like waits, and whether it fails, while another
process ingests tens of thousands of records.

Issue 15 measured a 50 s CLI ingest holding the store's write lock throughout: 4 of 5 web
likes and logins failed with ``database is locked`` after the 10 s busy timeout. An ingest
now commits one batch at a time (``store.ingest_run``) and stays all or nothing.

The input is the first ``--records`` records of all of arxiv-cs-daily (``--data``; not
timed). For each way of ingesting, a fresh store holding the slice, then a child process
ingests the file while this process records a like (``radar.add_feedback``, what the web and
the CLI ``like`` run, in a transaction of its own on its own store object) every 50 ms:

- ``one transaction`` (the same-run baseline: the behaviour before, ``ingest_files`` called
  inside ``store.transaction()``, which makes its steps join that one transaction);
- ``batch steps`` (``paperradar ingest``, as shipped).

Before them, ``idle``: the same likes with nothing else running. The figures: each like's
wait (p50, p95, max), how many failed (``StoreBusyError``), the ingest's wall time. Then a
``batch steps`` ingest is killed (SIGKILL) at 80 % of its measured time, and the next open of
the store, which undoes the committed batches, is timed. The busy timeout is the default
10 s unless ``--busy-timeout`` sets another. Results: benchmarks/results/ingest_beside_writers.json.

    python benchmarks/ingest_beside_writers.py [--records 75000] [--busy-timeout S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson
from _lib.machine import run_record, summary_row, write_results
from _lib.paths import ARXIV_DAILY, ARXIV_SLICE, BENCH_WORK, RESULTS_DIR, data_missing, shown

from paperradar import Store, ingest_files
from paperradar.errors import StoreBusyError

RESULTS = RESULTS_DIR / "ingest_beside_writers.json"
WORK = BENCH_WORK / "ingest-beside-writers"
LIKE_EVERY_S = 0.05
NOW = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
#: the child that ingests in one transaction, as every ingest did before issue 15
ONE_TRANSACTION = (
    "import sys; from pathlib import Path; from paperradar import Store, ingest_files; "
    "store = Store.open(Path(sys.argv[1]))\n"
    "with store.transaction():\n"
    "    ingest_files(store, [Path(sys.argv[2])])"
)


def write_input(data: Path, target: Path, records: int) -> int:
    """The first ``records`` records of ``data`` (gzip JSON Lines), uncompressed."""
    written = 0
    with gzip.open(data, "rb") as fh, target.open("wb") as out:
        for line in fh:
            if written >= records:
                break
            if line.strip():
                out.write(line)
                written += 1
    return written


def fresh_home(name: str) -> tuple[Path, int]:
    """A home holding the slice, and the row id of a paper to like."""
    home = WORK / name
    shutil.rmtree(home, ignore_errors=True)
    store = Store.open(home)
    ingest_files(store, [ARXIV_SLICE])
    store.radar.add_profile("me", NOW)
    paper = store.papers.resolve("arxiv:" + first_id())
    store.close()
    return home, paper


def first_id() -> str:
    with gzip.open(ARXIV_SLICE, "rb") as fh:
        return str(orjson.loads(fh.readline())["id"])


def likes_while(
    home: Path, paper: int, busy: threading.Event | None, seconds: float
) -> dict[str, Any]:
    """Like ``paper`` every 50 ms until ``busy`` is cleared (or for ``seconds``)."""
    store = Store.open(home)
    profile = store.radar.profile_id("me")
    assert profile is not None
    waits: list[float] = []
    failed = 0
    end = time.monotonic() + seconds
    while busy.is_set() if busy is not None else time.monotonic() < end:
        began = time.monotonic()
        try:
            store.radar.add_feedback(profile, [paper], "like", NOW)
        except StoreBusyError:
            failed += 1
        waits.append(time.monotonic() - began)
        time.sleep(LIKE_EVERY_S)
    store.close()
    ordered = sorted(waits)
    return {
        "likes": len(waits),
        "failed": failed,
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def ingest_command(mode: str, home: Path, source: Path) -> list[str]:
    if mode == "one transaction":
        return [sys.executable, "-c", ONE_TRANSACTION, str(home), str(source)]
    return [
        sys.executable,
        "-m",
        "paperradar",
        "--home",
        str(home),
        "ingest",
        "--quiet",
        str(source),
    ]


def measure(mode: str, source: Path, env: dict[str, str]) -> dict[str, Any]:
    home, paper = fresh_home(mode.replace(" ", "-"))
    busy = threading.Event()
    busy.set()
    started = time.monotonic()
    proc = subprocess.Popen(ingest_command(mode, home, source), env=env)
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(likes_while(home, paper, busy, 0)))
    thread.start()
    code = proc.wait()
    wall = time.monotonic() - started
    busy.clear()
    thread.join()
    if code != 0:
        raise SystemExit(f"error: the {mode} ingest exited with {code}")
    return {**result, "ingest_s": round(wall, 2)}


def undo_after_kill(source: Path, env: dict[str, str], ingest_s: float) -> dict[str, Any]:
    home, _ = fresh_home("killed")
    store = Store.open(home)
    papers = store.papers.stats().papers
    store.close()
    proc = subprocess.Popen(ingest_command("batch steps", home, source), env=env)
    time.sleep(0.8 * ingest_s)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    started = time.monotonic()
    store = Store.open(home)
    opened = time.monotonic() - started
    after = store.papers.stats().papers
    store.close()
    if after != papers:
        raise SystemExit(f"error: {after} papers after the undo, {papers} before")
    return {"killed_at_s": round(0.8 * ingest_s, 2), "undo_on_open_s": round(opened, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=75_000, help="records in the ingest")
    parser.add_argument("--busy-timeout", type=float, default=None, help="seconds (default 10)")
    parser.add_argument("--data", type=Path, default=ARXIV_DAILY, help="arxiv-cs-daily .jsonl.gz")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    if data_missing(args.data):
        return 2
    env = dict(os.environ)
    if args.busy_timeout is not None:
        env["PAPERRADAR_STORE_BUSY_TIMEOUT"] = str(args.busy_timeout)
        os.environ["PAPERRADAR_STORE_BUSY_TIMEOUT"] = str(args.busy_timeout)
    WORK.mkdir(parents=True, exist_ok=True)
    source = WORK / "input.jsonl"
    records = write_input(args.data, source, args.records)
    results: dict[str, Any] = {"run": run_record(), "records": records, "modes": {}}
    home, paper = fresh_home("idle")
    results["modes"]["idle"] = likes_while(home, paper, None, 3.0)
    for mode in ("one transaction", "batch steps"):
        results["modes"][mode] = measure(mode, source, env)
    results["killed"] = undo_after_kill(source, env, results["modes"]["batch steps"]["ingest_s"])
    print(f"{records:,} records; a like every {LIKE_EVERY_S * 1000:.0f} ms from another process")
    heads = ("ingest s", "likes", "failed", "p50 ms", "p95 ms", "max ms")
    print(f"{'':18} {heads[0]:>9} " + " ".join(f"{h:>7}" for h in heads[1:]))
    for mode, row in results["modes"].items():
        print(
            f"{mode:18} {row.get('ingest_s', ''):>9} {row['likes']:>7} {row['failed']:>7} "
            f"{row['p50_ms']:>7} {row['p95_ms']:>7} {row['max_ms']:>7}"
        )
    killed = results["killed"]
    print(
        f"killed at {killed['killed_at_s']} s: the next open undid the run in "
        f"{killed['undo_on_open_s']} s"
    )
    write_results(args.results, results)
    print(f"results: {shown(args.results)}")
    return 0


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    modes = results["modes"]
    steps, one = modes["batch steps"], modes["one transaction"]
    return [
        summary_row(
            "likes failed during a long ingest",
            steps["failed"],
            "likes",
            "lower",
            baseline="one transaction",
            baseline_value=one["failed"],
            target=0,
        ),
        summary_row(
            "like p95 during a long ingest (ms)",
            steps["p95_ms"],
            "ms",
            "lower",
            baseline="one transaction",
            baseline_value=one["p95_ms"],
        ),
        summary_row(
            "long ingest wall time (s)",
            steps["ingest_s"],
            "s",
            "lower",
            baseline="one transaction",
            baseline_value=one["ingest_s"],
        ),
    ]


if __name__ == "__main__":
    sys.exit(main())
