"""Digest benchmark: one profile's digest over ~5,000 already embedded papers.

A store of all of arxiv-cs-daily (74,728 papers) is built once under ``--work``, every paper
given a 384-dimensional vector by the fake embedder (hashed words: what the vectors mean
does not change what ranking costs; embedding itself is benchmarks/embed.py's subject). The
profile is the researcher of seeds 000/001 (14 papers). The window is the run of consecutive
listing days, newest first, that first reaches ``--candidates`` papers (one arXiv CS day has
up to ~1,500 papers in this data set, so ~5,000 takes a few days).

Timed, 5 times after a warm-up (the warm-up embeds the profile's papers and loads caches):
``make_digest`` (candidates, ranking with explanations, MMR, recording) with no feedback, and
again after 10 likes and 10 dislikes (the feedback classifier trains on each call), plus the
same digest from a fresh process (``paperradar digest --json``) for the wall time a user
waits. Target: <= 1 s for the library call. Results go to benchmarks/results/digest.json.

Explaining only the shown papers (``explain_chosen``): the CPU time of ``make_digest``
(``record=False``; its pool gets the cheap explanation, the chosen entries the full one)
beside the earlier way in the same run (every pick of the pool explained in full, then
diversity), in turns, 7 times each, over the window and over its newest listing day with
``--top 20`` (a radar page); the two must give the same entries. ``--explain-only`` runs
just this comparison and prints it, writing nothing.

    python benchmarks/digest.py [--data PATH] [--work DIR] [--candidates 5000] [--explain-only]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _lib import storefile
from _lib.machine import run_record, summary_row, write_results
from _lib.paths import ARXIV_DAILY, BENCH_WORK, RESULTS_DIR, ROOT, data_missing

from paperradar import Store, ingest_files
from paperradar.digest import DigestOptions, candidate_ids, make_digest
from paperradar.digest.build import POOL, shown_before
from paperradar.embedding import FakeEmbedder
from paperradar.embedding.backfill import embed_missing
from paperradar.models import Ranked
from paperradar.radar.profiles import (
    add_files,
    create_profile,
    load_profile,
    profile_names,
    record_feedback,
)
from paperradar.radar.ranking import (
    build_scorer,
    diversify,
    load_inputs,
    score_candidates,
    with_papers,
)

DEFAULT_DATA = ARXIV_DAILY
DEFAULT_WORK = BENCH_WORK / "digest"
RESULTS = RESULTS_DIR / "digest.json"
SEEDS = sorted((ROOT / "data" / "seeds").glob("00[01]_*.txt"))
TARGET_S = 1.0
RUNS = 5


def build(home: Path, data: Path, embedder: FakeEmbedder) -> dict[str, Any]:
    ready = home / "ready.json"
    if ready.exists():
        return {**json.loads(ready.read_text(encoding="utf-8")), "cached": True}
    storefile.clear(home)
    store = Store.open(home)
    started = time.perf_counter()
    ingest_files(store, [data])
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    embed_missing(store, embedder, chunk=4096)
    embed_s = time.perf_counter() - started
    info = {
        "papers": store.papers.count(),
        "ingest_s": round(ingest_s, 1),
        "embed_s": round(embed_s, 1),
    }
    store.close()
    ready.write_text(json.dumps(info), encoding="utf-8")
    return {**info, "cached": False}


def window(home: Path, wanted: int) -> tuple[dt.date, dt.date, int]:
    """The newest run of listing days that reaches ``wanted`` papers."""
    days = storefile.listing_days(home)
    total = 0
    start = end = dt.date.fromisoformat(days[0][0])
    for day, n in days:
        total += n
        start = dt.date.fromisoformat(day)
        if total >= wanted:
            break
    return start, end, total


def timed(call: Any) -> dict[str, float]:
    call()  # warm-up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "runs": RUNS,
    }


def _explained_in_full(
    store: Store, name: str, embedder: FakeEmbedder, options: DigestOptions
) -> list[Ranked]:
    """The digest's entries the earlier way: every pick of the pool explained in full
    (shared phrases, sentences), then diversity (no reranker, as ``options`` here)."""
    profile = load_profile(store, name)
    seen = shown_before(store, profile.id, options.start, options.end)
    ids = [i for i in candidate_ids(store, options.start, options.end) if i not in seen]
    inputs = load_inputs(store, profile, embedder, ids, options.config)
    scorer = build_scorer(inputs.profile, options.config)
    picks, vectors = score_candidates(scorer, inputs.candidates, keep=POOL * options.top)
    chosen = diversify(picks, vectors, options.top, options.diversity)
    return with_papers(store, chosen, with_sightings=True)


def explain_chosen(
    store: Store, name: str, embedder: FakeEmbedder, options: DigestOptions, runs: int = 7
) -> dict[str, Any]:
    """Median CPU milliseconds of ``make_digest`` (only the chosen explained in full) and of
    the earlier way, timed in turns after a warm-up of each; CPU time, so the shared
    machine's other processes count less. Asserts that both give the same entries."""
    options = dataclasses.replace(options, record=False, reranker=None)
    new = make_digest(store, name, embedder, options).entries
    old = _explained_in_full(store, name, embedder, options)
    same = [(e.row_id, e.score, e.parts, e.why) for e in new]
    assert same == [(e.row_id, e.score, e.parts, e.why) for e in old], "the digests differ"
    times: dict[str, list[float]] = {"chosen": [], "all": []}
    for _ in range(runs):
        started = time.process_time()
        make_digest(store, name, embedder, options)
        times["chosen"].append(time.process_time() - started)
        started = time.process_time()
        _explained_in_full(store, name, embedder, options)
        times["all"].append(time.process_time() - started)
    chosen_ms = round(1000 * statistics.median(times["chosen"]), 1)
    all_ms = round(1000 * statistics.median(times["all"]), 1)
    return {
        "window": {"start": options.start.isoformat(), "end": options.end.isoformat()},
        "top": options.top,
        "entries": len(new),
        "explain_chosen_cpu_ms": chosen_ms,
        "explain_all_cpu_ms": all_ms,
        "saved_cpu_ms": round(all_ms - chosen_ms, 1),
        "runs": runs,
        "load_average": os.getloadavg(),
    }


def compare_explanations(
    store: Store, name: str, embedder: FakeEmbedder, start: dt.date, end: dt.date
) -> dict[str, Any]:
    """:func:`explain_chosen` over the window (top 20) and over its newest day (top 20)."""
    out = {}
    for label, options in (
        ("window", DigestOptions(start=start, end=end, top=20)),
        ("day", DigestOptions(start=end, end=end, top=20)),
    ):
        out[label] = explain_chosen(store, name, embedder, options)
        print(f"explain only the chosen, {label}: {out[label]}", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument(
        "--explain-only",
        action="store_true",
        help="only compare explaining the chosen with explaining the pool; write nothing",
    )
    args = parser.parse_args()
    if data_missing(args.data):
        return 2
    record = run_record()
    embedder = FakeEmbedder(dim=384)
    home: Path = args.work / "home"
    setup = build(home, args.data, embedder)
    print(f"store: {setup}", flush=True)
    store = Store.open(home)
    if "researcher" not in profile_names(store):
        create_profile(store, "researcher")
        add_files(store, "researcher", SEEDS)
    start, end, n = window(home, args.candidates)
    print(f"window {start} .. {end}: {n:,} candidates", flush=True)
    if args.explain_only:
        compare_explanations(store, "researcher", embedder, start, end)
        store.close()
        return 0
    options = DigestOptions(start=start, end=end, top=20)
    results: dict[str, Any] = {
        **record,
        "setup": setup,
        "window": {"start": start.isoformat(), "end": end.isoformat(), "candidates": n},
        "target_s": TARGET_S,
    }

    def digest() -> None:
        made = make_digest(store, "researcher", embedder, options)
        assert len(made.entries) >= 20

    results["digest"] = timed(digest)
    print(f"digest, no feedback: {results['digest']}", flush=True)
    ids = candidate_ids(store, start, end)
    likes = [str(pid) for pid in store.papers.pids(ids[:20]).values()]
    record_feedback(store, "researcher", likes[:10], "like")
    record_feedback(store, "researcher", likes[10:20], "dislike")
    results["digest_with_feedback"] = timed(digest)
    print(f"digest, 10 likes + 10 dislikes: {results['digest_with_feedback']}", flush=True)
    results["explain_chosen"] = compare_explanations(store, "researcher", embedder, start, end)
    store.close()
    env = {**os.environ, "PAPERRADAR_EMBEDDER": "fake"}
    cmd = [
        sys.executable,
        "-m",
        "paperradar",
        "--home",
        str(home),
        "digest",
        "--profile",
        "researcher",
        "--since",
        start.isoformat(),
        "--until",
        end.isoformat(),
        "--json",
    ]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT)
    results["cli_wall_s"] = round(time.perf_counter() - started, 2)
    print(f"`paperradar digest --json` in a fresh process: {results['cli_wall_s']} s")
    best = results["digest_with_feedback"]["median_s"]
    results["meets_target"] = max(results["digest"]["median_s"], best) <= TARGET_S
    print(
        f"\nDigest over {n:,} papers: {results['digest']['median_s']} s without feedback, "
        f"{best} s with 20 feedback actions (target <= {TARGET_S} s): "
        + ("met" if results["meets_target"] else "NOT met")
    )
    write_results(RESULTS, results)
    return 0


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The library call's median time, without and with feedback, and a fresh process's wall
    time; no same-run baseline."""
    n = results["window"]["candidates"]
    target = results.get("target_s")
    rows = [
        summary_row(
            f"digest median, {label}",
            results[key]["median_s"],
            "s",
            "lower",
            target=target,
            note=(
                f"{n:,} candidates; {results[key]['runs']} runs, "
                f"{results[key]['min_s']}-{results[key]['max_s']} s"
            ),
        )
        for key, label in (
            ("digest", "no feedback"),
            ("digest_with_feedback", "20 feedback actions"),
        )
    ]
    if "cli_wall_s" in results:
        rows.append(summary_row("CLI digest, fresh process", results["cli_wall_s"], "s", "lower"))
    for label, compared in results.get("explain_chosen", {}).items():
        rows.append(
            summary_row(
                f"digest CPU, only the shown explained ({label}, top {compared['top']})",
                compared["explain_chosen_cpu_ms"],
                "ms",
                "lower",
                baseline="the whole pool explained",
                baseline_value=compared["explain_all_cpu_ms"],
                note=f"{compared['runs']} runs in turns; same entries",
            )
        )
    return rows


if __name__ == "__main__":
    sys.exit(main())
