"""The trending page answers from the app's TrendingCache: the same page again is a hit, and
any commit (a CLI ingest beside the server, a like in the app) is on the next page at once."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from helpers.webhome import build_home

from paperradar import paper_to_dict
from paperradar.embedding import FakeEmbedder
from paperradar.models import Paper, Sighting
from paperradar.radar import trending
from paperradar.web.app import create_app

WINDOW = "/trending?since=2026-06-25&until=2026-07-02"
HOT = "arxiv:2607.09999"


def trend_ids(html: str) -> list[str]:
    return re.findall(r'<li class="trend" data-paper-id="([^"]+)">', html)


def test_a_page_seen_again_is_a_hit_and_an_ingest_or_a_like_is_seen_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = build_home(tmp_path / "home")
    client = TestClient(
        create_app(home, single_user=True, embedder=FakeEmbedder(), warm_up=False),
        base_url="http://localhost",
    )
    computed: list[tuple[Any, ...]] = []
    real = trending.trending

    def counted(*args: Any, **kwargs: Any) -> list[trending.Trend]:
        computed.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(trending, "trending", counted)
    first = client.get(WINDOW)
    assert first.status_code == 200 and HOT not in trend_ids(first.text)
    assert client.get(WINDOW).text == first.text
    assert len(computed) == 1  # the second page came from the cache

    hot = Paper(
        title="A paper everyone upvoted",
        abstract="An abstract about graphs.",
        arxiv_id="2607.09999",
        sightings=[
            Sighting(
                source="hf-daily", locator="hf-2026-07-02", seen_on=dt.date(2026, 7, 2),
                upvotes=900,
            )
        ],
    )  # fmt: skip
    extra = tmp_path / "hot.jsonl"
    extra.write_bytes(orjson.dumps(paper_to_dict(hot)) + b"\n")
    done = subprocess.run(
        [sys.executable, "-m", "paperradar", "--home", str(home), "ingest", "--quiet",
         str(extra)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PAPERRADAR_EMBEDDER": "fake"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = client.get(WINDOW)
    assert trend_ids(after.text)[0] == HOT  # another process's ingest, seen at once
    assert len(computed) == 2

    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', after.text)
    assert token
    liked = client.post(
        "/feedback",
        data={"paper": HOT, "profile": "nobody", "action": "like"},
        headers={"X-CSRF-Token": token.group(1)},
        follow_redirects=False,
    )
    assert liked.status_code < 400, liked.text
    assert client.get(WINDOW).text == after.text
    assert len(computed) == 3  # the like was a commit: computed again, to the same page
