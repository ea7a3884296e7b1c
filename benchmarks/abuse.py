"""Abuse benchmark: a logged-in user's fast page and like while others abuse the server.

A real ``paperradar serve`` (a child process, 127.0.0.1, the fake embedder) on a home holding
the shipped arXiv slice (2,518 papers), one profile and one web user. A probe client, logged
in, loops over a fast page (``GET /trending``) and a write (a like, then clearing it) and
times every request. Five phases of ``--seconds`` each, in the same run (the probe logs in
before each):

- idle: nothing else (the same-run baseline of the upload phase);
- upload: one client uploads a large BibTeX file (1,000 papers of the slice written as BibTeX)
  to the profile page again and again;
- ingest: a CLI ``paperradar ingest`` of ~15,000 records into the same home, beside the server;
  its papers are listed on the slice's days, so the store (and the week ``/trending`` reads)
  grows 7x while the phase runs;
- idle after ingest: nothing else again, on the grown store: the baseline of the ingest and
  the flood phases (a page that reads 7x the sightings costs more with no load at all, and
  the load is what is measured);
- login flood, last (it throttles failed logins from 127.0.0.1, every client's address here):
  4 clients post logins with random user names and wrong passwords, 60 in 25 s as issue 15
  measured (``--flood-pause 0``: as fast as the server answers).

Printed per phase: the probe's p50 and p95 for the page and the like, each p95 against the
phase's baseline (the ingest's also against the first idle), its error count (non-2xx/3xx
answers), and what the abusers got (statuses, the ingest's exit code). Target: each p95
within 2x its baseline, and no error for the probe. Loopback only, bounded in time. Results
go to benchmarks/results/abuse.json.

With ``--compare-with DIR`` (a folder holding another ``paperradar`` package, such as a copy
of the code before a change) a second server runs that code on a copy of the home, and every
phase runs on both servers in turn (each going first in every other phase), so the two sets
of figures share the machine's load; they go to the JSON as ``compared_with``.

    python benchmarks/abuse.py [--seconds 8] [--flood-pause SECONDS] [--compare-with DIR]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from _lib.machine import run_record, summary_row, write_results
from _lib.paths import RESULTS_DIR, ROOT

RESULTS = RESULTS_DIR / "abuse.json"
SLICE = ROOT / "data" / "arxiv-cs-daily-2026-06-18_2026-07-01.jsonl.gz"
SEEDS = sorted((ROOT / "data" / "seeds").glob("00[01]_*.txt"))
USER, PASSWORD, PROFILE = "probe", "probe-password-1", "researcher"
PAPER = "2606.31413"
BIN = Path(sys.executable).parent
#: the fast page the probe loads (--page)
PROBE = {"page": "/trending"}


def cli(home: Path, *args: str, stdin: str | None = None) -> None:
    env = {**os.environ, "PAPERRADAR_EMBEDDER": "fake"}
    subprocess.run(
        [str(BIN / "paperradar"), "--home", str(home), *args],
        check=True,
        capture_output=True,
        input=stdin,
        text=True,
        env=env,
    )


def prepare(work: Path) -> tuple[Path, Path, Path]:
    """The home, a large BibTeX file to upload, a big JSON Lines file to ingest."""
    home = work / "home"
    cli(home, "ingest", "--quiet", "--embed", str(SLICE))
    cli(home, "profile", "create", PROFILE)
    cli(home, "profile", "add", PROFILE, *map(str, SEEDS))
    cli(home, "user", "add", USER, "--password-stdin", stdin=PASSWORD + "\n")
    cli(home, "user", "grant", USER, PROFILE)
    bib = work / "upload.bib"
    cli(
        home,
        "export",
        "--format",
        "bibtex",
        "--search",
        "learning",
        "--mode",
        "keyword",
        "-n",
        "1000",
        "--out",
        str(bib),
    )
    big = work / "big.jsonl"
    with gzip.open(SLICE, "rb") as fh:
        records = [orjson.loads(line) for line in fh if line.strip()]
    with big.open("wb") as out:
        for k in range(6):
            for r in records:
                number = r["id"].split(".")[1]
                out.write(orjson.dumps({**r, "id": f"{2301 + k}.{number}"}) + b"\n")
    return home, bib, big


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def log_in(client: httpx.Client, name: str = USER, password: str = PASSWORD) -> int:
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    done = client.post(
        "/login",
        data={"name": name, "password": password, "csrf": token.group(1) if token else ""},
    )
    return done.status_code


def csrf(client: httpx.Client, path: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get(path).text)
    return found.group(1) if found else ""


def logged_in(base: str) -> tuple[httpx.Client, str]:
    """The probe user's client, logged in before any abuse starts, and its CSRF token."""
    client = httpx.Client(base_url=base, timeout=60)
    log_in(client)
    if "pr_session" not in client.cookies:
        raise SystemExit("error: the probe user could not log in")
    return client, csrf(client, "/radar")


def probe(client: httpx.Client, token: str, seconds: float) -> dict[str, Any]:
    """The logged-in user's page and like latencies (ms) and errors over ``seconds``."""
    times: dict[str, list[float]] = {"page": [], "like": []}
    errors: collections.Counter[str] = collections.Counter()
    try:
        stop = time.monotonic() + seconds
        n = 0
        while time.monotonic() < stop:
            n += 1
            started = time.perf_counter()
            page = client.get(PROBE["page"])
            times["page"].append((time.perf_counter() - started) * 1000)
            if page.status_code != 200:
                errors[f"page {page.status_code}"] += 1
            action = "like" if n % 2 else "clear"
            started = time.perf_counter()
            like = client.post(
                "/feedback",
                data={
                    "paper": f"arxiv:{PAPER}",
                    "profile": PROFILE,
                    "action": action,
                    "csrf": token,
                },
                follow_redirects=False,
            )
            times["like"].append((time.perf_counter() - started) * 1000)
            if like.status_code >= 400:
                errors[f"like {like.status_code}"] += 1
    finally:
        client.close()
    out: dict[str, Any] = {"errors": dict(errors)}
    for kind, values in times.items():
        ordered = sorted(values)
        out[kind] = {
            "p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1),
            "requests": len(ordered),
        }
    return out


#: seconds between one flooding client's logins: 4 clients send 60 logins in 25 s, the rate
#: issue 15 measured; --flood-pause 0 floods as fast as the server answers
FLOOD_PAUSE = 25 * 4 / 60


def login_flood(
    base: str, stop: threading.Event, statuses: collections.Counter[int], pause: float
) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            name = "".join(random.choices("abcdefghijklmnop", k=10))
            try:
                statuses[log_in(client, name, "wrong-password-1")] += 1
            except httpx.HTTPError:
                statuses[0] += 1
            stop.wait(pause)


def uploads(
    base: str, bib: Path, stop: threading.Event, statuses: collections.Counter[int]
) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        log_in(client)
        token = csrf(client, f"/profiles/{PROFILE}")
        body = bib.read_bytes()
        while not stop.is_set():
            try:
                answer = client.post(
                    f"/profiles/{PROFILE}/upload",
                    data={"csrf": token},
                    files={"file": ("papers.bib", body, "application/x-bibtex")},
                    follow_redirects=False,
                )
                statuses[answer.status_code] += 1
            except httpx.HTTPError:
                statuses[0] += 1


class Server:
    """A ``paperradar serve`` child on its own home; ``env`` also runs its CLI ingest."""

    def __init__(self, label: str, home: Path, env: dict[str, str], log: Path) -> None:
        self.label, self.home, self.env = label, home, env
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [str(BIN / "paperradar"), "--home", str(home), "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
            env=env,
        )
        self.phases: dict[str, Any] = {}

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.base + "/login", timeout=2)
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit(f"error: the server ({self.label}) did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def phase(
    name: str, server: Server, seconds: float, bib: Path, big: Path, flood_pause: float
) -> dict[str, Any]:
    base = server.base
    stop = threading.Event()
    statuses: collections.Counter[int] = collections.Counter()
    threads: list[threading.Thread] = []
    ingest: subprocess.Popen[bytes] | None = None
    if name == "login flood":
        threads = [
            threading.Thread(target=login_flood, args=(base, stop, statuses, flood_pause))
            for _ in range(4)
        ]
    elif name == "upload":
        threads = [threading.Thread(target=uploads, args=(base, bib, stop, statuses))]
    elif name == "ingest":
        ingest = subprocess.Popen(
            [str(BIN / "paperradar"), "--home", str(server.home), "ingest", "--quiet", str(big)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=server.env,
        )
    client, token = logged_in(base)  # before the abuse: a login flood throttles its address
    for thread in threads:
        thread.start()
    time.sleep(0.5 if not name.startswith("idle") else 0)  # the abuse is under way
    result = probe(client, token, seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    if ingest is not None:
        _, err = ingest.communicate(timeout=300)
        result["ingest_exit"] = ingest.returncode
        result["ingest_error"] = err.decode()[-300:]
    if statuses:
        result["abuser_statuses"] = {str(k): v for k, v in sorted(statuses.items())}
    return result


def report(label: str, phases: dict[str, Any], name: str) -> None:
    p = phases[name]
    print(
        f"{label:10} {name:17} page p50 {p['page']['p50_ms']:6.1f} ms"
        f" p95 {p['page']['p95_ms']:6.1f}{ratios(phases, name, 'page')}"
        f" · like p50 {p['like']['p50_ms']:5.1f} ms p95 {p['like']['p95_ms']:5.1f}"
        f"{ratios(phases, name, 'like')}"
        f" · probe errors {sum(p['errors'].values())} {p['errors'] or ''}"
        f" · abusers {p.get('abuser_statuses', '')}"
        + (f" · ingest exit {p['ingest_exit']}" if "ingest_exit" in p else ""),
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--flood-pause", type=float, default=FLOOD_PAUSE)
    parser.add_argument("--page", default=PROBE["page"], help="the probe's fast page")
    parser.add_argument(
        "--compare-with",
        type=Path,
        metavar="DIR",
        help="a folder holding another paperradar package (the code before a change, say):"
        " a second server runs it on a copy of the home, each phase runs on both in turn",
    )
    args = parser.parse_args()
    PROBE["page"] = args.page
    if args.compare_with and not (args.compare_with / "paperradar" / "__init__.py").is_file():
        raise SystemExit(f"error: {args.compare_with}: no paperradar package in it")
    work = Path(tempfile.mkdtemp(prefix="paperradar-abuse-"))
    servers: list[Server] = []
    try:
        home, bib, big = prepare(work)
        env = {**os.environ, "PAPERRADAR_EMBEDDER": "fake"}
        if args.compare_with:
            copy = Path(shutil.copytree(home, work / "home-compared"))
            other = {**env, "PYTHONPATH": str(args.compare_with.resolve())}
            servers.append(Server("compared", copy, other, work / "server-compared.log"))
        servers.append(Server("this tree", home, env, work / "server.log"))
        for server in servers:
            server.wait_ready()
        results: dict[str, Any] = {
            "flood_pause_s": args.flood_pause,
            **run_record(),
            "seconds_per_phase": args.seconds,
            "upload_bytes": bib.stat().st_size,
        }
        for i, name in enumerate(PHASES):  # with two servers, each goes first in turn
            for server in servers if i % 2 == 0 else servers[::-1]:
                server.phases[name] = phase(name, server, args.seconds, bib, big, args.flood_pause)
                report(server.label, server.phases, name)
        for server in servers:
            for name in ("ingest", "login flood"):  # their baseline ran after the ingest
                print(
                    f"{server.label:10} {name:17} page p95{ratios(server.phases, name, 'page')}"
                    f" · like p95{ratios(server.phases, name, 'like')}"
                )
        results["phases"] = servers[-1].phases
        if args.compare_with:
            results["compared_with"] = {
                "code": str(args.compare_with),
                "phases": servers[0].phases,
            }
        write_results(RESULTS, results)
        return 0
    finally:
        for server in servers:
            if server.proc.poll() is None:
                server.stop()
        shutil.rmtree(work, ignore_errors=True)


#: the phases in their order: the flood last (it throttles failed logins from 127.0.0.1)
PHASES = ("idle", "upload", "ingest", "idle after ingest", "login flood")
#: each load phase's baseline: the idle phase on the same store (the ingest grows it 7x)
BASELINE = {"upload": "idle", "ingest": "idle after ingest", "login flood": "idle after ingest"}


def ratios(phases: dict[str, Any], name: str, kind: str) -> str:
    """`` (1.4x idle)``: the phase's p95 against its baselines measured so far."""
    wanted = [BASELINE[name]] if name in BASELINE else []
    if name == "ingest":
        wanted.append("idle")
    shown = [
        f"{phases[name][kind]['p95_ms'] / max(phases[b][kind]['p95_ms'], 0.1):.1f}x {b}"
        for b in wanted
        if b in phases
    ]
    return f" ({', '.join(shown)})" if shown else ""


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    phases = results["phases"]
    rows = []
    for name in ("login flood", "upload", "ingest"):
        # results from before the idle phase after the ingest compare with the first idle
        base = BASELINE[name] if BASELINE[name] in phases else "idle"
        for kind in ("page", "like"):
            idle = phases[base][kind]["p95_ms"]
            rows.append(
                summary_row(
                    f"{kind} p95 during {name}",
                    phases[name][kind]["p95_ms"],
                    "ms",
                    "lower",
                    baseline=f"{base}, same run",
                    baseline_value=idle,
                    target=2 * idle,
                )
            )
        rows.append(
            summary_row(
                f"probe errors during {name}",
                sum(phases[name]["errors"].values()),
                "",
                "lower",
                target=0,
            )
        )
    return rows


if __name__ == "__main__":
    sys.exit(main())
