"""The machine a benchmark ran on, recorded beside its figures, and the summary row.

Every benchmark script records ``run_record()`` (when, on what machine, how busy it was at the
start) in its results JSON and offers ``summary(results) -> list[dict]``: its figures as rows
built with ``summary_row()``, which benchmarks/summary.py prints as one table.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sqlite3
from pathlib import Path
from typing import Any, Literal

Better = Literal["higher", "lower"]


def describe_machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            mem_kb = int(fh.readline().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "system": platform.platform(),
    }


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (the machine may be shared)."""
    return [round(x, 2) for x in os.getloadavg()]


def run_record() -> dict[str, Any]:
    """What a results JSON records about its run, taken when the run starts."""
    return {
        "ran_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": describe_machine(),
        "load_average_at_start": load_average(),
    }


def summary_row(
    figure: str,
    value: float,
    unit: str,
    better: Better,
    *,
    baseline: str | None = None,
    baseline_value: float | None = None,
    target: float | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """One summary row: a figure, its same-run baseline (if any) and the target (if any)."""
    return {
        "figure": figure,
        "value": float(value),
        "unit": unit,
        "better": better,
        "baseline": baseline if baseline_value is not None else None,
        "baseline_value": None if baseline_value is None else float(baseline_value),
        "target": None if target is None else float(target),
        "note": note,
    }


def write_results(path: Path, results: dict[str, Any]) -> None:
    """Write a benchmark's results JSON (indented, newline-terminated), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
