"""Search: keyword (bm25), semantic or hybrid, with the CLI's filters (``paperradar search``).

Every parameter arrives as text and is checked here; a bad value or a query the library
cannot run is said on the page (status 400), with the form kept as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from paperradar.errors import PaperRadarError, UsageError
from paperradar.search import Filters, Hit, parse_since
from paperradar.search.semantic import MODES, has_vectors
from paperradar.search.semantic import search as run_search
from paperradar.store.api import Store
from paperradar.web.deps import Viewer, render, state_of, store_of, viewer_of

router = APIRouter()

MAX_QUERY = 500
MAX_FIELD = 100
MAX_LIMIT = 100


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

    def checked_mode(self) -> str:
        if self.mode not in MODES:
            raise UsageError(f"unknown search mode {self.mode!r}; choose from {', '.join(MODES)}")
        return self.mode


@router.get("/search")
def search_page(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewer_of)],
    store: Annotated[Store, Depends(store_of)],
    q: str = "",
    mode: str = "hybrid",
    since: str = "",
    until: str = "",
    category: str = "",
    source: str = "",
    limit: str = "20",
) -> Response:
    form = SearchForm(
        q.strip(), mode.strip(), since.strip(), until.strip(), category.strip(), source.strip()
    )
    form.limit = limit.strip()
    hits: list[Hit] = []
    problem = note = ""
    status = 200
    try:
        if len(form.q) > MAX_QUERY:
            raise UsageError(f"the query is too long (at most {MAX_QUERY} characters)")
        wanted = form.checked_mode()
        filters = form.filters()
        count = form.checked_limit()
        if form.q:
            embedder = state_of(request).embedder if wanted != "keyword" else None
            if wanted == "hybrid" and embedder and not has_vectors(store, embedder.model_id):
                wanted, embedder = "keyword", None
                note = "no embeddings yet, so keyword results only (run `paperradar embed`)"
            hits = run_search(
                store, form.q, wanted, embedder, count, filters, state_of(request).reranker
            )
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
        hits=hits,
        score_label="score",
        problem=problem,
        note=note,
        searched=bool(form.q) and not problem,
    )
