"""What is trending: papers ranked by what the sources said about them, never by guesses.

Every ingested listing leaves *sightings* (source, day, rank, upvotes). Trending reads only the
sightings dated inside the window ``since <= seen_on <= until`` and scores each paper by

::

    votes       = log2(1 + upvotes)                       the most upvotes any sighting showed
    appearances = SOURCE_BONUS * (sources - 1)            1.0 for each extra source
                + DAY_BONUS * min(days - 1, MAX_EXTRA_DAYS)   0.5 for each extra day, at most 3
    score = votes * decay(reference - voted_on) + appearances * decay(reference - last_seen)
    decay(age) = 0.5 ** (age / HALF_LIFE_DAYS)            half-life 3 days

* **upvotes** is the maximum count any sighting in the window carried. A count only grows, so
  the maximum is the latest snapshot; it is the maximum over sources and not their sum because
  the daily-papers pages and the HF API show the same Hugging Face votes. Log-scaled: 1 → 1,
  7 → 3, 15 → 4, 255 → 8, so a few hundred votes do not bury everything else.
* **sources** counts places, not readers: the arXiv feeds (``arxiv-daily``, ``arxiv-rss``,
  ``oai-pmh``, ``arxiv-atom``) are one source, ``arxiv``. A paper announced on arXiv *and* put
  on a daily-papers page *and* on HF daily counts three.
* **days** counts distinct sighting days across all sources (a paper that stays on the lists).
* **decay**: each part fades from the day it was last observed: the votes from ``voted_on``,
  the latest day a sighting carried a count, the appearances from ``last_seen``. So votes from
  three weeks ago do not come back to full strength when arXiv re-announces a new version.
* **reference day** is ``until``, or without it the newest sighting day in the window. The
  decay multiplies every score by the same factor when the reference moves, so the order never
  depends on it, only the size of the scores does.

A paper needs some evidence to trend: at least one upvote, two sources or two days. A paper
listed once by one feed is merely new, not trending. Without upvotes a paper can still trend
on appearances, but it stays below well-upvoted ones: three sources over four days give
``2 + 1.5 = 3.5``, which 11 upvotes on their own beat (``log2(12) ≈ 3.58``).

Recency: the score halves every 3 days, so a paper with 255 upvotes (8) seen 4 days before one
with 15 upvotes (4) ranks below it; 2 days older it still ranks above (3 days: a tie, broken
by upvotes).

Sightings without a date (publication lists, BibTeX, search answers) never trend. The work is
one SQL statement over the window's sightings (index ``sightings_seen`` on ``seen_on``), then
a little Python over the papers with evidence. docs/trending.md says the same for users.

A server asks the same question again and again: :class:`TrendingCache` keeps its answers
until anything is committed to the store (``store.version()``) or the day changes.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from paperradar.errors import UsageError
from paperradar.models import Paper
from paperradar.store.api import Store
from paperradar.store.api.papers import TrendEvidence

#: days after which each part of a score has halved
HALF_LIFE_DAYS = 3.0
#: for each source beyond the first that listed the paper in the window
SOURCE_BONUS = 1.0
#: for each day beyond the first on which the paper was seen (up to MAX_EXTRA_DAYS of them)
DAY_BONUS = 0.5
MAX_EXTRA_DAYS = 3
#: answers a TrendingCache keeps for one version of the store
CACHE_KEEP = 32
#: readers that all report arXiv's own listings: one source for trending
SOURCE_ALIASES = {
    "arxiv-daily": "arxiv",
    "arxiv-rss": "arxiv",
    "arxiv-atom": "arxiv",
    "oai-pmh": "arxiv",
}


@dataclass(slots=True)
class Trend:
    """A trending paper: its score, the evidence from its sightings and why, in words.

    ``upvotes`` is the most any sighting in the window showed (None: no source gave a count),
    ``sources`` the places that listed it in the window (arXiv feeds as ``arxiv``),
    ``appearances`` its distinct (source, day) listings, ``first_seen``/``last_seen`` its
    first and last sighting days inside the window. ``paper`` carries its whole history.
    """

    paper: Paper
    score: float
    upvotes: int | None
    sources: list[str]
    appearances: int
    first_seen: dt.date
    last_seen: dt.date
    reasons: list[str] = field(default_factory=list)


#: one paper's aggregates over the window, as the store returns them
_Evidence = TrendEvidence


def vote_heat(upvotes: int | None) -> float:
    """The votes part, undecayed: ``log2(1 + upvotes)``."""
    return math.log2(1 + max(upvotes or 0, 0))


def appearance_heat(sources: int, days: int) -> float:
    """The appearances part, undecayed: bonuses for extra sources and extra days."""
    extra_days = min(max(days - 1, 0), MAX_EXTRA_DAYS)
    return SOURCE_BONUS * max(sources - 1, 0) + DAY_BONUS * extra_days


def heat(upvotes: int | None, sources: int, days: int) -> float:
    """The score of a paper whose every sighting is on the reference day."""
    return vote_heat(upvotes) + appearance_heat(sources, days)


def decay(age_days: int) -> float:
    """The recency factor: 1 on the reference day, halved every HALF_LIFE_DAYS."""
    return float(0.5 ** (max(age_days, 0) / HALF_LIFE_DAYS))


def trending(
    store: Store,
    since: dt.date,
    until: dt.date | None = None,
    limit: int = 20,
    category: str | None = None,
) -> list[Trend]:
    """The papers trending in the sightings of ``since``..``until`` (inclusive), best first.

    ``category`` keeps papers with that arXiv category (``cs.LG``) or group (``cs``), as the
    search filters do; papers without categories (most listing pages) are then left out.
    """
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    if until is not None and until < since:
        raise UsageError(f"--until {until.isoformat()} is before --since {since.isoformat()}")
    rows, newest = _evidence(store, since, until, category)
    if not rows:
        return []
    reference = until or newest
    scored = sorted(((_score(e, reference), e) for e in rows), key=_order)[:limit]
    papers = store.papers.load([e.row_id for _, e in scored], with_sightings=True)
    return [
        Trend(
            paper=paper,
            score=score,
            upvotes=e.upvotes,
            sources=e.sources,
            appearances=e.appearances,
            first_seen=e.first_seen,
            last_seen=e.last_seen,
            reasons=_reasons(paper, e, since, until, reference),
        )
        for paper, (score, e) in zip(papers, scored, strict=True)
    ]


def _evidence(
    store: Store, since: dt.date, until: dt.date | None, category: str | None
) -> tuple[list[_Evidence], dt.date]:
    """Per-paper aggregates of the window's sightings (papers with some evidence only), and
    the newest sighting day in the window (``since`` when there is no evidence)."""
    evidence, newest = store.papers.trend_evidence(since, until, category, SOURCE_ALIASES)
    return evidence, newest or since


def _score(e: _Evidence, reference: dt.date) -> float:
    votes = vote_heat(e.upvotes) * decay((reference - e.voted_on).days) if e.voted_on else 0.0
    listed = appearance_heat(len(e.sources), e.days) * decay((reference - e.last_seen).days)
    return votes + listed


def _order(pair: tuple[float, _Evidence]) -> tuple[float, int, int, int]:
    """Best first: score, then upvotes, then the latest sighting, then the oldest row."""
    score, e = pair
    return (-score, -(e.upvotes or 0), -e.last_seen.toordinal(), e.row_id)


def _reasons(
    paper: Paper, e: _Evidence, since: dt.date, until: dt.date | None, reference: dt.date
) -> list[str]:
    out: list[str] = []
    if e.upvotes:
        out.append(f"{_plural(e.upvotes, 'upvote')} on {_upvote_source(paper, e, since, until)}")
    if len(e.sources) > 1:
        out.append(f"listed by {len(e.sources)} sources")
    if e.days > 1:
        out.append(f"seen on {e.days} days")
    age = (reference - e.last_seen).days
    if age > 0:
        out.append(
            f"last seen {e.last_seen.isoformat()}, {_plural(age, 'day')} before "
            f"{reference.isoformat()}"
        )
    return out


def _upvote_source(paper: Paper, e: _Evidence, since: dt.date, until: dt.date | None) -> str:
    """The source whose sighting in the window carried the top upvote count."""
    for s in paper.sightings:
        in_window = s.seen_on is not None and since <= s.seen_on <= (until or s.seen_on)
        if in_window and s.upvotes == e.upvotes:
            return SOURCE_ALIASES.get(s.source, s.source)
    return e.sources[0]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def latest_window(store: Store, start: dt.date) -> tuple[dt.date, dt.date] | None:
    """For a default window (``start``..today) that no source listed anything in: the window
    of the same length ending on the newest sighting day in the store, else None. An old
    store (a demo, a paused sync) then still shows what was trending when it last heard."""
    newest = store.papers.newest_sighting()
    if newest is None or newest >= start:
        return None
    span = max((dt.date.today() - start).days, 0)
    return newest - dt.timedelta(days=span), newest


def empty_reason(
    store: Store, since: dt.date, until: dt.date | None, category: str | None = None
) -> str:
    """Why nothing trends in ``since``..``until``, in words, with what would help."""
    window = f"between {since.isoformat()} and {(until or dt.date.today()).isoformat()}"
    listed = store.papers.listed_by_source(since, until, SOURCE_ALIASES)
    if not listed:
        newest = store.papers.newest_sighting()
        if newest is None:
            return (
                "no source has listed a paper yet: trending reads the days on which daily "
                "listings (arXiv, Hugging Face, listing pages) showed papers; ingest one or sync"
            )
        start = newest - dt.timedelta(days=6)
        return (
            f"no source listed a paper {window}; the newest listing in the store is "
            f"{newest.isoformat()} (try --since {start.isoformat()} --until {newest.isoformat()})"
        )
    sources = ", ".join(
        f"{name} ({n:,} {'paper' if n == 1 else 'papers'})" for name, n in listed.items()
    )
    if category:
        return (
            f"no paper in {category} listed {window} has upvotes, a second source or a second "
            f"day (listed in that window, all categories: {sources})"
        )
    return (
        f"nothing stands out among the papers listed {window} by {sources}: each was listed by "
        "one source on one day, with no upvotes. Papers trend on upvotes (Hugging Face daily "
        "papers, daily-papers listing pages), on a second source or on a second day"
    )


T = TypeVar("T")


class TrendingCache:
    """The answers of :func:`trending`, :func:`latest_window` and :func:`empty_reason` for
    one store, each kept until anything is committed to the store, by any connection or
    process (its ``version()``), or until the day changes (a default window ends today).

    The same arguments on the same store and day give the same answer, so a hit is what a
    call would return. Answers are shared by the threads that ask: read them, never change
    them. At most ``keep`` answers are kept; the oldest goes first.
    """

    def __init__(self, store: Store, keep: int = CACHE_KEEP) -> None:
        self._store = store
        self._keep = keep
        self._lock = threading.Lock()
        self._version: Hashable = None
        self._answers: dict[tuple[Hashable, ...], object] = {}

    def trending(
        self,
        since: dt.date,
        until: dt.date | None = None,
        limit: int = 20,
        category: str | None = None,
    ) -> list[Trend]:
        """:func:`trending` (its errors are raised, never kept)."""
        key = ("trending", since, until, limit, category)
        return self._answer(key, lambda: trending(self._store, since, until, limit, category))

    def latest_window(self, start: dt.date) -> tuple[dt.date, dt.date] | None:
        """:func:`latest_window`."""
        return self._answer(("latest", start), lambda: latest_window(self._store, start))

    def empty_reason(
        self, since: dt.date, until: dt.date | None, category: str | None = None
    ) -> str:
        """:func:`empty_reason`."""
        key = ("empty", since, until, category)
        return self._answer(key, lambda: empty_reason(self._store, since, until, category))

    def _answer(self, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        version = self._store.version()  # before the work: a commit during it is a miss next
        key = (*key, dt.date.today())
        with self._lock:
            if version == self._version and key in self._answers:
                return cast(T, self._answers[key])
        answer = compute()
        with self._lock:
            if version != self._version:
                self._answers.clear()
                self._version = version
            self._answers[key] = answer
            while len(self._answers) > self._keep:
                del self._answers[next(iter(self._answers))]
        return answer
