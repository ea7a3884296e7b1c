"""One paper's citation: a plain-text reference in an APA-like style, and its BibTeX entry.

The text: ``Family, G., & Other, G. (2026). Title. Venue. https://doi.org/...``; up to 20
authors are named (more: the first 19, "...", the last); the venue is the journal
reference, else ``arXiv preprint arXiv:ID``; the link is the DOI, else the paper's page.
"""

from __future__ import annotations

from dataclasses import dataclass

from paperradar.exports.bibtex import entry
from paperradar.exports.fields import doi_url, issued, one_line, url_of, venue_of
from paperradar.exports.keys import citation_keys
from paperradar.exports.names import initials, split_name
from paperradar.models import Paper

MAX_NAMED = 20


@dataclass(frozen=True, slots=True)
class Citation:
    """What a "Cite" button shows."""

    key: str
    text: str
    bibtex: str


def _author(raw: str) -> str:
    name = split_name(raw)
    if name.single:
        return name.family
    short = initials(name.given)
    out = f"{name.family}, {short}" if short else name.family
    return f"{out}, {name.suffix}" if name.suffix else out


def _authors(names: list[str]) -> str:
    parts = [_author(n) for n in names]
    if len(parts) > MAX_NAMED:
        return ", ".join(parts[: MAX_NAMED - 1]) + ", ... " + parts[-1]
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + ", & " + parts[-1]


def _sentence(text: str) -> str:
    text = one_line(text)
    return text if not text or text[-1] in ".?!" else text + "."


def citation_text(paper: Paper) -> str:
    """The APA-like one-line reference."""
    day = issued(paper)
    year = f"({day.year})." if day else "(n.d.)."
    title = _sentence(paper.title or paper.id or "")
    pieces = [_sentence(_authors(paper.authors)), year, title] if paper.authors else [title, year]
    venue = venue_of(paper)
    if venue:
        pieces.append(_sentence(venue))
    elif paper.arxiv_id:
        pieces.append(f"arXiv preprint arXiv:{paper.arxiv_id}.")
    link = doi_url(paper.doi) if paper.doi else url_of(paper)
    if link:
        pieces.append(link)
    return " ".join(piece for piece in pieces if piece)


def cite(paper: Paper) -> Citation:
    """The paper's citation key, reference text and BibTeX entry."""
    key = citation_keys([paper])[0]
    return Citation(key, citation_text(paper), entry(paper, key))
