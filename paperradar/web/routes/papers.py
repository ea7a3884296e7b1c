"""One paper: its metadata, where it was seen, similar papers, and how well it matches each
of the viewer's profiles (scored by the same ranking as the radar, among the papers of its
own listing day, so the score is the one the radar shows for that day), with like, dislike
and save buttons per profile (the cards' form, posted to ``/feedback``), its arXiv, PDF and
DOI links, and its citation ("Cite": a reference line and BibTeX to copy, and
``/papers/ID/cite?format=`` files to download)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, Response

from paperradar.digest import candidate_ids
from paperradar.embedding import Embedder
from paperradar.errors import PaperRadarError, UsageError
from paperradar.exports import FORMATS, cite, export
from paperradar.exports.fields import arxiv_abs, arxiv_pdf, doi_url
from paperradar.models import Paper, Profile, Ranked
from paperradar.radar.profiles import load_profile
from paperradar.radar.ranking import rank
from paperradar.search import Hit
from paperradar.search.semantic import similar
from paperradar.store.api import Store
from paperradar.web.access import profiles_for
from paperradar.web.deps import Viewer, render, state_of, store_of, viewer_of

router = APIRouter()

#: longest paper id accepted in a URL (DOIs are the longest real ones)
MAX_REF = 300
SIMILAR_ON_PAGE = 10


@dataclass(slots=True)
class Link:
    """A link of a paper: a clickable ``href`` only for http(s) URLs, else shown as text."""

    label: str
    url: str
    href: str | None


@dataclass(slots=True)
class Match:
    """How a paper fares for one profile: its ranked entry (score and why) among the
    papers of its day, or a note saying why it is not ranked."""

    profile: str
    entry: Ranked | None = None
    note: str | None = None
    day: dt.date | None = None
    place: int = 0
    among: int = 0
    opinion: str | None = None  # the profile's standing "like" or "dislike" of the paper
    saved: bool = False


def safe_href(url: str) -> str | None:
    """``url`` if it is an http(s) URL a browser cannot read as another scheme, else None
    (``javascript:``, ``data:``, relative paths and anything with control characters)."""
    text = url.strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    return text if text.lower().startswith(("http://", "https://")) else None


def links_of(paper: Paper) -> list[Link]:
    """The paper's own links, then the arXiv and DOI pages its ids give."""
    out = [Link(label, url, safe_href(url)) for label, url in paper.links.items()]
    known = {link.url for link in out}
    if paper.arxiv_id:
        url = "https://arxiv.org/abs/" + quote(paper.arxiv_id, safe="/.")
        if url not in known:
            out.append(Link("arXiv", url, url))
    if paper.doi:
        url = "https://doi.org/" + quote(paper.doi, safe="/.()-_;")
        if url not in known:
            out.append(Link("DOI", url, url))
    return out


def reading_links(paper: Paper) -> list[Link]:
    """Where to read the paper: its arXiv page and PDF (else its own PDF link), its DOI."""
    out: list[Link] = []
    if paper.arxiv_id:
        out += [Link("arXiv", arxiv_abs(paper.arxiv_id), arxiv_abs(paper.arxiv_id))]
        out += [Link("PDF", arxiv_pdf(paper.arxiv_id), arxiv_pdf(paper.arxiv_id))]
    elif paper.links.get("pdf") and safe_href(paper.links["pdf"]):
        out.append(Link("PDF", paper.links["pdf"], safe_href(paper.links["pdf"])))
    if paper.doi:
        out.append(Link("DOI", doi_url(paper.doi), doi_url(paper.doi)))
    return out


def resolve_or_404(store: Store, ref: str) -> int:
    """The row id of a paper by any of its ids; 404 when the store has no such paper."""
    if len(ref) > MAX_REF:
        raise HTTPException(status_code=404, detail="no such paper: the id is too long")
    try:
        return store.papers.resolve(ref)
    except UsageError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


def match_paper(
    store: Store, profile: Profile, embedder: Embedder, row_id: int, paper: Paper
) -> Match:
    """Score ``paper`` for ``profile`` as the radar of the paper's listing (or submission)
    day does: ranked among that day's papers with the digest's scorer."""
    if row_id in profile.papers:
        return Match(profile.name, note="one of this profile's own papers")
    opinion = profile.opinions().get(row_id)
    if opinion:
        return Match(profile.name, note=f"you {opinion}d this paper: it now shapes the ranking")
    day = paper.listed or paper.submitted
    candidates = candidate_ids(store, day, day) if day else []
    if row_id not in candidates:
        candidates.append(row_id)
    try:
        ranked, _ = rank(store, profile, embedder, candidates, explain={row_id})
    except UsageError as exc:
        return Match(profile.name, note=str(exc), day=day)
    for place, entry in enumerate(ranked, start=1):
        if entry.row_id == row_id:
            return Match(profile.name, entry, day=day, place=place, among=len(ranked))
    return Match(profile.name, note="muted by one of this profile's rules", day=day)


def _similar(store: Store, embedder: Embedder, pid: str, limit: int) -> tuple[list[Hit], str]:
    """Similar papers, or none and the library's reason (no embeddings yet, ...)."""
    try:
        return similar(store, embedder, paper_id=pid, limit=limit), ""
    except PaperRadarError as exc:
        return [], str(exc)


def _limit(text: str | None, default: int, most: int) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or not 1 <= int(text) <= most:
        raise HTTPException(status_code=400, detail=f"limit: a number from 1 to {most}: {text!r}")
    return int(text)


@router.get("/papers/{ref:path}/similar")
def similar_page(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewer_of)],
    store: Annotated[Store, Depends(store_of)],
    ref: str,
    limit: str | None = None,
) -> Response:
    row_id = resolve_or_404(store, ref)
    paper = store.papers.load([row_id])[0]
    hits, problem = _similar(
        store, state_of(request).embedder, paper.id or ref, _limit(limit, 20, 100)
    )
    return render(
        request,
        "search.html",
        viewer=viewer,
        form=None,
        similar_to=paper,
        hits=hits,
        score_label="cosine",
        problem=problem,
    )


@router.get("/papers/{ref:path}/cite")
def cite_file(
    viewer: Annotated[Viewer, Depends(viewer_of)],  # logged in (else 401)
    store: Annotated[Store, Depends(store_of)],
    ref: str,
    fmt: Annotated[str, Query(alias="format", max_length=40)] = "bibtex",
) -> Response:
    """The paper's citation: ``text`` (the reference line, shown inline) or a BibTeX, RIS or
    CSL-JSON file to download, named after its citation key."""
    paper = store.papers.load([resolve_or_404(store, ref)])[0]
    citation = cite(paper)
    if fmt == "text":
        return PlainTextResponse(citation.text + "\n")
    found = FORMATS.get(fmt)
    if found is None:
        known = ", ".join(["text", *FORMATS])
        raise HTTPException(status_code=400, detail=f"format: one of {known}: {fmt!r}")
    return Response(
        export([paper], found.name),
        media_type=f"{found.media_type}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{citation.key}.{found.extension}"'},
    )


@router.get("/papers/{ref:path}")
def paper_page(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewer_of)],
    store: Annotated[Store, Depends(store_of)],
    ref: str,
) -> Response:
    row_id = resolve_or_404(store, ref)
    paper = store.papers.load([row_id], with_sightings=True)[0]
    embedder = state_of(request).embedder
    hits, problem = _similar(store, embedder, paper.id or ref, SIMILAR_ON_PAGE)
    matches = []
    for name in profiles_for(store, viewer):
        profile = load_profile(store, name)
        match = match_paper(store, profile, embedder, row_id, paper)
        match.opinion = profile.opinions().get(row_id)
        match.saved = row_id in profile.saved()
        matches.append(match)
    return render(
        request,
        "paper.html",
        viewer=viewer,
        paper=paper,
        links=links_of(paper),
        reading=reading_links(paper),
        citation=cite(paper),
        formats=FORMATS,
        hits=hits,
        problem=problem,
        matches=matches,
    )
