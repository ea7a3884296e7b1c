"""Failed-login throttling (paperradar.web.throttle) and the /login route that uses it.

The counts live in the store's ``login_failures``: the unit tests run on both backends (a
SQLite file, a schema on the real PostgreSQL test server), and two store objects on the same
data stand for two server processes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import pgserver
from helpers.webhome import build_home
from httpx2 import Response  # what starlette's TestClient returns

from paperradar.embedding import FakeEmbedder
from paperradar.store import open_store
from paperradar.store.api import Store
from paperradar.web.app import create_app
from paperradar.web.deps import SESSION_COOKIE
from paperradar.web.throttle import LoginThrottle


@pytest.fixture(params=["sqlite", "postgres"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two store objects on the same, fresh data: two server processes' views."""
    if request.param == "sqlite":
        first, second = open_store(tmp_path), open_store(tmp_path)
        try:
            yield first, second
        finally:
            first.close()
            second.close()
        return
    from paperradar.store.postgres.store import PgStore

    with pgserver.schema() as url:
        first, second = PgStore(url, tmp_path), PgStore(url, tmp_path)
        try:
            yield first, second
        finally:
            first.close()
            second.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    @staticmethod
    def zero() -> dt.datetime:
        return dt.datetime.fromtimestamp(0, dt.UTC)


def test_a_name_is_refused_after_limit_failures_until_the_window_passes(
    stores: tuple[Store, Store],
) -> None:
    clock = Clock()
    throttle = LoginThrottle(stores[0].accounts, "name", limit=3, window=60.0, clock=clock)
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


def test_a_success_forgets_the_failures_and_bad_settings_are_refused(
    stores: tuple[Store, Store],
) -> None:
    accounts = stores[0].accounts
    throttle = LoginThrottle(accounts, "name", limit=2, window=60.0, clock=Clock())
    throttle.failed("alice")
    throttle.succeeded("Alice")
    throttle.failed("alice")
    assert throttle.retry_after("alice") is None
    with pytest.raises(ValueError):
        LoginThrottle(accounts, "name", limit=0)
    with pytest.raises(ValueError):
        LoginThrottle(accounts, "name", window=0)


def test_the_count_is_shared_by_processes_and_scopes_and_old_rows_are_pruned(
    stores: tuple[Store, Store],
) -> None:
    clock = Clock()
    one, two = (
        LoginThrottle(store.accounts, "name", limit=3, window=60.0, clock=clock) for store in stores
    )
    clients = LoginThrottle(stores[1].accounts, "client", limit=1, window=5.0, clock=clock)
    one.failed("alice")
    two.failed("alice")
    clients.failed("alice")  # another scope: not alice's account
    assert one.retry_after("alice") is None and two.retry_after("alice") is None
    two.failed("ALICE")
    assert one.retry_after("alice") == 60  # three failures, in two "processes"
    assert clients.retry_after("alice") == 5
    clock.now += 10  # the client failure is past its window: the next failure prunes it
    clients.failed("10.0.0.1")
    accounts = stores[0].accounts
    assert accounts.login_failures("client", "alice", Clock.zero(), 10) == []
    assert len(accounts.login_failures("name", "alice", Clock.zero(), 10)) == 3
    assert one.retry_after("alice") == 50
    two.succeeded("Alice")  # a success in one process clears the count for all
    assert one.retry_after("alice") is None


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
