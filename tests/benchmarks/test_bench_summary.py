"""benchmarks/summary.py: the one table `make bench` ends with, on hand-written results."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from helpers import paths

REPO = paths.REPO
BENCHMARKS = REPO / "benchmarks"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


summary = _load("bench_summary_under_test", BENCHMARKS / "summary.py")
machine = _load("bench_machine_under_test", BENCHMARKS / "_lib" / "machine.py")
row = machine.summary_row


@pytest.fixture
def isolated_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """sys.path and sys.modules as they were, whatever the test imports."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- cells


def test_numbers_are_shown_by_size() -> None:
    assert summary.number(37187) == "37,187"
    assert summary.number(116.6) == "116.6"
    assert summary.number(9.85) == "9.85"
    assert summary.number(0.5902) == "0.590"
    assert summary.with_unit(1899, "papers/s") == "1,899 papers/s"
    assert summary.with_unit(0.59, "") == "0.590"
    assert summary.with_unit(None, "ms") == "—"


def test_row_without_baseline_value_has_no_baseline() -> None:
    r = row("digest median", 0.489, "s", "lower", baseline="something", target=1.0)
    assert r["baseline"] is None and r["baseline_value"] is None
    assert summary.comparison(r) == "—"


def test_comparison_is_a_ratio_with_a_unit_and_says_which_is_better() -> None:
    faster = row("embed", 24.4, "docs/s", "higher", baseline="fp32", baseline_value=6.3)
    assert summary.comparison(faster) == "3.87x (ours better)"
    slower = row("ingest", 1899, "papers/s", "higher", baseline="bare", baseline_value=5489)
    assert summary.comparison(slower) == "0.35x (baseline better)"
    quicker = row("hnsw p95", 3.89, "ms", "lower", baseline="exact", baseline_value=8.27)
    assert summary.comparison(quicker) == "0.47x (ours better)"
    same = row("x", 2.0, "ms", "lower", baseline="y", baseline_value=2.0)
    assert summary.comparison(same) == "same"


def test_comparison_is_a_difference_for_scores_without_a_unit() -> None:
    better = row("NDCG%20", 0.590, "", "higher", baseline="SPECTER", baseline_value=0.533)
    assert summary.comparison(better) == "+0.057 (ours better)"
    worse = row("MRR", 0.958, "", "higher", baseline="keyword", baseline_value=0.969)
    assert summary.comparison(worse) == "-0.011 (baseline better)"


def test_target_met_and_not_met() -> None:
    assert summary.target_cells(row("web p95", 116.6, "ms", "lower", target=300)) == (
        "<= 300.0",
        "yes",
    )
    assert summary.target_cells(row("hybrid p95", 2154, "ms", "lower", target=50)) == (
        "<= 50.0",
        "NO",
    )
    assert summary.target_cells(row("embed", 24.4, "docs/s", "higher", target=200)) == (
        ">= 200.0",
        "NO",
    )
    assert summary.target_cells(row("ingest", 6000, "papers/s", "higher", target=5000)) == (
        ">= 5,000",
        "yes",
    )
    assert summary.target_cells(row("recall", 0.9, "", "higher")) == ("—", "")


# --------------------------------------------------------------------------- results files


def test_missing_results_file_is_not_run_yet(tmp_path: Path) -> None:
    section = summary.summarise("authors", tmp_path / "authors.json", lambda r: [])
    assert section.status == "not run yet" and not section.rows and not section.failed


def test_results_without_a_summary_function(tmp_path: Path) -> None:
    path = write_json(tmp_path / "ranking.json", {"machine": "m"})
    section = summary.summarise("ranking", path, None)
    assert "no summary()" in section.status and not section.failed
    assert section.results == {"machine": "m"}


def test_a_broken_summary_is_reported_not_raised(tmp_path: Path) -> None:
    path = write_json(tmp_path / "x.json", {"old": "format"})

    def broken(results: dict[str, Any]) -> list[dict[str, Any]]:
        return [row("x", results["new"], "s", "lower")]

    section = summary.summarise("x", path, broken)
    assert section.failed and "KeyError" in section.status


def test_unreadable_results(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{not json", encoding="utf-8")
    section = summary.summarise("x", path, lambda r: [])
    assert section.status.startswith("unreadable results")


SCRIPT = """
from pathlib import Path
RESULTS = Path(__file__).with_name("{name}.json")
{body}
"""

SUMMARY_BODY = """
def summary(results):
    return [{
        "figure": "speed", "value": results["speed"], "unit": "docs/s", "better": "higher",
        "baseline": "plain", "baseline_value": results.get("plain"), "target": 200.0,
        "note": "a note",
    }]
"""


def fake_benchmark(folder: Path, name: str, body: str = "", results: Any = None) -> None:
    (folder / f"{name}.py").write_text(SCRIPT.format(name=name, body=body), encoding="utf-8")
    if results is not None:
        write_json(folder / f"{name}.json", results)


@pytest.mark.usefixtures("isolated_imports")
def test_collect_and_render_a_folder_of_benchmarks(tmp_path: Path) -> None:
    fake_benchmark(
        tmp_path,
        "zz_fast",
        SUMMARY_BODY,
        {
            "speed": 24.4,
            "plain": 6.3,
            "ran_at": "2026-11-22T06:21:03+00:00",
            "machine": {"cpu": "AMD EPYC", "cores": 2, "memory_gb": 23.5},
            "load_average_at_start": [0.38, 1.36, 1.71],
        },
    )
    fake_benchmark(tmp_path, "zz_nobase", SUMMARY_BODY, {"speed": 300})
    fake_benchmark(tmp_path, "zz_later", SUMMARY_BODY)  # no results yet
    fake_benchmark(tmp_path, "zz_nosummary", "", {"machine": "2-core box"})
    fake_benchmark(tmp_path, "zz_broken", "raise ImportError('torch')")
    names = ["zz_fast", "zz_nobase", "zz_later", "zz_nosummary", "zz_broken", "zz_absent"]
    sections = summary.collect(names, tmp_path)

    by_name = {s.name: s for s in sections}
    assert by_name["zz_later"].status == "not run yet"
    assert "no summary()" in by_name["zz_nosummary"].status
    assert by_name["zz_broken"].failed and "cannot import" in by_name["zz_broken"].status
    assert "no script zz_absent.py" in by_name["zz_absent"].status

    text = summary.render(sections)
    lines = text.splitlines()
    header = lines[0]
    assert header.split() == [
        *("benchmark", "figure", "value", "same-run", "baseline", "its", "value"),
        *("vs", "baseline", "target", "met"),
    ]
    fast = next(line for line in lines if line.startswith("zz_fast"))
    assert "speed [1]" in fast and "24.4 docs/s" in fast and "plain" in fast
    assert "6.30" in fast and "3.87x (ours better)" in fast and fast.rstrip().endswith("NO")
    nobase = next(line for line in lines if line.startswith("zz_nobase"))
    assert "300.0 docs/s" in nobase and nobase.count("—") == 3 and nobase.endswith("yes")
    # fixed width: the value column ends at the same place on every row
    end = header.index("value") + len("value")
    assert fast[:end].endswith("docs/s") and nobase[:end].endswith("docs/s")
    assert "[1] a note" in lines
    assert any(line.startswith("zz_later") and "(not run yet)" in line for line in lines)
    # the runs under the table: recorded time, machine, load average; or what is missing
    assert "ran 2026-11-22T06:21:03+00:00" in text
    assert "AMD EPYC, 2 cores, 23.5 GB; load average at start 0.38, 1.36, 1.71" in text
    assert "written " in text and "(file time)" in text
    assert "2-core box; load average not recorded" in text

    rows = summary.rows_json(sections)
    assert rows[0]["benchmark"] == "zz_fast" and rows[0]["value"] == 24.4
    assert {"benchmark": "zz_later", "status": "not run yet"}.items() <= rows[2].items()


def test_runs_of_a_file_with_one_entry_per_embedder(tmp_path: Path) -> None:
    results = {
        "fake-384": {"machine": {"cpu": "A", "cores": 2, "memory_gb": 1.0}},
        "all-MiniLM-L6-v2": {
            "machine": {"cpu": "A", "cores": 2, "memory_gb": 1.0},
            "load_average_at_start": [1.0, 2.0, 3.0],
            "ran_at": "2026-11-22T08:00:00+00:00",
        },
    }
    path = write_json(tmp_path / "affinity.json", results)
    section = summary.Section("affinity", path, results=results)
    lines = summary.run_lines([section])
    assert lines[1] == "    fake-384: A, 2 cores, 1.0 GB; load average not recorded"
    assert lines[2] == (
        "    all-MiniLM-L6-v2: ran 2026-11-22T08:00:00+00:00; A, 2 cores, 1.0 GB; "
        "load average at start 1.00, 2.00, 3.00"
    )


def test_the_stored_results_make_a_table() -> None:
    """Every benchmark's summary() reads its results as stored in benchmarks/results/."""
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "summary.py"), "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    rows = json.loads(done.stdout)
    ours = {"ingest", "embed", "search", "search, 1M store", "csfcube", "digest"}
    ours |= {"affinity", "web", "experiments/fusion"}
    for r in rows:
        if "value" in r and r["benchmark"] in ours:
            assert isinstance(r["value"], float) and r["better"] in ("higher", "lower")
            assert (r["baseline"] is None) == (r["baseline_value"] is None)
    assert {r["benchmark"] for r in rows if "value" in r} >= {"ingest", "search", "digest"}
    # the settled experiments come after the benchmarks, from the results they left
    names = [r["benchmark"] for r in rows]
    assert "fusion" not in names
    assert names.index("experiments/fusion") > max(names.index(n) for n in ("ingest", "web"))
    assert next(r for r in rows if r["benchmark"] == "experiments/fusion")["results"] == (
        "benchmarks/results/fusion.json"
    )
