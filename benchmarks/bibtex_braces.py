"""BibTeX on brace-heavy and hostile text: seconds per MB, beside plain BibTeX of the same size.

Issue 15 measured brace-heavy BibTeX at 3-4 s per MB (a 4.8 MB upload stalled every user for
20-41 s) and a 733-byte file of doubling ``@string`` macros that grew to 4.2 GB. Generated
here, each about ``--mb`` MB (not timed):

- ``plain`` (the same-run baseline): entries with a title, authors, an abstract and a year,
  no braces beyond each value's own;
- ``braces``: the same entries with every word of the title and abstract in protecting
  braces, Zotero-style ``{{BERT}}`` groups and ``{\\"o}`` accents;
- ``deep``: one title nested as deep as the size allows;
- ``deep interleaved``: ``{a {a {a ...}}}``, text between every level;
- ``nested accents``: ``\\'{\\'{...e}}``;
- ``macros``: 1,000 doubling ``@string`` macros used by one entry (refused, not expanded).

Each is read through the BibTeX reader (``parse`` of the text, records counted; no store), the
best of ``--runs``; the figure is seconds per MB of input and the ratio to ``plain``. Target:
brace-heavy text under 1 s per MB. Results: benchmarks/results/bibtex_braces.json.

    python benchmarks/bibtex_braces.py [--mb 2] [--runs 3] [--results PATH] [--shapes a,b]

(Before issue 15's fixes, ``macros`` grows without bound: leave it out when running older
code, e.g. ``PYTHONPATH=<older checkout> ... --shapes plain,braces,deep``.)
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _lib.machine import run_record, summary_row, write_results
from _lib.paths import RESULTS_DIR, shown

from paperradar.readers import bibtex
from paperradar.readers.base import BadRecord, ReadContext

RESULTS = RESULTS_DIR / "bibtex_braces.json"
TARGET_S_PER_MB = 1.0
WORDS = [
    "sparse",
    "attention",
    "graph",
    "model",
    "learning",
    "neural",
    "data",
    "training",
    "language",
    "vision",
]


def _entries(size: int, braced: bool) -> str:
    rnd = random.Random(15)
    out: list[str] = []
    total, i = 0, 0
    while total < size:

        def words(n: int) -> str:
            chosen = [rnd.choice(WORDS) for _ in range(n)]
            if braced:
                chosen = [
                    f"{{{w}}}" if j % 3 else f"{{{{{w.upper()}}}}}" for j, w in enumerate(chosen)
                ]
                chosen.append('Schr{\\"o}dinger')
            return " ".join(chosen)

        entry = (
            f"@article{{key{i},\n  title = {{{words(10)}}},\n"
            f"  author = {{Webb, Ada and {{Corp Inc}} and Lovelace, Ada}},\n"
            f"  abstract = {{{words(150)}}},\n  year = {{2026}}\n}}\n"
        )
        out.append(entry)
        total += len(entry)
        i += 1
    return "".join(out)


def _deep(size: int) -> str:
    depth = size // 2
    return "@article{k, title={" + "{" * depth + "Deep" + "}" * depth + "}}"


def _interleaved(size: int) -> str:
    depth = size // 4
    return "@article{k, title={" + "{a " * depth + "}" * depth + "}}"


def _accents(size: int) -> str:
    depth = size // 4
    return "@article{k, title={" + "\\'{" * depth + "e" + "}" * depth + "}}"


def _macros(size: int) -> str:
    lines = ['@string{a0 = "xxxxxxxxxxxxxxxx"}']
    lines += [f"@string{{a{i} = a{i - 1} # a{i - 1}}}" for i in range(1, 1000)]
    return "\n".join([*lines, "@article{k, title = a999}"])


SHAPES: dict[str, Callable[[int], str]] = {
    "plain": lambda size: _entries(size, braced=False),
    "braces": lambda size: _entries(size, braced=True),
    "deep": _deep,
    "deep interleaved": _interleaved,
    "nested accents": _accents,
    "macros": _macros,
}


def read(text: str) -> tuple[int, int]:
    """Papers and bad records of ``text``."""
    records = list(bibtex.READER.parse(io.StringIO(text), ReadContext(origin="bench.bib")))
    bad = sum(isinstance(record, BadRecord) for record in records)
    return len(records) - bad, bad


def measure(text: str, runs: int) -> dict[str, Any]:
    """The best time of ``runs`` reads; an exception (the code before issue 15's fixes raises
    RecursionError on nested accents) is recorded with the time it took to come."""
    best, papers, bad, error = float("inf"), 0, 0, None
    for _ in range(runs):
        start = time.perf_counter()
        try:
            papers, bad = read(text)
        except Exception as exc:
            error = f"{type(exc).__name__}: {str(exc)[:100]}"
        best = min(best, time.perf_counter() - start)
    mb = len(text.encode()) / 1e6
    figures = {"mb": round(mb, 3), "s": round(best, 4), "s_per_mb": round(best / mb, 4)}
    return {**figures, "papers": papers, "bad": bad, "error": error}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=2.0, help="size of each input, in MB")
    parser.add_argument("--runs", type=int, default=3, help="reads per input (best kept)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--shapes", default=",".join(SHAPES), help="which inputs (comma-separated; plain first)"
    )
    args = parser.parse_args(argv)
    results: dict[str, Any] = {
        "run": run_record(),
        "mb": args.mb,
        "runs": args.runs,
        "target_s_per_mb": TARGET_S_PER_MB,
        "shapes": {},
    }
    size = int(args.mb * 1e6)
    for name in ["plain", *(s for s in args.shapes.split(",") if s != "plain")]:
        figures = measure(SHAPES[name](size), args.runs)
        results["shapes"][name] = figures
    base = results["shapes"]["plain"]["s_per_mb"]
    print(f"{'input':18} {'MB':>7} {'s':>8} {'s/MB':>8} {'x plain':>8} {'papers':>7} {'bad':>4}")
    for name, figures in results["shapes"].items():
        ratio = figures["s_per_mb"] / base if base else float("nan")
        figures["ratio_to_plain"] = round(ratio, 2)
        print(
            f"{name:18} {figures['mb']:7.3f} {figures['s']:8.3f} {figures['s_per_mb']:8.3f} "
            f"{ratio:8.2f} {figures['papers']:7d} {figures['bad']:4d} {figures['error'] or ''}"
        )
    write_results(args.results, results)
    print(f"target: brace-heavy under {TARGET_S_PER_MB:g} s/MB; results: {shown(args.results)}")
    return 0


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    shapes = results["shapes"]
    base = shapes["plain"]["s_per_mb"]
    return [
        summary_row(
            f"BibTeX {name} (s/MB)",
            shapes[name]["s_per_mb"],
            "s/MB",
            "lower",
            baseline="plain BibTeX",
            baseline_value=base,
            target=TARGET_S_PER_MB,
        )
        for name in ("braces", "deep", "deep interleaved", "nested accents")
        if name in shapes
    ]


if __name__ == "__main__":
    sys.exit(main())
