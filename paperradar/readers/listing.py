"""Listing pages copied from a daily-papers website (seeds 002-004).

Two layouts are read. The full one separates blocks with blank lines: a title, an abstract
(often cut short), then optionally an author count ("• 4 authors") or an organisation
("naver-ai NAVER AI Lab"), a "·" line and a date with an optional upvote count
("Oct 11, 2023", "Sep 29 1"). The compact one is title line, abstract line, and nothing else.
Both start with the site's chrome ("Get trending papers...", "Subscribe", ...), which may be
glued to the first title when the page was copied.

A date without a year is resolved against the page's own date ("Nov 27", itself resolved
against the reference date) and marked as inferred. A meta line that starts with "•" but is
not "• N authors" (N at most 9 digits) is a bad record, as is a date line whose upvote count
runs past 18 digits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from paperradar.errors import FormatError
from paperradar.models import Paper, Sighting
from paperradar.readers.base import (
    BadRecord,
    ReadContext,
    Record,
    clean_text,
    month_number,
    resolve_yearless,
)
from paperradar.readers.limits import MAX_DOCUMENT_CHARS, checked, shown

_CHROME = (
    "new",
    "subscribe",
    "daily papers",
    "byak and the research community",
)
_CHROME_PREFIXES = ("get trending papers in your email inbox",)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DATE = re.compile(rf"^({_MONTH})\s+(\d{{1,2}})(?:,\s*(\d{{4}}))?(?:\s+(\d{{1,18}}))?$")
_AUTHORS = re.compile(r"^•\s*(\d{1,9})\s+authors?$")
_BULLET = "•"  # an author count's line starts with it; an organisation's never does
_TERMINAL = re.compile(r"""[.!?)\]}"'”’]$""")
_URL = re.compile(r"https?://|www\.|github\.com|\.(?:com|org|io|ai|net)\b")
_SEPARATOR = "·"
_MAX_TITLE = 400


@dataclass(slots=True)
class _Line:
    number: int
    text: str


def _is_chrome(text: str) -> bool:
    low = text.lower()
    return low in _CHROME or low.startswith(_CHROME_PREFIXES)


def _parse_date(text: str, reference: dt.date) -> tuple[dt.date, bool, int | None] | None:
    """``(date, year_inferred, upvotes)`` for a listing's date line, else None."""
    match = _DATE.match(text)
    if not match:
        return None
    month = month_number(match.group(1))
    if month is None:
        return None
    day = int(match.group(2))
    upvotes = int(match.group(4)) if match.group(4) else None
    try:
        if match.group(3):
            return dt.date(int(match.group(3)), month, day), False, upvotes
        return resolve_yearless(month, day, reference), True, upvotes
    except ValueError:
        return None


class ListingPageReader:
    name = "listing"
    description = "a daily-papers listing page copied from a website (title, abstract, meta)"

    def sniff(self, head: str, filename: str) -> bool:
        low = head.lower()
        return "get trending papers in your email inbox" in low or (
            "daily papers" in low and "byak" in low
        )

    def parse(self, stream: TextIO, ctx: ReadContext) -> Iterator[Record]:
        lines = self._content_lines(stream, ctx.origin)
        page_date, page_inferred = self._page_date(lines, ctx.reference_date)
        rank = 0
        i = 0
        while i < len(lines):
            title = lines[i]
            if i + 1 >= len(lines):
                yield BadRecord(title.number, "title without an abstract at the end of the page")
                return
            abstract = lines[i + 1]
            i += 2
            meta: _Line | None = None
            date_line: _Line | None = None
            if i + 1 < len(lines) and lines[i + 1].text == _SEPARATOR:
                meta = lines[i]
                date_line = lines[i + 2] if i + 2 < len(lines) else None
                i += 3
            rank += 1
            yield self._entry(title, abstract, meta, date_line, rank, page_date, page_inferred, ctx)

    @staticmethod
    def _content_lines(stream: TextIO, origin: str) -> list[_Line]:
        """Non-blank lines with the site chrome removed (also when glued to a title)."""
        out: list[_Line] = []
        seen_chrome = False
        held = 0
        for number, raw in enumerate(stream, start=1):
            held += len(raw)
            if held > MAX_DOCUMENT_CHARS:  # a page is held whole: its size is bounded
                raise FormatError(
                    origin,
                    None,
                    f"over {MAX_DOCUMENT_CHARS >> 20} MiB of text: a listing page is read "
                    "whole; split it",
                )
            text = raw.strip()
            if not text:
                continue
            in_header = not out or _is_chrome_context(out)
            if in_header and _is_chrome(text):
                seen_chrome = True
                continue
            glued = text.lower().startswith("subscribe") and len(text) > len("subscribe")
            if in_header and seen_chrome and glued:
                text = text[len("subscribe") :].strip()
            out.append(_Line(number, text))
        return out

    @staticmethod
    def _page_date(lines: list[_Line], reference: dt.date) -> tuple[dt.date | None, bool]:
        """The page's own date: a lone date line before the first entry."""
        if lines and (parsed := _parse_date(lines[0].text, reference)):
            del lines[0]
            return parsed[0], parsed[1]
        return None, False

    def _entry(
        self,
        title: _Line,
        abstract: _Line,
        meta: _Line | None,
        date_line: _Line | None,
        rank: int,
        page_date: dt.date | None,
        page_inferred: bool,
        ctx: ReadContext,
    ) -> Record:
        if len(title.text) > _MAX_TITLE:
            return BadRecord(title.number, f"expected a title, found {len(title.text)} characters")
        if title.text == _SEPARATOR or abstract.text == _SEPARATOR:
            return BadRecord(title.number, "entry out of step: '·' where a title/abstract goes")
        paper = Paper(title=clean_text(title.text), abstract=clean_text(abstract.text))
        paper.abstract_truncated = _looks_cut(paper.abstract)
        upvotes: int | None = None
        if meta is not None:
            count = _AUTHORS.match(meta.text)
            if count:
                paper.author_count = int(count.group(1))
            elif meta.text.startswith(_BULLET):
                reason = f"not an author count ('• N authors'): {shown(meta.text)}"
                return BadRecord(meta.number, reason)
            else:
                slug, _, fullname = meta.text.partition(" ")
                paper.organisation = fullname.strip() or slug
            if date_line is None:
                return BadRecord(meta.number, "missing the date after '·'")
            parsed = _parse_date(date_line.text, page_date or ctx.reference_date)
            if parsed is None:
                return BadRecord(date_line.number, f"not a listing date: {shown(date_line.text)}")
            paper.submitted, paper.submitted_year_inferred, upvotes = parsed
            paper.upvotes = upvotes
        paper.sightings.append(
            Sighting(
                source=self.name,
                locator=ctx.origin,
                seen_on=page_date,
                seen_on_inferred=page_inferred,
                rank=rank,
                upvotes=upvotes,
            )
        )
        return checked(paper, title.number)


def _looks_cut(abstract: str) -> bool:
    """A listing abstract that stops mid-sentence (not after punctuation or a URL)."""
    if _TERMINAL.search(abstract):
        return False
    last = abstract.rsplit(None, 1)[-1] if abstract.strip() else ""
    return not _URL.search(last)


def _is_chrome_context(seen: list[_Line]) -> bool:
    """Chrome lines only appear before the first entry (the page date may precede them)."""
    return len(seen) <= 1 and _DATE.match(seen[0].text) is not None


READER = ListingPageReader()
