"""The topic map of a profile: an SVG drawn on the server (no script).

The library (:mod:`paperradar.radar.topic_map`) projects and clusters; this module only scales the
points into the picture.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from paperradar.radar.topic_map import KINDS, MapPoint, TopicMap, topic_map
from paperradar.store.api import Store
from paperradar.web.access import profiles_for, require_profile
from paperradar.web.deps import Viewer, render, state_of, store_of, viewer_of
from paperradar.web.routes.profiles import paper_href

router = APIRouter()

WIDTH, HEIGHT, MARGIN = 800, 520, 20
#: drawing order: candidates below, own papers on top
_LAYER = {"candidate": 0, "liked": 1, "own": 2}
KIND_LABELS = {"own": "own papers", "liked": "liked papers", "candidate": "candidates"}


@router.get("/map")
def map_page(
    request: Request,
    store: Annotated[Store, Depends(store_of)],
    viewer: Annotated[Viewer, Depends(viewer_of)],
    profile: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    allowed = profiles_for(store, viewer)
    if profile is None and not allowed:
        return render(request, "map.html", viewer=viewer, profiles=[], tmap=None, points=[])
    name = require_profile(store, viewer, profile or None)
    tmap = topic_map(store, name, state_of(request).embedder)
    return render(
        request,
        "map.html",
        viewer=viewer,
        profiles=allowed,
        tmap=tmap,
        points=layout(tmap.points),
        legend=_legend(tmap),
        width=WIDTH,
        height=HEIGHT,
    )


def layout(points: list[MapPoint]) -> list[dict[str, Any]]:
    """The points scaled into the picture (y grows downwards), in drawing order."""
    if not points:
        return []
    xs = [p.x for p in points]
    ys = [p.y for p in points]
    out = []
    for p in sorted(points, key=lambda p: _LAYER[p.kind]):
        out.append(
            {
                "pid": p.pid,
                "href": paper_href(p.pid),
                "title": p.title,
                "kind": p.kind,
                "cluster": p.cluster,
                "x": round(_scale(p.x, min(xs), max(xs), MARGIN, WIDTH - MARGIN), 1),
                "y": round(_scale(p.y, max(ys), min(ys), MARGIN, HEIGHT - MARGIN), 1),
            }
        )
    return out


def _scale(value: float, low: float, high: float, start: float, end: float) -> float:
    if high == low:
        return (start + end) / 2
    return start + (value - low) / (high - low) * (end - start)


def _legend(tmap: TopicMap) -> dict[str, Any]:
    sizes = [0] * len(tmap.labels)
    for p in tmap.points:
        sizes[p.cluster] += 1
    return {
        "clusters": [
            {"cluster": i, "label": label or "(no common words)", "size": sizes[i]}
            for i, label in enumerate(tmap.labels)
        ],
        "kinds": [
            {"kind": kind, "label": KIND_LABELS[kind], "count": tmap.counts.get(kind, 0)}
            for kind in KINDS
        ],
    }
