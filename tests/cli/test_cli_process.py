"""The real ``paperradar`` process: what the in-process runner (conftest.run_cli) cannot show.

Start-up imports, the console script and ``python -m paperradar``, exit codes and the two
streams as a shell sees them, and the same output in a process as in the tests' runner.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from helpers.cli import Cli, CliResult, environment, run_cli, run_cli_process
from helpers.paths import REPO

#: never imported by ``paperradar --help``: they take seconds (torch) or tenths of one
HEAVY = {"numpy", "torch", "httpx", "sentence_transformers", "sklearn", "fastapi", "usearch"}
#: the library's packages ``--help`` may import (the commands import the rest when they run)
LIGHT = {"cli", "codec", "config", "errors", "identifiers", "models", "readers"}
_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(?P<module>[\w.]+)\s*$", re.MULTILINE)


def imported_modules(command: list[str]) -> set[str]:
    """The modules ``command`` (a Python process) imports, from -X importtime's report."""
    env = {**environment(), "PYTHONPROFILEIMPORTTIME": "1"}
    proc = subprocess.run(
        command, capture_output=True, text=True, cwd=REPO, env=env, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Usage:" in proc.stdout
    modules = {match["module"] for match in _IMPORTED.finditer(proc.stderr)}
    assert "click" in modules, "the import report was read"
    return modules


def test_help_imports_nothing_heavy() -> None:
    modules = imported_modules([sys.executable, "-m", "paperradar", "--help"])
    assert not {m.split(".")[0] for m in modules} & HEAVY
    library = {m.split(".")[1] for m in modules if m.startswith("paperradar.")}
    assert library <= LIGHT


def test_the_console_script_is_the_same_command() -> None:
    script = Path(sys.executable).parent / "paperradar"
    assert script.is_file(), "pip install -e . makes the console script"
    modules = imported_modules([str(script), "eval", "--help"])
    assert not {m.split(".")[0] for m in modules} & HEAVY
    version = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (version.returncode, version.stdout) == (0, "paperradar, version 0.1.0\n")


def test_no_command_is_a_usage_error(home: Path) -> None:
    result = run_cli_process(home)
    assert result.code == 2
    assert "Usage: python -m paperradar [OPTIONS] COMMAND [ARGS]..." in result.stderr
    unknown = run_cli_process(home, "no-such-command")
    assert unknown.code == 2
    assert unknown.stdout == ""
    assert "No such command 'no-such-command'" in unknown.stderr


def test_a_library_error_is_one_line_and_exit_code_2(home: Path) -> None:
    result = run_cli_process(home, "show", "2605.99999")
    assert result == CliResult(2, "", "error: no paper with id '2605.99999' in the store\n")


def test_results_on_stdout_notes_on_stderr(cli_process: Cli, cli_fixtures: Path) -> None:
    ingested = cli_process.ok("ingest", "--json", cli_fixtures / "papers.jsonl")
    assert ingested.stderr == ""
    assert ingested.stdout.startswith("{\n")
    search = cli_process.ok("search", "quokkaformer")
    assert search.stderr.startswith("note: no embeddings yet")
    assert "Quokkaformer" in search.stdout and "note" not in search.stdout


def test_a_pipe_gets_plain_text_80_columns_wide(cli_process: Cli, cli_fixtures: Path) -> None:
    cli_process.ingest(cli_fixtures / "papers.jsonl")
    table = cli_process.ok("search", "quokkaformer").stdout
    assert "\x1b[" not in table, "no colour in a pipe"
    assert max(len(line) for line in table.splitlines()) == 80


def test_the_test_runner_prints_what_the_process_prints(
    home: Path, cli_process: Cli, cli_fixtures: Path
) -> None:
    cli_process.ingest(cli_fixtures / "papers.jsonl")
    for args in (
        ["search", "quokkaformer"],
        ["search", "quokkaformer", "--json", "--category", "cs"],
        ["show", "2605.90001"],
        ["show", "2605.90001", "--json"],
        ["profile", "list"],
        ["search", "--", "((("],
        ["search", "quokkaformer", "--limit", "0"],
    ):
        assert run_cli(home, *args) == run_cli_process(home, *args), args


def test_python_dash_m_without_a_home_uses_paperradar_home(
    tmp_path: Path, cli_fixtures: Path
) -> None:
    env = {**environment(), "PAPERRADAR_HOME": str(tmp_path / "env-home")}
    papers = str(cli_fixtures / "papers.jsonl")
    command = [sys.executable, "-m", "paperradar", "ingest", "-q", papers]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=REPO, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "env-home" / "paperradar.db").is_file()
