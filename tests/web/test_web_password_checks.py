"""Password checks (paperradar.web.hashing): one at a time on a low-priority thread of their
own, a login that waits too long for its turn refused with 503 and never checked."""

from __future__ import annotations

import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers.webhome import PASSWORDS, build_home

from paperradar.embedding import FakeEmbedder
from paperradar.errors import BusyError
from paperradar.web.accounts import authenticate
from paperradar.web.app import create_app
from paperradar.web.hashing import NICE, PasswordChecks

PATIENCE = 30.0


def test_checks_run_on_their_own_thread_at_a_lower_priority() -> None:
    checks = PasswordChecks()
    try:
        seen: dict[str, Any] = checks.run(
            lambda: {
                "thread": threading.current_thread().name,
                "nice": os.getpriority(os.PRIO_PROCESS, threading.get_native_id()),
            },
            wait=PATIENCE,
        )
        assert seen["thread"].startswith("paperradar-passwords")
        assert seen["thread"] != threading.current_thread().name
        if sys.platform == "linux":
            assert seen["nice"] == os.getpriority(os.PRIO_PROCESS, 0) + NICE or seen["nice"] == 19

        def failing() -> None:
            raise ValueError("wrong")

        with pytest.raises(ValueError, match="wrong"):  # the check's error, as raised
            checks.run(failing, wait=PATIENCE)
    finally:
        checks.close()


def test_checks_run_one_at_a_time_and_a_late_turn_is_refused_unchecked() -> None:
    checks = PasswordChecks()
    inside, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def slow() -> str:
        inside.set()
        assert release.wait(PATIENCE)
        ran.append("slow")
        return "slow"

    answers: dict[str, Any] = {}
    first = threading.Thread(target=lambda: answers.update(first=checks.run(slow, PATIENCE)))
    first.start()
    try:
        assert inside.wait(PATIENCE)
        with pytest.raises(BusyError, match="too many logins at once"):
            checks.run(lambda: ran.append("late"), wait=0.2)  # the slow one holds the turn
    finally:
        release.set()
        first.join(PATIENCE)
    assert answers["first"] == "slow"
    assert checks.run(lambda: "next", wait=PATIENCE) == "next"
    assert ran == ["slow"]  # the refused check never ran
    checks.close()


def test_a_login_that_waits_too_long_for_its_turn_answers_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(build_home(tmp_path / "home"), embedder=FakeEmbedder(), warm_up=False)
    inside, release = threading.Event(), threading.Event()

    def held(*args: Any) -> Any:
        inside.set()
        assert release.wait(PATIENCE)
        return authenticate(*args)

    def log_in(name: str) -> Any:
        client = TestClient(app)
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert token
        return client.post(
            "/login",
            data={"name": name, "password": PASSWORDS[name], "csrf": token.group(1)},
            follow_redirects=False,
        )

    monkeypatch.setattr("paperradar.web.routes.auth.authenticate", held)
    monkeypatch.setattr("paperradar.web.routes.auth.HASHING_WAIT_S", 0.2)
    answers: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: answers.update(alice=log_in("alice")))
    thread.start()
    try:
        assert inside.wait(PATIENCE)
        refused = log_in("bob")
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "5"
        assert "Too many logins at once" in refused.text
    finally:
        release.set()
        thread.join(PATIENCE)
    assert answers["alice"].status_code == 303
