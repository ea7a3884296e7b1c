"""Failed-login throttling (paperradar.web.throttle) and the /login route that uses it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers.webhome import build_home
from httpx2 import Response  # what starlette's TestClient returns

from paperradar.embedding import FakeEmbedder
from paperradar.web.app import create_app
from paperradar.web.deps import SESSION_COOKIE
from paperradar.web.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_name_is_refused_after_limit_failures_until_the_window_passes() -> None:
    clock = Clock()
    throttle = LoginThrottle(limit=3, window=60.0, clock=clock)
    for _ in range(2):
        throttle.failed("Alice")
        clock.now += 10
    assert throttle.retry_after("alice") is None  # 2 of 3
    throttle.failed(" ALICE ")  # the same account: case and spaces folded
    assert throttle.retry_after("alice") == 40  # the first failure (t=1000) expires at 1060
    assert throttle.retry_after("bob") is None  # other accounts are untouched
    clock.now = 1059.5
    assert throttle.retry_after("alice") == 1
    clock.now = 1060.0
    assert throttle.retry_after("alice") is None  # 2 failures left in the window
    throttle.failed("alice")
    assert throttle.retry_after("alice") == 10  # now the failure of t=1010 is the oldest


def test_a_success_forgets_the_failures_and_bad_settings_are_refused() -> None:
    throttle = LoginThrottle(limit=2, window=60.0, clock=Clock())
    throttle.failed("alice")
    throttle.succeeded("Alice")
    throttle.failed("alice")
    assert throttle.retry_after("alice") is None
    with pytest.raises(ValueError):
        LoginThrottle(limit=0)
    with pytest.raises(ValueError):
        LoginThrottle(window=0)


def _post(client: TestClient, name: str, password: str) -> Response:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, page.text
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf": token.group(1)},
        follow_redirects=False,
    )


def test_login_is_refused_with_429_after_five_wrong_passwords(tmp_path: Path) -> None:
    home = build_home(tmp_path / "home")
    client = TestClient(create_app(home, single_user=False, embedder=FakeEmbedder()))
    for _ in range(5):
        wrong = _post(client, "alice", "not-her-password")
        assert wrong.status_code == 303 and "failed=1" in wrong.headers["location"]
    locked = _post(client, "alice", "alice-password")  # the right one, but too late
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["retry-after"]) <= 15 * 60
    assert "Too many failed logins for this account: try again in 15 min." in locked.text
    assert SESSION_COOKIE not in locked.cookies
    # another account is not affected
    bob = _post(client, "bob", "bob-password")
    assert bob.status_code == 303 and bob.headers["location"] == "/radar"
