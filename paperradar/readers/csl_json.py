"""CSL-JSON, as Zotero (and Better BibTeX, pandoc, citeproc tools) export it.

A JSON array of items (a single item object is read too)::

    {"id": "http://zotero.org/users/local/AbC123/items/8XK2P4QZ", "type": "article",
     "title": "...", "abstract": "...", "author": [{"family": "Zhuang", "given": "Jingyu"}],
     "issued": {"date-parts": [["2023", 6, 29]]}, "DOI": "10.48550/arXiv.2306.13455",
     "URL": "http://arxiv.org/abs/2306.13455", "number": "arXiv:2306.13455",
     "publisher": "arXiv", "note": "arXiv:2306.13455 [cs]", "keyword": "A, B"}

Zotero files an arXiv preprint as type "article" with the id in ``number`` ("arXiv:ID"),
``note`` ("arXiv:ID [cs]"), ``URL`` and the arXiv DOI ``10.48550/arXiv.ID``; any of them
gives the paper its arXiv id (the arXiv DOI itself is not kept as the paper's DOI).
``issued`` is the item's date: a full date, or only a year / year and month, which become
the first day of that period (see ``_fields``). CSL titles may carry the spec's rich-text
tags (``<i>``, ``<sup>``...), which are dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any, TextIO

from paperradar import identifiers
from paperradar.models import Paper, Sighting
from paperradar.readers._citation import arxiv_from_doi, arxiv_in_text, is_arxiv_venue
from paperradar.readers._fields import Invalid, date_from_parts, parse_loose_date
from paperradar.readers._json_scan import JsonLineError, scan_json
from paperradar.readers.base import BadRecord, ReadContext, Record, clean_text
from paperradar.readers.limits import checked, read_document, shown

CSL_TYPES = frozenset(
    [
        "article",
        "article-journal",
        "article-magazine",
        "article-newspaper",
        "bill",
        "book",
        "broadcast",
        "chapter",
        "classic",
        "collection",
        "dataset",
        "document",
        "entry",
        "entry-dictionary",
        "entry-encyclopedia",
        "event",
        "figure",
        "graphic",
        "hearing",
        "interview",
        "legal_case",
        "legislation",
        "manuscript",
        "map",
        "motion_picture",
        "musical_score",
        "pamphlet",
        "paper-conference",
        "patent",
        "performance",
        "periodical",
        "personal_communication",
        "post",
        "post-weblog",
        "regulation",
        "report",
        "review",
        "review-book",
        "software",
        "song",
        "speech",
        "standard",
        "thesis",
        "treaty",
        "webpage",
    ]
)
_TYPE = re.compile(r'"type"\s*:\s*"([a-z_-]+)"')
_CSL_MARK = re.compile(
    r'"(?:date-parts|container-title|citation-key|title-short|non-dropping-particle'
    r'|publisher-place|collection-title|number-of-pages)"\s*:'
    r'|"author"\s*:\s*\[\s*\{\s*"(?:family|given|literal)"\s*:'
)
_FOREIGN = re.compile(r'"paper"\s*:\s*\{|"dailyPapers"\s*:')  # HF daily papers
_RICH_TEXT = re.compile(r"</?(?:i|b|sup|sub|sc|span)(?:\s[^>]*)?>", re.IGNORECASE)
_NOTE_CATEGORY = re.compile(r"\[([a-z\-]+\.[A-Za-z\-]+)\]")  # "arXiv:2401.00001 [cs.CL]"
_NAME_PARTS = ("given", "dropping-particle", "non-dropping-particle", "family", "suffix")


class CslJsonReader:
    name = "csl-json"
    description = "CSL-JSON, as Zotero exports it (an array of items or one item)"

    def sniff(self, head: str, filename: str) -> bool:
        if head.lstrip()[:1] not in ("[", "{") or _FOREIGN.search(head):
            return False
        has_type = any(m.group(1) in CSL_TYPES for m in _TYPE.finditer(head))
        return has_type and _CSL_MARK.search(head) is not None

    def parse(self, stream: TextIO, ctx: ReadContext) -> Iterator[Record]:
        doc = scan_json(read_document(stream, ctx.origin, "a CSL-JSON file"), ctx.origin)
        for rank, (line, item) in enumerate(doc.records, start=1):
            if isinstance(item, JsonLineError):
                yield BadRecord(line, f"item {rank}: {item.reason}")
                continue
            try:
                yield checked(self._paper(item, rank, ctx), line, f"item {rank}: ")
            except Invalid as exc:
                yield BadRecord(line, f"item {rank}: {exc}")

    def _paper(self, item: Any, rank: int, ctx: ReadContext) -> Paper:
        if not isinstance(item, dict):
            raise Invalid(f"expected a JSON object, found {type(item).__name__}")
        paper = Paper(
            title=clean_text(_RICH_TEXT.sub("", _text(item, "title"))),
            abstract=clean_text(_RICH_TEXT.sub("", _text(item, "abstract"))),
            authors=_authors(item.get("author")),
            submitted=_issued(item.get("issued")),
            keywords=_keywords(_text(item, "keyword")),
        )
        if not paper.title and not paper.abstract:
            raise Invalid("no title and no abstract")
        doi_text = _text(item, "DOI").strip()
        doi = identifiers.parse_doi(doi_text) if doi_text else None
        if doi_text and doi is None:
            raise Invalid(f"'DOI' is not a DOI: {shown(doi_text)}")
        arxiv = _arxiv_id(item, doi)
        if arxiv:
            paper.arxiv_id, paper.arxiv_version = arxiv
        # arXiv's own DOI (10.48550/arXiv.ID) is the arXiv id spelt again: the doi field is
        # kept for a journal DOI.
        paper.doi = None if doi and arxiv_from_doi(doi) else doi
        category = _NOTE_CATEGORY.search(_text(item, "note"))
        if category:
            paper.categories = [category.group(1)]
        venue = clean_text(_text(item, "container-title"))
        if venue and not is_arxiv_venue(venue):
            paper.journal_ref = venue
        paper.links = _links(paper, _text(item, "URL").strip())
        paper.sightings.append(Sighting(source=self.name, locator=ctx.origin, rank=rank))
        return paper


def _text(item: dict[str, Any], key: str) -> str:
    """A string field ('' when absent); CSL allows numbers for fields such as ``number``."""
    value = item.get(key)
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise Invalid(f"{key!r} is not a string: {shown(value)}")
    return value


def _authors(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid("'author' is not a list of names")
    names = []
    for number, entry in enumerate(value, start=1):
        if not isinstance(entry, dict):
            raise Invalid(f"'author' entry {number} is not a name object")
        name = _name(entry, number)
        if name:
            names.append(name)
    return names


def _name(entry: dict[str, Any], number: int) -> str:
    """``{"family", "given", particles, "suffix"}`` or ``{"literal"}`` -> "Given Family"."""
    fields = {key: entry.get(key) for key in ("literal", *_NAME_PARTS)}
    for key, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise Invalid(f"'author' entry {number}: {key!r} is not a string")
    if fields["literal"]:
        return clean_text(fields["literal"])
    return clean_text(" ".join(str(fields[key] or "") for key in _NAME_PARTS))


def _issued(value: Any) -> dt.date | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid(f"'issued' is not a date: {shown(value)}")
    parts = value.get("date-parts")
    try:
        if parts is not None:
            if not isinstance(parts, list) or not parts or not isinstance(parts[0], list):
                raise ValueError
            return date_from_parts(parts[0])  # a range [[from], [to]] is dated by its start
        raw = value.get("raw") or value.get("literal")
        return parse_loose_date(raw) if isinstance(raw, str) else None
    except ValueError:
        given = parts if parts is not None else value.get("raw") or value.get("literal")
        raise Invalid(f"'issued' is not a date: {shown(given)}") from None


def _keywords(text: str) -> list[str]:
    """Zotero joins an item's tags with ", " into ``keyword``."""
    return [clean_text(k) for k in re.split(r"[,;]", text) if clean_text(k)]


def _arxiv_id(item: dict[str, Any], doi: str | None) -> tuple[str, int | None] | None:
    """The arXiv id from ``number``, ``URL``, ``note``, ``archive_location``, the DOI or ``id``."""
    for key in ("number", "URL", "note", "archive_location"):
        text = _text(item, key).strip()
        if not text:
            continue
        found = arxiv_in_text(text)
        if found:
            return found
        if key in ("number", "archive_location") and _text(item, "publisher") == "arXiv":
            found = identifiers.parse_arxiv_id(text)  # a bare id where arXiv is the publisher
            if found:
                return found
    if doi:
        found = arxiv_from_doi(doi)
        if found:
            return found
    item_id = item.get("id")
    return arxiv_in_text(item_id) if isinstance(item_id, str) else None


def _links(paper: Paper, url: str) -> dict[str, str]:
    links: dict[str, str] = {}
    if paper.arxiv_id:
        links["abs"] = f"https://arxiv.org/abs/{paper.arxiv_id}"
    if paper.doi:
        links["doi"] = f"https://doi.org/{paper.doi}"
    if url:
        links["url"] = url
    return links


READER = CslJsonReader()
