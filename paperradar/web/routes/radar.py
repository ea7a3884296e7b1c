"""The radar: a profile's ranked papers of one listing day, explained, with feedback buttons.

The page is one :func:`make_digest` call (``record=False``: looking is not a digest), the
same ranking as ``paperradar digest --day``. Like, dislike and save post to ``/feedback``,
which records the action with the library and answers the card again (htmx swaps it in);
the ranking itself changes on the next load ("Re-rank").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from paperradar.digest import DigestOptions, make_digest
from paperradar.models import FEEDBACK_ACTIONS, Digest, Paper, Profile, Ranked
from paperradar.radar.profiles import load_profile, record_feedback
from paperradar.search import parse_since
from paperradar.store.api import Store
from paperradar.web.access import profiles_for, require_profile
from paperradar.web.deps import Viewer, check_csrf, render, state_of, store_of, viewer_of
from paperradar.web.routes.papers import match_paper, resolve_or_404

router = APIRouter()

TOP = 20
#: longest form value quoted back in a message
MAX_FIELD = 100


@dataclass(slots=True)
class Card:
    """What ``_card.html`` shows: a paper, and optionally its ranked entry for a profile
    (score and why) and that profile's feedback buttons with their state."""

    paper: Paper
    entry: Ranked | None = None
    profile: str | None = None  # feedback buttons act on this profile (None: no buttons)
    opinion: str | None = None  # "like" or "dislike": the standing opinion
    saved: bool = False
    day: str = ""  # the radar day, so a plain form post can return to it
    note: str | None = None  # instead of a score: why the paper is not ranked


def card_for(
    paper: Paper,
    row_id: int,
    profile: Profile | None,
    entry: Ranked | None = None,
    day: dt.date | None = None,
    note: str | None = None,
) -> Card:
    """A card with the profile's standing opinion and saved state of the paper."""
    if profile is None:
        return Card(paper, entry, note=note)
    return Card(
        paper,
        entry,
        profile=profile.name,
        opinion=profile.opinions().get(row_id),
        saved=row_id in profile.saved(),
        day=day.isoformat() if day else "",
        note=note,
    )


def newest_listing(store: Store) -> dt.date | None:
    """The newest listing date a source printed in full (as ``digest --day latest``)."""
    return store.papers.newest_listing()


def _radar_url(profile: str, day: str | None) -> str:
    query = {"profile": profile, **({"day": day} if day else {})}
    return "/radar?" + urlencode(query)


@router.get("/radar")
def radar(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewer_of)],
    store: Annotated[Store, Depends(store_of)],
    profile: str | None = None,
    day: str | None = None,
) -> Response:
    names = profiles_for(store, viewer)
    if not names and not profile:
        return render(request, "radar.html", viewer=viewer, profiles=[], profile=None)
    name = require_profile(store, viewer, profile or None)
    newest = newest_listing(store)
    if day and day.strip().lower() != "latest":
        chosen: dt.date | None = parse_since(day, option="day")
    else:
        chosen = newest
    prof = load_profile(store, name)
    context: dict[str, Any] = {
        "viewer": viewer,
        "profiles": names,
        "profile": name,
        "day": chosen,
        "newest": newest,
        "rerank": _radar_url(name, chosen.isoformat() if chosen else None),
    }
    if not (prof.papers or prof.liked()):
        return render(request, "radar.html", **context, no_papers=True)
    if chosen is None:
        return render(request, "radar.html", **context, digest=None, cards=[])
    digest: Digest = make_digest(
        store,
        name,
        state_of(request).embedder,
        DigestOptions(
            start=chosen, end=chosen, top=TOP, record=False, reranker=state_of(request).reranker
        ),
    )
    cards = [card_for(e.paper, e.row_id, prof, e, chosen) for e in digest.entries]
    shown = state_of(request).shown
    if len(shown) >= 64:
        shown.pop(next(iter(shown)))
    shown[(name, chosen.isoformat())] = {e.row_id: e for e in digest.entries}
    return render(request, "radar.html", **context, digest=digest, cards=cards)


@router.post("/feedback")
def feedback(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewer_of)],
    store: Annotated[Store, Depends(store_of)],
    paper: Annotated[str, Form()] = "",
    profile: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
    csrf: Annotated[str | None, Form()] = None,
    day: Annotated[str, Form()] = "",
) -> Response:
    """Record like / dislike / save / unsave / clear; answer the card (htmx) or go back to
    the radar (a plain form post). The fields are checked here, after the CSRF token, so a
    forged post is refused before anything else is looked at."""
    check_csrf(request, viewer, csrf)
    name = require_profile(store, viewer, profile[:MAX_FIELD])
    if action not in FEEDBACK_ACTIONS:
        raise HTTPException(
            status_code=400,
            detail=f"unknown action {action[:MAX_FIELD]!r}; "
            f"choose from {', '.join(FEEDBACK_ACTIONS)}",
        )
    try:
        on_day: dt.date | None = dt.date.fromisoformat(day) if day else None
    except ValueError:
        raise HTTPException(
            status_code=400, detail=f"day: expected YYYY-MM-DD: {day[:MAX_FIELD]!r}"
        ) from None
    if not paper:
        raise HTTPException(status_code=400, detail="which paper? the form has no paper id")
    row_id = resolve_or_404(store, paper)
    htmx = bool(request.headers.get("hx-request"))
    entry: Ranked | None = None
    note: str | None = None
    target = store.papers.load([row_id])[0]
    if htmx:  # keep the card's score: the paper was ranked before this action, or is after
        entry = state_of(request).shown.get((name, day), {}).get(row_id)
        before = load_profile(store, name)
        if entry is None and row_id not in before.papers and row_id not in before.opinions():
            entry = match_paper(store, before, state_of(request).embedder, row_id, target).entry
    record_feedback(store, name, [target.id or paper], action)
    if not htmx:
        return RedirectResponse(_radar_url(name, day or None), status_code=303)
    after = load_profile(store, name)
    if entry is None:
        match = match_paper(store, after, state_of(request).embedder, row_id, target)
        entry, note = match.entry, match.note
    card = card_for(target, row_id, after, entry, on_day, note)
    return render(request, "_card.html", viewer=viewer, card=card)
