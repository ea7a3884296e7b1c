"""Search: keyword (bm25), semantic or hybrid, with the CLI's filters (``paperradar search``).

Every parameter arrives as text and is checked here; a bad value or a query the library
cannot run is said on the page (status 400), with the form kept as it was. Results are
cards: the abstract's sentence that shares most words with the query (those words marked),
like / dislike / save buttons for the viewer's first profile, and pages of ``limit`` results
(``offset``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from paperradar.errors import PaperRadarError, UsageError
from paperradar.models import Paper, Profile
from paperradar.radar.profiles import load_profile
from paperradar.search import Filters, Hit, parse_since
from paperradar.search.semantic import MODES, has_vectors
from paperradar.search.semantic import search as run_search
from paperradar.store.api import Store
from paperradar.web.access import profiles_for
from paperradar.web.deps import Viewer, render, state_of, store_of, viewer_of
from paperradar.web.routes.radar import Card, Segments, card_for

router = APIRouter()

MAX_QUERY = 500
MAX_FIELD = 100
MAX_LIMIT = 100
#: the furthest a results page starts
MAX_OFFSET = 900
#: a snippet's length when no sentence matches the query (and the most a sentence shows)
SNIPPET = 250
#: words too common to mark in a snippet
_COMMON = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of"}
    | {"on", "or", "the", "to", "with", "we", "our", "this", "that"}
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORDS = re.compile(r"\w+", re.UNICODE)


@dataclass(slots=True)
class SearchForm:
    """The search form's fields, as given (so the page shows them back)."""

    q: str = ""
    mode: str = "hybrid"
    since: str = ""
    until: str = ""
    category: str = ""
    source: str = ""
    limit: str = "20"
    offset: str = ""

    def filters(self) -> Filters:
        """The library's filters; UsageError for a bad date or field."""
        for label, value in (("category", self.category), ("source", self.source)):
            if len(value) > MAX_FIELD:
                raise UsageError(f"{label}: at most {MAX_FIELD} characters")
        return Filters(
            since=parse_since(self.since, option="since") if self.since else None,
            until=parse_since(self.until, option="until") if self.until else None,
            category=self.category or None,
            source=self.source or None,
        )

    def checked_limit(self) -> int:
        text = self.limit or "20"
        if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
            raise UsageError(f"limit: a number from 1 to {MAX_LIMIT}: {self.limit!r}")
        return int(text)

    def checked_offset(self) -> int:
        text = self.offset or "0"
        if not text.isdigit() or int(text) > MAX_OFFSET:
            raise UsageError(f"offset: a number from 0 to {MAX_OFFSET}: {self.offset!r}")
        return int(text)

    def url(self, offset: int) -> str:
        """This search's URL, starting at result ``offset`` (0-based)."""
        fields = {
            "q": self.q,
            "mode": self.mode,
            "since": self.since,
            "until": self.until,
            "category": self.category,
            "source": self.source,
            "limit": self.limit,
        }
        query = {k: v for k, v in fields.items() if v} | ({"offset": str(offset)} if offset else {})
        return "/search?" + urlencode(query)

    def checked_mode(self) -> str:
        if self.mode not in MODES:
            raise UsageError(f"unknown search mode {self.mode!r}; choose from {', '.join(MODES)}")
        return self.mode


def snippet(abstract: str, query: str) -> Segments:
    """The abstract's sentence sharing most words with the query (its first
    :data:`SNIPPET` characters when none does), cut to about :data:`SNIPPET` characters,
    split into pieces with the query's words marked."""
    wanted = {w for w in _WORDS.findall(query.lower()) if w not in _COMMON and len(w) > 1}
    sentences = [s for s in _SENTENCE.split(" ".join(abstract.split())) if s]
    if not sentences:
        return []

    def hits(sentence: str) -> int:
        return len(wanted & {w.lower() for w in _WORDS.findall(sentence)})

    best = max(sentences, key=hits)
    text = best if hits(best) else sentences[0]
    if hits(best) == 0 or len(text) > SNIPPET:
        cut = text[:SNIPPET].rsplit(" ", 1)[0] if len(text) > SNIPPET else text
        text = cut + ("…" if len(cut) < len(text) else "")
    pieces: Segments = []
    at = 0
    for match in _WORDS.finditer(text):
        if match.group().lower() in wanted:
            if match.start() > at:
                pieces.append((text[at : match.start()], False))
            pieces.append((match.group(), True))
            at = match.end()
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces


def result_cards(store: Store, hits: list[Hit], query: str, profile: Profile | None) -> list[Card]:
    """Cards for search results: score, snippet, and the profile's buttons and their state."""
    row_ids = store.papers.by_alias([h.paper.id for h in hits if h.paper.id])
    cards = []
    for hit in hits:
        paper: Paper = hit.paper
        row_id = row_ids.get(paper.id or "")
        card = card_for(paper, row_id or 0, profile if row_id else None)
        card.snippet = snippet(paper.abstract or "", query)
        passage = "".join(text for text, _ in card.snippet)
        if paper.abstract and passage != " ".join(paper.abstract.split()):
            card.whole = [(paper.abstract, False)]
        card.score = hit.score
        cards.append(card)
    return cards


def _hits(
    request: Request, store: Store, q: str, mode: str, limit: int, filters: Filters
) -> tuple[list[Hit], str]:
    """The search's first ``limit`` hits, and a note when hybrid fell back to keywords."""
    embedder = state_of(request).embedder if mode != "keyword" else None
    note = ""
    if mode == "hybrid" and embedder and not has_vectors(store, embedder.model_id):
        mode, embedder = "keyword", None
        note = "no embeddings yet, so keyword results only (run `paperradar embed`)"
    hits = run_search(store, q, mode, embedder, limit, filters, state_of(request).reranker)
    return hits, note


def search_form(
    q: str = "",
    mode: str = "hybrid",
    since: str = "",
    until: str = "",
    category: str = "",
    source: str = "",
    limit: str = "20",
    offset: str = "",
) -> SearchForm:
    """The search's query fields, as given (stripped), for the page and its export."""
    form = SearchForm(
        q.strip(), mode.strip(), since.strip(), until.strip(), category.strip(), source.strip()
    )
    form.limit, form.offset = limit.strip(), offset.strip()
    return form


FormDep = Annotated[SearchForm, Depends(search_form)]


@router.get("/search/export")
def search_export(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewer_of)],
    store: Annotated[Store, Depends(store_of)],
    form: FormDep,
    fmt: Annotated[str, Query(alias="format", max_length=40)] = "bibtex",
) -> Response:
    """The papers of one page of search results as a BibTeX, RIS or CSL-JSON file."""
    from paperradar.web.routes.saved import download, export_format_or_400

    chosen = export_format_or_400(fmt)
    try:
        if not form.q or len(form.q) > MAX_QUERY:
            raise UsageError(f"q: a query of 1 to {MAX_QUERY} characters")
        wanted, filters = form.checked_mode(), form.filters()
        count, start = form.checked_limit(), form.checked_offset()
        hits, _ = _hits(request, store, form.q, wanted, start + count, filters)
    except PaperRadarError as exc:
        status = 400 if exc.exit_code == 2 else 500
        raise HTTPException(status_code=status, detail=str(exc)) from None
    return download([h.paper for h in hits[start:]], chosen, "paperradar-search")


@router.get("/search")
def search_page(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewer_of)],
    store: Annotated[Store, Depends(store_of)],
    form: FormDep,
) -> Response:
    cards: list[Card] = []
    problem = note = ""
    status = 200
    start = count = 0
    more = False
    try:
        if len(form.q) > MAX_QUERY:
            raise UsageError(f"the query is too long (at most {MAX_QUERY} characters)")
        wanted = form.checked_mode()
        filters = form.filters()
        count = form.checked_limit()
        start = form.checked_offset()
        if form.q:
            # one more than the page, to know whether a next page exists
            hits, note = _hits(request, store, form.q, wanted, start + count + 1, filters)
            more = len(hits) > start + count
            names = profiles_for(store, viewer)
            profile = load_profile(store, names[0]) if names else None
            cards = result_cards(store, hits[start : start + count], form.q, profile)
    except PaperRadarError as exc:
        problem = str(exc)
        status = 400 if exc.exit_code == 2 else 500
    return render(
        request,
        "search.html",
        status=status,
        viewer=viewer,
        form=form,
        modes=MODES,
        cards=cards,
        start=start,
        previous=form.url(max(0, start - count)) if start and cards else None,
        next=form.url(start + count) if more and start + count <= MAX_OFFSET else None,
        export=form.url(start).replace("/search?", "/search/export?", 1),
        problem=problem,
        note=note,
        searched=bool(form.q) and not problem,
    )
