"""The guided first run, ``/welcome``: name a profile, add own papers, go to the radar.

Step 1 creates a profile owned by the viewer (when they have none); step 2 adds own papers
to it: arXiv ids or DOIs pasted (those the store lacks are fetched), a BibTeX, RIS or
CSL-JSON file, or an author (an ORCID iD, an arXiv name, an OpenAlex or Semantic Scholar
id); step 3, once the profile has papers, leads to the radar. The forms post here and use
the same functions as the profile page (paperradar.web.routes.profiles); a failure is said
on the page, the pasted text given back. :func:`needs_welcome` tells the radar whether to
send a viewer here first.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from paperradar.errors import BusyError, InputError, PaperRadarError
from paperradar.radar.profiles import AddReport, load_profile
from paperradar.readers import FORMAT_NAMES
from paperradar.store.api import Store
from paperradar.web.access import profiles_for, require_profile
from paperradar.web.deps import Viewer, check_csrf, render, store_of, viewer_of
from paperradar.web.routes.profiles import (
    AUTHOR_KINDS,
    MAX_PASTE,
    Added,
    add_author_papers,
    add_pasted,
    add_upload,
    create_owned,
)

router = APIRouter()

StoreDep = Annotated[Store, Depends(store_of)]
ViewerDep = Annotated[Viewer, Depends(viewer_of)]
CsrfField = Annotated[str | None, Form(max_length=128)]


def needs_welcome(store: Store, viewer: Viewer) -> bool:
    """The viewer has no profile, or only empty ones (no own papers, no feedback)."""
    for name in profiles_for(store, viewer):
        profile = load_profile(store, name)
        if profile.papers or profile.feedback:
            return False
    return True


def _first_empty(store: Store, names: list[str]) -> str | None:
    """The profile to fill: the first without own papers, else the first."""
    for name in names:
        if not load_profile(store, name).papers:
            return name
    return names[0] if names else None


def _page(
    request: Request,
    store: Store,
    viewer: Viewer,
    name: str | None,
    status: int = 200,
    **extra: Any,
) -> Response:
    papers = len(load_profile(store, name).papers) if name else 0
    context: dict[str, Any] = {
        "viewer": viewer,
        "name": name,
        "papers": papers,
        "step": 1 if name is None else (3 if papers else 2),
        "formats": FORMAT_NAMES,
        "author_kinds": list(AUTHOR_KINDS),
        "error": None,
        "notice": None,
        "pasted": "",
        "missing": [],
        "new_name": "",
        "kind": "orcid",
        "value": "",
    }
    context.update(extra)
    return render(request, "welcome.html", status, **context)


@router.get("/welcome")
def welcome(
    request: Request,
    store: StoreDep,
    viewer: ViewerDep,
    profile: Annotated[str | None, Query(max_length=64)] = None,
    n: Annotated[str, Query(max_length=9)] = "",
    m: Annotated[str, Query(max_length=9)] = "",
) -> Response:
    if profile:
        name: str | None = require_profile(store, viewer, profile)
    else:
        name = _first_empty(store, profiles_for(store, viewer))
    notice = None
    if n.isdigit() and m.isdigit():
        notice = f"Added {int(n)} paper(s) ({int(m)} already there)."
    return _page(request, store, viewer, name, notice=notice)


@router.post("/welcome")
def create(
    request: Request,
    store: StoreDep,
    viewer: ViewerDep,
    csrf: CsrfField = None,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Step 1: create the profile."""
    check_csrf(request, viewer, csrf)
    name = name.strip()
    try:
        create_owned(store, viewer, name)
    except InputError as exc:
        return _page(request, store, viewer, None, 400, error=str(exc), new_name=name)
    return RedirectResponse(f"/welcome?profile={name}", status_code=303)


def _done(name: str, report: AddReport) -> Response:
    query = f"profile={name}&n={report.added}&m={report.already}"
    return RedirectResponse(f"/welcome?{query}", status_code=303)


def _failed(
    request: Request, store: Store, viewer: Viewer, name: str, exc: PaperRadarError, **extra: Any
) -> Response:
    if isinstance(exc, BusyError):
        raise exc  # 503, the app's answer
    status = 400 if isinstance(exc, InputError) else 502
    return _page(request, store, viewer, name, status, error=str(exc), **extra)


def _partly(
    request: Request, store: Store, viewer: Viewer, name: str, added: Added, text: str
) -> Response:
    """Some pasted ids could not be added: say which, give the text back."""
    report = added.report
    found = report.added + report.already
    notice = f"Added {report.added} paper(s) ({report.already} already there)." if found else None
    return _page(
        request,
        store,
        viewer,
        name,
        200 if found else 400,
        error=added.message,
        notice=notice,
        missing=added.missing,
        pasted=text,
    )


@router.post("/welcome/{name}/paste")
def paste(
    request: Request,
    name: str,
    store: StoreDep,
    viewer: ViewerDep,
    csrf: CsrfField = None,
    text: Annotated[str, Form(max_length=MAX_PASTE)] = "",
) -> Response:
    """Step 2: arXiv ids or DOIs (or a file's text) pasted."""
    check_csrf(request, viewer, csrf)
    name = require_profile(store, viewer, name)
    try:
        added = add_pasted(request, store, name, text, "")
    except PaperRadarError as exc:
        return _failed(request, store, viewer, name, exc, pasted=text)
    if added.missing:
        return _partly(request, store, viewer, name, added, text)
    return _done(name, added.report)


@router.post("/welcome/{name}/upload")
def upload(
    request: Request,
    name: str,
    store: StoreDep,
    viewer: ViewerDep,
    csrf: CsrfField = None,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Step 2: a BibTeX, RIS or CSL-JSON export (any readable format)."""
    check_csrf(request, viewer, csrf)
    name = require_profile(store, viewer, name)
    try:
        report = add_upload(request, store, name, file, "")
    except PaperRadarError as exc:
        return _failed(request, store, viewer, name, exc)
    return _done(name, report)


@router.post("/welcome/{name}/author")
def author(
    request: Request,
    name: str,
    store: StoreDep,
    viewer: ViewerDep,
    csrf: CsrfField = None,
    kind: Annotated[str, Form(max_length=20)] = "orcid",
    value: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Step 2: an author's papers (ORCID iD, arXiv name, OpenAlex or Semantic Scholar id)."""
    check_csrf(request, viewer, csrf)
    name = require_profile(store, viewer, name)
    try:
        added = add_author_papers(request, store, name, kind, value)
    except PaperRadarError as exc:
        return _failed(request, store, viewer, name, exc, kind=kind, value=value)
    return _done(name, added.report)
