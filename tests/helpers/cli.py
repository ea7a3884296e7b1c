"""Runners for the ``paperradar`` command.

:func:`run_cli` runs the command in this process (click's CliRunner), as a pipe sees it: no
inherited home, no terminal width, stdout and stderr apart, the exit code, and an unexpected
exception's traceback on stderr (exit code 1), as a real process prints it.
:func:`run_cli_process` and :func:`popen_cli` run the real thing as a subprocess
(``python -m paperradar --home HOME ...`` from the repository root), for what only a process
shows: signals, kills, start-up imports, the interpreter's own exit.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from click.testing import CliRunner

from helpers.paths import REPO
from paperradar.cli import main

_SUMMARY = re.compile(
    r"read (?P<read>[\d,]+) · new (?P<new>[\d,]+) · "
    r"merged (?P<merged>[\d,]+) · skipped (?P<skipped>[\d,]+)"
)


class CliResult(NamedTuple):
    code: int
    stdout: str
    stderr: str


#: No inherited home or store, and no terminal width: output is what a pipe gets.
_DROPPED = ("PAPERRADAR_HOME", "PAPERRADAR_STORE", "COLUMNS", "LINES")


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env["PYTHONUTF8"] = "1"
    return env


@contextlib.contextmanager
def _as_a_process_would() -> Iterator[None]:
    """Keep what a command may change in the process: the signal handlers (``watch`` sets
    them) and the working directory (the repository root, as for the subprocess)."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with contextlib.chdir(REPO):
            yield
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def run_cli(home: Path, *args: str | Path, input: str | None = None) -> CliResult:
    """Run ``paperradar --home HOME ARGS...`` in this process; return (code, stdout, stderr).

    An exception that escapes the command is printed on stderr with its traceback, exit code
    1, as Python does in a process (tests look for ``Traceback`` there).
    """
    runner = CliRunner()
    argv = ["--home", str(home), *map(str, args)]
    env: dict[str, str | None] = dict.fromkeys(_DROPPED)
    with _as_a_process_would():
        result = runner.invoke(main, argv, input=input, env=env, prog_name="paperradar")
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return CliResult(result.exit_code, result.stdout, stderr)


def run_cli_process(home: Path, *args: str | Path, timeout: float = 120.0) -> CliResult:
    """Run ``python -m paperradar --home HOME ARGS...`` as a subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "paperradar", "--home", str(home), *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=REPO,
        env=environment(),
        timeout=timeout,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


#: ``python -m paperradar`` with Ctrl-C's usual meaning even where the tests themselves were
#: started with SIGINT ignored (a shell's background job: ``make test &``), which a child
#: would inherit and Python then leaves ignored
_WITH_SIGINT = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('paperradar', run_name='__main__', alter_sys=True)"
)


def popen_cli(home: Path, *args: str | Path) -> subprocess.Popen[bytes]:
    """Start the command without waiting for it (for the kill and signal tests), as
    ``python -m paperradar`` run from a terminal would be: SIGINT raises KeyboardInterrupt."""
    return subprocess.Popen(
        [sys.executable, "-c", _WITH_SIGINT, "--home", str(home), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=environment(),
    )


def parse_summary(stdout: str) -> dict[str, int]:
    """The counts of ingest's summary line ``read N · new N · merged N · skipped N ...``."""
    match = _SUMMARY.search(stdout)
    assert match, f"no ingest summary in {stdout!r}"
    return {key: int(value.replace(",", "")) for key, value in match.groupdict().items()}


def assert_ok(result: CliResult) -> CliResult:
    assert result.code == 0, f"exit {result.code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert "Traceback" not in result.stderr
    return result


class Cli:
    """The command bound to one home directory, with helpers for the common checks.

    Run in this process, or as a subprocess with ``process=True``.
    """

    def __init__(self, home: Path, process: bool = False) -> None:
        self.home = home
        self.process = process

    def __call__(self, *args: str | Path) -> CliResult:
        if self.process:
            return run_cli_process(self.home, *args)
        return run_cli(self.home, *args)

    def ok(self, *args: str | Path) -> CliResult:
        return assert_ok(self(*args))

    def json(self, *args: str | Path) -> Any:
        """Run a command with ``--json``; it must succeed and print valid JSON."""
        command, *rest = args
        result = self.ok(command, "--json", *rest)
        return orjson.loads(result.stdout)

    def ingest(self, *args: str | Path) -> dict[str, int]:
        """Ingest quietly; return the summary's counts."""
        return parse_summary(self.ok("ingest", "--quiet", *args).stdout)

    def stats(self) -> dict[str, Any]:
        return dict(self.json("stats"))

    def search_ids(self, query: str, *options: str) -> list[str]:
        return [hit["id"] for hit in self.json("search", query, *options)]

    def snapshot(self, query: str = "quokkaformer") -> tuple[Any, ...]:
        """What must not change when an ingest fails: counts and a search's results."""
        figures = self.stats()
        return (
            figures["papers"],
            figures["aliases"],
            figures["sightings"],
            self.search_ids(query, "--limit", "100"),
        )
