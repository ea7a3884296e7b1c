"""What is trending (``paperradar trending``): papers ranked by their sightings, with the
reasons in words. A bad date or limit is said on the page (status 400). The answers come
from the app's :class:`~paperradar.radar.trending.TrendingCache`, kept until the store
changes: a page seen again costs no scan of the sightings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from paperradar.errors import PaperRadarError, UsageError
from paperradar.radar.trending import Trend
from paperradar.search import parse_since
from paperradar.web.deps import Viewer, render, state_of, viewer_of

router = APIRouter()

MAX_LIMIT = 100
MAX_FIELD = 100


@router.get("/trending")
def trending_page(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewer_of)],
    since: str = "",
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
    moved: tuple[dt.date, dt.date, dt.date] | None = None
    reason = ""
    cache = state_of(request).trending
    try:
        start = parse_since(form["since"], option="since")
        end = parse_since(form["until"], option="until") if form["until"] else None
        if len(form["category"]) > MAX_FIELD:
            raise UsageError(f"category: at most {MAX_FIELD} characters")
        count = form["limit"]
        if not count.isdigit() or not 1 <= int(count) <= MAX_LIMIT:
            raise UsageError(f"limit: a number from 1 to {MAX_LIMIT}: {count!r}")
        if not since.strip() and not form["until"]:  # the default window: show the newest days
            latest = cache.latest_window(start)
            if latest:
                moved = (start, *latest)
                start, end = latest
        cat = form["category"] or None
        trends = cache.trending(start, end, limit=int(count), category=cat)
        if not trends:
            reason = cache.empty_reason(start, end, cat)
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
        moved=moved,
        reason=reason,
        problem=problem,
    )
