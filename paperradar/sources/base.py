"""What every live source shares: the harvest state machine the sync engine drives.

A source never touches the store. It turns a *checkpoint* (a small JSON-able dict saying which
request to make next) into one :class:`Page`: the records that request returned and the
checkpoint of the request after it. The engine (``paperradar.sources.sync``) stores each page's
records and its next checkpoint in one transaction, so a harvest killed at any moment goes on
from the first request whose records were not stored, and repeats none that were.

A run starts from ``start(cursor, today)``: the cursor is what the source's last successful
run left behind (for example ``{"until": "2026-11-20"}``), empty on the first run. The
page that ends a run (``next is None``) carries the cursor for the run after.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from paperradar.readers.base import Record
from paperradar.sources.http import PoliteClient

Checkpoint = dict[str, Any]
Cursor = dict[str, Any]


@dataclass(slots=True)
class Page:
    """One response's worth of a harvest."""

    records: list[Record]
    #: the request to make next, or None when the run is complete
    next: Checkpoint | None
    #: when ``next`` is None: the cursor the next run starts from
    cursor: Cursor | None = None
    #: what was fetched (a URL), for logs and messages
    request: str = ""
    #: facts for the summary, e.g. {"deleted": 3}
    notes: dict[str, int] = field(default_factory=dict)


class Source(Protocol):
    """A live source, configured from one ``[sources.NAME]`` table of config.toml."""

    #: the configured name (the table's key), used for cursors and messages
    name: str
    #: the host the requests go to (rate limits are per host)
    host: str

    def start(self, cursor: Cursor, today: dt.date) -> Checkpoint | None:
        """The first request of a run from ``cursor``; None when there is nothing to fetch
        yet (say, today's listing was already harvested)."""
        ...

    def describe(self, checkpoint: Checkpoint) -> str:
        """The request ``checkpoint`` stands for, as a URL (for ``--dry-run`` and logs)."""
        ...

    def fetch(self, client: PoliteClient, checkpoint: Checkpoint) -> Page:
        """Make the request ``checkpoint`` stands for; raise SourceError when it cannot."""
        ...
