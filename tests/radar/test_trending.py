"""Trending: papers ranked by their sightings (upvotes, sources, days), with recency decay.

Every test ingests real files into a real store in ``tmp_path``: paperradar JSON Lines written
here with the sightings a test needs, the real formats of arXiv, HF daily and a listing page,
or the listing pages shipped in data/seeds.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from helpers import paths

from paperradar import Store, ingest_files, paper_to_dict
from paperradar.errors import UsageError
from paperradar.models import Paper, Sighting
from paperradar.radar.trending import (
    HALF_LIFE_DAYS,
    Trend,
    empty_reason,
    heat,
    latest_window,
    trending,
)

SEEDS = paths.SEEDS
LISTING_PAGES = sorted(SEEDS.glob("00[234]_*.txt"))
DAY = dt.date(2026, 6, 30)

Ingest = Callable[..., None]


def days_ago(n: int) -> dt.date:
    return DAY - dt.timedelta(days=n)


def seen(source: str, day: dt.date, upvotes: int | None = None, rank: int = 1) -> Sighting:
    return Sighting(
        source=source, locator=f"{source}-{day}", seen_on=day, rank=rank, upvotes=upvotes
    )


def paper(title: str, *sightings: Sighting, categories: tuple[str, ...] = ()) -> Paper:
    return Paper(
        title=title,
        abstract=f"An abstract about {title.lower()}.",
        categories=list(categories),
        sightings=list(sightings),
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "home")


@pytest.fixture
def ingest(store: Store, tmp_path: Path) -> Ingest:
    """Write papers as paperradar JSON Lines and ingest them."""
    count = 0

    def run(*papers: Paper) -> None:
        nonlocal count
        count += 1
        path = tmp_path / f"papers-{count}.jsonl"
        path.write_bytes(b"".join(orjson.dumps(paper_to_dict(p)) + b"\n" for p in papers))
        ingest_files(store, [path], reference_date=DAY)

    return run


def titles(trends: list[Trend]) -> list[str]:
    return [t.paper.title for t in trends]


# ---------------------------------------------------------------------------- the formula


def test_heat_is_log_upvotes_plus_source_and_day_bonuses() -> None:
    assert heat(None, 1, 1) == 0
    assert heat(0, 1, 1) == 0
    assert heat(15, 1, 1) == 4
    assert heat(255, 1, 1) == 8
    assert heat(None, 3, 1) == 2  # two sources beyond the first
    assert heat(None, 1, 4) == 1.5  # three days beyond the first
    assert heat(None, 1, 30) == 1.5  # day bonus capped at three extra days


# ---------------------------------------------------------------------------- ordering


def test_orders_by_upvotes_and_scores_log_upvotes_on_the_reference_day(
    store: Store, ingest: Ingest
) -> None:
    ingest(
        paper("Modest", seen("hf-daily", DAY, upvotes=7, rank=3)),
        paper("Huge", seen("hf-daily", DAY, upvotes=312, rank=1)),
        paper("Solid", seen("hf-daily", DAY, upvotes=40, rank=2)),
    )
    trends = trending(store, since=days_ago(7), until=DAY)
    assert titles(trends) == ["Huge", "Solid", "Modest"]
    assert [t.upvotes for t in trends] == [312, 40, 7]
    assert trends[0].score == pytest.approx(math.log2(313))
    assert trends[2].score == pytest.approx(3.0)
    first = trends[0]
    assert (first.sources, first.appearances) == (["hf-daily"], 1)
    assert (first.first_seen, first.last_seen) == (DAY, DAY)


def test_upvotes_are_the_latest_count_not_a_sum_of_snapshots(store: Store, ingest: Ingest) -> None:
    """Two fetches of one listing (counts grow) and a listing page showing the same votes."""
    ingest(
        paper(
            "Counted once",
            seen("hf-daily", DAY, upvotes=20, rank=4),
            seen("hf-daily", DAY, upvotes=60, rank=2),
            seen("listing", DAY, upvotes=55),
        ),
        paper("One fifty", seen("hf-daily", DAY, upvotes=150)),
    )
    trends = trending(store, since=days_ago(1), until=DAY)
    # log2(61) + 1 (two sources) = 6.93 < log2(151) = 7.24; a sum (135) would give 8.09
    assert titles(trends) == ["One fifty", "Counted once"]
    counted = trends[1]
    assert counted.upvotes == 60
    assert counted.appearances == 2  # (hf-daily, day) and (listing, day)
    assert counted.reasons[0] == "60 upvotes on hf-daily"


# ---------------------------------------------------------------------------- recency


@pytest.mark.parametrize(("age", "winner"), [(2, "Old hit"), (3, "Old hit"), (4, "Fresh")])
def test_an_old_hit_loses_to_a_fresh_paper_one_half_life_later(
    store: Store, ingest: Ingest, age: int, winner: str
) -> None:
    """255 upvotes (heat 8) against 15 (heat 4): the old paper's heat halves every 3 days,
    so it wins up to 3 days older (a tie at exactly 3, broken by upvotes), and loses after."""
    assert HALF_LIFE_DAYS == 3
    ingest(
        paper("Old hit", seen("hf-daily", days_ago(age), upvotes=255)),
        paper("Fresh", seen("hf-daily", DAY, upvotes=15)),
    )
    trends = trending(store, since=days_ago(10), until=DAY)
    assert titles(trends)[0] == winner
    old = next(t for t in trends if t.paper.title == "Old hit")
    assert old.score == pytest.approx(8 * 0.5 ** (age / 3))
    assert old.reasons[-1] == f"last seen {days_ago(age)}, {age} days before {DAY}"


def test_decay_is_measured_from_until(store: Store, ingest: Ingest) -> None:
    ingest(paper("Hit", seen("hf-daily", DAY, upvotes=255)))
    (same_day,) = trending(store, since=days_ago(3), until=DAY)
    (later,) = trending(store, since=days_ago(3), until=DAY + dt.timedelta(days=6))
    assert same_day.score == pytest.approx(8)
    assert later.score == pytest.approx(2)  # two half-lives later


def test_without_until_the_reference_is_the_newest_sighting_day(
    store: Store, ingest: Ingest
) -> None:
    ingest(
        paper("Yesterday", seen("hf-daily", days_ago(1), upvotes=255)),
        paper("Today", seen("arxiv-daily", DAY), seen("listing", DAY)),  # only appearances
    )
    trends = trending(store, since=days_ago(5))
    assert titles(trends) == ["Yesterday", "Today"]
    assert trends[0].score == pytest.approx(8 * 0.5 ** (1 / 3))
    assert trends[1].score == pytest.approx(1)


def test_old_votes_fade_from_their_own_day_when_the_paper_is_listed_again(
    store: Store, ingest: Ingest
) -> None:
    """Upvotes 6 days old (two half-lives) and a new arXiv version announced today."""
    ingest(
        paper(
            "Relisted",
            seen("hf-daily", days_ago(6), upvotes=255),
            Sighting("arxiv-rss", "feed", seen_on=DAY, rank=9, kind="replace"),
        ),
        paper("Fresh", seen("hf-daily", DAY, upvotes=15)),
    )
    trends = trending(store, since=days_ago(7), until=DAY)
    assert titles(trends) == ["Fresh", "Relisted"]
    relisted = trends[1]
    assert relisted.score == pytest.approx(8 * 0.25 + 1 + 0.5)  # votes decayed, listing fresh
    assert relisted.last_seen == DAY
    assert relisted.reasons == ["255 upvotes on hf-daily", "listed by 2 sources", "seen on 2 days"]


# ---------------------------------------------------------------------------- appearances


def test_cross_source_appearances_boost_and_arxiv_feeds_are_one_source(
    store: Store, ingest: Ingest
) -> None:
    ingest(
        paper("Listed once", seen("arxiv-daily", DAY)),
        paper("Two arXiv feeds", seen("arxiv-daily", DAY), seen("arxiv-rss", DAY)),
        paper(
            "Everywhere",
            seen("arxiv-daily", days_ago(2)),
            seen("listing", days_ago(1)),
            seen("hf-daily", DAY, upvotes=1),
        ),
        paper("Two places", seen("arxiv-daily", DAY), seen("listing", DAY)),
        paper("One vote", seen("hf-daily", DAY, upvotes=1)),
    )
    trends = trending(store, since=days_ago(7), until=DAY)
    # a single listing, even from two arXiv feeds, is new but not trending
    # equal scores: the paper with upvotes first
    assert titles(trends) == ["Everywhere", "One vote", "Two places"]
    everywhere, one_vote, two_places = trends
    assert everywhere.sources == ["arxiv", "hf-daily", "listing"]
    assert everywhere.appearances == 3
    assert (everywhere.first_seen, everywhere.last_seen) == (days_ago(2), DAY)
    assert everywhere.score == pytest.approx(1 + 2 + 1)  # 1 upvote, 2 more sources, 2 more days
    assert two_places.upvotes is None
    assert two_places.score == one_vote.score == pytest.approx(1)
    assert two_places.sources == ["arxiv", "listing"]


def test_appearances_alone_rank_below_well_upvoted_papers(store: Store, ingest: Ingest) -> None:
    """Three sources over four days without upvotes: heat 3.5, below 11 upvotes (3.58)."""
    ingest(
        paper(
            "Seen everywhere, no votes",
            seen("arxiv-daily", days_ago(3)),
            seen("csv", days_ago(2)),
            seen("listing", days_ago(1)),
            seen("listing", DAY),
        ),
        paper("Eleven votes", seen("hf-daily", DAY, upvotes=11)),
        paper("Ten votes", seen("hf-daily", DAY, upvotes=10)),
    )
    trends = trending(store, since=days_ago(7), until=DAY)
    assert titles(trends) == ["Eleven votes", "Seen everywhere, no votes", "Ten votes"]
    assert trends[1].score == pytest.approx(3.5)


def test_papers_only_seen_undated_never_trend(store: Store, ingest: Ingest) -> None:
    undated = Sighting(source="bibtex", locator="refs.bib", upvotes=None)
    ingest(paper("In my library", undated, Sighting(source="csv", locator="x.csv", upvotes=99)))
    assert trending(store, since=days_ago(30)) == []


# ---------------------------------------------------------------------------- the window


def test_window_keeps_only_sightings_between_since_and_until(store: Store, ingest: Ingest) -> None:
    ingest(
        paper("Before", seen("hf-daily", days_ago(10), upvotes=500)),
        paper("Inside", seen("hf-daily", days_ago(5), upvotes=50)),
        paper("On since", seen("hf-daily", days_ago(6), upvotes=20)),
        paper("On until", seen("hf-daily", days_ago(2), upvotes=10)),
        paper("After", seen("hf-daily", DAY, upvotes=900)),
        paper(
            "Straddles",
            seen("hf-daily", days_ago(9), upvotes=400),  # outside: its count is not used
            seen("listing", days_ago(4), upvotes=3),
            seen("arxiv-daily", days_ago(1)),  # outside too
        ),
    )
    trends = trending(store, since=days_ago(6), until=days_ago(2))
    assert sorted(titles(trends)) == ["Inside", "On since", "On until", "Straddles"]
    straddles = next(t for t in trends if t.paper.title == "Straddles")
    assert straddles.upvotes == 3
    assert straddles.sources == ["listing"]
    assert (straddles.first_seen, straddles.last_seen, straddles.appearances) == (
        days_ago(4),
        days_ago(4),
        1,
    )
    assert straddles.reasons[0] == "3 upvotes on listing"
    # the paper keeps its whole history; only the score is limited to the window
    assert len(straddles.paper.sightings) == 3


def test_empty_window_gives_an_empty_list(store: Store, ingest: Ingest) -> None:
    assert trending(store, since=days_ago(7)) == []  # empty store
    ingest(paper("Hit", seen("hf-daily", days_ago(20), upvotes=300)))
    assert trending(store, since=days_ago(7)) == []
    assert trending(store, since=days_ago(40), until=days_ago(30)) == []


def test_bad_arguments_are_usage_errors(store: Store) -> None:
    with pytest.raises(UsageError, match="--limit"):
        trending(store, since=days_ago(7), limit=0)
    with pytest.raises(UsageError, match="before --since"):
        trending(store, since=DAY, until=days_ago(1))


# ---------------------------------------------------------------------------- filters


def test_category_filter_matches_a_category_or_its_group(store: Store, ingest: Ingest) -> None:
    ingest(
        paper("Learning", seen("hf-daily", DAY, upvotes=30), categories=("cs.LG", "stat.ML")),
        paper("Vision", seen("hf-daily", DAY, upvotes=90), categories=("cs.CV",)),
        paper("Statistics", seen("hf-daily", DAY, upvotes=60), categories=("stat.ME", "cs.LG")),
        paper("No categories", seen("listing", DAY, upvotes=100)),
    )
    since = days_ago(3)
    assert titles(trending(store, since, category="cs.LG")) == ["Statistics", "Learning"]
    assert titles(trending(store, since, category="cs.lg")) == ["Statistics", "Learning"]
    assert titles(trending(store, since, category="cs")) == ["Vision", "Statistics", "Learning"]
    assert trending(store, since, category="math.AG") == []
    assert titles(trending(store, since))[0] == "No categories"


def test_limit_keeps_the_best(store: Store, ingest: Ingest) -> None:
    ingest(*(paper(f"Paper {n}", seen("hf-daily", DAY, upvotes=n, rank=n)) for n in range(1, 31)))
    assert len(trending(store, since=days_ago(1))) == 20  # the default
    assert titles(trending(store, since=days_ago(1), limit=3)) == [
        "Paper 30",
        "Paper 29",
        "Paper 28",
    ]
    assert len(trending(store, since=days_ago(1), limit=100)) == 30


# ---------------------------------------------------------------------------- reasons


def test_reasons_say_upvotes_sources_days_and_age(store: Store, ingest: Ingest) -> None:
    ingest(
        paper(
            "Busy",
            seen("arxiv-daily", days_ago(5)),
            seen("listing", days_ago(4), upvotes=200),
            seen("hf-daily", days_ago(3), upvotes=312),
            seen("hf-daily", days_ago(2), upvotes=290),
        ),
        paper("Quiet", seen("hf-daily", DAY, upvotes=1)),
    )
    trends = trending(store, since=days_ago(7), until=DAY)
    busy = next(t for t in trends if t.paper.title == "Busy")
    assert busy.reasons == [
        "312 upvotes on hf-daily",
        "listed by 3 sources",
        "seen on 4 days",
        f"last seen {days_ago(2)}, 2 days before {DAY}",
    ]
    quiet = next(t for t in trends if t.paper.title == "Quiet")
    assert quiet.reasons == ["1 upvote on hf-daily"]


# ---------------------------------------------------------------------------- real formats


ARXIV_DAILY = {
    "id": "2606.01234",
    "title": "Quokka Attention: Sparse Routing for Long Contexts",
    "authors": ["Ada Lovelace", "Alan Turing"],
    "categories": ["cs.LG", "cs.CL"],
    "abstract": "We route attention sparsely over long contexts. It works well on every "
    "benchmark we tried, and it is simple to implement in a few lines of code.",
    "comment": "None",
    "crawl_date": "2026-06-29",
}
HF_DAILY = [
    {
        "paper": {
            "id": "2606.01234",
            "authors": [{"_id": "1", "name": "Ada Lovelace", "hidden": False}],
            "publishedAt": "2026-06-26T17:08:18.000Z",
            "submittedOnDailyAt": "2026-06-30T02:31:44.113Z",
            "title": ARXIV_DAILY["title"],
            "summary": ARXIV_DAILY["abstract"],
            "upvotes": 312,
            "discussionId": "abc",
        },
        "numComments": 4,
    },
    {
        "paper": {
            "id": "2606.05678",
            "title": "A Smaller Hit",
            "summary": "Something else entirely.",
            "upvotes": 25,
            "submittedOnDailyAt": "2026-06-30T02:31:44.113Z",
        },
    },
]
LISTING = f"""new

Get trending papers in your email inbox!

Subscribe

Daily Papers

byAK and the research community

Jul 1

{ARXIV_DAILY["title"]}

We route attention sparsely over long contexts. It works well on every benchmark we

• 2 authors

·

Jun 26 298
"""


def test_real_readers_sightings_merge_into_one_trending_paper(store: Store, tmp_path: Path) -> None:
    """arXiv listing (day 1), HF daily (day 2, 312 upvotes), a listing page (day 3, 298)."""
    arxiv = tmp_path / "arxiv.jsonl"
    arxiv.write_bytes(orjson.dumps(ARXIV_DAILY) + b"\n")
    hf = tmp_path / "daily_papers.json"
    hf.write_bytes(orjson.dumps(HF_DAILY))
    page = tmp_path / "page.txt"
    page.write_text(LISTING, encoding="utf-8")
    ingest_files(store, [arxiv, hf, page], reference_date=dt.date(2026, 7, 2))
    assert store.papers.count() == 2
    trends = trending(store, since=dt.date(2026, 6, 25), until=dt.date(2026, 7, 1))
    assert titles(trends) == [ARXIV_DAILY["title"], "A Smaller Hit"]
    top = trends[0]
    assert top.paper.id == "arxiv:2606.01234"
    assert top.sources == ["arxiv", "hf-daily", "listing"]
    assert (top.upvotes, top.appearances) == (312, 3)
    assert (top.first_seen, top.last_seen) == (dt.date(2026, 6, 29), dt.date(2026, 7, 1))
    assert top.reasons == ["312 upvotes on hf-daily", "listed by 3 sources", "seen on 3 days"]
    assert top.score == pytest.approx(math.log2(313) + 2 + 1)
    assert trends[1].reasons == [
        "25 upvotes on hf-daily",
        "last seen 2026-06-30, 1 day before 2026-07-01",
    ]
    assert [t.paper.title for t in trending(store, dt.date(2026, 6, 25), category="cs.CL")] == [
        ARXIV_DAILY["title"]
    ]


# ---------------------------------------------------------------------------- the seeds


@pytest.mark.parametrize(
    ("ingested_on", "newest_page", "top_title", "top_upvotes"),
    [
        # The pages show years only for past years (up to 2024), so they are from 2025:
        # 002 "Nov 27" is 2025-11-27 and newer than 004 "Oct 24" (2025-10-24).
        (
            dt.date(2025, 11, 28),
            "002_cb8c4f90c784550f.txt",
            "Reinforcement Learning for Reasoning in Large Language Models with One Training "
            "Example",
            15,
        ),
        # Ingested on 2026-11-22 (as tests/test_seeds.py does), "Oct 24" resolves to
        # 2026-10-24 and "Nov 27" to 2025-11-27: then 004 is the newest page.
        (
            dt.date(2026, 11, 22),
            "004_2b0629a46ae4dc49.txt",
            "RegMix: Data Mixture as Regression for Language Model Pre-training",
            7,
        ),
    ],
)
def test_seed_listing_pages_top_paper_is_the_newest_pages_most_upvoted(
    tmp_path: Path, ingested_on: dt.date, newest_page: str, top_title: str, top_upvotes: int
) -> None:
    store = Store.open(tmp_path / "home")
    ingest_files(store, LISTING_PAGES, reference_date=ingested_on)
    newest = store.conn.execute("SELECT max(seen_on) AS day FROM sightings").fetchall()[0]["day"]
    most = store.conn.execute(
        "SELECT max(upvotes) AS n FROM sightings WHERE seen_on = ? AND locator LIKE ?",
        (newest, f"%{newest_page}"),
    ).fetchall()[0]["n"]
    assert most == top_upvotes

    trends = trending(store, since=ingested_on - dt.timedelta(days=400), until=ingested_on)
    top = trends[0]
    assert top.paper.title == top_title
    assert top.upvotes == top_upvotes
    assert top.last_seen == dt.date.fromisoformat(newest)
    assert top.sources == ["listing"]
    assert top.reasons[0] == f"{top_upvotes} upvotes on listing"
    # 003 has no page date, so its entries only trend through their dated sightings
    assert all(t.first_seen <= t.last_seen <= ingested_on for t in trends)
    assert [t.score for t in trends] == sorted((t.score for t in trends), reverse=True)


def test_an_arxiv_only_window_says_why_nothing_trends(store: Store, ingest: Ingest) -> None:
    ingest(
        paper("Once on arxiv", seen("arxiv-daily", days_ago(1)), categories=("cs.LG",)),
        paper("Also once", seen("oai-pmh", days_ago(2)), categories=("cs.CL",)),
    )
    assert trending(store, days_ago(5), DAY) == []
    reason = empty_reason(store, days_ago(5), DAY)
    assert reason.startswith(
        f"nothing stands out among the papers listed between {days_ago(5)} and {DAY} "
        "by arxiv (2 papers): each was listed by one source on one day, with no upvotes."
    )
    narrow = empty_reason(store, days_ago(5), DAY, "cs.CV")
    assert narrow.startswith(f"no paper in cs.CV listed between {days_ago(5)} and {DAY} has")
    before = empty_reason(store, days_ago(30), days_ago(20))
    assert before == (
        f"no source listed a paper between {days_ago(30)} and {days_ago(20)}; the newest "
        f"listing in the store is {days_ago(1)} (try --since {days_ago(7)} --until {days_ago(1)})"
    )


def test_an_old_store_gets_its_newest_days_as_the_default_window(
    store: Store, ingest: Ingest
) -> None:
    assert latest_window(store, dt.date.today()) is None  # no sightings at all
    ingest(paper("Voted", seen("hf-daily", days_ago(1), upvotes=9)))
    start = dt.date.today() - dt.timedelta(days=7)
    assert latest_window(store, start) == (days_ago(8), days_ago(1))  # DAY is in the past
    assert latest_window(store, days_ago(3)) is None  # the window has listings: kept
