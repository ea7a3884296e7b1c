"""CSV and TSV tables with a header row (spreadsheets, pandas exports, hand-made lists).

Columns are recognised by name, case-insensitively, with spaces and hyphens read as
underscores ("Journal Ref" = ``journal_ref``); unknown columns are ignored. A header needs a
title or an abstract column. The delimiter (comma, tab or semicolon) is the one the header
line uses most. Quoted fields may span lines: a bad row is reported at the physical line it
starts on.

Authors are split on ";" or "|" or " and " when present (each part may be "Family, Given"),
else on commas. Categories are split on spaces, ";" or ","; a ``primary_category`` column
comes first. A year or year-month date becomes the first day of that period (see
``_fields``). A generic ``id`` column is taken as an arXiv id or DOI when it is one and
ignored otherwise (it is often a row number); ``arxiv_id``/``arxiv``/``eprint`` and ``doi``
columns must hold what they say.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from paperradar import identifiers
from paperradar.errors import FormatError
from paperradar.models import Paper, Sighting
from paperradar.readers._citation import arxiv_from_doi, person_name
from paperradar.readers._fields import Invalid, parse_loose_date
from paperradar.readers.base import BadRecord, ReadContext, Record, clean_text
from paperradar.readers.limits import MAX_RECORD_CHARS, checked, shown

# a cell may be as long as any field (Python's csv module stops at 128 KiB by default)
csv.field_size_limit(MAX_RECORD_CHARS)

#: Field -> recognised column names, in order of preference when several are present.
ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "paper_title"),
    "abstract": ("abstract", "summary"),
    "authors": ("authors", "author"),
    "arxiv": ("arxiv_id", "arxiv", "eprint"),
    "id": ("id",),
    "doi": ("doi",),
    "url": ("url", "link"),
    "submitted": ("submitted", "published", "date", "year"),
    "updated": ("updated",),
    "listed": ("listed", "announced", "crawl_date"),
    "primary_category": ("primary_category",),
    "categories": ("categories", "category"),
    "organisation": ("organisation", "organization"),
    "upvotes": ("upvotes",),
    "comment": ("comment", "comments"),
    "journal_ref": ("journal_ref",),
    "keywords": ("keywords",),
}
_DELIMITERS = (",", "\t", ";")
_HEADER_CELL = re.compile(r"^[\w .:()#/%?-]{0,40}$")
_AND = re.compile(r"\s+and\s+")
_NOT_AUTHORS = {"et al", "et al.", "others", "and others"}


def _normalise(header: str) -> str:
    return re.sub(r"[\s-]+", "_", header.strip().lower())


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])  # ties: the first, a comma
    return best if counts[best] else ","


@dataclass(frozen=True, slots=True)
class _Columns:
    """Where each known field sits in a row, and the header's own spelling of it."""

    index: dict[str, int]
    names: dict[str, str]
    width: int

    @classmethod
    def from_header(cls, header: list[str]) -> _Columns:
        positions: dict[str, int] = {}
        for i, cell in enumerate(header):
            positions.setdefault(_normalise(cell), i)
        index: dict[str, int] = {}
        names: dict[str, str] = {}
        for field_name, aliases in ALIASES.items():
            for alias in aliases:
                if alias in positions:
                    index[field_name] = positions[alias]
                    names[field_name] = header[positions[alias]].strip()
                    break
        return cls(index, names, len(header))

    def get(self, row: list[str], field_name: str) -> str:
        i = self.index.get(field_name)
        return row[i].strip() if i is not None and i < len(row) else ""


class CsvTableReader:
    name = "csv"
    description = "a CSV or TSV table with a header row (title/abstract/authors/... columns)"

    def sniff(self, head: str, filename: str) -> bool:
        name = filename.lower().removesuffix(".gz")
        if name.endswith((".csv", ".tsv")):
            return True
        first = next((line for line in head.splitlines() if line.strip()), "")
        delimiter = _delimiter(first)
        if delimiter not in first:
            return False
        cells = [_normalise(c) for c in next(csv.reader([first], delimiter=delimiter))]
        if not all(_HEADER_CELL.match(c) for c in cells):
            return False
        wanted = ALIASES["title"] + ALIASES["abstract"]
        return any(c in wanted for c in cells)

    def parse(self, stream: TextIO, ctx: ReadContext) -> Iterator[Record]:
        skipped = 0
        first = stream.readline()
        while first and not first.strip():
            skipped += 1
            first = stream.readline()
        if not first:
            return
        tsv = ctx.origin.lower().removesuffix(".gz").endswith(".tsv") and "\t" in first
        delimiter = "\t" if tsv else _delimiter(first)
        # strict: an unclosed quote is an error, not a field that swallows the rest of the file
        rows = csv.reader(itertools.chain([first], stream), delimiter=delimiter, strict=True)
        columns: _Columns | None = None
        previous_end = skipped
        rank = 0
        try:
            for row in rows:
                start, previous_end = previous_end + 1, skipped + rows.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if columns is None:
                    columns = self._header(row, start, ctx)
                    continue
                rank += 1
                try:
                    yield checked(self._paper(row, columns, rank, ctx), start, f"row {rank}: ")
                except Invalid as exc:
                    yield BadRecord(start, f"row {rank}: {exc}")
        except csv.Error as exc:
            raise FormatError(ctx.origin, previous_end + 1, f"invalid CSV: {exc}") from None

    @staticmethod
    def _header(row: list[str], line: int, ctx: ReadContext) -> _Columns:
        columns = _Columns.from_header(row)
        if "title" not in columns.index and "abstract" not in columns.index:
            shown = ", ".join(repr(c.strip()) for c in row[:8])
            raise FormatError(
                ctx.origin, line, f"the header has no title or abstract column: {shown}"
            )
        return columns

    def _paper(self, row: list[str], columns: _Columns, rank: int, ctx: ReadContext) -> Paper:
        if len(row) > columns.width:
            raise Invalid(f"{len(row)} fields where the header has {columns.width}")
        get = columns.get
        paper = Paper(
            title=clean_text(get(row, "title")),
            abstract=clean_text(get(row, "abstract")),
            authors=split_authors(get(row, "authors")),
            categories=_categories(get(row, "primary_category"), get(row, "categories")),
            organisation=clean_text(get(row, "organisation")) or None,
            comment=clean_text(get(row, "comment")) or None,
            journal_ref=clean_text(get(row, "journal_ref")) or None,
            keywords=_split_list(get(row, "keywords"), r"[;,]"),
        )
        if not paper.title and not paper.abstract:
            raise Invalid("no title and no abstract")
        paper.submitted = _date(row, columns, "submitted")
        paper.updated = _date(row, columns, "updated")
        paper.listed = _date(row, columns, "listed")
        paper.upvotes = _upvotes(row, columns)
        _set_ids(paper, row, columns)
        paper.sightings.append(
            Sighting(
                source=self.name,
                locator=ctx.origin,
                seen_on=paper.listed,
                rank=rank,
                upvotes=paper.upvotes,
            )
        )
        return paper


def split_authors(text: str) -> list[str]:
    """The authors in one cell.

    ``;`` or ``|`` separate names, each possibly "Family, Given". Otherwise " and ": twice or
    more, or with a comma after it, it is BibTeX style ("Doe, Jane and Roe, Rick"); once, it
    ends a plain list ("Jane Doe, Rick Roe(,) and Ann Poe"). Otherwise commas separate names.
    """
    text = clean_text(text).replace(", and ", " and ")
    if not text:
        return []
    for separator in (";", "|"):
        if separator in text:
            return _names(person_name(p) for p in text.split(separator))
    parts = _AND.split(text)
    if len(parts) > 2 or (len(parts) == 2 and "," in parts[1]):
        return _names(person_name(p) for p in parts)
    return _names([*parts[0].split(","), *parts[1:]])


def _names(parts: Iterable[str]) -> list[str]:
    names = (clean_text(p) for p in parts)
    return [n for n in names if n and n.lower() not in _NOT_AUTHORS]


def _categories(primary: str, others: str) -> list[str]:
    return _split_list(f"{primary} {others}", r"[\s;,]+")


def _split_list(text: str, separator: str) -> list[str]:
    out: list[str] = []
    for item in (clean_text(part) for part in re.split(separator, text)):
        if item and item not in out:
            out.append(item)
    return out


def _date(row: list[str], columns: _Columns, field_name: str) -> dt.date | None:
    text = columns.get(row, field_name)
    try:
        return parse_loose_date(text)
    except ValueError as exc:
        why = " (day and month could be either way round)" if "ambiguous" in str(exc) else ""
        raise Invalid(f"{columns.names[field_name]!r} is not a date: {shown(text)}{why}") from None


def _upvotes(row: list[str], columns: _Columns) -> int | None:
    text = columns.get(row, "upvotes")
    if not text:
        return None
    if not text.isdecimal():
        raise Invalid(f"{columns.names['upvotes']!r} is not a whole number: {shown(text)}")
    if len(text) > 19:  # past 64 bits; limits.vet checks the rest of the range
        raise Invalid(f"{columns.names['upvotes']!r} is out of range: {shown(text)}")
    return int(text)


def _set_ids(paper: Paper, row: list[str], columns: _Columns) -> None:
    """arXiv id, DOI and links from the id columns and the URL."""
    arxiv_text, doi_text = columns.get(row, "arxiv"), columns.get(row, "doi")
    url, generic = columns.get(row, "url"), columns.get(row, "id")
    arxiv = identifiers.parse_arxiv_id(arxiv_text) if arxiv_text else None
    if arxiv_text and arxiv is None:
        raise Invalid(f"{columns.names['arxiv']!r} is not an arXiv id: {shown(arxiv_text)}")
    doi = identifiers.parse_doi(doi_text) if doi_text else None
    if doi_text and doi is None:
        raise Invalid(f"{columns.names['doi']!r} is not a DOI: {shown(doi_text)}")
    for candidate in (generic, url):
        if candidate:
            arxiv = arxiv or identifiers.parse_arxiv_id(candidate)
            doi = doi or identifiers.parse_doi(candidate)
    if doi and arxiv_from_doi(doi):  # arXiv's own DOI is its id spelt again
        arxiv, doi = arxiv or arxiv_from_doi(doi), None
    if arxiv:
        paper.arxiv_id, paper.arxiv_version = arxiv
        paper.links["abs"] = f"https://arxiv.org/abs/{paper.arxiv_id}"
    if doi:
        paper.doi = doi
        paper.links["doi"] = f"https://doi.org/{doi}"
    if url:
        paper.links["url"] = url


READER = CsvTableReader()
