"""The digest archive and subscription settings.

A digest is shown only to a viewer who may use its profile; any other digest id answers
404 as if it did not exist (its profile's name is not revealed either).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from paperradar.digest.build import past_digests
from paperradar.digest.render import why_lines
from paperradar.digest.subscriptions import DEFAULT_AT, get_subscription, set_subscription
from paperradar.errors import InputError
from paperradar.models import Neighbour, Why
from paperradar.schedule.readiness import email_problems
from paperradar.store.api import Store
from paperradar.store.api.radar import DigestRecord
from paperradar.web.access import profiles_for, require_profile
from paperradar.web.deps import Viewer, check_csrf, render, state_of, store_of, viewer_of
from paperradar.web.routes.profiles import paper_href

router = APIRouter()

StoreDep = Annotated[Store, Depends(store_of)]
ViewerDep = Annotated[Viewer, Depends(viewer_of)]


@router.get("/digests")
def digests_page(
    request: Request,
    store: StoreDep,
    viewer: ViewerDep,
    profile: Annotated[str | None, Query(max_length=64)] = None,
    saved: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The recorded digests and the email subscription of one profile (or of all the
    viewer's profiles)."""
    return _page(request, store, viewer, profile, saved=saved)


def _page(
    request: Request,
    store: Store,
    viewer: Viewer,
    profile: str | None,
    status: int = 200,
    saved: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    allowed = profiles_for(store, viewer)
    names = [require_profile(store, viewer, profile)] if profile else allowed
    problems = email_problems(store, state_of(request).home)
    sections = []
    for name in names:
        subscription = get_subscription(store, name)
        settings: dict[str, Any] = {
            "email": subscription.email if subscription else "",
            "enabled": subscription.enabled if subscription else True,
            "at": subscription.at if subscription else DEFAULT_AT,
            "exists": subscription is not None,
        }
        if form and form.get("profile") == name:
            settings.update(form)
        sections.append(
            {
                "name": name,
                "digests": past_digests(store, name),
                "subscription": settings,
                "error": (errors or {}).get(name),
                "saved": saved == name,
                # shown beside an enabled subscription: why its digests would not arrive
                "problems": problems if settings["exists"] and settings["enabled"] else [],
            }
        )
    return render(
        request,
        "digests.html",
        status,
        viewer=viewer,
        sections=sections,
        profiles=allowed,
        selected=profile,
    )


def _visible_digest(store: Store, viewer: Viewer, digest_id: int) -> DigestRecord:
    """The digest if the viewer may use its profile; 404 alike for a missing or hidden one
    (and for an id past the store's 64-bit integers, which no digest has)."""
    if not 0 < digest_id < 2**63:
        raise HTTPException(status_code=404, detail=f"no digest {digest_id}")
    found = store.radar.digest(digest_id)
    try:
        if found is None:
            raise HTTPException(status_code=404)
        require_profile(store, viewer, found.profile)
    except HTTPException:
        raise HTTPException(status_code=404, detail=f"no digest {digest_id}") from None
    return found


@router.get("/digests/{digest_id}")
def digest_page(request: Request, digest_id: int, store: StoreDep, viewer: ViewerDep) -> Response:
    """One recorded digest: its papers in order, each with the explanation shown then."""
    found = _visible_digest(store, viewer, digest_id)
    digest = {
        "id": found.id,
        "created": found.created,
        "window_start": found.window_start,
        "window_end": found.window_end,
        "candidates": found.candidates,
        "name": found.profile,
    }
    items = _items(store, digest_id)
    return render(request, "digest_view.html", viewer=viewer, digest=digest, items=items)


def _items(store: Store, digest_id: int) -> list[dict[str, Any]]:
    out = []
    for item in store.radar.shown(digest_id):
        why, parts = _explanation(item.why)
        out.append(
            {
                "rank": item.rank,
                "pid": item.pid,
                "href": paper_href(item.pid),
                "title": item.title or item.abstract[:100] or item.pid,
                "authors": item.authors,
                "categories": item.categories,
                "score": item.score,
                "why": why,
                "parts": parts,
            }
        )
    return out


def _explanation(text: str) -> tuple[list[str], dict[str, float]]:
    """The recorded explanation (``digest_items.why``) as lines, and the score's parts.
    A digest recorded before explanations had phrases shows the terms it showed then."""
    try:
        data = json.loads(text)
        recorded = data.get("why") or {}
        terms = [str(t) for t in recorded.get("terms") or []]
        top = recorded.get("percentile")
        among = recorded.get("among")
        why = Why(
            neighbours=[Neighbour(**n) for n in recorded.get("neighbours") or []],
            terms=terms,
            rule=recorded.get("rule"),
            phrases=[str(p) for p in recorded["phrases"]] if "phrases" in recorded else terms,
            sentences=[str(s) for s in recorded.get("sentences") or []],
            percentile=int(top) if top is not None else None,
            among=int(among) if among is not None else None,
            closeness=str(recorded["closeness"]) if recorded.get("closeness") else None,
        )
        parts = {str(k): float(v) for k, v in (data.get("parts") or {}).items()}
    except (ValueError, TypeError, AttributeError, KeyError):
        return [], {}
    return why_lines(why) + [f"“{s}”" for s in why.sentences], parts


@router.post("/profiles/{name}/subscription")
def subscription(
    request: Request,
    name: str,
    store: StoreDep,
    viewer: ViewerDep,
    csrf: Annotated[str | None, Form(max_length=128)] = None,
    email: Annotated[str, Form(max_length=320)] = "",
    enabled: Annotated[str | None, Form(max_length=10)] = None,
    at: Annotated[str, Form(max_length=10)] = DEFAULT_AT,
) -> Response:
    """Set the profile's digest email: address, on/off, time of day (HH:MM)."""
    check_csrf(request, viewer, csrf)
    name = require_profile(store, viewer, name)
    on = enabled is not None
    try:
        set_subscription(store, name, email, enabled=on, at=at)
    except InputError as exc:
        form = {"profile": name, "email": email, "enabled": on, "at": at}
        return _page(request, store, viewer, name, 400, errors={name: str(exc)}, form=form)
    return RedirectResponse(f"/digests?profile={name}&saved={name}", status_code=303)


@router.get("/digests/{digest_id}/export")
def digest_export(
    digest_id: int,
    store: StoreDep,
    viewer: ViewerDep,
    fmt: Annotated[str, Query(alias="format", max_length=40)] = "bibtex",
) -> Response:
    """A recorded digest's papers as a BibTeX, RIS or CSL-JSON file (404 as the page)."""
    from paperradar.exports import digest_papers
    from paperradar.web.routes.saved import download, export_format_or_400

    _visible_digest(store, viewer, digest_id)  # 404 as the page
    chosen = export_format_or_400(fmt)
    return download(digest_papers(store, digest_id), chosen, f"paperradar-digest-{digest_id}")
