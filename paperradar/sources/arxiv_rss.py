"""arXiv's daily announcement feeds (kind ``arxiv-rss``): today's new and updated papers.

``https://rss.arxiv.org/rss/cs.CL+cs.LG`` (or ``/atom/``) lists one announcement day of the
given categories: one request per run. Every record keeps its announce type (new, cross,
replace, replace-cross) in its sighting, and the day comes from the feed itself, read by
:mod:`paperradar.readers.arxiv_rss`.

The cursor remembers the last day stored::

    checkpoint  {"announced": "2025-03-17"}        # the day already stored (None at first)
    cursor      {"announced": "2025-03-18"}        # the day this run stored

A run whose feed still shows the stored day stores nothing (``Page.notes["already_stored"]``)
but completes; a day without announcements (weekends, holidays: a feed with no items) is an
empty, complete page (``Page.notes["empty_day"]``) that leaves the cursor as it was. A run on
the cursor's day or before it makes no request at all.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from paperradar.models import Paper
from paperradar.readers import arxiv_rss
from paperradar.readers.base import ReadContext, Record
from paperradar.sources.base import Checkpoint, Cursor, Page
from paperradar.sources.http import PoliteClient
from paperradar.sources.options import (
    check_keys,
    host_of,
    option_categories,
    option_error,
    option_str,
    option_url,
    state_date,
)

KIND = "arxiv-rss"
DEFAULT_BASE_URL = "https://rss.arxiv.org"
FORMATS = ("rss", "atom")


@dataclass(slots=True)
class ArxivRssSource:
    """The announcement feed of some categories: one request, one day, per run."""

    name: str
    categories: list[str]
    base_url: str = DEFAULT_BASE_URL
    format: str = "rss"
    kind: str = KIND
    host: str = field(init=False)

    def __post_init__(self) -> None:
        self.host = host_of(self.base_url)

    @property
    def url(self) -> str:
        """The feed's URL: the categories joined by ``+``."""
        return f"{self.base_url}/{self.format}/{'+'.join(self.categories)}"

    def start(self, cursor: Cursor, today: dt.date) -> Checkpoint | None:
        announced = state_date(self.name, cursor, "announced")
        if announced is not None and announced >= today:
            return None  # today's announcement is already stored
        return {"announced": announced.isoformat() if announced else None}

    def describe(self, checkpoint: Checkpoint) -> str:
        return self.url

    def fetch(self, client: PoliteClient, checkpoint: Checkpoint) -> Page:
        stored = state_date(self.name, checkpoint, "announced")
        records = client.fetch(self.url, None, read_feed, source=self.name)
        day = announcement_day(records)
        kept = {"announced": stored.isoformat() if stored else None}
        if day is None:  # no announcements (weekend, holiday), or no dates to go by
            notes = {} if records else {"empty_day": 1}
            return Page(records, next=None, cursor=kept, request=self.url, notes=notes)
        if stored is not None and day <= stored:
            notes = {"already_stored": len(records)}
            return Page([], next=None, cursor=kept, request=self.url, notes=notes)
        return Page(records, next=None, cursor={"announced": day.isoformat()}, request=self.url)


def read_feed(response: httpx.Response) -> list[Record]:
    """Read one feed; FormatError (which the client retries) if it is not readable."""
    ctx = ReadContext(origin=str(response.url))
    return list(arxiv_rss.READER.parse(io.StringIO(response.text), ctx))


def announcement_day(records: list[Record]) -> dt.date | None:
    """The day the feed announces (its items' date); None for a feed without one."""
    days = [r.listed for r in records if isinstance(r, Paper) and r.listed is not None]
    return max(days) if days else None


def from_config(name: str, table: Mapping[str, Any]) -> ArxivRssSource:
    """An ``arxiv-rss`` source from its ``[sources.NAME]`` table."""
    if "since" in table:
        raise option_error(
            name, "since", "not used by arxiv-rss: the feed holds only the latest day"
        )
    check_keys(name, table, ("base_url", "categories", "format"))
    feed_format = option_str(name, table, "format", "rss")
    if feed_format not in FORMATS:
        raise option_error(name, "format", f"expected 'rss' or 'atom', got {feed_format!r}")
    return ArxivRssSource(
        name=name,
        categories=option_categories(name, table, required=True),
        base_url=option_url(name, table, "base_url", DEFAULT_BASE_URL),
        format=feed_format,
    )
