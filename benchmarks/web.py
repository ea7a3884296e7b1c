"""Web benchmark: the radar page's server time on the 74,728-paper store.

The store is benchmarks/digest.py's (all of arxiv-cs-daily, every paper given a 384-dimensional
vector by the fake embedder): its cached store under /tmp/paperradar-bench/digest is copied
when present, else built the same way. A fresh profile from seeds 000/001 belongs to a web
user, who logs in through the login form. ``GET /radar?profile=...&day=...`` for one real
listing day (by default the busiest of the data set) is then timed through FastAPI's
TestClient, in process: the server time is the time around the call (routing, the store,
ranking, the template; no network, no browser).

Timed: the first request (cold: caches, vectors of the day's candidates), then 20 warm
requests after one warm-up, then a like through the page's own like button followed by 20
requests, each after another like (the ranking recomputes with the new feedback every time);
p50 and p95 of each. Target: <= 300 ms.

Then the concurrent case: the app on a real uvicorn server on 127.0.0.1, and 8 clients at once
over HTTP, each with its own login session: 7 load the radar pages of the 7 busiest days, one
runs a hybrid search; p50 and p95 of each kind (before the storage seam every request waited
for one lock around one connection). Results go to benchmarks/results/web.json.

    python benchmarks/web.py [--data PATH] [--work DIR] [--day YYYY-MM-DD] [--requests 20]
        [--concurrent-requests 10]
"""

from __future__ import annotations

import argparse
import html.parser
import json
import re
import shutil
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from _lib import storefile
from _lib.machine import load_average, run_record, summary_row, write_results
from _lib.paths import ARXIV_DAILY, BENCH_WORK, RESULTS_DIR
from digest import DEFAULT_WORK, SEEDS, build

from paperradar import Store
from paperradar.embedding import FakeEmbedder
from paperradar.radar.profiles import add_files, create_profile, profile_names, remove_profile
from paperradar.web.accounts import add_user, grant_profile, list_users

DEFAULT_DATA = ARXIV_DAILY
WORK = BENCH_WORK / "web"
RESULTS = RESULTS_DIR / "web.json"
TARGET_MS = 300.0
PROFILE = "researcher"
USER, PASSWORD = "bench", "bench-password-1"


def prepare(work: Path, data: Path, embedder: FakeEmbedder) -> tuple[Path, dict[str, Any]]:
    """A copy of the digest benchmark's store (built first if need be) with a web user."""
    home = work / "home"
    ready = home / "ready.json"
    if not ready.exists():
        cached = DEFAULT_WORK / "home"
        if not (cached / "ready.json").exists():
            build(cached, data, embedder)
        storefile.copy(cached, home)
        shutil.copy(cached / "ready.json", ready)
    setup = {**json.loads(ready.read_text(encoding="utf-8")), "copied_from": str(DEFAULT_WORK)}
    with Store.open(home) as store:
        if PROFILE in profile_names(store):  # a fresh profile every run: no old feedback
            remove_profile(store, PROFILE)
        create_profile(store, PROFILE)
        add_files(store, PROFILE, SEEDS)
        if USER not in [u.name for u, _ in list_users(store)]:
            add_user(store, USER, PASSWORD)
        grant_profile(store, USER, PROFILE)
    return home, setup


def busy_days(home: Path, count: int) -> list[tuple[str, int]]:
    """The ``count`` busiest listing days and their papers, the newest first among equals."""
    days = storefile.listing_days(home)
    return sorted(days, key=lambda day: (day[1], day[0]), reverse=True)[:count]


def busiest_day(home: Path) -> tuple[str, int]:
    return busy_days(home, 1)[0]


def day_size(home: Path, day: str) -> int:
    return dict(storefile.listing_days(home)).get(day, 0)


class Buttons(html.parser.HTMLParser):
    """The like buttons of a radar page: per card, where the button posts and the fields it
    sends (its form's hidden fields and its own name and value, as htmx sends them)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.likes: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "article" and "card" in a.get("class", "").split():
            self.fields = {}
        elif tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "button" and "like" in a.get("class", "").split() and a.get("hx-post"):
            values = {**self.fields, a.get("name", "action"): a.get("value", "like")}
            self.likes.append((a["hx-post"], values))


def csrf_of(page: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    if not found:
        raise SystemExit("error: the radar page has no CSRF token meta tag")
    return found.group(1)


def log_in(client: Any) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    if form.status_code != 200 or not token:
        raise SystemExit(f"error: GET /login answered {form.status_code}")
    done = client.post(
        "/login",
        data={"name": USER, "password": PASSWORD, "csrf": token.group(1), "next": "/radar"},
        follow_redirects=False,
    )
    if done.status_code != 303 or "pr_session" not in done.cookies:
        raise SystemExit(f"error: logging in failed ({done.status_code})")


def timed_get(client: Any, url: str) -> tuple[float, Any]:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"error: GET {url} answered {response.status_code}: {response.text[:300]}")
    return elapsed, response


def percentiles(times: list[float]) -> dict[str, Any]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(p95, 1),
        "min_ms": round(ordered[0], 1),
        "max_ms": round(ordered[-1], 1),
        "requests": len(ordered),
    }


#: the concurrent case: this many clients at once, one of them searching, the others on radars
CLIENTS = 8
SEARCH_QUERY = "why do reasoning models fail on harder puzzles"


def serve(app: Any) -> tuple[Any, threading.Thread, str]:
    """The app on a real uvicorn server on 127.0.0.1 (a free port), in a thread."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise SystemExit("error: the benchmark's uvicorn server did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def concurrent_case(app: Any, home: Path, requests: int) -> dict[str, Any]:
    """CLIENTS clients at once over real HTTP on loopback, each logged in with its own
    session: CLIENTS - 1 load radar pages (each its own busy day, warmed once first), one
    searches. Each client sends ``requests`` requests one after another; all start together."""
    import httpx

    days = [day for day, _ in busy_days(home, CLIENTS - 1)]
    server, thread, base = serve(app)
    try:
        clients = [httpx.Client(base_url=base, timeout=300) for _ in range(CLIENTS)]
        for client in clients:
            log_in(client)
        urls = [f"/radar?profile={PROFILE}&day={day}" for day in days]
        search_url = f"/search?q={SEARCH_QUERY.replace(' ', '+')}&mode=hybrid"
        urls.append(search_url)
        for client, url in zip(clients, urls, strict=True):
            timed_get(client, url)  # warm: each day's vectors and the search caches
        times: list[list[float]] = [[] for _ in clients]
        start = threading.Barrier(len(clients))

        def run(index: int) -> None:
            start.wait()
            for _ in range(requests):
                times[index].append(timed_get(clients[index], urls[index])[0])

        began = time.perf_counter()
        workers = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        wall = time.perf_counter() - began
        for client in clients:
            client.close()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    radar = [ms for series in times[:-1] for ms in series]
    return {
        "clients": CLIENTS,
        "requests_per_client": requests,
        "days": days,
        "search_url": search_url,
        "radar": percentiles(radar),
        "search": percentiles(times[-1]),
        "wall_s": round(wall, 2),
        "requests_per_s": round(sum(len(s) for s in times) / wall, 2),
        "measure": "real HTTP on 127.0.0.1 (uvicorn in a thread, httpx clients in threads)",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--day", help="listing day of the radar (default: the busiest)")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--concurrent-requests", type=int, default=10, help="requests per concurrent client"
    )
    args = parser.parse_args()
    if not (DEFAULT_WORK / "home" / "ready.json").exists() and not args.data.exists():
        print(f"error: {args.data}: not found (pass --data)", file=sys.stderr)
        return 2
    from fastapi.testclient import TestClient

    from paperradar.web.app import create_app

    embedder = FakeEmbedder(dim=384)
    record = run_record()
    load_start = record["load_average_at_start"]
    home, setup = prepare(args.work, args.data, embedder)
    print(f"store: {setup}", flush=True)
    if args.day:
        day, n = args.day, day_size(home, args.day)
    else:
        day, n = busiest_day(home)
    url = f"/radar?profile={PROFILE}&day={day}"
    print(f"radar of {day}: {n:,} candidates; GET {url}", flush=True)
    results: dict[str, Any] = {
        **record,
        "setup": setup,
        "day": day,
        "candidates": n,
        "url": url,
        "target_ms": TARGET_MS,
        "measure": "server time in process (FastAPI TestClient), login session, no network",
    }
    started = time.perf_counter()
    app = create_app(home, embedder=embedder)
    results["app_start_ms"] = round((time.perf_counter() - started) * 1000, 1)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        log_in(client)
        first, response = timed_get(client, url)
        results["first_ms"] = round(first, 1)
        print(f"first request: {first:.0f} ms", flush=True)
        buttons = Buttons()
        buttons.feed(response.text)
        cards = len(buttons.likes)
        if cards < 2:
            raise SystemExit(
                f"error: the radar shows {cards} like buttons; expected a page of cards"
            )
        results["cards"] = cards
        timed_get(client, url)  # warm-up
        warm = [timed_get(client, url)[0] for _ in range(args.requests)]
        results["warm"] = percentiles(warm)
        print(f"warm: {results['warm']}", flush=True)
        after: list[float] = []
        likes: list[float] = []
        for _ in range(args.requests):
            buttons = Buttons()
            buttons.feed(response.text)
            target, values = buttons.likes[-1]  # the lowest card: a like that moves things
            token = csrf_of(response.text)
            started = time.perf_counter()
            liked = client.post(
                target, data=values, headers={"X-CSRF-Token": token, "HX-Request": "true"}
            )
            likes.append((time.perf_counter() - started) * 1000)
            if liked.status_code != 200:
                raise SystemExit(f"error: POST {target} answered {liked.status_code}")
            elapsed, response = timed_get(client, url)
            after.append(elapsed)
        results["like_post"] = percentiles(likes)
        results["after_like"] = percentiles(after)
        print(f"like (POST): {results['like_post']}", flush=True)
        print(f"after each like: {results['after_like']}", flush=True)
    print(f"{CLIENTS} concurrent clients ({CLIENTS - 1} radar pages, 1 search)...", flush=True)
    results["concurrent"] = concurrent_case(
        create_app(home, embedder=embedder), home, args.concurrent_requests
    )
    print(f"concurrent: {results['concurrent']}", flush=True)
    results["load_average_at_end"] = load_average()
    worst = max(results["warm"]["p95_ms"], results["after_like"]["p95_ms"])
    results["meets_target"] = worst <= TARGET_MS
    print()
    print(f"GET /radar, {day} ({n:,} candidates, {cards} cards), 74,728-paper store")
    print(f"{'':24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    print(f"{'first request':24} {first:8.0f} {'':>8} {'':>8}")
    for label, key in (
        ("warm", "warm"),
        ("after a like", "after_like"),
        ("like POST", "like_post"),
    ):
        row = results[key]
        print(f"{label:24} {row['p50_ms']:8.0f} {row['p95_ms']:8.0f} {row['max_ms']:8.0f}")
    for label, key in (("8 clients: radar", "radar"), ("8 clients: search", "search")):
        row = results["concurrent"][key]
        print(f"{label:24} {row['p50_ms']:8.0f} {row['p95_ms']:8.0f} {row['max_ms']:8.0f}")
    print(
        f"target <= {TARGET_MS:.0f} ms (p95, warm and after a like): "
        + ("met" if results["meets_target"] else "NOT met")
        + f"; load average {load_start} at start, {results['load_average_at_end']} at end"
    )
    write_results(RESULTS, results)
    return 0


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The radar page's server time: p95 warm and after each like (the target), the like
    itself and the first request; no same-run baseline."""
    target = results.get("target_ms")
    where = f"{results['candidates']:,} candidates"
    rows = [
        summary_row(
            f"GET /radar p95, {label}",
            results[key]["p95_ms"],
            "ms",
            "lower",
            target=target,
            note=f"{where}; {results[key]['requests']} requests, p50 {results[key]['p50_ms']} ms",
        )
        for key, label in (("warm", "warm"), ("after_like", "after each like"))
    ]
    rows.append(
        summary_row(
            "like (POST) p95",
            results["like_post"]["p95_ms"],
            "ms",
            "lower",
            note=f"{results['like_post']['requests']} requests",
        )
    )
    rows.append(summary_row("GET /radar, first request", results["first_ms"], "ms", "lower"))
    concurrent = results.get("concurrent")
    if concurrent:
        for key, label in (("radar", "radar pages"), ("search", "the search")):
            rows.append(
                summary_row(
                    f"{concurrent['clients']} concurrent clients: {label} p95",
                    concurrent[key]["p95_ms"],
                    "ms",
                    "lower",
                    note=(
                        f"{concurrent[key]['requests']} requests, p50 "
                        f"{concurrent[key]['p50_ms']} ms; {concurrent['requests_per_s']} req/s"
                    ),
                )
            )
    return rows


if __name__ == "__main__":
    sys.exit(main())
