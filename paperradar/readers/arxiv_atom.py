"""The arXiv export API's answer: an Atom 1.0 feed from http://export.arxiv.org/api/query.

Each ``<entry>`` is one paper at one version: ``<id>`` is its abs URL with the version
(``http://arxiv.org/abs/2503.11731v2``, or ``.../abs/hep-th/9901001v1`` for old-style ids),
``<published>`` the first version's date, ``<updated>`` this version's, and the ``arxiv:``
namespace adds the primary category, comment, journal reference and DOI. The feed carries
OpenSearch paging totals (:func:`feed_totals`). A failed query is still an HTTP 200 feed with
one entry titled "Error" whose id is under ``arxiv.org/api/errors``: it raises FormatError
with arXiv's message instead of reading as a one-hit result.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import TextIO

from paperradar import identifiers
from paperradar.errors import FormatError
from paperradar.models import Paper, Sighting
from paperradar.readers import _xml
from paperradar.readers.base import BadRecord, ReadContext, Record, clean_text, parse_iso_date
from paperradar.readers.limits import checked, shown

OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
_A = "{" + _xml.ATOM_NS + "}"
_X = "{" + _xml.ARXIV_NS + "}"
_OS = "{" + OPENSEARCH_NS + "}"
_ERROR_ID = "arxiv.org/api/errors"
_ENTRY = frozenset({_A + "entry"})


class ArxivAtomReader:
    name = "arxiv-atom"
    description = "arXiv export API response (Atom feed from export.arxiv.org/api/query)"

    def sniff(self, head: str, filename: str) -> bool:
        root = _xml.root_of(head)
        if root is None or root.name != "feed" or root.namespace != _xml.ATOM_NS:
            return False
        return _xml.API_MARKUP.search(head) is not None

    def parse(self, stream: TextIO, ctx: ReadContext) -> Iterator[Record]:
        rank = 0
        for event in _xml.iter_events(stream, ctx.origin, _ENTRY):
            if event.depth == 0 and event.kind == "start":
                _check_root(event, ctx)
            elif event.depth == 1 and event.kind == "end" and event.elem.tag == _A + "entry":
                rank += 1
                yield checked(read_entry(event.elem, event.line, rank, ctx), event.line)


def _check_root(event: _xml.XmlEvent, ctx: ReadContext) -> None:
    if event.elem.tag != _A + "feed":
        found = _xml.local(event.elem.tag)
        raise FormatError(ctx.origin, event.line, f"expected an Atom <feed>, found <{found}>")


def read_entry(entry: ET.Element, line: int, rank: int, ctx: ReadContext) -> Record:
    """One ``<entry>`` as a Paper, or a BadRecord naming the field that is wrong."""
    where = f"entry {rank}"
    raw_id = _xml.child_text(entry, _A + "id") or ""
    parsed = identifiers.parse_arxiv_id(raw_id)
    if _is_error(entry, raw_id, parsed):
        message = clean_text(_xml.child_text(entry, _A + "summary")) or raw_id
        raise FormatError(ctx.origin, line, f"arXiv API error: {message}")
    if not raw_id:
        return BadRecord(line, f"{where}: no 'id'")
    if parsed is None:
        return BadRecord(line, f"{where}: 'id' is not an arXiv id: {shown(raw_id)}")
    paper = Paper(
        title=clean_text(_xml.child_text(entry, _A + "title")),
        abstract=clean_text(_xml.child_text(entry, _A + "summary")),
        authors=_authors(entry),
        categories=_categories(entry),
        arxiv_id=parsed[0],
        arxiv_version=parsed[1],
        links=_links(entry),
        comment=clean_text(_xml.child_text(entry, _X + "comment")) or None,
        journal_ref=clean_text(_xml.child_text(entry, _X + "journal_ref")) or None,
    )
    if not paper.title and not paper.abstract:
        return BadRecord(line, f"{where}: no 'title' and no 'summary'")
    for field, attr in (("published", "submitted"), ("updated", "updated")):
        value = _xml.child_text(entry, _A + field)
        try:
            setattr(paper, attr, parse_iso_date(value))
        except ValueError:
            return BadRecord(line, f"{where}: {field!r} is not a date: {shown(value)}")
    raw_doi = _xml.child_text(entry, _X + "doi")
    if raw_doi:
        paper.doi = first_doi(raw_doi)
        if paper.doi is None:
            return BadRecord(line, f"{where}: 'arxiv:doi' is not a DOI: {shown(raw_doi)}")
    paper.sightings.append(Sighting(source=READER.name, locator=ctx.origin, rank=rank))
    return paper


def _is_error(entry: ET.Element, raw_id: str, parsed: tuple[str, int | None] | None) -> bool:
    """arXiv's error entry: an id under arxiv.org/api/errors, or "Error" with no paper id."""
    if _ERROR_ID in raw_id:
        return True
    return parsed is None and _xml.child_text(entry, _A + "title") == "Error"


def first_doi(text: str) -> str | None:
    """The first DOI in arXiv's DOI field (it sometimes lists several, space-separated)."""
    for token in text.split():
        doi = identifiers.parse_doi(token)
        if doi:
            return doi
    return None


def _authors(entry: ET.Element) -> list[str]:
    names = (clean_text(_xml.child_text(a, _A + "name")) for a in entry.findall(_A + "author"))
    return [name for name in names if name]


def _categories(entry: ET.Element) -> list[str]:
    terms: list[str] = []
    for tag in (_X + "primary_category", _A + "category"):
        for elem in entry.findall(tag):
            term = (elem.get("term") or "").strip()
            if term and term not in terms:
                terms.append(term)
    return terms


def _links(entry: ET.Element) -> dict[str, str]:
    links: dict[str, str] = {}
    for link in entry.findall(_A + "link"):
        href = (link.get("href") or "").strip()
        if not href:
            continue
        if link.get("rel", "alternate") == "alternate":
            links.setdefault("abs", href)
        elif link.get("title") in ("pdf", "doi"):
            links.setdefault(link.get("title", ""), href)
    return links


def feed_totals(text: str) -> tuple[int, int, int] | None:
    """``(totalResults, startIndex, itemsPerPage)`` of an API feed, for paging; None if absent.

    Raises FormatError for text that is not well-formed XML.
    """
    wanted = {"totalResults": -1, "startIndex": -1, "itemsPerPage": -1}
    for event in _xml.iter_events(io.StringIO(text), "arXiv API response"):
        if event.depth == 0 and event.elem.tag != _A + "feed":
            return None
        if event.depth != 1:
            continue
        if event.kind == "start" and event.elem.tag == _A + "entry":
            break  # the totals come before the entries
        name = _xml.local(event.elem.tag)
        if event.kind == "end" and event.elem.tag == _OS + name and name in wanted:
            try:
                wanted[name] = int(_xml.all_text(event.elem))
            except ValueError:
                return None
    if min(wanted.values()) < 0:
        return None
    return wanted["totalResults"], wanted["startIndex"], wanted["itemsPerPage"]


READER = ArxivAtomReader()
