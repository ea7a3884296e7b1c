"""Feedback and an emailed digest on a PostgreSQL store, through the CLI: the home's
config.toml names the store (``[store] url``, the real test server) and a local SMTP server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from helpers import paths, pgserver
from helpers.cli import run_cli
from helpers.smtp import Recorder, free_port


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pgserver.schema() as url:
        yield url


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def test_feedback_and_an_emailed_digest_on_postgres(
    tmp_path: Path,
    pg_url: str,
    smtp: tuple[Recorder, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    recorder, port = smtp
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(
        f'[store]\nurl = "{pg_url}"\n\n'
        f'[email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'from = "radar@example.org"\ntimeout = 10\n',
        encoding="utf-8",
    )

    def ok(*args: str | Path) -> str:
        result = run_cli(home, *args)
        assert result.code == 0, (args, result.stderr)
        return result.stdout

    ok("ingest", "--embed", "--quiet", paths.ARXIV_SLICE)
    ok("profile", "create", "researcher")
    ok("profile", "add", "researcher", *sorted(paths.SEED_FILES)[:2])
    found = json.loads(ok("search", "--mode", "keyword", "reasoning models", "--json"))
    liked, saved = str(found[0]["id"]), str(found[1]["id"])
    ok("like", liked)
    ok("save", saved)
    exported = json.loads(ok("export", "--format", "csl-json", "--liked"))
    assert len(exported) == 1

    day = ("--day", "2026-07-01")
    ok("digest", "--profile", "researcher", *day, "--top", "5", "--email", "ada@example.org")
    assert len(recorder.messages) == 1
    message = recorder.messages[0]
    assert message["To"] == "ada@example.org"
    assert "radar@example.org" in str(message["From"])
    ok("deliver")  # nothing is left to send: nothing goes out twice
    assert len(recorder.messages) == 1
    assert not (home / "paperradar.db").exists(), "everything went to PostgreSQL"
