"""Where things are: the repository, the results folder, the data sets, the work folders."""

from __future__ import annotations

import sys
from pathlib import Path

#: the repository (benchmarks/ is in it)
ROOT = Path(__file__).resolve().parent.parent.parent
#: each script writes its figures here, as NAME.json
RESULTS_DIR = ROOT / "benchmarks" / "results"
#: the downloaded data sets, beside the repository
SHARED_DATA = ROOT.parent / "shared" / "data"
#: all of arxiv-cs-daily (74,728 papers)
ARXIV_DAILY = SHARED_DATA / "arxiv-cs-daily" / "arxiv_cs_daily_dedup.jsonl.gz"
#: the two weeks of arxiv-cs-daily shipped in data/
ARXIV_SLICE = ROOT / "data" / "arxiv-cs-daily-2026-06-18_2026-07-01.jsonl.gz"
CSFCUBE = SHARED_DATA / "csfcube"
CITEULIKE = SHARED_DATA / "citeulike-a"
#: caches the benchmarks keep between runs (stores, vectors, HNSW graphs)
BENCH_WORK = Path("/tmp/paperradar-bench")
#: the paperradar home holding every MiniLM vector the evaluations need (authors, ranking)
EVAL_HOME = Path("/tmp/paperradar-eval-authors/home")


def data_missing(path: Path) -> bool:
    """Whether the data file is missing (then said on stderr, with the option to pass)."""
    if path.exists():
        return False
    print(f"error: {path}: not found (pass --data)", file=sys.stderr)
    return True


def shown(path: Path) -> str:
    """A path as the scripts print it: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
