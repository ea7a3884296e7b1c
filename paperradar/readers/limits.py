"""The limits every reader keeps, and the last check of a record before a reader yields it.

- :data:`MAX_RECORD_CHARS`: no line of a line-based format, JSON record, run of XML text or
  field may be longer; the reading layer refuses it before memory grows with it.
- :data:`MAX_DOCUMENT_CHARS`: a format read whole (a JSON document, a listing page) may not
  be longer (:func:`read_document`).
- :data:`MAX_JSON_DEPTH`: JSON nested deeper is refused (Python's own decoder would raise
  RecursionError a little beyond 900 levels).
- Whole numbers a paper carries (upvotes, author count, arXiv version, sighting rank) must fit
  the store's 64-bit integers.
- A lone UTF-16 surrogate (JSON's ``"\\ud800"`` escape without its pair) cannot be stored as
  UTF-8: :func:`vet` replaces it with U+FFFD, the Unicode replacement character.

docs/formats.md ("Limits and bad input") states the same for users.
"""

from __future__ import annotations

import re
import reprlib
from typing import TextIO

from paperradar.errors import FormatError
from paperradar.models import Paper, Sighting
from paperradar.readers.base import BadRecord, Record

#: The longest line, JSON record, run of XML text or field, in characters (8 MiB).
MAX_RECORD_CHARS = 8 * 1024 * 1024
#: The most text of a format that is read whole (a JSON document, a listing page), in
#: characters (64 MiB, as BibTeX's): its reader holds about twice that in memory.
MAX_DOCUMENT_CHARS = 64 * 1024 * 1024
_DOCUMENT_CHUNK = 1 << 20
#: The deepest nesting of JSON arrays and objects accepted.
MAX_JSON_DEPTH = 512
#: The range of the store's integers (SQLite: 64-bit signed).
INT_MIN, INT_MAX = -(2**63), 2**63 - 1

_SURROGATE = re.compile("[\ud800-\udfff]")
_TEXTS = ("title", "abstract", "arxiv_id", "doi", "s2_id", "hf_id")
_OPTIONAL_TEXTS = ("organisation", "comment", "journal_ref")
_LISTS = ("authors", "categories", "keywords", "aliases")
_NUMBERS = ("author_count", "arxiv_version", "upvotes")

_SHOWN = reprlib.Repr()
_SHOWN.maxstring = 200
_SHOWN.maxother = 80
_SHOWN.maxlong = 40
_SHOWN.maxlist = _SHOWN.maxdict = _SHOWN.maxtuple = 6
_SHOWN.maxlevel = 3


def shown(value: object) -> str:
    """``repr(value)``, cut short: a message never carries a whole huge value."""
    try:
        return _SHOWN.repr(value)
    except ValueError:  # an int with more digits than Python converts to text
        return "<a number too long to show>"


def read_document(stream: TextIO, origin: str, kind: str) -> str:
    """The rest of ``stream``, for a reader that needs its document whole; over
    :data:`MAX_DOCUMENT_CHARS` it is refused before memory grows further."""
    chunks: list[str] = []
    held = 0
    while chunk := stream.read(_DOCUMENT_CHUNK):  # one big read() peaks at many times its size
        held += len(chunk)
        if held > MAX_DOCUMENT_CHARS:
            raise FormatError(
                origin,
                None,
                f"over {MAX_DOCUMENT_CHARS >> 20} MiB of text: {kind} is read whole; split it",
            )
        chunks.append(chunk)
    return "".join(chunks)


def too_long(what: str, size: int) -> str:
    """The reason for a line, record or field over :data:`MAX_RECORD_CHARS`."""
    return f"{what} is longer than {MAX_RECORD_CHARS:,} characters (8 MiB): {size:,} or more"


def vet(paper: Paper) -> str | None:
    """Make ``paper`` storable: lone surrogates in its text become U+FFFD. Returns why it
    cannot be stored (a field over :data:`MAX_RECORD_CHARS`, a number beyond 64 bits), or
    None."""
    if _plain(paper):
        return None
    return _vet_each(paper)


def _plain(paper: Paper) -> bool:
    """The common case, checked in C loops: all text ASCII and short, numbers in range."""
    texts = [paper.title, paper.abstract]
    for text in (paper.arxiv_id, paper.doi, paper.s2_id, paper.hf_id, paper.organisation):
        if text:
            texts.append(text)
    for text in (paper.comment, paper.journal_ref):
        if text:
            texts.append(text)
    for values in (paper.authors, paper.categories, paper.keywords, paper.aliases):
        texts += values
    texts += paper.links.keys()
    texts += paper.links.values()
    for sighting in paper.sightings:
        texts += (sighting.source, sighting.locator, sighting.kind or "")
        if not (_fits(sighting.rank) and _fits(sighting.upvotes)):
            return False
    return (
        all(map(str.isascii, texts))
        and max(map(len, texts), default=0) <= MAX_RECORD_CHARS
        and _fits(paper.author_count)
        and _fits(paper.arxiv_version)
        and _fits(paper.upvotes)
    )


def _vet_each(paper: Paper) -> str | None:
    for name in (*_TEXTS, *_OPTIONAL_TEXTS):
        value = getattr(paper, name)
        if value is not None:
            if len(value) > MAX_RECORD_CHARS:
                return too_long(f"'{name}'", len(value))
            if not value.isascii():
                setattr(paper, name, _SURROGATE.sub("\ufffd", value))
    for name in _LISTS:
        values = getattr(paper, name)
        for i, value in enumerate(values):
            if len(value) > MAX_RECORD_CHARS:
                return too_long(f"'{name}' entry {i + 1}", len(value))
            if not value.isascii():
                values[i] = _SURROGATE.sub("\ufffd", value)
    if paper.links and not all(k.isascii() and v.isascii() for k, v in paper.links.items()):
        paper.links = {_text(k): _text(v) for k, v in paper.links.items()}
    for name in _NUMBERS:
        if not _fits(getattr(paper, name)):
            return f"'{name}' is out of range (a whole number of at most 64 bits)"
    for sighting in paper.sightings:
        reason = _vet_sighting(sighting)
        if reason:
            return reason
    return None


def checked(record: Record, line: int | None, label: str = "") -> Record:
    """A paper once :func:`vet` passes it, else a bad record at ``line`` (``label``, such as
    "item 3: ", prefixes the reason); a bad record as it is."""
    if isinstance(record, BadRecord):
        return record
    reason = vet(record)
    return record if reason is None else BadRecord(line, label + reason)


def _vet_sighting(sighting: Sighting) -> str | None:
    for name in ("rank", "upvotes"):
        if not _fits(getattr(sighting, name)):
            return f"the sighting's '{name}' is out of range (a whole number of at most 64 bits)"
    sighting.source = _text(sighting.source)
    sighting.locator = _text(sighting.locator)
    if sighting.kind is not None:
        sighting.kind = _text(sighting.kind)
    return None


def _text(value: str) -> str:
    return value if value.isascii() else _SURROGATE.sub("\ufffd", value)


def _fits(value: int | None) -> bool:
    return value is None or INT_MIN <= value <= INT_MAX
