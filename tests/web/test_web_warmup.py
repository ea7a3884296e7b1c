"""The model loads in the background: no request waits for another's model load.

A real uvicorn server on 127.0.0.1, in this process so that it can be given an embedder whose
first embed (its "model load") sleeps :data:`LOAD` seconds. The fast page is /trending, which
needs no model. The tests time requests, so they run with the serial ones.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers.appserver import serving
from helpers.webhome import build_home

from paperradar.embedding import FakeEmbedder, Progress, Vectors
from paperradar.web.app import create_app

#: how long the slow embedder's first embed takes
LOAD = 3.0
#: what a fast page may take while the model loads (it takes a few ms alone)
FAST = 1.0
#: timed: run alone, after the parallel tests
pytestmark = pytest.mark.serial


class SlowEmbedder(FakeEmbedder):
    """The fake embedder, whose first embed sleeps LOAD seconds like a model load."""

    def __init__(self) -> None:
        super().__init__()
        self.loading = threading.Event()
        self.loaded = threading.Event()
        self._lock = threading.Lock()
        self.loads = 0

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> Vectors:
        with self._lock:
            if not self.loaded.is_set():
                self.loads += 1
                self.loading.set()
                time.sleep(LOAD)
                self.loaded.set()
        return super().embed(texts, progress)


@pytest.fixture(scope="module")
def template_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_home(tmp_path_factory.mktemp("warmup") / "home")


def timed_get(url: str) -> tuple[int, float]:
    started = time.monotonic()
    status = httpx.get(url, timeout=30).status_code
    return status, time.monotonic() - started


def test_the_model_loads_in_the_background_while_the_server_answers(
    template_home: Path,
) -> None:
    slow = SlowEmbedder()
    app = create_app(template_home, single_user=True, embedder=slow)
    started = time.monotonic()
    with serving(app) as url:
        status, took = timed_get(url + "/trending")
        since_start = time.monotonic() - started
        assert status == 200
        assert slow.loading.is_set(), "the warm-up did not start loading the model"
        assert not slow.loaded.is_set(), "the server waited for the model before answering"
        assert since_start < LOAD and took < FAST
        # a search now waits for the warm-up's load, and there is only that one
        status, took = timed_get(url + "/search?q=graph+networks&mode=semantic")
        assert status == 200
        assert slow.loads == 1
        assert app.state.web.warmed.wait(5)


def test_a_slow_search_does_not_hold_up_a_fast_page(template_home: Path) -> None:
    slow = SlowEmbedder()
    app = create_app(template_home, single_user=True, embedder=slow, warm_up=False)
    with serving(app) as url:
        answers: dict[str, tuple[int, float]] = {}
        search = threading.Thread(
            target=lambda: answers.setdefault("search", timed_get(url + "/search?q=graph")),
        )
        search.start()
        assert slow.loading.wait(10), "the search never reached the embedder"
        status, took = timed_get(url + "/trending")
        search.join(30)
    assert status == 200 and took < FAST, f"the fast page took {took:.2f} s"
    assert answers["search"][0] == 200
    assert answers["search"][1] > LOAD * 0.9  # the search did wait for the load
    assert took < answers["search"][1] / 2


def test_the_embedder_is_made_once_when_many_requests_ask_at_once(
    template_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[FakeEmbedder] = []

    def slow_factory(config: Any) -> FakeEmbedder:
        time.sleep(0.3)  # long enough for all the requests to ask
        made.append(FakeEmbedder())
        return made[-1]

    monkeypatch.setattr("paperradar.web.deps.default_embedder", slow_factory)
    app = create_app(template_home, single_user=True, warm_up=False)
    with serving(app) as url:
        statuses: list[int] = []
        threads = [
            threading.Thread(
                target=lambda: statuses.append(timed_get(url + "/search?q=graph&mode=semantic")[0])
            )
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert statuses == [200] * 8
    assert len(made) == 1
