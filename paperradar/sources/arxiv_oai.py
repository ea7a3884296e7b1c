"""arXiv's OAI-PMH interface (kind ``arxiv-oai``): incremental harvests of a whole set.

``ListRecords`` with ``metadataPrefix=arXiv`` over a datestamp window: ``from`` is the
previous run's ``until`` (or the ``since`` option on the first run), ``until`` is the run's
day. Long lists come in pages linked by ``resumptionToken``; a request that carries a token
sends only the verb and the token, as OAI-PMH requires. Each page's checkpoint keeps the
window, so a harvest killed mid-way goes on with the next token::

    checkpoint  {"from": "2025-03-12", "until": "2025-03-19"}                  # first request
    checkpoint  {"token": "7734512|1001", "from": "2025-03-12", "until": "2025-03-19"}
    cursor      {"until": "2025-03-19"}                  # the next run's ``from``

A token the server no longer knows (``badResumptionToken``, say after a harvest was stopped
for days) restarts the window once (the checkpoint then carries ``"restarts": 1``) instead
of failing for ever; the store merges the records it already has.

Bodies are read by :mod:`paperradar.readers.oai_pmh`. Deleted records are dropped and counted
in ``Page.notes["deleted"]``; ``noRecordsMatch`` is an empty, complete page. A body that
cannot be read raises FormatError inside the client's parse callback, so the client retries
it; any other OAI-PMH error (badArgument, ...) raises SourceError at once, since asking again
cannot help.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from paperradar.errors import FormatError, SourceError
from paperradar.models import Paper
from paperradar.readers import oai_pmh
from paperradar.readers.base import ReadContext, Record
from paperradar.sources.base import Checkpoint, Cursor, Page
from paperradar.sources.http import PoliteClient
from paperradar.sources.options import (
    check_keys,
    checkpoint_date,
    first_day,
    host_of,
    option_date,
    option_error,
    option_str,
    option_url,
    state_date,
    url_with,
)

KIND = "arxiv-oai"
DEFAULT_BASE_URL = "https://oaipmh.arxiv.org/oai"
DEFAULT_SET = "cs"

_SET_SPEC = re.compile(r"^[A-Za-z0-9_.:-]+$")
_OAI_ERROR = "OAI-PMH error "
_BAD_TOKEN = _OAI_ERROR + "badResumptionToken"


# --------------------------------------------------------------------------- the source


@dataclass(frozen=True, slots=True)
class _Body:
    """One ListRecords response as read: its records and how the list goes on."""

    records: list[Record]
    token: str | None
    #: an OAI-PMH protocol error other than noRecordsMatch (retrying cannot help)
    error: str | None = None


@dataclass(slots=True)
class ArxivOaiSource:
    """OAI-PMH ListRecords over a datestamp window, paged by resumptionToken."""

    name: str
    base_url: str = DEFAULT_BASE_URL
    set_spec: str = DEFAULT_SET
    since: dt.date | None = None
    kind: str = KIND
    host: str = field(init=False)

    def __post_init__(self) -> None:
        self.host = host_of(self.base_url)

    def start(self, cursor: Cursor, today: dt.date) -> Checkpoint | None:
        start = state_date(self.name, cursor, "until") or first_day(self.since, today)
        if start > today:
            return None
        return {"from": start.isoformat(), "until": today.isoformat()}

    def describe(self, checkpoint: Checkpoint) -> str:
        return url_with(self.base_url, self.params(checkpoint))

    def params(self, checkpoint: Checkpoint) -> dict[str, str | int]:
        """The query of ``checkpoint``'s request: the window, or only the token."""
        token = checkpoint.get("token")
        if token:
            return {"verb": "ListRecords", "resumptionToken": str(token)}
        return {
            "verb": "ListRecords",
            "metadataPrefix": oai_pmh.METADATA_PREFIX,
            "set": self.set_spec,
            "from": str(checkpoint["from"]),
            "until": str(checkpoint["until"]),
        }

    def fetch(self, client: PoliteClient, checkpoint: Checkpoint) -> Page:
        until = checkpoint_date(self.name, checkpoint, "until")
        checkpoint_date(self.name, checkpoint, "from")  # a window needs both ends
        url = self.describe(checkpoint)
        body = client.fetch(
            self.base_url,
            self.params(checkpoint),
            lambda response: read_body(response, until),
            source=self.name,
        )
        if body.error:
            return self._restart(checkpoint, body.error, url)
        page = keep_live(body.records)
        page.request = url
        if body.token:
            page.next = {"token": body.token, **_window(checkpoint)}
        else:
            page.cursor = {"until": until.isoformat()}
        return page

    def _restart(self, checkpoint: Checkpoint, error: str, url: str) -> Page:
        """Start the window again after an expired token (once); fail on any other error."""
        restarts = int(checkpoint.get("restarts", 0))
        if not error.startswith(_BAD_TOKEN) or not checkpoint.get("token") or restarts:
            raise SourceError(f"{self.name}: {url}: {error}")
        window = {**_window(checkpoint), "restarts": restarts + 1}
        return Page([], next=window, request=url, notes={"restarted": 1})


def _window(checkpoint: Checkpoint) -> dict[str, Any]:
    """The harvest window of ``checkpoint`` (and how often it was restarted, if it was)."""
    window = {"from": checkpoint["from"], "until": checkpoint["until"]}
    if checkpoint.get("restarts"):
        window["restarts"] = checkpoint["restarts"]
    return window


def read_body(response: httpx.Response, until: dt.date) -> _Body:
    """Read one response; FormatError (which the client retries) if it is not readable.

    An OAI-PMH protocol error is returned as ``_Body.error``, not raised: retrying cannot help.
    """
    text = response.text
    ctx = ReadContext(origin=str(response.url), reference_date=until)
    try:
        records = list(oai_pmh.READER.parse(io.StringIO(text), ctx))
    except FormatError as exc:
        if exc.reason.startswith(_OAI_ERROR):
            return _Body([], None, error=exc.reason)
        raise
    token = oai_pmh.resumption_token(text)
    return _Body(records, token.token if token else None)


def keep_live(records: list[Record]) -> Page:
    """A page of the records that are not deletions; deletions are only counted."""
    live = [r for r in records if not (isinstance(r, Paper) and r.withdrawn)]
    deleted = len(records) - len(live)
    return Page(live, next=None, notes={"deleted": deleted} if deleted else {})


def from_config(name: str, table: Mapping[str, Any]) -> ArxivOaiSource:
    """An ``arxiv-oai`` source from its ``[sources.NAME]`` table."""
    check_keys(name, table, ("base_url", "since", "set"))
    set_spec = option_str(name, table, "set", DEFAULT_SET)
    if not _SET_SPEC.match(set_spec):
        raise option_error(name, "set", f"not an OAI-PMH setSpec: {set_spec!r}")
    return ArxivOaiSource(
        name=name,
        base_url=option_url(name, table, "base_url", DEFAULT_BASE_URL),
        set_spec=set_spec,
        since=option_date(name, table, "since"),
    )
