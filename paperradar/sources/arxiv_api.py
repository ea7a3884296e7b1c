"""arXiv's export API (kind ``arxiv-api``): the newest submissions matching a query.

One ``search_query`` -- ``cat:cs.CL OR cat:cs.LG`` built from the ``categories`` option,
a raw ``query``, or both joined with AND -- sorted by submission date, newest first, and
paged with ``start``/``max_results``. A run pages until the feed's ``opensearch:totalResults``
is reached or a page reaches papers submitted before the window start (the day the previous
run started, or ``since`` on the first run); those older papers are dropped and counted in
``Page.notes["outside_window"]``::

    checkpoint  {"start": 100, "since": "2025-03-12", "run_started": "2025-03-19"}
    cursor      {"since": "2025-03-19"}            # the next run's window start

Bodies are read by :mod:`paperradar.readers.arxiv_atom`. A failed query is an HTTP 200 feed
with one error entry: it raises SourceError with arXiv's message, without retrying. The API
sometimes answers a page with no entries (and totalResults 0) although it has results: an
empty page is asked for once more, and a second empty answer ends the run.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from paperradar.errors import FormatError, SourceError
from paperradar.models import Paper
from paperradar.readers import arxiv_atom
from paperradar.readers.base import ReadContext, Record
from paperradar.sources.base import Checkpoint, Cursor, Page
from paperradar.sources.http import PoliteClient
from paperradar.sources.options import (
    check_keys,
    checkpoint_date,
    first_day,
    host_of,
    option_categories,
    option_date,
    option_error,
    option_int,
    option_str,
    option_url,
    state_date,
    url_with,
)

KIND = "arxiv-api"
DEFAULT_BASE_URL = "http://export.arxiv.org/api/query"
DEFAULT_PAGE_SIZE = 100
#: the most results arXiv returns in one slice
MAX_PAGE_SIZE = 2000
_API_ERROR = "arXiv API error: "


@dataclass(frozen=True, slots=True)
class _Feed:
    """One API response as read: its entries and the query's total, or arXiv's error."""

    records: list[Record]
    total: int
    error: str | None = None


@dataclass(slots=True)
class ArxivApiSource:
    """The export API's query results, newest submission first, back to the window start."""

    name: str
    search_query: str
    base_url: str = DEFAULT_BASE_URL
    page_size: int = DEFAULT_PAGE_SIZE
    since: dt.date | None = None
    kind: str = KIND
    host: str = field(init=False)

    def __post_init__(self) -> None:
        self.host = host_of(self.base_url)

    def start(self, cursor: Cursor, today: dt.date) -> Checkpoint | None:
        since = state_date(self.name, cursor, "since") or first_day(self.since, today)
        return {"start": 0, "since": since.isoformat(), "run_started": today.isoformat()}

    def describe(self, checkpoint: Checkpoint) -> str:
        return url_with(self.base_url, self.params(checkpoint))

    def params(self, checkpoint: Checkpoint) -> dict[str, str | int]:
        """The query of ``checkpoint``'s request."""
        return {
            "search_query": self.search_query,
            "sortBy": "submittedDate",
            "sortOrder": "descending",
            "start": start_of(self.name, checkpoint),
            "max_results": self.page_size,
        }

    def fetch(self, client: PoliteClient, checkpoint: Checkpoint) -> Page:
        start = start_of(self.name, checkpoint)
        since = checkpoint_date(self.name, checkpoint, "since")
        run_started = checkpoint_date(self.name, checkpoint, "run_started")
        feed, notes = self._read_page(client, checkpoint, start)
        kept, older = split_window(feed.records, since)
        if older:
            notes["outside_window"] = older
        page = Page(kept, next=None, request=self.describe(checkpoint), notes=notes)
        following = start + len(feed.records)
        if not feed.records or older or following >= feed.total:
            page.cursor = {"since": run_started.isoformat()}
        else:
            page.next = {**checkpoint, "start": following}
        return page

    def _read_page(
        self, client: PoliteClient, checkpoint: Checkpoint, start: int
    ) -> tuple[_Feed, dict[str, int]]:
        """The page at ``start``, asked for twice if arXiv first answers it empty."""
        feed = self._get(client, checkpoint)
        if not looks_empty(feed, start):
            return feed, {}
        feed = self._get(client, checkpoint)
        if looks_empty(feed, start):
            return feed, {"empty_retries": 1, "ended_on_empty_page": 1}
        return feed, {"empty_retries": 1}

    def _get(self, client: PoliteClient, checkpoint: Checkpoint) -> _Feed:
        feed = client.fetch(self.base_url, self.params(checkpoint), read_feed, source=self.name)
        if feed.error:
            raise SourceError(f"{self.name}: {feed.error} ({self.describe(checkpoint)})")
        return feed


def start_of(source: str, checkpoint: Checkpoint) -> int:
    """The checkpoint's ``start`` offset; SourceError if the saved value is not one."""
    value = checkpoint.get("start")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SourceError(f"{source}: saved state start={value!r} is not an offset")
    return value


def read_feed(response: httpx.Response) -> _Feed:
    """Read one response; FormatError (which the client retries) if it is not readable.

    arXiv's error entry is returned as ``_Feed.error``, not raised: retrying cannot help.
    """
    text = response.text
    origin = str(response.url)
    try:
        records = list(arxiv_atom.READER.parse(io.StringIO(text), ReadContext(origin=origin)))
    except FormatError as exc:
        if exc.reason.startswith(_API_ERROR):
            return _Feed([], 0, error=exc.reason)
        raise
    totals = arxiv_atom.feed_totals(text)
    if totals is None:
        raise FormatError(origin, None, "no opensearch totals: not an arXiv API feed")
    return _Feed(records, totals[0])


def looks_empty(feed: _Feed, start: int) -> bool:
    """No entries although the query's total says there are more (or says 0: the quirk)."""
    return not feed.records and not 0 < feed.total <= start


def split_window(records: list[Record], since: dt.date) -> tuple[list[Record], int]:
    """The records submitted on or after ``since``, and how many were older."""
    kept = [r for r in records if not _before(r, since)]
    return kept, len(records) - len(kept)


def _before(record: Record, since: dt.date) -> bool:
    return isinstance(record, Paper) and record.submitted is not None and record.submitted < since


def build_query(categories: list[str], query: str | None) -> str:
    """``cat:A OR cat:B``, a raw query, or both joined with AND."""
    cats = " OR ".join(f"cat:{c}" for c in categories)
    if cats and query:
        return f"({cats}) AND ({query})"
    return cats or query or ""


def from_config(name: str, table: Mapping[str, Any]) -> ArxivApiSource:
    """An ``arxiv-api`` source from its ``[sources.NAME]`` table."""
    check_keys(name, table, ("base_url", "since", "categories", "query", "page_size"))
    categories = option_categories(name, table, required=False)
    query = option_str(name, table, "query")
    if not categories and query is None:
        raise option_error(name, "categories", "set categories or query (or both)")
    return ArxivApiSource(
        name=name,
        search_query=build_query(categories, query),
        base_url=option_url(name, table, "base_url", DEFAULT_BASE_URL),
        page_size=option_int(name, table, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        since=option_date(name, table, "since"),
    )
