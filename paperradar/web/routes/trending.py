"""What is trending (``paperradar trending``): papers ranked by their sightings, with the
reasons in words. A bad date or limit is said on the page (status 400)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from paperradar.errors import PaperRadarError, UsageError
from paperradar.radar.trending import Trend, trending
from paperradar.search import parse_since
from paperradar.store.api import Store
from paperradar.web.deps import Viewer, render, store_of, viewer_of

router = APIRouter()

MAX_LIMIT = 100
MAX_FIELD = 100


def newest_sighting(store: Store) -> dt.date | None:
    """The newest day any source listed a paper (for "nothing trending" hints)."""
    return store.papers.newest_sighting()


@router.get("/trending")
def trending_page(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewer_of)],
    store: Annotated[Store, Depends(store_of)],
    since: str = "7d",
    until: str = "",
    category: str = "",
    limit: str = "20",
) -> Response:
    form = {
        "since": since.strip() or "7d",
        "until": until.strip(),
        "category": category.strip(),
        "limit": limit.strip() or "20",
    }
    trends: list[Trend] = []
    problem = ""
    status = 200
    start: dt.date | None = None
    newest: dt.date | None = None
    try:
        start = parse_since(form["since"], option="since")
        end = parse_since(form["until"], option="until") if form["until"] else None
        if len(form["category"]) > MAX_FIELD:
            raise UsageError(f"category: at most {MAX_FIELD} characters")
        count = form["limit"]
        if not count.isdigit() or not 1 <= int(count) <= MAX_LIMIT:
            raise UsageError(f"limit: a number from 1 to {MAX_LIMIT}: {count!r}")
        trends = trending(store, start, end, limit=int(count), category=form["category"] or None)
        if not trends:
            newest = newest_sighting(store)
    except PaperRadarError as exc:
        problem = str(exc)
        status = 400 if exc.exit_code == 2 else 500
    return render(
        request,
        "trending.html",
        status=status,
        viewer=viewer,
        form=form,
        trends=trends,
        start=start,
        newest=newest,
        problem=problem,
    )
