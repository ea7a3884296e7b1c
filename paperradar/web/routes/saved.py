"""The reading list: a profile's saved papers (or its liked ones) as cards, newest first,
with their feedback buttons and export links (BibTeX, RIS, CSL-JSON downloads)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from paperradar.exports import FORMATS, LISTS, ExportFormat, kept_papers
from paperradar.models import Paper
from paperradar.radar.profiles import load_profile
from paperradar.store.api import Store
from paperradar.web.access import profiles_for, require_profile
from paperradar.web.deps import Viewer, render, store_of, viewer_of
from paperradar.web.routes.radar import card_for

router = APIRouter()

StoreDep = Annotated[Store, Depends(store_of)]
ViewerDep = Annotated[Viewer, Depends(viewer_of)]


def export_format_or_400(name: str) -> ExportFormat:
    found = FORMATS.get(name)
    if found is None:
        raise HTTPException(
            status_code=400, detail=f"format: one of {', '.join(FORMATS)}: {name!r}"
        )
    return found


def download(papers: Sequence[Paper], fmt: ExportFormat, stem: str) -> Response:
    """The papers as a ``fmt`` file to download, named ``stem.extension``."""
    return Response(
        fmt.write(papers),
        media_type=f"{fmt.media_type}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt.extension}"'},
    )


def _list_or_400(name: str) -> str:
    if name not in LISTS:
        raise HTTPException(status_code=400, detail=f"list: one of {', '.join(LISTS)}: {name!r}")
    return name


@router.get("/saved")
def saved_page(
    request: Request,
    store: StoreDep,
    viewer: ViewerDep,
    profile: Annotated[str | None, Query(max_length=64)] = None,
    list_name: Annotated[str, Query(alias="list", max_length=20)] = "saved",
) -> Response:
    """The profile's saved (``list=liked``: liked) papers, the most recently kept first."""
    which = _list_or_400(list_name)
    names = profiles_for(store, viewer)
    if not names and not profile:
        return render(request, "saved.html", viewer=viewer, profiles=[], profile=None)
    name = require_profile(store, viewer, profile or None)
    prof = load_profile(store, name)
    kept = kept_papers(store, prof, which)
    cards = [
        card_for(k.paper, k.row_id, prof, note=f"{which} {k.at:%Y-%m-%d %H:%M} UTC") for k in kept
    ]
    return render(
        request,
        "saved.html",
        viewer=viewer,
        profiles=names,
        profile=name,
        which=which,
        lists=LISTS,
        cards=cards,
        formats=FORMATS,
    )


@router.get("/saved/export")
def saved_export(
    store: StoreDep,
    viewer: ViewerDep,
    fmt: Annotated[str, Query(alias="format", max_length=40)] = "bibtex",
    profile: Annotated[str | None, Query(max_length=64)] = None,
    list_name: Annotated[str, Query(alias="list", max_length=20)] = "saved",
) -> Response:
    """The profile's saved (or liked) papers as a BibTeX, RIS or CSL-JSON file."""
    found = export_format_or_400(fmt)
    which = _list_or_400(list_name)
    name = require_profile(store, viewer, profile or None)
    kept = kept_papers(store, load_profile(store, name), which)
    return download([k.paper for k in kept], found, f"paperradar-{name}-{which}")
