"""Search the store. Keyword search ranks with FTS5 bm25 over title, abstract and authors.

User text never reaches FTS5 as syntax: words are extracted and each is quoted, and
"double-quoted phrases" become FTS5 phrases, so quotes, NEAR, *, -, : and parentheses are
all just text. Common English words ("the", "of", "for": :data:`STOPWORDS`) outside quotes are
left out unless the query has nothing else. All words must match; when that finds nothing,
any of the rarer words may match (:data:`ANY_WORD_BUDGET`). Scores are bm25, computed by the
store's keyword index (:mod:`paperradar.store.sqlite.keyword`: FTS5's own bm25).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from paperradar.errors import UsageError
from paperradar.models import Filters, Paper
from paperradar.store.api import Store

__all__ = ["Filters", "Hit", "keyword_search", "parse_since"]

_PHRASE = re.compile(r'"([^"]*)"')
_WORD = re.compile(r"\w+", re.UNICODE)
#: Function words left out of keyword queries: they are in most papers, so they add next to
#: nothing to bm25 (their idf is floored at 1e-6), yet an AND over them walks long posting
#: lists. Inside "quoted phrases" they stay.
STOPWORDS = frozenset(
    {
        *("a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from"),
        *("has", "have", "in", "into", "is", "it", "its", "of", "on", "or", "that", "the"),
        *("their", "this", "to", "via", "was", "were", "what", "when", "which", "while"),
        "with",
    }
)
#: When no paper has all the words, papers with any of them are ranked -- any of the rarest
#: words that together are in at most this many papers (a common word adds next to nothing to
#: bm25, but scoring every paper that has it took seconds at a million papers).
ANY_WORD_BUDGET = 20_000
_RELATIVE = re.compile(r"^(\d+)\s*([dwmy])$")
#: The dates an option may name: a year short of Python's own ends, so that the days around
#: a date (a day's neighbours, a window's end) are dates too.
DATE_RANGE = (dt.date(2, 1, 1), dt.date(9998, 12, 31))


@dataclass(slots=True)
class Hit:
    """A search result: the paper and its score (higher is better)."""

    paper: Paper
    score: float


def fts_terms(query: str) -> list[str]:
    """The query as quoted FTS5 terms: phrases from double quotes, words otherwise."""
    terms: list[str] = []
    rest = query
    for phrase in _PHRASE.findall(query):
        words = _WORD.findall(phrase)
        if words:
            terms.append('"' + " ".join(words) + '"')
    rest = _PHRASE.sub(" ", query)
    words = _WORD.findall(rest)
    kept = [word for word in words if word.lower() not in STOPWORDS]
    terms.extend(f'"{word}"' for word in (kept if kept or terms else words))
    return terms


def parse_since(text: str, today: dt.date | None = None, option: str = "--since") -> dt.date:
    """``2025-06-01``, or a span back from today: ``1d``, ``2w``, ``3m``, ``1y``.

    A date must lie in :data:`DATE_RANGE`, so that the day before and after it (and a month
    around it) are dates too; a span reaching back further is "too far back".
    """
    value = text.strip().lower()
    shown = repr(text if len(text) <= 40 else text[:40] + "…")
    first, last = DATE_RANGE
    match = _RELATIVE.match(value)
    if match:
        digits, unit = match.group(1), match.group(2)
        try:
            if len(digits) > 9:  # past any date; int() would refuse 4,300 digits anyway
                raise OverflowError
            days = int(digits) * {"d": 1, "w": 7, "m": 30, "y": 365}[unit]
            when = (today or dt.date.today()) - dt.timedelta(days=days)
        except OverflowError:
            when = dt.date.min
        if when < first:
            raise UsageError(f"{option}: too far back: {shown} (the earliest date is {first})")
        return when
    try:
        when = dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{option}: expected a date (YYYY-MM-DD) or a span like 7d, 2w, 3m: {shown}"
        ) from None
    if not first <= when <= last:
        raise UsageError(f"{option}: out of range: {shown} (dates run from {first} to {last})")
    return when


def keyword_ranking(
    store: Store, query: str, limit: int = 20, filters: Filters | None = None
) -> list[tuple[int, float]]:
    """``(row id, bm25 score)`` of the papers matching all words of ``query`` (any word, if
    none match all), best first; higher scores are better."""
    terms = fts_terms(query)
    if not terms:
        raise UsageError(f"the query {query!r} has no words to search for")
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    ranked = store.keyword.rank(terms, limit, filters)
    if ranked or len(terms) == 1:
        return ranked
    # any word: the rarer ones, which decide bm25's top
    anyof = store.keyword.rarest(terms, ANY_WORD_BUDGET)
    return store.keyword.rank(anyof, limit, filters, any_word=True)


def hits_for(store: Store, scored: list[tuple[int, float]]) -> list[Hit]:
    """Hits (papers with their sightings) for ``(row id, score)`` pairs, in order."""
    papers = store.papers.load([row_id for row_id, _ in scored], with_sightings=True)
    return [Hit(paper, score) for paper, (_, score) in zip(papers, scored, strict=True)]


def keyword_search(
    store: Store, query: str, limit: int = 20, filters: Filters | None = None
) -> list[Hit]:
    """Papers matching all words of ``query`` (any word, if none match all), best first."""
    return hits_for(store, keyword_ranking(store, query, limit, filters))
