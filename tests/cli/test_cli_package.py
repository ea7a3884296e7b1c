"""The CLI package's shape (no import cycle: the command modules never import the group) and
the tests' in-process runner (an unexpected exception is a failure with its traceback)."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest
from helpers import paths
from helpers.cli import run_cli

import paperradar.store.stats
from paperradar.cli import main
from paperradar.cli.library import MODES
from paperradar.search import semantic

PACKAGE = paths.PACKAGE


def imported_modules(path: Path) -> set[str]:
    """Every module an import of ``path`` names (``from X import y`` names X and X.y)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_only_the_entry_point_imports_the_cli_package() -> None:
    importers = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "paperradar.cli" in imported_modules(path)
    }
    assert importers == {"__main__.py", "cli/__init__.py"}  # the package, for its modules


def test_the_shared_helpers_import_no_command_module() -> None:
    cli_imports = {
        name
        for name in imported_modules(PACKAGE / "cli" / "common.py")
        if name.startswith("paperradar.cli")
    }
    assert cli_imports == set()


def test_command_modules_import_only_the_shared_helpers() -> None:
    for path in (PACKAGE / "cli").glob("*.py"):
        if path.name == "__init__.py":
            continue
        cli_imports = {
            name.removeprefix("paperradar.cli.").split(".")[0]
            for name in imported_modules(path)
            if name.startswith("paperradar.cli.")
        }
        assert cli_imports <= {"common"}, path.name


def test_every_command_module_adds_its_commands() -> None:
    assert sorted(main.commands) == [
        "affinity",
        "cite",
        "clear",
        "deliver",
        "digest",
        "dislike",
        "embed",
        "eval",
        "export",
        "follow",
        "ingest",
        "init",
        "like",
        "mute",
        "profile",
        "save",
        "saved",
        "search",
        "serve",
        "show",
        "similar",
        "stats",
        "store",
        "sync",
        "trending",
        "unfollow",
        "unmute",
        "unsave",
        "user",
        "watch",
    ]
    profile = main.commands["profile"]
    assert isinstance(profile, click.Group)
    assert "add-author" in profile.commands
    eval_group = main.commands["eval"]
    assert isinstance(eval_group, click.Group)
    assert sorted(eval_group.commands) == ["authors", "citeulike", "csfcube", "tune"]


def test_search_modes_are_the_library_modes() -> None:
    assert MODES == semantic.MODES


def test_an_unexpected_exception_fails_with_its_traceback(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(store: object) -> dict[str, object]:
        raise RuntimeError("a bug in the library")

    monkeypatch.setattr(paperradar.store.stats, "store_stats", broken)
    result = run_cli(home, "stats")
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert result.stderr.endswith("RuntimeError: a bug in the library\n")


def test_a_library_error_in_process_is_one_line(home: Path) -> None:
    result = run_cli(home, "show", "2605.99999")
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == "error: no paper with id '2605.99999' in the store\n"


def test_progress_lines_print_first_then_at_most_every_interval_and_last(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from paperradar.cli.common import progress_lines, reset_consoles

    reset_consoles()
    now = [0.0]
    show = progress_lines("embed", every=30.0, clock=lambda: now[0])
    for done, at in [(100, 1.0), (200, 10.0), (300, 31.5), (400, 40.0), (1000, 50.0)]:
        now[0] = at
        show(done, 1000)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "embed: 100 of 1,000 (10%), 100/s, about 9 s left",
        "embed: 300 of 1,000 (30%), 10/s, about 74 s left",
        "embed: 1,000 of 1,000 (100%), 20/s",
    ]
