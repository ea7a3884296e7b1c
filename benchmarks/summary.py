"""One table of every benchmark's figures, read from benchmarks/results/*.json.

Every benchmark script here offers ``RESULTS`` (the path of its results JSON) and
``summary(results) -> list[dict]``: its figures as rows (see ``_lib.machine.summary_row``),
each with its same-run baseline and its target where there is one. A script may offer more
files as ``MORE_SUMMARIES``, a list of (name, path, summary function). The settled experiments
in benchmarks/experiments/ (``make bench`` no longer runs them) are shown after the benchmarks,
as ``experiments/NAME``, from the results they left. This script imports each benchmark
(importing one does not run it), reads its JSON and prints, per figure: the value,
the baseline and its value, how the two compare, the target and whether it is met; then, per
results file, when it ran, on what machine and the load average at the start. It measures
nothing itself: every figure comes from the JSON files. ``make bench`` ends with it.

    python benchmarks/summary.py [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
EXPERIMENTS_DIR = HERE / "experiments"
#: in the order `make bench` runs them; scripts found beside these are added after them
BENCHMARKS = (
    "ingest",
    "readers",
    "embed",
    "search",
    "csfcube",
    "digest",
    "affinity",
    "ranking",
    "authors",
    "web",
    "cold",
    "explanations",
    "abuse",
    "ingest_beside_writers",
    "postgres",
)
#: settled one-off experiments (benchmarks/experiments/), shown after the benchmarks
EXPERIMENTS = ("fusion",)
DASH = "—"

Summarise = Callable[[dict[str, Any]], list[dict[str, Any]]]


@dataclass
class Section:
    """One results file: its rows, or why there are none."""

    name: str
    path: Path | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    status: str = ""  # empty when there are rows; else "not run yet", an error, ...
    results: dict[str, Any] | None = None
    failed: bool = False  # summary() raised: a bug, not a missing run


# --------------------------------------------------------------------------- collecting


def benchmark_names(folder: Path = HERE, known: Sequence[str] = BENCHMARKS) -> list[str]:
    """The known benchmarks, then any other script in the folder."""
    found = sorted(
        p.stem
        for p in folder.glob("*.py")
        if not p.stem.startswith("_") and p.stem != "summary" and p.stem not in known
    )
    return [*known, *found]


def import_benchmark(name: str, folder: Path = HERE) -> Any:
    """The benchmark script as a module (its ``__main__`` guard keeps it from running)."""
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(name)


def summarise(name: str, path: Path, summary: Summarise | None) -> Section:
    """The rows of one results file, or a section saying why there are none."""
    section = Section(name, path)
    if not path.exists():
        section.status = "not run yet"
        return section
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        section.status = f"unreadable results: {exc}"
        return section
    section.results = results if isinstance(results, dict) else None
    if summary is None:
        section.status = "results present; the script has no summary() yet"
        return section
    try:
        section.rows = [normalised(row) for row in summary(results)]
    except Exception as exc:  # one broken summary must not hide the other benchmarks
        section.status = f"summary() failed: {type(exc).__name__}: {exc}"
        section.failed = True
        return section
    if not section.rows:
        section.status = "no figures in the results"
    return section


def normalised(row: dict[str, Any]) -> dict[str, Any]:
    """A row with every key of the contract: numbers as floats, and no baseline name without
    a baseline value (the table then says "—")."""
    base = row.get("baseline_value")
    target = row.get("target")
    better = row.get("better", "higher")
    if better not in ("higher", "lower"):
        raise ValueError(f"{row.get('figure')}: better is {better!r}")
    return {
        "figure": str(row["figure"]),
        "value": float(row["value"]),
        "unit": row.get("unit") or "",
        "better": better,
        "baseline": row.get("baseline") if base is not None else None,
        "baseline_value": None if base is None else float(base),
        "target": None if target is None else float(target),
        "note": row.get("note") or None,
    }


def sections_of(name: str, module: Any, label: str | None = None) -> list[Section]:
    """A benchmark module's results files, summarised (as ``label``, by default its name)."""
    path = getattr(module, "RESULTS", RESULTS_DIR / f"{name}.json")
    sections = [summarise(label or name, Path(path), getattr(module, "summary", None))]
    for more_name, more_path, more_summary in getattr(module, "MORE_SUMMARIES", ()):
        sections.append(summarise(more_name, Path(more_path), more_summary))
    return sections


def collect(names: Sequence[str], folder: Path = HERE, prefix: str = "") -> list[Section]:
    """The sections of the scripts ``names`` in ``folder``, named ``prefix`` + name."""
    sections: list[Section] = []
    for name in names:
        label = prefix + name
        if not (folder / f"{name}.py").exists():
            path = RESULTS_DIR / f"{name}.json"
            status = "not run yet" if not path.exists() else "results present"
            sections.append(Section(label, path, status=f"{status}; no script {name}.py yet"))
            continue
        try:
            module = import_benchmark(name, folder)
        except Exception as exc:  # a script being edited must not hide the others
            status = f"cannot import {name}.py: {type(exc).__name__}: {exc}"
            sections.append(Section(label, None, status=status, failed=True))
            continue
        sections.extend(sections_of(name, module, label))
    return sections


def collect_all() -> list[Section]:
    """The benchmarks, then the experiments."""
    experiments = benchmark_names(EXPERIMENTS_DIR, EXPERIMENTS)
    return collect(benchmark_names()) + collect(experiments, EXPERIMENTS_DIR, "experiments/")


# --------------------------------------------------------------------------- formatting


def number(value: float) -> str:
    """A figure as the table shows it: thousands separated, decimals by size."""
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def with_unit(value: float | None, unit: str = "") -> str:
    if value is None:
        return DASH
    return f"{number(value)} {unit}".rstrip()


def comparison(row: dict[str, Any]) -> str:
    """How the value compares with its baseline, and which is better. Scores without a unit
    are compared by difference, quantities with a unit by ratio."""
    value, base = row["value"], row.get("baseline_value")
    if base is None:
        return DASH
    if value == base:
        return "same"
    ours_better = (value > base) == (row["better"] == "higher")
    verdict = "ours better" if ours_better else "baseline better"
    if row["unit"] and base != 0:
        return f"{value / base:.2f}x ({verdict})"
    return f"{value - base:+.3f} ({verdict})"


def target_cells(row: dict[str, Any]) -> tuple[str, str]:
    """The target as "<= 50 ms" / ">= 5,000 papers/s" and whether the value meets it."""
    target = row.get("target")
    if target is None:
        return DASH, ""
    if row["better"] == "higher":
        return f">= {number(target)}", "yes" if row["value"] >= target else "NO"
    return f"<= {number(target)}", "yes" if row["value"] <= target else "NO"


HEADER = (
    "benchmark",
    "figure",
    "value",
    "same-run baseline",
    "its value",
    "vs baseline",
    "target",
    "met",
)
RIGHT = {2, 4}  # columns aligned right


def table_lines(sections: Sequence[Section]) -> list[str]:
    """The fixed-width table, one line per row (or per section without rows), then notes."""
    cells: list[tuple[str, ...]] = []
    notes: list[str] = []
    for section in sections:
        if not section.rows:
            cells.append((section.name, f"({section.status})", "", "", "", "", "", ""))
            continue
        for row in section.rows:
            target, met = target_cells(row)
            figure = row["figure"]
            if row.get("note"):
                notes.append(row["note"])
                figure = f"{figure} [{len(notes)}]"
            cells.append(
                (
                    section.name,
                    figure,
                    with_unit(row["value"], row["unit"]),
                    row.get("baseline") or DASH,
                    with_unit(row.get("baseline_value")),
                    comparison(row),
                    target,
                    met,
                )
            )
    widths = [max(len(c[i]) for c in [HEADER, *cells]) for i in range(len(HEADER))]

    def line(texts: Sequence[str]) -> str:
        return "  ".join(
            text.rjust(widths[i]) if i in RIGHT else text.ljust(widths[i])
            for i, text in enumerate(texts)
        ).rstrip()

    lines = [line(HEADER), line(["-" * w for w in widths])]
    previous = None
    for texts in cells:  # the benchmark's name on its first line only
        lines.append(line(texts if texts[0] != previous else ("", *texts[1:])))
        previous = texts[0]
    if notes:
        lines.append("")
        lines.extend(f"[{i}] {note}" for i, note in enumerate(notes, 1))
    return lines


def when(path: Path, results: dict[str, Any]) -> str:
    """When the results were written: the recorded time, else the file's modification time."""
    recorded = results.get("ran_at")
    if recorded:
        return f"ran {recorded}"
    mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    return f"written {mtime:%Y-%m-%d %H:%M} UTC (file time)"


def machine_text(machine: Any) -> str:
    if isinstance(machine, dict):
        return (
            f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
            f"{machine.get('memory_gb', '?')} GB"
        )
    return str(machine) if machine else "machine not recorded"


def load_text(results: dict[str, Any]) -> str:
    for key, label in (
        ("load_average_at_start", "load average at start"),
        ("load_average_after", "load average after (at start not recorded)"),
        ("load_average_at_end", "load average at end (at start not recorded)"),
    ):
        if results.get(key):
            return f"{label} {', '.join(f'{x:.2f}' for x in results[key])}"
    return "load average not recorded"


def runs_of(results: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The runs a results file holds: itself, or (as affinity.json) one entry per key."""
    if "machine" in results or "load_average_at_start" in results:
        return [("", results)]
    nested = [
        (f"{key}: ", value)
        for key, value in results.items()
        if isinstance(value, dict) and ("machine" in value or "load_average_at_start" in value)
    ]
    return nested or [("", results)]


def run_lines(sections: Sequence[Section]) -> list[str]:
    """Per results file read: when it ran, the machine and the load average at the start."""
    lines = []
    for section in sections:
        if section.results is None or section.path is None:
            continue
        written = when(section.path, section.results)
        lines.append(f"{section.name}: {display_path(section.path)}, {written}")
        for label, run in runs_of(section.results):
            if "ran_at" in run and run is not section.results:
                label += f"ran {run['ran_at']}; "
            machine = machine_text(run.get("machine"))
            lines.append(f"    {label}{machine}; {load_text(run)}")
    return lines


def display_path(path: Path) -> str:
    try:
        return str(path.relative_to(HERE.parent))
    except ValueError:
        return str(path)


def render(sections: Sequence[Section]) -> str:
    lines = table_lines(sections)
    lines += ["", "Runs (each results file as last written):", *run_lines(sections)]
    return "\n".join(lines)


def rows_json(sections: Sequence[Section]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for section in sections:
        path = display_path(section.path) if section.path else None
        if not section.rows:
            out.append({"benchmark": section.name, "results": path, "status": section.status})
        out.extend({"benchmark": section.name, "results": path, **row} for row in section.rows)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    sections = collect_all()
    if args.json:
        print(json.dumps(rows_json(sections), indent=2, ensure_ascii=False))
    else:
        print(render(sections))
    return 1 if any(s.failed for s in sections) else 0


if __name__ == "__main__":
    sys.exit(main())
