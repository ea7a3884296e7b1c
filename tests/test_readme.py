"""The README's commands run as written, on the shipped data.

Each ``sh`` block of the README is one session: its ``paperradar`` commands run in order, in a
fresh home, through bash (so globs expand as they would for a reader), from a folder where
``data/`` is the shipped data. ``make demo`` in a block runs the ``paperradar`` lines of the
Makefile's demo recipe into that home. The fake embedder stands in for MiniLM, so results differ
from the README's, but every command must succeed without a traceback. The arXiv ids the quick
start adds are answered by a local server speaking the arXiv export API (the recorded answer in
tests/fixtures/readme), through the documented ``[lookup] arxiv_url`` setting. Commands that need
the real network, a mail server or that never end are in ``NOT_RUN`` with why; any other README
command runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import paths
from helpers.cli import environment
from helpers.httpserver import LocalServer, Reply

README = paths.REPO / "README.md"
ARXIV_ANSWER = paths.FIXTURES / "readme" / "arxiv-atom" / "id_list.xml"
PASSWORD = "a long enough password"

#: (pattern, why) for the README commands the test does not run
NOT_RUN: list[tuple[str, str]] = [
    (r"^paperradar sync(?!.*--(dry-run|status))", "fetches from the live sources"),
    (r"^paperradar watch\b", "runs until stopped, and fetches"),
    (r"^paperradar serve\b", "a server that runs until stopped (tests/web test it)"),
    (r"--email\b", "sends mail through the configured SMTP server"),
    (r"^paperradar profile add-author\b", "asks Semantic Scholar, OpenAlex or arXiv"),
]


def blocks() -> list[list[str]]:
    """Each ``sh`` block's commands (``paperradar …`` and ``make demo``), comments cut."""
    out: list[list[str]] = []
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        commands: list[str] = []
        for line in block.splitlines():
            line = re.split(r"\s+#\s", line, maxsplit=1)[0].strip()
            for part in line.split("; "):
                if part.startswith("paperradar ") or part == "make demo":
                    commands.append(part.strip())
        if any(c.startswith("paperradar ") for c in commands):
            out.append(commands)
    return out


def demo_recipe() -> list[str]:
    """The ``paperradar`` lines of the Makefile's ``demo`` target, for the home given by
    ``$PAPERRADAR_HOME``."""
    text = (paths.REPO / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", text, re.M)
    assert recipe, "no demo target in the Makefile"
    slice_path = re.search(r"^ARXIV_SLICE\s*[:?]?=\s*(\S+)", text, re.M)
    assert slice_path
    commands = []
    for line in recipe.group(1).splitlines():
        line = line.strip()
        if line.startswith("$(BIN)/paperradar"):
            line = line.replace("$(BIN)/paperradar", "paperradar").replace(
                " --home $(DEMO_HOME)", ""
            )
            line = line.replace("$(DEMO_HOME)", '"$PAPERRADAR_HOME"')
            commands.append(line.replace("$(ARXIV_SLICE)", slice_path.group(1)))
    return commands


def skipped(command: str) -> str | None:
    return next((why for pattern, why in NOT_RUN if re.search(pattern, command)), None)


def test_the_readme_has_its_steps_and_skips_only_what_needs_the_outside() -> None:
    commands = [c for block in blocks() for c in block]
    assert len(blocks()) >= 2 and len(commands) >= 25, commands
    assert "make demo" in blocks()[0]  # the quick start starts from nothing
    run = [c for c in commands if skipped(c) is None]
    assert len(run) >= 0.75 * len(commands), [c for c in commands if skipped(c)]
    for pattern, _ in NOT_RUN:  # every exception is still needed
        assert any(re.search(pattern, c) for c in commands), pattern
    assert len(demo_recipe()) >= 4


@pytest.mark.parametrize("block", range(len(blocks())))
def test_every_readme_command_runs_on_the_shipped_data(
    block: int, tmp_path: Path, http_server: LocalServer
) -> None:
    http_server.route(
        "/api/query",
        [
            Reply(
                body=ARXIV_ANSWER.read_text(encoding="utf-8"),
                headers={"Content-Type": "application/atom+xml"},
            )
        ],
    )
    work = tmp_path / "work"
    work.mkdir()
    (work / "data").symlink_to(paths.DATA)
    env = environment()
    env.update(
        PAPERRADAR_HOME=str(tmp_path / "radar"),
        PAPERRADAR_EMBEDDER="fake",
        PAPERRADAR_LOOKUP_ARXIV_URL=f"{http_server.url}/api/query",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        COLUMNS="120",
    )
    for command in blocks()[block]:
        if skipped(command):
            continue
        for line in demo_recipe() if command == "make demo" else [command]:
            done = subprocess.run(
                ["bash", "-c", line],
                cwd=work,
                env=env,
                input=f"{PASSWORD}\n{PASSWORD}\n",
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, f"{line}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            assert "Traceback" not in done.stderr, line


@pytest.mark.parametrize(
    ("command", "runs"),
    [
        ("paperradar sync --dry-run", True),
        ("paperradar sync --status", True),
        ("paperradar sync --embed", False),
        ("paperradar profile add me --id 2504.02107", True),
        ("paperradar profile add-author me --orcid 0000-0002-1825-0097", False),
    ],
)
def test_the_exceptions_are_narrow(command: str, runs: bool) -> None:
    assert (skipped(command) is None) == runs
