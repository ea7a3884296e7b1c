"""arXiv's daily announcement feeds: https://rss.arxiv.org/rss/<cat> and .../atom/<cat>.

Both flavours list one announcement day. Each item (RSS ``<item>``, Atom ``<entry>``) carries
``arxiv:announce_type`` -- new, cross, replace or replace-cross -- a guid/id such as
``oai:arXiv.org:2501.00001v1`` (the version announced), the categories, ``dc:creator`` with
the comma-separated authors, and a description/summary of the form ``arXiv:2501.00001v1
Announce Type: new \\nAbstract: <text>`` whose prefix is stripped. The item's pubDate/published
is the announcement date: the paper's ``listed`` date and its sighting's ``seen_on``. A day
without announcements (weekends, holidays) is a channel with no items and reads as nothing.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from paperradar import identifiers
from paperradar.errors import FormatError
from paperradar.models import Paper, Sighting
from paperradar.readers import _xml
from paperradar.readers.arxiv_atom import first_doi
from paperradar.readers.base import BadRecord, ReadContext, Record, clean_text, parse_iso_date
from paperradar.readers.limits import checked, shown

DC_NS = "http://purl.org/dc/elements/1.1/"
_A = "{" + _xml.ATOM_NS + "}"
_X = "{" + _xml.ARXIV_NS + "}"
_DC = "{" + DC_NS + "}"
_RECORDS = frozenset({"item", _A + "entry"})

_PREFIX = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce\s+Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?",
    re.IGNORECASE,
)
_PARENTHESES = re.compile(r"\([^()]*\)")


@dataclass(frozen=True, slots=True)
class _Item:
    """The fields of one item, whichever flavour of feed it came from."""

    guid: str
    title: str
    description: str
    link: str
    date: str | None
    date_field: str
    categories: list[str]
    authors: list[str]
    announce_type: str | None
    doi: str | None
    journal_ref: str | None
    rights: str | None


class ArxivRssReader:
    name = "arxiv-rss"
    description = "arXiv announcement feed (RSS 2.0 or Atom from rss.arxiv.org)"

    def sniff(self, head: str, filename: str) -> bool:
        root = _xml.root_of(head)
        if root is None:
            return False
        if root.name == "rss" and root.namespace is None:
            return root.declares(_xml.ARXIV_NS) or _xml.ANNOUNCE_MARKUP.search(head) is not None
        if root.name == "feed" and root.namespace == _xml.ATOM_NS:
            if _xml.API_MARKUP.search(head):
                return False  # the export API's feed: arxiv-atom
            return _xml.ANNOUNCE_MARKUP.search(head) is not None
        return False

    def parse(self, stream: TextIO, ctx: ReadContext) -> Iterator[Record]:
        rank = 0
        channel_date: str | None = None
        for event in _xml.iter_events(stream, ctx.origin, _RECORDS):
            tag = event.elem.tag
            if event.depth == 0 and event.kind == "start":
                _check_root(event, ctx)
            elif event.kind != "end":
                continue
            elif tag == "pubDate" and event.depth == 2:
                channel_date = _xml.all_text(event.elem) or None
            elif (tag == "item" and event.depth == 2) or (tag == _A + "entry" and event.depth == 1):
                rank += 1
                item = _rss_item(event.elem) if tag == "item" else _atom_entry(event.elem)
                yield checked(read_item(item, event.line, rank, ctx, channel_date), event.line)


def _check_root(event: _xml.XmlEvent, ctx: ReadContext) -> None:
    if event.elem.tag not in ("rss", _A + "feed"):
        found = _xml.local(event.elem.tag)
        raise FormatError(
            ctx.origin, event.line, f"expected <rss> or an Atom <feed>, found <{found}>"
        )


def _rss_item(elem: ET.Element) -> _Item:
    return _Item(
        guid=_xml.child_text(elem, "guid") or "",
        title=_xml.child_text(elem, "title") or "",
        description=_xml.child_text(elem, "description") or "",
        link=_xml.child_text(elem, "link") or "",
        date=_xml.child_text(elem, "pubDate"),
        date_field="pubDate",
        categories=[_xml.all_text(c) for c in elem.findall("category")],
        authors=split_authors(_xml.child_text(elem, _DC + "creator") or ""),
        announce_type=_xml.child_text(elem, _X + "announce_type"),
        doi=_xml.child_text(elem, _X + "DOI"),
        journal_ref=_xml.child_text(elem, _X + "journal_reference"),
        rights=_xml.child_text(elem, _DC + "rights"),
    )


def _atom_entry(elem: ET.Element) -> _Item:
    names = [_xml.child_text(a, _A + "name") or "" for a in elem.findall(_A + "author")]
    authors = [clean_text(n) for n in names if n.strip()]
    links = [
        link.get("href", "")
        for link in elem.findall(_A + "link")
        if link.get("rel", "alternate") == "alternate"
    ]
    return _Item(
        guid=_xml.child_text(elem, _A + "id") or "",
        title=_xml.child_text(elem, _A + "title") or "",
        description=_xml.child_text(elem, _A + "summary") or "",
        link=links[0] if links else "",
        date=_xml.child_text(elem, _A + "published"),
        date_field="published",
        categories=[c.get("term", "") for c in elem.findall(_A + "category")],
        authors=authors or split_authors(_xml.child_text(elem, _DC + "creator") or ""),
        announce_type=_xml.child_text(elem, _X + "announce_type"),
        doi=_xml.child_text(elem, _X + "DOI"),
        journal_ref=_xml.child_text(elem, _X + "journal_reference"),
        rights=_xml.child_text(elem, _DC + "rights"),
    )


def read_item(
    item: _Item, line: int, rank: int, ctx: ReadContext, channel_date: str | None
) -> Record:
    """One announcement as a Paper, or a BadRecord naming the field that is wrong."""
    where = f"item {rank}"
    prefix = _PREFIX.match(item.description)
    parsed = identifiers.parse_arxiv_id(item.guid) if item.guid else None
    if parsed is None and prefix:
        parsed = identifiers.parse_arxiv_id(prefix.group("id"))
    if parsed is None:
        parsed = identifiers.parse_arxiv_id(item.link) if item.link else None
    if parsed is None:
        return BadRecord(line, f"{where}: no arXiv id in 'guid', 'description' or 'link'")
    kind = (item.announce_type or (prefix.group("type") if prefix else "")).strip().lower()
    abstract = item.description[prefix.end() :] if prefix else item.description
    paper = Paper(
        title=clean_text(item.title),
        abstract=clean_text(abstract),
        authors=item.authors,
        categories=list(dict.fromkeys(c.strip() for c in item.categories if c.strip())),
        arxiv_id=parsed[0],
        arxiv_version=parsed[1],
        journal_ref=clean_text(item.journal_ref) or None,
    )
    if not paper.title and not paper.abstract:
        return BadRecord(line, f"{where}: no 'title' and no abstract")
    if item.link:
        paper.links["abs"] = item.link
    if item.rights:
        paper.links["license"] = item.rights
    if item.doi:
        paper.doi = first_doi(item.doi)
        if paper.doi is None:
            return BadRecord(line, f"{where}: 'arxiv:DOI' is not a DOI: {shown(item.doi)}")
    raw_date = item.date or channel_date
    try:
        paper.listed = parse_feed_date(raw_date)
    except ValueError:
        reason = f"{shown(item.date_field)} is not a date: {shown(raw_date)}"
        return BadRecord(line, f"{where}: {reason}")
    paper.sightings.append(
        Sighting(
            source=READER.name,
            locator=ctx.origin,
            seen_on=paper.listed,
            rank=rank,
            kind=kind or None,
        )
    )
    return paper


def parse_feed_date(text: str | None) -> dt.date | None:
    """An RFC 822 date (RSS pubDate) or an ISO-8601 one (Atom), as the announcement's day.

    The day is taken in the feed's own time zone: arXiv writes midnight US Eastern time.
    Raises ValueError for text that is neither.
    """
    if not text or not text.strip():
        return None
    value = text.strip()
    if value[:4].isdigit():
        return parse_iso_date(value)
    try:
        return email.utils.parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise ValueError(f"not a date: {shown(value)}") from exc


def split_authors(text: str) -> list[str]:
    """Split ``dc:creator`` ("A. One, B. Two and C. Three") into names.

    Commas inside parentheses (affiliations) do not split; the parenthesised parts are
    dropped from the names.
    """
    names: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text + ","):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            names.extend(_split_and(text[start:i]))
            start = i + 1
    return names


def _split_and(part: str) -> list[str]:
    previous = None
    while previous != part:  # innermost parentheses first
        previous, part = part, _PARENTHESES.sub(" ", part)
    cleaned = clean_text(part)
    pieces = re.split(r"^and\s+|\s+and\s+", cleaned)
    return [piece.strip() for piece in pieces if piece.strip()]


READER = ArxivRssReader()
