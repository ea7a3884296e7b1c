"""Two users do not wait for each other: a request held inside the library (here, a radar
page stopped in the middle of its digest) does not keep another request from the store.

Before the storage seam every request held one app-wide lock around one connection, so the
second request below waited for the first; now the app's store gives each worker thread its
own connection.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers.webhome import PASSWORDS, build_home

from paperradar.digest import make_digest
from paperradar.embedding import FakeEmbedder
from paperradar.web.app import create_app

#: how long the held request may wait for the other one before the test gives up on it
PATIENCE = 20.0


def logged_in(app: Any, name: str) -> TestClient:
    client = TestClient(app)
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, page.text
    answer = client.post(
        "/login",
        data={"name": name, "password": PASSWORDS[name], "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return client


def test_a_request_held_in_the_library_does_not_block_another_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(build_home(tmp_path / "home"), embedder=FakeEmbedder())
    alice, bob = logged_in(app, "alice"), logged_in(app, "bob")
    inside, release = threading.Event(), threading.Event()

    def held_digest(*args: Any, **kwargs: Any) -> Any:
        inside.set()
        assert release.wait(PATIENCE), "the other request never finished"
        return make_digest(*args, **kwargs)

    monkeypatch.setattr("paperradar.web.routes.radar.make_digest", held_digest)
    answers: dict[str, int] = {}

    def alice_radar() -> None:
        answers["radar"] = alice.get("/radar?profile=alice-ml&day=2026-07-01").status_code

    first = threading.Thread(target=alice_radar)
    first.start()
    try:
        assert inside.wait(PATIENCE), "the radar request never reached its digest"
        search = bob.get("/search?q=graph&mode=keyword")  # answered while alice's is held
        assert search.status_code == 200
        assert "graph" in search.text.lower()
        assert first.is_alive(), "the radar request finished before the search was answered"
    finally:
        release.set()
        first.join(PATIENCE)
    assert answers == {"radar": 200}
