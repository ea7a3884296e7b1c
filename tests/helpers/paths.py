"""Where the tests' inputs are: the repository, its shipped data, the test fixtures."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent
PACKAGE = REPO / "paperradar"
DATA = REPO / "data"
SEEDS = DATA / "seeds"
SEED_FILES = sorted(SEEDS.glob("0*.txt"))
ARXIV_SLICE = DATA / "arxiv-cs-daily-2026-06-18_2026-07-01.jsonl.gz"
FIXTURES = TESTS / "fixtures"
CLI_FIXTURES = FIXTURES / "cli"
