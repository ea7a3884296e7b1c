"""Hugging Face Daily Papers, harvested day by day from ``GET /api/daily_papers``.

The endpoint takes ``date`` (YYYY-MM-DD, the day a paper was put on the list), ``p`` (the
page number, from 0) and ``limit`` (1 to 100 items a page); it answers a JSON array of
listing items, ``[]`` for a day without papers. A run walks the days from the one after the
cursor's date (or ``since``) up to today, page by page until a page comes back shorter than
``limit``::

    checkpoint  {"date": "2026-11-18", "page": 0, "until": "2026-11-20"}
    cursor      {"date": "2026-11-19"}          # the day before the run's last day

Today's list still grows during the day, so the cursor stops at yesterday and the next run
fetches today again; the store merges the papers it already has.

The bodies are read by :class:`~paperradar.readers.hf_daily.HfDailyReader` (upvotes,
organisations and the listing date come through it). A body that is not a JSON array
raises ``FormatError`` inside the client's parse callback, so the client retries it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from paperradar.errors import FormatError
from paperradar.readers.base import ReadContext, Record
from paperradar.readers.hf_daily import READER
from paperradar.sources.base import Checkpoint, Cursor, Page
from paperradar.sources.http import PoliteClient, safe_url
from paperradar.sources.options import (
    check_keys,
    checkpoint_date,
    first_day,
    host_of,
    option_date,
    option_int,
    option_url,
    state_date,
)

KIND = "hf-daily"
HF_BASE = "https://huggingface.co"
#: the API's largest page
MAX_LIMIT = 100
#: a guard against an endpoint that ignores ``p``: no day has this many pages of papers
MAX_PAGES_PER_DAY = 20

_ONE_DAY = dt.timedelta(days=1)


@dataclass(slots=True)
class HfDailySource:
    """The Daily Papers list, one request per day and page."""

    name: str
    base_url: str = HF_BASE
    #: the first day of a first run (default: a week before today)
    since: dt.date | None = None
    limit: int = MAX_LIMIT
    host: str = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.host = host_of(self.base_url)

    def start(self, cursor: Cursor, today: dt.date) -> Checkpoint | None:
        last = state_date(self.name, cursor, "date")
        first = last + _ONE_DAY if last else first_day(self.since, today)
        if first > today:
            return None
        return {"date": first.isoformat(), "page": 0, "until": today.isoformat()}

    def describe(self, checkpoint: Checkpoint) -> str:
        return safe_url(self._endpoint(), self._params(checkpoint))

    def fetch(self, client: PoliteClient, checkpoint: Checkpoint) -> Page:
        day = checkpoint_date(self.name, checkpoint, "date")
        url = self.describe(checkpoint)

        def parse(response: httpx.Response) -> list[Record]:
            return read_listing(response.text, url, day)

        records = client.fetch(self._endpoint(), self._params(checkpoint), parse, source=self.name)
        following = self._after(checkpoint, len(records))
        notes = {"pages_capped": 1} if self._capped(checkpoint, len(records)) else {}
        if following is None:
            until = checkpoint_date(self.name, checkpoint, "until")
            cursor = {"date": (until - _ONE_DAY).isoformat()}
            return Page(records, None, cursor, request=url, notes=notes)
        return Page(records, following, request=url, notes=notes)

    def _endpoint(self) -> str:
        return f"{self.base_url}/api/daily_papers"

    def _params(self, checkpoint: Checkpoint) -> dict[str, str | int]:
        day = checkpoint_date(self.name, checkpoint, "date")
        return {"date": day.isoformat(), "p": int(checkpoint["page"]), "limit": self.limit}

    def _capped(self, checkpoint: Checkpoint, count: int) -> bool:
        return count >= self.limit and int(checkpoint["page"]) + 1 >= MAX_PAGES_PER_DAY

    def _after(self, checkpoint: Checkpoint, count: int) -> Checkpoint | None:
        """The request after a page of ``count`` items: the next page, day, or none."""
        day = checkpoint_date(self.name, checkpoint, "date")
        until = checkpoint_date(self.name, checkpoint, "until")
        page = int(checkpoint["page"])
        if count >= self.limit and not self._capped(checkpoint, count):
            return {"date": day.isoformat(), "page": page + 1, "until": until.isoformat()}
        if day < until:
            return {"date": (day + _ONE_DAY).isoformat(), "page": 0, "until": until.isoformat()}
        return None


def read_listing(text: str, url: str, day: dt.date) -> list[Record]:
    """The records of one ``/api/daily_papers`` body; FormatError unless it is a JSON array."""
    if text.lstrip()[:1] != "[":
        raise FormatError(url, 1, "expected a JSON array of daily papers")
    return list(READER.parse(io.StringIO(text), ReadContext(origin=url, reference_date=day)))


def from_config(name: str, table: Mapping[str, Any]) -> HfDailySource:
    """An :class:`HfDailySource` from the ``[sources.NAME]`` table of config.toml."""
    check_keys(name, table, {"base_url", "since", "limit"})
    return HfDailySource(
        name=name,
        base_url=option_url(name, table, "base_url", HF_BASE),
        since=option_date(name, table, "since"),
        limit=option_int(name, table, "limit", MAX_LIMIT, 1, MAX_LIMIT),
    )
