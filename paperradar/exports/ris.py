"""Papers as RIS records, as Zotero, EndNote, Mendeley and paperradar's own reader read them.

One record per paper: ``TY`` (``JOUR`` with a journal, else ``UNPB``, a preprint), ``TI``,
one ``AU`` per author (``Family, Given[, Suffix]``), ``PY`` (the year) and ``DA``
(``YYYY/MM/DD/``), ``JO``, ``DO``, ``UR``, one ``KW`` per keyword, ``AB``, for an arXiv paper
an ``N1`` note ``arXiv:ID [category]`` (Zotero's), and ``ER``. Every value is one line.
"""

from __future__ import annotations

from collections.abc import Sequence

from paperradar.exports.fields import issued, one_line, url_of, venue_of
from paperradar.exports.names import split_name
from paperradar.models import Paper


def ris_name(raw: str) -> str:
    """``Family, Given`` (``Family, Given, Suffix``); a one-word name as it is."""
    name = split_name(raw)
    if name.single:
        return name.family
    if name.suffix:
        return f"{name.family}, {name.given}, {name.suffix}"
    return f"{name.family}, {name.given}"


def record(paper: Paper) -> str:
    """One ``TY`` ... ``ER`` record."""
    venue = venue_of(paper)
    tags: list[tuple[str, str]] = [("TY", "JOUR" if venue else "UNPB")]
    tags.append(("TI", paper.title))
    tags += [("AU", ris_name(author)) for author in paper.authors]
    day = issued(paper)
    if day:
        tags.append(("PY", str(day.year)))
        tags.append(("DA", f"{day.year:04d}/{day.month:02d}/{day.day:02d}/"))
    tags.append(("JO", venue))
    tags.append(("DO", paper.doi or ""))
    tags.append(("UR", url_of(paper) or ""))
    tags += [("KW", keyword) for keyword in paper.keywords]
    tags.append(("AB", paper.abstract))
    if paper.arxiv_id:
        category = f" [{paper.categories[0]}]" if paper.categories else ""
        tags.append(("N1", f"arXiv:{paper.arxiv_id}{category}"))
    lines = [f"{tag}  - {one_line(value)}" for tag, value in tags if one_line(value)]
    return "\n".join([*lines, "ER  - "]) + "\n"


def to_ris(papers: Sequence[Paper]) -> str:
    """The papers as a .ris file."""
    return "\n".join(record(paper) for paper in papers)
