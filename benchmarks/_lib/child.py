"""Measuring a configuration in a child process of its own, so that its memory is its own."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory() -> dict[str, float]:
    """This process's memory in MB: resident (anonymous + file-backed) and its peak."""
    out: dict[str, float] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                    out[key] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    out["ru_maxrss"] = round(peak_rss_mb(), 1)
    return out


def run_child(script: str | Path, mode: str, **kwargs: Any) -> dict[str, Any]:
    """Run ``python SCRIPT --child MODE --key value ...`` (``True``: a bare flag; ``None`` and
    ``False``: left out) and return the JSON object its last line of output holds, plus the
    wall time and the load average after it. Exits with the child's output if it fails."""
    argv = [sys.executable, str(script), "--child", mode]
    for key, value in kwargs.items():
        if value is True:
            argv.append(f"--{key.replace('_', '-')}")
        elif value not in (None, False):
            argv += [f"--{key.replace('_', '-')}", str(value)]
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child {mode} failed:\n{proc.stdout}{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = round(time.perf_counter() - started, 1)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return result
