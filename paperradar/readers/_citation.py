"""What the citation-manager readers (BibTeX, RIS) share: names, partial dates, arXiv ids.

Date rule, the same in both readers: a reference manager often knows only a year, or a year
and a month. ``submitted`` then becomes the *first day of the stated period*: year and month
-> the 1st of that month, a year alone -> 1 January of that year. Always the earliest date
the source allows, so ``--since`` filters never drop a paper the source dated inside the
window, and the rule is the same whichever field the date came from.
"""

from __future__ import annotations

import datetime as dt
import re

from paperradar import identifiers

_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_ARXIV_IN_TEXT = re.compile(
    r"arxiv(?:\.org/(?:abs|pdf|html)/|\s*:\s*|\s+)"
    r"(\d{4}\.\d{4,5}(?:v\d+)?|[a-z\-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)",
    re.IGNORECASE,
)
_ARXIV_NOTE = re.compile(r"^arxiv:\s*\S+(?:\s*\[[^\]]*\])?(?:\s*version:\s*(\d+))?$", re.IGNORECASE)
_COMMENT_LABEL = re.compile(r"^comments?:\s*", re.IGNORECASE)
_HOMONYM_NUMBER = re.compile(r"\s+\d{4}$")  # DBLP's "Wei Wang 0001"
_ARXIV_VENUES = frozenset(
    ["arxiv", "corr", "arxiv preprint", "arxiv e-prints", "arxiv.org", "preprint"]
)


def partial_date(year: int, month: int | None = None, day: int | None = None) -> dt.date:
    """The first day of the period a (year, month, day) prefix names; ValueError if invalid
    (numbers too large for a date included)."""
    try:
        return dt.date(year, month or 1, day or 1)
    except OverflowError:
        raise ValueError(f"not a date: {year}-{month or 1}-{day or 1}") from None


def person_name(name: str) -> str:
    """RIS order: ``"Last, First"`` / ``"Last, First, Suffix"`` / ``"First Last"`` ->
    ``"First Last [Suffix]"``."""
    parts = name.split(",")
    if len(parts) >= 3:
        parts = [parts[0], parts[2], parts[1]]  # to BibTeX's (Last, Jr, First)
    return person_name_from_parts(parts)


def person_name_from_parts(parts: list[str]) -> str:
    """A name from its BibTeX parts: (Last, First), (Last, Jr, First) or (Full)."""
    parts = [part.strip() for part in parts]
    if len(parts) == 2 and parts[1]:
        name = f"{parts[1]} {parts[0]}"
    elif len(parts) >= 3 and parts[2]:
        name = f"{parts[2]} {parts[0]} {parts[1]}"
    else:
        name = parts[0]
    return _HOMONYM_NUMBER.sub("", " ".join(name.split()))


def is_arxiv_venue(venue: str) -> bool:
    """True for a 'journal' that only says the paper is an arXiv preprint."""
    text = " ".join(venue.lower().split())
    return text in _ARXIV_VENUES or arxiv_in_text(venue) is not None


def arxiv_from_doi(doi: str) -> tuple[str, int | None] | None:
    """The arXiv id of an arXiv-minted DOI (``10.48550/arXiv.2503.11731``)."""
    match = _ARXIV_DOI.match(doi.strip())
    return identifiers.parse_arxiv_id(match.group(1)) if match else None


def arxiv_in_text(text: str) -> tuple[str, int | None] | None:
    """An arXiv id written as ``arXiv:ID``, ``arXiv: ID``, ``arXiv ID`` or an arxiv.org URL.

    A bare number is not taken: in free text it could be anything.
    """
    match = _ARXIV_IN_TEXT.search(text)
    return identifiers.parse_arxiv_id(match.group(1)) if match else None


def note_text(note: str) -> str:
    """A note as a comment: whitespace collapsed, Zotero's ``Comment:`` label removed, and
    empty when the note only repeats the arXiv id (see :func:`arxiv_note_version`)."""
    text = " ".join(note.split())
    if arxiv_note_version(text) is not None:
        return ""
    return _COMMENT_LABEL.sub("", text)


def arxiv_note_version(note: str) -> int | None:
    """For Zotero's automatic note ``arXiv:2104.05704 [cs]`` (Zotero 7 adds a line
    ``version: 2``): 0, or the version it names. None when the note is anything else.

    Such a note only repeats the arXiv id, so it is no comment on the paper.
    """
    match = _ARXIV_NOTE.match(" ".join(note.split()))
    if not match:
        return None
    return int(match.group(1)) if match.group(1) else 0
