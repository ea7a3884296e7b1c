"""What every reader shares: the record types it yields and the context it reads in."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from paperradar.models import Paper


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A record that could not be read; the reader goes on with the next one."""

    line: int | None
    reason: str


Record = Paper | BadRecord


@dataclass(slots=True)
class ReadContext:
    """Where the text comes from and the facts a reader cannot know by itself.

    ``origin`` names the file or URL in messages and sightings. ``reference_date`` resolves
    dates printed without a year (a listing page's "Sep 29"); it defaults to today.
    """

    origin: str
    reference_date: dt.date = field(default_factory=dt.date.today)


class Reader(Protocol):
    """A file format: how to recognise it and how to read it.

    ``sniff`` sees the first few kilobytes of the text and the file name; ``parse`` reads the
    whole stream and yields a :class:`Paper` or a :class:`BadRecord` per record. A file
    that cannot be read at all (broken XML, not JSON) raises ``FormatError``.
    """

    name: str
    description: str

    def sniff(self, head: str, filename: str) -> bool: ...

    def parse(self, stream: TextIO, ctx: ReadContext) -> Iterator[Record]: ...


def clean_text(text: str | None) -> str:
    """Collapse runs of whitespace (arXiv abstracts carry hard line breaks).

    A long text is done a slice at a time, each ending where whitespace starts, so that the
    list of its words never holds more than one slice's worth (a word is an object of its
    own: splitting 8 MiB of one-letter words at once would take hundreds of MB).
    """
    if not text:
        return ""
    if len(text) <= _SLICE_CHARS:
        return " ".join(text.split())
    parts: list[str] = []
    start = 0
    while start < len(text):
        space = _SPACE.search(text, min(start + _SLICE_CHARS, len(text)))
        end = space.start() if space else len(text)
        part = " ".join(text[start:end].split())
        if part:
            parts.append(part)
        start = end
    return " ".join(parts)


_SLICE_CHARS = 1 << 16
_SPACE = re.compile(r"\s")  # str.split's whitespace: both are Py_UNICODE_ISSPACE


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}


def month_number(name: str) -> int | None:
    return _MONTHS.get(name.strip()[:3].lower())


def resolve_yearless(month: int, day: int, reference: dt.date) -> dt.date:
    """The latest date with this month and day on or before ``reference``."""
    for year in (reference.year, reference.year - 1, reference.year - 2, reference.year - 4):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:  # 29 February in a common year
            continue
        if candidate <= reference:
            return candidate
    raise ValueError(f"no valid date for month {month} day {day}")


def parse_iso_date(text: str | None) -> dt.date | None:
    """Parse the date part of an ISO-8601 date or timestamp; None for empty input.

    Raises ValueError for text that is not a date.
    """
    if not text:
        return None
    value = text.strip()
    if not value or value.lower() in ("none", "null"):
        return None
    return dt.date.fromisoformat(value[:10])
