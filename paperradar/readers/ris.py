"""RIS as Zotero, Mendeley, EndNote and Scopus export it: ``TY  - JOUR`` ... ``ER  - ``.

A line is ``XX  - value`` (a two-character tag, one or two spaces, a hyphen); any other
non-blank line inside a record continues the previous field (Zotero itself reads wrapped
titles and abstracts that way). Blank lines and text between records are ignored.

Tag mapping:

- ``TI`` (else ``T1``) -> title; ``AB`` (else ``N2``) -> abstract.
- ``AU`` and ``A1`` -> authors, ``Last, First`` (or ``Last,First``, ``Last, First, Suffix``)
  -> ``First Last``. ``A2`` is the *secondary* author (an editor in Zotero's mapping): it is
  used only when a record has no ``AU``/``A1`` at all.
- ``DA``, ``PY``, ``Y1`` (``YYYY/MM/DD/other``, ``YYYY///``, ``YYYY``, ISO ``YYYY-MM-DD``,
  ``2017 Mar 14``, ``March 2017``) -> submitted: the most precise of them wins (``DA`` on a
  tie); a missing month or day is the first of the period (see :mod:`._citation`).
- ``DO`` -> doi (and ``links["doi"]``); ``UR`` -> links ("abs"/"pdf" for arxiv.org, else
  "url": the first one); ``KW`` (one keyword a line, ``;`` also splits) -> keywords.
- ``JF`` (else ``T2``, ``JO``) -> journal_ref, unless it only says "arXiv"/"CoRR".
- ``N1`` -> comment (HTML tags, as Zotero writes notes, are removed; several are joined
  with "; ").
- arXiv id from a ``10.48550/arXiv.*`` DOI, then ``arXiv:ID`` or an arxiv.org URL in ``UR``,
  ``ID``, ``N1``, ``AN``, ``M1``, ``T2``/``JO``/``JF``; a ``vN`` suffix gives the version.

A record with neither title nor abstract, or with a bad date or DOI, is a bad record at its
``TY`` line. An ``ER`` with no open record, a ``TY`` inside an open record, a tag outside any
record, or a record still open at the end of the file is a :class:`FormatError` there.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TextIO

from paperradar import identifiers
from paperradar.errors import FormatError
from paperradar.models import Paper, Sighting
from paperradar.readers import _citation
from paperradar.readers.base import BadRecord, ReadContext, Record, clean_text, month_number
from paperradar.readers.limits import checked, shown

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*))?$")
_SNIFF = re.compile(r"^TY {1,2}- ")
_NUMERIC_DATE = re.compile(r"^(\d{4})(?:[/-](\d{0,2})(?:[/-](\d{0,2}))?)?(?:[/T-].*)?$")
_YEAR_MONTH_DAY = re.compile(r"^(\d{4}),?\s+([A-Za-z]+)\.?(?:\s+(\d{1,2}))?$")
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]+)\.?(?:\s+(\d{1,2}),?)?\s+(\d{4})$")
_HTML_TAG = re.compile(r"<[^>]+>")
_DATE_TAGS = ("DA", "PY", "Y1")
_ARXIV_TEXT_TAGS = ("UR", "ID", "N1", "AN", "M1", "T2", "JO", "JF")


@dataclass(slots=True)
class _Record:
    line: int
    tags: dict[str, list[str]] = field(default_factory=dict)

    def first(self, *tags: str) -> str:
        for tag in tags:
            for value in self.tags.get(tag, []):
                if clean_text(value):
                    return clean_text(value)
        return ""

    def all(self, *tags: str) -> list[str]:
        return [clean_text(v) for tag in tags for v in self.tags.get(tag, []) if clean_text(v)]


class _FieldError(ValueError):
    """One tag of a record cannot be read: the record is a bad record."""


class RISReader:
    name = "ris"
    description = "RIS (.ris) as Zotero, Mendeley, EndNote and Scopus export it"

    def sniff(self, head: str, filename: str) -> bool:
        lines = [line for line in head.splitlines() if line.strip()]
        if lines and _SNIFF.match(lines[0].lstrip()):
            return True
        is_ris = filename.lower().endswith(".ris")
        return is_ris and any(_SNIFF.match(line) for line in lines[:10])

    def parse(self, stream: TextIO, ctx: ReadContext) -> Iterator[Record]:
        for rank, record in enumerate(_records(stream, ctx.origin), start=1):
            yield _convert(record, rank, ctx)


def _records(stream: TextIO, origin: str) -> Iterator[_Record]:
    """Group the lines into records, checking the TY/ER structure."""
    record: _Record | None = None
    last: list[str] | None = None  # the value list the previous tag line appended to
    for number, raw in enumerate(stream, start=1):
        line = raw.rstrip("\r\n")
        match = _TAG_LINE.match(line.strip())
        if not match:
            if record is not None and last is not None and line.strip():
                last[-1] += " " + line.strip()  # a continuation line
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag == "TY":
            if record is not None:
                reason = f"record starting at line {record.line} has no 'ER  - ' before this 'TY'"
                raise FormatError(origin, number, reason)
            record, last = _Record(line=number), None
        elif record is None:
            what = "'ER  - ' without a record" if tag == "ER" else f"tag '{tag}' outside a record"
            raise FormatError(origin, number, f"{what} (no 'TY  - ' line opens it)")
        elif tag == "ER":
            yield record
            record, last = None, None
        else:
            last = record.tags.setdefault(tag, [])
            last.append(value)
    if record is not None:
        raise FormatError(origin, record.line, "record is not closed by 'ER  - ' at end of file")


def _convert(record: _Record, rank: int, ctx: ReadContext) -> Record:
    where = f"record {rank}"
    try:
        paper = _paper(record)
    except _FieldError as exc:
        return BadRecord(record.line, f"{where}: {exc}")
    if not paper.title and not paper.abstract:
        return BadRecord(record.line, f"{where}: no title (TI/T1) or abstract (AB/N2)")
    paper.sightings.append(Sighting(source=READER.name, locator=ctx.origin, rank=rank))
    return checked(paper, record.line, f"{where}: ")


def _paper(record: _Record) -> Paper:
    doi = _doi(record)
    arxiv = _arxiv(record, doi)
    venue = record.first("JF", "T2", "JO")
    names = record.all("AU", "A1") or record.all("A2")
    notes = [_citation.note_text(_HTML_TAG.sub(" ", note)) for note in record.all("N1")]
    return Paper(
        title=record.first("TI", "T1"),
        abstract=record.first("AB", "N2"),
        authors=[name for name in map(_citation.person_name, names) if name],
        arxiv_id=arxiv[0] if arxiv else None,
        arxiv_version=arxiv[1] if arxiv else None,
        doi=doi,
        links=_links(record, doi),
        comment="; ".join(note for note in notes if note) or None,
        journal_ref=venue if venue and not _citation.is_arxiv_venue(venue) else None,
        keywords=_keywords(record.all("KW")),
        submitted=_submitted(record),
    )


def _doi(record: _Record) -> str | None:
    raw = record.first("DO")
    if not raw:
        return None
    doi = identifiers.parse_doi(raw)
    if doi is None:
        raise _FieldError(f"'DO' is not a DOI: {shown(raw)}")
    return doi


def _arxiv(record: _Record, doi: str | None) -> tuple[str, int | None] | None:
    found = [_citation.arxiv_from_doi(doi)] if doi else []
    found += [_citation.arxiv_in_text(value) for value in record.all(*_ARXIV_TEXT_TAGS)]
    hits = [hit for hit in found if hit]
    if not hits:
        return None
    arxiv_id = hits[0][0]
    versions = [version for other, version in hits if other == arxiv_id and version]
    return arxiv_id, versions[0] if versions else None


def _links(record: _Record, doi: str | None) -> dict[str, str]:
    links: dict[str, str] = {}
    for url in record.all("UR"):
        lowered = url.lower()
        kind = "url"
        if "arxiv.org/abs/" in lowered:
            kind = "abs"
        elif "arxiv.org/pdf/" in lowered or lowered.endswith(".pdf"):
            kind = "pdf"
        links.setdefault(kind, url)
    if doi:
        links["doi"] = f"https://doi.org/{doi}"
    return links


def _keywords(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        for keyword in value.split(";"):
            if keyword.strip():
                seen.setdefault(keyword.strip(), None)
    return list(seen)


def _submitted(record: _Record) -> dt.date | None:
    best: tuple[int, dt.date] | None = None
    for tag in _DATE_TAGS:
        for value in record.all(tag):
            parsed = _parse_date(value)
            if parsed is None:
                raise _FieldError(f"'{tag}' is not a date: {shown(value)}")
            if best is None or parsed[0] > best[0]:
                best = parsed
    return best[1] if best else None


def _parse_date(text: str) -> tuple[int, dt.date] | None:
    """``(precision, date)`` with precision 1 (year) to 3 (day); None when not a date."""
    numeric = _NUMERIC_DATE.match(text)
    if numeric:
        year, month, day = (int(part) if part else None for part in numeric.groups())
    elif match := _YEAR_MONTH_DAY.match(text):
        year, month, day = int(match[1]), month_number(match[2]), _int(match[3])
    elif match := _MONTH_DAY_YEAR.match(text):
        year, month, day = int(match[3]), month_number(match[1]), _int(match[2])
        if month is None:
            return None
    else:
        return None
    if month is None:
        day = None  # "2017//14/" names no day
    try:
        date = _citation.partial_date(year or 0, month, day)
    except ValueError:
        return None
    return 1 + (month is not None) + (day is not None), date


def _int(text: str | None) -> int | None:
    return int(text) if text else None


READER = RISReader()
