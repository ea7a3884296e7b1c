"""What a profile keeps: its saved papers (the reading list) and its liked papers, newest
first, each with when it was saved or liked; and the papers of a recorded digest.

A paper is on the reading list from its ``save`` until an ``unsave`` (saving it again
keeps the first time); it is liked from a ``like`` until a ``dislike`` or ``clear``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from paperradar.errors import UsageError
from paperradar.models import Paper, Profile
from paperradar.store.api import Store

#: the lists a profile keeps, by name
LISTS = ("saved", "liked")


@dataclass(frozen=True, slots=True)
class Kept:
    """A paper on a profile's list, with when it was put there (UTC)."""

    paper: Paper
    row_id: int
    at: dt.datetime


def kept_since(profile: Profile, which: str) -> dict[int, dt.datetime]:
    """Row id -> since when the paper has been on the profile's ``saved`` or ``liked`` list."""
    if which not in LISTS:
        raise UsageError(f"unknown list {which!r}; choose from {', '.join(LISTS)}")
    on, off = ("save", ("unsave",)) if which == "saved" else ("like", ("dislike", "clear"))
    since: dict[int, dt.datetime] = {}
    for item in profile.feedback:
        if item.action == on:
            since.setdefault(item.paper_id, item.at)
        elif item.action in off:
            since.pop(item.paper_id, None)
    return since


def kept_papers(store: Store, profile: Profile, which: str = "saved") -> list[Kept]:
    """The profile's saved (or liked) papers, the most recently kept first."""
    since = kept_since(profile, which)
    order = sorted(since, key=lambda row: (since[row], row), reverse=True)
    papers = store.papers.load(order)
    by_id = dict(zip(_present(store, order), papers, strict=True))
    return [Kept(by_id[row], row, since[row]) for row in order if row in by_id]


def _present(store: Store, rows: list[int]) -> list[int]:
    """The rows of ``rows`` the store still has, in order (what ``load`` returns papers for)."""
    known = store.papers.pids(rows)
    return [row for row in rows if row in known]


def digest_papers(store: Store, digest_id: int) -> list[Paper]:
    """The papers a recorded digest showed, in its order."""
    if store.radar.digest(digest_id) is None:
        raise UsageError(f"no digest with id {digest_id}")
    rows = []
    for shown in store.radar.shown(digest_id):
        try:
            rows.append(store.papers.resolve(shown.pid))
        except UsageError:  # a paper deleted since
            continue
    return store.papers.load(rows)
