"""While the app serves, threads hand the GIL over every millisecond (web/app.py), so a page
waiting on SQLite is not held up 5 ms per wait by another request's Python; the
interpreter's own setting comes back when the app stops."""

from __future__ import annotations

import sys
from pathlib import Path

from fastapi.testclient import TestClient

from paperradar.embedding import FakeEmbedder
from paperradar.web.app import SWITCH_INTERVAL_S, create_app


def test_the_switch_interval_is_short_while_serving_and_restored_after(tmp_path: Path) -> None:
    before = sys.getswitchinterval()
    assert before > SWITCH_INTERVAL_S  # Python's 5 ms: otherwise this test shows nothing
    app = create_app(tmp_path / "home", embedder=FakeEmbedder(), warm_up=False)
    with TestClient(app) as client:
        assert client.get("/login").status_code == 200
        assert sys.getswitchinterval() == SWITCH_INTERVAL_S
    assert sys.getswitchinterval() == before
