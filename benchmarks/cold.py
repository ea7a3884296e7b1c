"""Cold-start benchmark: what a one-off CLI command costs, from process start to exit.

Each command runs as the installed ``paperradar`` in a fresh process, as a user types it:
``search QUERY`` (hybrid, the default), ``search QUERY --mode semantic``, ``similar --text
QUERY``, ``search QUERY --mode keyword`` (no model: the floor) and ``paperradar --help``.
The same commands with ``PAPERRADAR_EMBED_SMALL=torch`` -- every text through torch and
sentence-transformers, the behaviour before the NumPy forward pass -- are the same-run
baseline. Runs alternate between the two, one untimed round first (so both find the files in
the OS cache); the figure is the median wall time of ``--runs`` runs (the CPU time, which
the machine's other work disturbs less, is recorded beside it). The top-10 results of
each query, with and without the NumPy pass, are compared (the same papers?).

The store is a copy of the demo store (``demo-home/``, made by ``make demo``: the shipped
arXiv slice and listing pages, embedded) when it is there; else the first ``--papers`` papers
of data/arxiv-cs-daily-*.jsonl.gz, ingested and embedded once under /tmp/paperradar-bench/cold.
Targets: hybrid search <= 1.5 s, ``--help`` <= 0.3 s. Results: benchmarks/results/cold.json.

    python benchmarks/cold.py [--runs 5] [--home DIR] [--papers 500] [--results PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _lib import storefile
from _lib.machine import load_average, run_record, summary_row, write_results
from _lib.paths import ARXIV_SLICE, BENCH_WORK, RESULTS_DIR, ROOT, shown

RESULTS = RESULTS_DIR / "cold.json"
WORK = BENCH_WORK / "cold"
DEMO_HOME = ROOT / "demo-home"
QUERY = "why do reasoning models fail on harder puzzles"
TARGETS = {"search (hybrid)": 1.5, "--help": 0.3}
#: name -> the command's arguments after ``paperradar --home HOME``
COMMANDS: dict[str, list[str]] = {
    "search (hybrid)": ["search", QUERY, "--limit", "10"],
    "search --mode semantic": ["search", QUERY, "--mode", "semantic", "--limit", "10"],
    "similar --text": ["similar", "--text", QUERY, "--limit", "10"],
    "search --mode keyword": ["search", QUERY, "--mode", "keyword", "--limit", "10"],
    "--help": ["--help"],
}
#: the commands that embed a text (the others are the same in both modes)
EMBEDS = ("search (hybrid)", "search --mode semantic", "similar --text")
MODES = {"numpy": "numpy", "torch (baseline)": "torch"}
FIRST = {"numpy": "numpy"}


def paperradar() -> list[str]:
    """The installed ``paperradar`` script beside this Python, else ``python -m paperradar``."""
    script = Path(sys.executable).parent / "paperradar"
    return [str(script)] if script.exists() else [sys.executable, "-m", "paperradar"]


def prepare(home: Path | None, papers: int) -> tuple[Path, str]:
    """The store the commands read, and where it came from."""
    if home is not None:
        return home, f"given: {shown(home)}"
    target = WORK / "home"
    if storefile.db_path(DEMO_HOME).exists():
        storefile.copy(DEMO_HOME, target)  # the commands only read, but the demo stays untouched
        return target, f"a copy of {shown(DEMO_HOME)}"
    built = WORK / f"slice-{papers}"
    if not (built / "ready.json").exists():
        build_slice(built, papers)
    storefile.copy(built, target)
    return target, f"the first {papers} papers of {shown(ARXIV_SLICE)}, embedded"


def build_slice(home: Path, papers: int) -> None:
    """A home with the first ``papers`` papers of the shipped slice, embedded with MiniLM."""
    from paperradar import Store, ingest_files
    from paperradar.embedding import MiniLMEmbedder
    from paperradar.embedding.backfill import embed_missing

    storefile.clear(home)
    part = home / "slice.jsonl"
    with gzip.open(ARXIV_SLICE, "rt", encoding="utf-8") as src, part.open("w") as dst:
        for n, line in enumerate(src):
            if n == papers:
                break
            dst.write(line)
    print(f"building the store: {papers} papers, embedded (a few minutes)", file=sys.stderr)
    with Store.open(home) as store:
        ingest_files(store, [part])
        embed_missing(store, MiniLMEmbedder())
    (home / "ready.json").write_text(json.dumps({"papers": papers}) + "\n", encoding="utf-8")


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of one run, and its stdout; a failed run stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return took, cpu, proc.stdout


def environment(small: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERRADAR_")}
    env["PAPERRADAR_EMBED_SMALL"] = small
    env["COLUMNS"] = "120"
    return env


#: command -> mode -> seconds of each run
Times = dict[str, dict[str, list[float]]]


def measure(home: Path, runs: int) -> tuple[Times, Times]:
    """Wall and CPU seconds per command and mode, runs alternating between the modes (a
    command that embeds nothing runs in the first mode only: the modes do not differ there)."""
    base = [*paperradar(), "--home", str(home)]
    walls: Times = {c: {m: [] for m in (MODES if c in EMBEDS else FIRST)} for c in COMMANDS}
    cpus: Times = {c: {m: [] for m in by_mode} for c, by_mode in walls.items()}
    for round_ in range(runs + 1):  # round 0 warms the OS file cache and is not kept
        for name, args in COMMANDS.items():
            for mode in walls[name]:
                took, used, _ = run([*base, *args], environment(MODES[mode]))
                if round_:
                    walls[name][mode].append(round(took, 3))
                    cpus[name][mode].append(round(used, 3))
        if round_:
            so_far = ", ".join(f"{n} {statistics.median(t['numpy']):.2f}" for n, t in walls.items())
            print(f"round {round_}/{runs}, median s: {so_far}", flush=True)
    return walls, cpus


def medians(times: Times) -> dict[str, dict[str, float]]:
    return {n: {m: statistics.median(t) for m, t in by.items()} for n, by in times.items()}


def agreement(home: Path) -> dict[str, float]:
    """For each embedding command: the share of its top 10 that both modes return."""
    base = [*paperradar(), "--home", str(home)]
    shares: dict[str, float] = {}
    for name in EMBEDS:
        ids = []
        for small in MODES.values():
            _, _, stdout = run([*base, *COMMANDS[name], "--json"], environment(small))
            ids.append({hit["id"] for hit in json.loads(stdout)})
        shares[name] = len(ids[0] & ids[1]) / max(1, len(ids[0] | ids[1]))
    return shares


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command")
    parser.add_argument("--home", type=Path, help="a home to read (default: the demo store)")
    parser.add_argument("--papers", type=int, default=500, help="slice size without demo-home")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    record = run_record()
    home, source = prepare(args.home, args.papers)
    print(f"store: {source}; {args.runs} runs of each command")
    walls, cpus = measure(home, args.runs)
    shares = agreement(home)
    wall, cpu = medians(walls), medians(cpus)
    print(f"\nmedian wall s (CPU s)\n{'command':<26}{'numpy':>14}{'torch':>14}  target")
    for name, by_mode in wall.items():
        cells = [f"{by_mode[m]:.2f} ({cpu[name][m]:.2f})" if m in by_mode else "-" for m in MODES]
        target = f"<= {TARGETS[name]:g} s" if name in TARGETS else ""
        print(f"{name:<26}{cells[0]:>14}{cells[1]:>14}  {target}")
    overlap = ", ".join(f"{n} {s:.0%}" for n, s in shares.items())
    print(f"top-10 overlap, numpy vs torch: {overlap}")
    results = {
        **record,
        "command": " ".join(sys.argv),
        "store": source,
        "query": QUERY,
        "runs": args.runs,
        "commands": {name: " ".join(["paperradar", *a]) for name, a in COMMANDS.items()},
        "seconds": walls,
        "cpu_seconds": cpus,
        "median_s": wall,
        "median_cpu_s": cpu,
        "top10_overlap": shares,
        "load_average_at_end": load_average(),
    }
    write_results(args.results, results)
    print(f"results: {shown(args.results)}")
    return 0


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each command's median wall time, NumPy pass against torch for every text."""
    rows = []
    for name, by_mode in results["median_s"].items():
        embeds = name in EMBEDS
        note = [f"median of {results['runs']} fresh processes"]
        if "median_cpu_s" in results:
            note.append(f"CPU {results['median_cpu_s'][name]['numpy']:.2f} s")
        if name in results.get("top10_overlap", {}):
            note.append(f"top-10 overlap with torch {results['top10_overlap'][name]:.0%}")
        note.append(f"store: {results['store']}")
        rows.append(
            summary_row(
                f"cold CLI: paperradar {name}",
                by_mode["numpy"],
                "s",
                "lower",
                baseline="every text through torch" if embeds else None,
                baseline_value=by_mode["torch (baseline)"] if embeds else None,
                target=TARGETS.get(name),
                note="; ".join(note),
            )
        )
    return rows


if __name__ == "__main__":
    sys.exit(main())
