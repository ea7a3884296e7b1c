"""docs/cli.md documents every command and every option of ``paperradar --help``.

Each command (subcommands included) has a synopsis line ``paperradar NAME ...`` (or
``paperradar GROUP NAME ...``, or ``paperradar a|b|c ...`` for commands documented together) in
a ``##`` section, and each of its options is named in that section.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
from helpers import paths

from paperradar.cli import main

CLI_MD = paths.REPO / "docs" / "cli.md"
HELP = {"-h", "--help"}
_SYNOPSIS = re.compile(r"^paperradar ((?:[a-z-]+\|)*[a-z-]+)(?: +([a-z-]+)\b)?", re.MULTILINE)


def sections() -> dict[str, str]:
    """docs/cli.md's ``##`` sections by title (the text before the first one under "")."""
    text = CLI_MD.read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    found = {"": parts[0]}
    found.update(zip(parts[1::2], parts[2::2], strict=True))
    return found


def section_of(path: tuple[str, ...]) -> str | None:
    """The text of the section with a synopsis of the command ``path`` (None: there is none)."""
    for text in sections().values():
        for match in _SYNOPSIS.finditer(text):
            names, second = match.group(1).split("|"), match.group(2)
            if path[0] in names and (len(path) == 1 or second == path[1]):
                return text
    return None


def commands(
    group: click.Group = main, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command under ``group`` with its path, groups' subcommands included."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


def flags(command: click.Command) -> list[str]:
    """The command's option flags (``--json``, ``-q``, ``--no-likes``...), help left out."""
    return [
        flag
        for param in command.params
        if isinstance(param, click.Option)
        for flag in (*param.opts, *param.secondary_opts)
        if flag not in HELP
    ]


def named(flag: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text) is not None


ALL = list(commands())


def test_the_walk_finds_every_command() -> None:
    paths = {" ".join(path) for path, _ in ALL}
    assert {"ingest", "profile add-author", "eval tune", "user grant", "like"} <= paths
    assert len(paths) > 35


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_every_command_and_option_is_documented(
    path: tuple[str, ...], command: click.Command
) -> None:
    text = section_of(path)
    assert text is not None, f"docs/cli.md has no synopsis `paperradar {' '.join(path)} ...`"
    missing = [flag for flag in flags(command) if not named(flag, text)]
    assert not missing, f"paperradar {' '.join(path)}: not in docs/cli.md: {missing}"


def test_the_global_options_are_documented() -> None:
    top = sections()[""]
    for flag in [*flags(main), "--version", "-h", "--help"]:
        assert named(flag, top), flag
