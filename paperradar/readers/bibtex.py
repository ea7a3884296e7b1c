"""BibTeX / BibLaTeX as Zotero, Google Scholar, arXiv, DBLP and Semantic Scholar export it.

Field mapping (field names are case-insensitive):

- ``title``, ``abstract`` -> LaTeX turned into Unicode, braces removed, whitespace collapsed.
- ``author`` -> split on the word ``and`` outside braces; ``Last, First``, ``Last, Jr, First``
  and ``First Last`` become ``First Last``; ``{Corporate Name}`` stays whole; ``others`` is
  dropped; DBLP's homonym numbers (``Wei Wang 0001``) are removed.
- ``date`` (BibLaTeX ``YYYY[-MM[-DD]]``, a range keeps its start) or ``year`` + ``month``
  (number, name or the ``jan``..``dec`` macros) -> ``submitted``; a missing month or day is
  the first of the period (see :mod:`._citation`).
- ``doi`` -> ``doi`` (lower-case) and ``links["doi"]``; ``url`` -> ``links`` ("abs"/"pdf"
  for arxiv.org URLs, else "url").
- arXiv id, first found of: ``eprint`` when ``archivePrefix``/``eprinttype`` is arXiv (or
  absent and the eprint is an arXiv id), ``arxivid`` (Mendeley), a ``10.48550/arXiv.*`` DOI,
  an arxiv.org ``url``, ``arXiv:ID`` in ``journal``/``booktitle``/``note``/``howpublished``
  (Google Scholar's "arXiv preprint arXiv:2503.11731", Zotero's "arXiv:2104.05704 [cs]"), and
  Semantic Scholar's ``journal = {ArXiv}, volume = {abs/ID}``. A version suffix -> version.
- ``primaryClass`` / ``eprintclass`` -> ``categories``; ``keywords`` (split on ``,``/``;``)
  -> ``keywords``; ``journal``/``journaltitle``/``booktitle`` -> ``journal_ref`` unless it
  only says "arXiv"/"CoRR"; ``note`` -> ``comment``.
- ``crossref``: a missing booktitle/year/month/date is taken from the referenced entry.
  ``@proceedings`` entries are volumes, not papers, and yield nothing.

A repeated field keeps its first value (BibTeX's rule). An entry with neither title nor
abstract, a bad date, DOI or arXiv eprint, or a syntax error inside it is a bad record at
the line of its ``@``; an entry never closed is a :class:`FormatError` at that line.

Limits: a file holds at most ``limits.MAX_DOCUMENT_CHARS`` characters (it is read whole); a
value, and all ``@string`` expansion of a file, are bounded by :mod:`._bibtex_syntax`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import TextIO

from paperradar import identifiers
from paperradar.models import Paper, Sighting
from paperradar.readers import _citation
from paperradar.readers._bibtex_syntax import BibScanner, Entry, group_end
from paperradar.readers._latex import latex_to_text
from paperradar.readers.base import BadRecord, ReadContext, Record, clean_text, month_number
from paperradar.readers.limits import checked, read_document

_ENTRY_LINE = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(]", re.MULTILINE)
_ENTRY_HEAD = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(][^,={}()\s]*[ \t]*,", re.MULTILINE)
_BIBLATEX_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[/T].*)?$")
#: `and` between names; the lookbehind keeps a long run of spaces from costing its square
_AND = re.compile(r"(?<!\s)\s++and\s+", re.IGNORECASE)
_COMMA = re.compile(r",")
_KEYWORD_SEPARATOR = re.compile(r"[,;]")
_ESCAPED_SPECIAL = re.compile(r"\\([_%&#$~])")
_YEAR = re.compile(r"\d{4}")
_VOLUMES = frozenset(["proceedings", "mvproceedings"])
#: The most characters of a key or a value quoted in a message.
_SHOWN = 80
_INHERITED = ("booktitle", "year", "month", "date")
_ArxivId = tuple[str, int | None]


class _FieldError(ValueError):
    """One field of an entry cannot be read: the entry is a bad record."""


class BibTeXReader:
    name = "bibtex"
    description = "BibTeX / BibLaTeX (.bib) as Zotero, Google Scholar, arXiv and DBLP export it"

    def sniff(self, head: str, filename: str) -> bool:
        stripped = head.lstrip()
        if not stripped or stripped[0] in "{[<":  # JSON and XML are never BibTeX
            return False
        if _ENTRY_HEAD.search(head):
            return True
        is_bib = filename.lower().endswith((".bib", ".bibtex"))
        return is_bib and _ENTRY_LINE.search(head) is not None

    def parse(self, stream: TextIO, ctx: ReadContext) -> Iterator[Record]:
        # The whole text is read at once: BibTeX needs look-ahead (an entry's extent, crossref
        # targets that follow it), and even large libraries are a few megabytes.
        scanner = BibScanner(read_document(stream, ctx.origin, "a BibTeX file"), ctx.origin)
        entries = list(scanner.entries())
        by_key = {entry.key.lower(): entry for entry in entries if entry.key}
        rank = 0
        for entry in entries:
            if entry.kind in _VOLUMES:
                continue
            rank += 1
            yield _record(entry, rank, ctx, by_key)


def _record(entry: Entry, rank: int, ctx: ReadContext, by_key: dict[str, Entry]) -> Record:
    where = f"entry {rank} ({_shown(entry.key)})" if entry.key else f"entry {rank}"
    if entry.error:
        return BadRecord(entry.line, f"{where}: {entry.error}")
    fields = _with_crossref(entry, by_key)
    try:
        paper = _paper(fields)
    except _FieldError as exc:
        return BadRecord(entry.line, f"{where}: {exc}")
    if not paper.title and not paper.abstract:
        return BadRecord(entry.line, f"{where}: no title or abstract")
    paper.sightings.append(Sighting(source=READER.name, locator=ctx.origin, rank=rank))
    return checked(paper, entry.line, f"{where}: ")


def _shown(value: str) -> str:
    """``value`` as a message quotes it: on one line, cut short."""
    value = " ".join(value[: 4 * _SHOWN].split())  # a damaged key can span lines
    return value if len(value) <= _SHOWN else value[:_SHOWN] + "…"


def _with_crossref(entry: Entry, by_key: dict[str, Entry]) -> dict[str, str]:
    target = by_key.get(entry.fields.get("crossref", "").strip().lower())
    if target is None or target is entry:
        return entry.fields
    fields = dict(entry.fields)
    for name in _INHERITED:
        if name not in fields and name in target.fields:
            fields[name] = target.fields[name]
    if "booktitle" not in fields and "journal" not in fields and "title" in target.fields:
        fields["booktitle"] = target.fields["title"]
    return fields


def _paper(fields: dict[str, str]) -> Paper:
    def text(*names: str) -> str:
        for name in names:
            value = fields.get(name)
            value = clean_text(latex_to_text(value)) if value else ""
            if value:
                return value
        return ""

    venue = text("journal", "journaltitle", "booktitle")
    doi = _doi(fields)
    primary = text("primaryclass", "eprintclass")
    note = text("note")
    try:
        arxiv = _arxiv(fields, doi, venue)
        note_version = _citation.arxiv_note_version(note)
    except _FieldError:
        raise
    except ValueError:  # a version number with more digits than int() converts
        raise _FieldError("an arXiv version number is too long") from None
    if arxiv and arxiv[1] is None and note_version:  # Zotero 7: "arXiv:ID [cs] version: 2"
        arxiv = (arxiv[0], note_version)
    return Paper(
        title=text("title"),
        abstract=text("abstract"),
        authors=split_authors(fields.get("author", "")),
        categories=[primary] if primary else [],
        arxiv_id=arxiv[0] if arxiv else None,
        arxiv_version=arxiv[1] if arxiv else None,
        doi=doi,
        links=_links(fields, doi),
        comment=_citation.note_text(note) or None,
        journal_ref=venue if venue and not _citation.is_arxiv_venue(venue) else None,
        keywords=_keywords(text("keywords")),
        submitted=_submitted(fields),
    )


def split_authors(raw: str) -> list[str]:
    """BibTeX ``author`` -> ``["First Last", ...]``."""
    names = []
    for name in _split_depth0(raw, _AND):
        name = name.strip()
        if not name or name.lower() == "others":
            continue
        if name.startswith("{") and group_end(name, 0, len(name)) == len(name) - 1:
            names.append(clean_text(latex_to_text(name)))  # {Corporate Name}
            continue
        parts = [latex_to_text(part) for part in _split_depth0(name, _COMMA)]
        full = _citation.person_name_from_parts(parts)
        if full:
            names.append(full)
    return names


def _split_depth0(text: str, separator: re.Pattern[str]) -> list[str]:
    """Split ``text`` at matches of ``separator`` that lie outside braces."""
    if "{" not in text:
        return separator.split(text)
    pieces, start, depth, counted = [], 0, 0, 0
    for match in separator.finditer(text):
        at = match.start()
        depth += text.count("{", counted, at) - text.count("}", counted, at)
        counted = at
        if depth == 0 and at >= start:
            pieces.append(text[start:at])
            start = match.end()
    pieces.append(text[start:])
    return pieces


def _keywords(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for keyword in _KEYWORD_SEPARATOR.split(text):
        if keyword.strip():
            seen.setdefault(keyword.strip(), None)
    return list(seen)


def _raw(value: str) -> str:
    """A URL or identifier field: braces removed, LaTeX escapes of specials undone."""
    if not value:
        return ""
    value = _ESCAPED_SPECIAL.sub(r"\1", value)
    return "".join(value.replace("{", "").replace("}", "").split())


def _doi(fields: dict[str, str]) -> str | None:
    raw = _raw(fields.get("doi", ""))
    if not raw:
        return None
    doi = identifiers.parse_doi(raw)
    if doi is None:
        raise _FieldError(f"'doi' is not a DOI: {_shown(clean_text(fields['doi']))!r}")
    return doi


def _arxiv(fields: dict[str, str], doi: str | None, venue: str) -> _ArxivId | None:
    found: list[_ArxivId] = []
    eprint = _raw(fields.get("eprint", ""))
    prefix = _raw(fields.get("archiveprefix", "") or fields.get("eprinttype", "")).lower()
    if eprint and prefix in ("arxiv", ""):
        parsed = identifiers.parse_arxiv_id(eprint)
        if parsed is None and prefix == "arxiv":
            raise _FieldError(f"'eprint' is not an arXiv id: {_shown(eprint)!r}")
        found += [parsed] if parsed else []
    mendeley = _raw(fields.get("arxivid", ""))
    if mendeley:
        parsed = identifiers.parse_arxiv_id(mendeley)
        if parsed is None:
            raise _FieldError(f"'arxivid' is not an arXiv id: {_shown(mendeley)!r}")
        found.append(parsed)
    candidates = [_citation.arxiv_from_doi(doi) if doi else None]
    candidates += [_citation.arxiv_in_text(_raw(fields.get("url", "")))]
    for name in ("journal", "booktitle", "note", "howpublished"):
        candidates.append(_citation.arxiv_in_text(latex_to_text(fields.get(name, ""))))
    volume = _raw(fields.get("volume", ""))
    if venue and _citation.is_arxiv_venue(venue) and volume.lower().startswith("abs/"):
        candidates.append(identifiers.parse_arxiv_id(volume[4:]))
    found += [candidate for candidate in candidates if candidate]
    if not found:
        return None
    arxiv_id = found[0][0]
    versions = [version for other, version in found if other == arxiv_id and version]
    return arxiv_id, versions[0] if versions else None


def _links(fields: dict[str, str], doi: str | None) -> dict[str, str]:
    links: dict[str, str] = {}
    url = _raw(fields.get("url", ""))
    if url:
        lowered = url.lower()
        kind = "url"
        if "arxiv.org/abs/" in lowered:
            kind = "abs"
        elif "arxiv.org/pdf/" in lowered:
            kind = "pdf"
        links[kind] = url
    if doi:
        links["doi"] = f"https://doi.org/{doi}"
    return links


def _submitted(fields: dict[str, str]) -> dt.date | None:
    date = clean_text(latex_to_text(fields.get("date", "")))
    if date:
        match = _BIBLATEX_DATE.match(date)
        try:
            if not match:
                raise ValueError
            parts = [int(part) if part else None for part in match.groups()]
            return _citation.partial_date(parts[0] or 0, parts[1], parts[2])
        except ValueError:
            raise _FieldError(f"'date' is not a date: {_shown(date)!r}") from None
    year_text = clean_text(latex_to_text(fields.get("year", "")))
    if not year_text:
        return None
    if not _YEAR.fullmatch(year_text):
        raise _FieldError(f"'year' is not a year: {_shown(year_text)!r}")
    month = _month(clean_text(latex_to_text(fields.get("month", ""))))
    return _citation.partial_date(int(year_text), month)


def _month(text: str) -> int | None:
    text = text.rstrip(".")
    if not text:
        return None
    if text.isdecimal():
        number: int | None = int(text) if len(text) <= 2 else None
    else:
        number = month_number(text) if text.isalpha() else None
    if number is None or not 1 <= number <= 12:
        raise _FieldError(f"'month' is not a month: {_shown(text)!r}")
    return number


READER = BibTeXReader()
