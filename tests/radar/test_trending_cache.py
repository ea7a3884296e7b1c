"""TrendingCache: trending answers kept until the store changes, on a real store.

A hit is the very object a miss computed (the cache never copies), so ``is`` tells a kept
answer from a new one; every kept answer must equal what the uncached functions give now.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from paperradar import Store, ingest_files, paper_to_dict
from paperradar.errors import UsageError
from paperradar.models import Paper, Sighting
from paperradar.radar.profiles import create_profile, record_feedback
from paperradar.radar.trending import TrendingCache, empty_reason, latest_window, trending

DAY = dt.date(2026, 6, 30)
WEEK = DAY - dt.timedelta(days=6)


def hot(title: str, upvotes: int, day: dt.date = DAY, source: str = "hf-daily") -> Paper:
    return Paper(
        title=title,
        abstract=f"An abstract about {title.lower()}.",
        categories=["cs.LG"],
        sightings=[
            Sighting(source=source, locator=f"{source}-{day}", seen_on=day, upvotes=upvotes)
        ],
    )


def write(path: Path, *papers: Paper) -> Path:
    path.write_bytes(b"".join(orjson.dumps(paper_to_dict(p)) + b"\n" for p in papers))
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "home")
    ingest_files(store, [write(tmp_path / "first.jsonl", hot("Graph nets", 12))])
    create_profile(store, "me")
    return store


def titles(cache: TrendingCache) -> list[str]:
    return [t.paper.title for t in cache.trending(WEEK, DAY)]


def test_a_question_asked_again_is_answered_from_the_cache(store: Store) -> None:
    cache = TrendingCache(store)
    first = cache.trending(WEEK, DAY, limit=5)
    assert [t.paper.title for t in first] == ["Graph nets"]
    assert cache.trending(WEEK, DAY, limit=5) is first
    assert cache.trending(WEEK, DAY, limit=4) is not first  # another question
    assert cache.trending(WEEK, DAY, limit=5, category="cs.CL") == []
    reason = cache.empty_reason(WEEK, DAY, "cs.CL")
    assert cache.empty_reason(WEEK, DAY, "cs.CL") is reason
    assert reason == empty_reason(store, WEEK, DAY, "cs.CL")
    window = cache.latest_window(dt.date(2026, 12, 1))
    assert window == latest_window(store, dt.date(2026, 12, 1))
    assert window is not None and window[1] == DAY


def test_an_ingest_is_seen_at_once(store: Store, tmp_path: Path) -> None:
    cache = TrendingCache(store)
    before = cache.trending(WEEK, DAY)
    ingest_files(store, [write(tmp_path / "more.jsonl", hot("Speech codecs", 200))])
    after = cache.trending(WEEK, DAY)
    assert after is not before
    assert [t.paper.title for t in after] == ["Speech codecs", "Graph nets"]
    assert after == trending(store, WEEK, DAY)


def test_a_like_starts_the_answers_again(store: Store) -> None:
    cache = TrendingCache(store)
    before = cache.trending(WEEK, DAY)
    assert before[0].paper.id
    record_feedback(store, "me", [before[0].paper.id], "like")
    after = cache.trending(WEEK, DAY)
    assert after is not before and after == before  # recomputed, and nothing else changed
    assert cache.trending(WEEK, DAY) is after


def test_a_commit_by_another_process_is_seen(store: Store, tmp_path: Path) -> None:
    cache = TrendingCache(store)
    assert titles(cache) == ["Graph nets"]
    more = write(tmp_path / "other.jsonl", hot("Robot arms", 3, day=DAY - dt.timedelta(days=1)))
    subprocess.run(
        [sys.executable, "-m", "paperradar", "--home", str(tmp_path / "home"), "ingest",
         "--quiet", str(more)],
        check=True, capture_output=True, env={**os.environ, "PAPERRADAR_EMBEDDER": "fake"},
    )  # fmt: skip
    assert titles(cache) == ["Graph nets", "Robot arms"]


def test_errors_are_raised_every_time_and_never_kept(store: Store) -> None:
    cache = TrendingCache(store)
    for _ in range(2):
        with pytest.raises(UsageError, match="is before"):
            cache.trending(DAY, WEEK)
        with pytest.raises(UsageError, match="at least 1"):
            cache.trending(WEEK, DAY, limit=0)


def test_at_most_keep_answers_are_kept_the_oldest_going_first(store: Store) -> None:
    cache = TrendingCache(store, keep=2)
    one = cache.trending(WEEK, DAY, limit=1)
    two = cache.trending(WEEK, DAY, limit=2)
    three = cache.trending(WEEK, DAY, limit=3)
    assert cache.trending(WEEK, DAY, limit=3) is three
    assert cache.trending(WEEK, DAY, limit=2) is two
    assert cache.trending(WEEK, DAY, limit=1) is not one  # dropped, computed again
