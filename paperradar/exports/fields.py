"""What every export format takes from a paper: its date, its URL, its venue."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from paperradar.models import Paper


def issued(paper: Paper) -> dt.date | None:
    """The paper's date for a citation: submitted, else listed, else updated."""
    return paper.submitted or paper.listed or paper.updated


def arxiv_abs(arxiv_id: str) -> str:
    return "https://arxiv.org/abs/" + quote(arxiv_id, safe="/.")


def arxiv_pdf(arxiv_id: str) -> str:
    return "https://arxiv.org/pdf/" + quote(arxiv_id, safe="/.")


def doi_url(doi: str) -> str:
    return "https://doi.org/" + quote(doi, safe="/.()-_;:")


def url_of(paper: Paper) -> str | None:
    """The paper's page: its arXiv abstract page, else its own web link, else its DOI."""
    if paper.links.get("abs", "").startswith(("http://", "https://")):
        return paper.links["abs"]
    if paper.arxiv_id:
        return arxiv_abs(paper.arxiv_id)
    for kind in ("url", "html", "home"):
        if paper.links.get(kind, "").startswith(("http://", "https://")):
            return paper.links[kind]
    return doi_url(paper.doi) if paper.doi else None


def venue_of(paper: Paper) -> str:
    """Where the paper was published (its journal reference), '' for a preprint."""
    return " ".join((paper.journal_ref or "").split())


def one_line(text: str) -> str:
    """``text`` with its whitespace, line breaks included, collapsed to single spaces."""
    return " ".join(text.split())
