"""The radar: a profile's ranked papers of one listing day, explained, with feedback buttons.

The first page is one :func:`make_digest` call (``record=False``: looking is not a digest),
the same ranking as ``paperradar digest --day``: the diversified top. "More" (``offset``)
goes on through the rest of the day's papers by score, so the whole day can be read. The
list the page showed is kept per (profile, day), so "More" continues it even after likes;
the ranking itself changes on the next load ("Re-rank"). Like, dislike and save post to
``/feedback``, which records the action with the library and answers the card again (htmx
swaps it in). Liked and disliked papers are anchors, not candidates: after a re-rank they
leave the ranking, and the page lists them apart ("Rated on this day").
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from paperradar.digest import DigestOptions, candidate_ids, make_digest
from paperradar.digest.build import shown_before
from paperradar.embedding import Embedder
from paperradar.errors import UsageError
from paperradar.models import FEEDBACK_ACTIONS, Digest, Filters, Paper, Profile, Ranked
from paperradar.radar.explain import highlighted_abstract
from paperradar.radar.profiles import load_profile, record_feedback
from paperradar.radar.ranking import rank
from paperradar.search import parse_since
from paperradar.store.api import Store
from paperradar.web.access import profiles_for, require_profile
from paperradar.web.deps import Viewer, check_csrf, render, state_of, store_of, viewer_of
from paperradar.web.routes.papers import Link, match_paper, resolve_or_404, safe_href
from paperradar.web.routes.welcome import needs_welcome

router = APIRouter()

#: cards per page (the first page is the digest's top, followed papers included)
TOP = 20
#: longest form value quoted back in a message
MAX_FIELD = 100
#: the furthest "More" goes (a day of arXiv cs has about 500 papers)
MAX_OFFSET = 5000
#: how many days back or ahead the previous / next listing day is looked for
MAX_GAP = 31
#: (profile, day) lists kept for "More" and the feedback buttons
KEPT_LISTS = 64

#: a text in pieces, each marked (highlighted) or not
Segments = list[tuple[str, bool]]


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
    #: shown instead of the abstract: the best-matching passage, marked pieces highlighted
    snippet: Segments = field(default_factory=list)
    #: with a snippet: the whole abstract in pieces (marks included), one click away
    whole: Segments = field(default_factory=list)
    score: float | None = None  # a search score (no ranked entry)

    @property
    def links(self) -> list[Link]:
        return card_links(self.paper)


def card_links(paper: Paper) -> list[Link]:
    """The arXiv abstract page and PDF of an arXiv paper, else the paper's own PDF link; its
    DOI page when it has a DOI. Only http(s) URLs."""
    out: list[Link] = []
    if paper.arxiv_id:
        ident = quote(paper.arxiv_id, safe="/.")
        out.append(
            Link("arXiv", f"https://arxiv.org/abs/{ident}", f"https://arxiv.org/abs/{ident}")
        )
        out.append(Link("PDF", f"https://arxiv.org/pdf/{ident}", f"https://arxiv.org/pdf/{ident}"))
    else:
        pdf = next((u for k, u in paper.links.items() if k.lower() == "pdf" and safe_href(u)), None)
        if pdf:
            out.append(Link("PDF", pdf, safe_href(pdf)))
    if paper.doi:
        url = "https://doi.org/" + quote(paper.doi, safe="/.()-_;")
        out.append(Link("DOI", url, url))
    return out


def highlights_of(entry: Ranked | None, abstract: str) -> tuple[Segments, Segments]:
    """The explanation's best-matching sentences as a passage, and the whole abstract with
    them marked; nothing when the explanation has none."""
    sentences = entry.why.sentences if entry is not None else []
    if not sentences or not abstract:
        return [], []
    passage: Segments = []
    for n, sentence in enumerate(sentences):
        if n:
            passage.append((" … ", False))
        passage.append((sentence, False))
    return passage, highlighted_abstract(abstract, sentences)


def card_for(
    paper: Paper,
    row_id: int,
    profile: Profile | None,
    entry: Ranked | None = None,
    day: dt.date | None = None,
    note: str | None = None,
) -> Card:
    """A card with the profile's standing opinion and saved state of the paper."""
    snippet, whole = highlights_of(entry, paper.abstract or "")
    if profile is None:
        return Card(paper, entry, note=note, snippet=snippet, whole=whole)
    return Card(
        paper,
        entry,
        profile=profile.name,
        opinion=profile.opinions().get(row_id),
        saved=row_id in profile.saved(),
        day=day.isoformat() if day else "",
        note=note,
        snippet=snippet,
        whole=whole,
    )


def newest_listing(store: Store) -> dt.date | None:
    """The newest listing date a source printed in full (as ``digest --day latest``)."""
    return store.papers.newest_listing()


def listing_day_near(store: Store, day: dt.date, step: int) -> dt.date | None:
    """The nearest day before (``step`` -1) or after (+1) ``day`` with listed papers, within
    :data:`MAX_GAP` days; None when there is none."""
    for n in range(1, MAX_GAP + 1):
        near = day + dt.timedelta(days=step * n)
        if store.papers.matching(Filters(since=near, until=near)):
            return near
    return None


def _radar_url(profile: str, day: str | None, offset: int = 0) -> str:
    query: dict[str, str | int] = {"profile": profile, **({"day": day} if day else {})}
    if offset:
        query["offset"] = offset
    return "/radar?" + urlencode(query)


def _offset(text: str) -> int:
    if not text:
        return 0
    if not text.isdigit() or int(text) > MAX_OFFSET:
        raise HTTPException(
            status_code=400, detail=f"offset: a number from 0 to {MAX_OFFSET}: {text[:20]!r}"
        )
    return int(text)


def _first_page(request: Request, store: Store, name: str, day: dt.date) -> Digest:
    """The day's first page for the profile: kept by the process while what it is ranked
    from is unchanged (web/first_pages.py)."""
    state = state_of(request)
    options = DigestOptions(start=day, end=day, top=TOP, record=False, reranker=state.reranker)
    return state.first_pages.get(
        name,
        day,
        lambda: _ranked_from(store, name, day),
        lambda: make_digest(store, name, state.embedder, options),
    )


def _ranked_from(store: Store, name: str, day: dt.date) -> str:
    """A fingerprint of what the day's first page is ranked from: the profile (papers, rules,
    feedback), the day's candidates and the papers the profile's other digests showed."""
    prof = load_profile(store, name)
    parts = (
        repr(prof),
        candidate_ids(store, day, day),
        sorted(shown_before(store, prof.id, day, day)),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _keep(request: Request, name: str, day: dt.date, entries: Sequence[Ranked]) -> dict[int, Any]:
    """Remember the list shown for (profile, day): "More" continues it, feedback keeps scores."""
    shown = state_of(request).shown
    if len(shown) >= KEPT_LISTS:
        shown.pop(next(iter(shown)))
    kept: dict[int, Any] = {e.row_id: e for e in entries}
    shown[(name, day.isoformat())] = kept
    return kept


def _rest_of_day(
    store: Store,
    profile: Profile,
    embedder: Embedder,
    day: dt.date,
    shown: dict[int, Any],
    want: int,
) -> list[Ranked]:
    """The best ``want`` of the day's candidates the list has not shown yet, by score (not
    diversified); only those are explained."""
    seen = shown_before(store, profile.id, day, day)
    ids = [i for i in candidate_ids(store, day, day) if i not in seen and i not in shown]
    ranked, _ = rank(store, profile, embedder, ids, keep=want) if ids else ([], None)
    return ranked


def _rated(store: Store, profile: Profile, day: dt.date) -> list[Card]:
    """Cards of the day's papers the profile liked or disliked: anchors now, not ranked."""
    opinions = profile.opinions()
    ids = [i for i in candidate_ids(store, day, day) if i in opinions]
    papers = store.papers.load(ids)
    cards = [
        card_for(
            paper,
            row_id,
            profile,
            day=day,
            note=f"you {opinions[row_id]}d this paper: it now shapes the ranking, "
            "so it is not ranked again",
        )
        for row_id, paper in zip(ids, papers, strict=True)
    ]
    return sorted(cards, key=lambda c: (c.opinion != "like", c.paper.title or ""))


@router.get("/radar")
def radar(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewer_of)],
    store: Annotated[Store, Depends(store_of)],
    profile: str | None = None,
    day: str | None = None,
    offset: str = "",
) -> Response:
    names = profiles_for(store, viewer)
    if not names and not profile:  # a first visit: the guided first run
        return RedirectResponse("/welcome", status_code=303)
    name = require_profile(store, viewer, profile or None)
    start = _offset(offset.strip())
    newest = newest_listing(store)
    if day and day.strip().lower() != "latest":
        chosen: dt.date | None = parse_since(day, option="day")
    else:
        chosen = newest
    prof = load_profile(store, name)
    day_text = chosen.isoformat() if chosen else None
    context: dict[str, Any] = {
        "viewer": viewer,
        "profiles": names,
        "profile": name,
        "day": chosen,
        "newest": newest,
        "rerank": _radar_url(name, day_text),
        "start": start,
    }
    if not (prof.papers or prof.liked()):
        if not profile and needs_welcome(store, viewer):  # every profile is empty
            return RedirectResponse("/welcome", status_code=303)
        return render(request, "radar.html", **context, no_papers=True)
    if chosen is None:
        return render(request, "radar.html", **context, digest=None, cards=[])
    earlier, later = listing_day_near(store, chosen, -1), listing_day_near(store, chosen, 1)
    context |= {
        "earlier": earlier and _radar_url(name, earlier.isoformat()),
        "earlier_day": earlier,
        "later": later and _radar_url(name, later.isoformat()),
        "later_day": later,
    }
    kept = state_of(request).shown.get((name, chosen.isoformat()))
    candidates: int | None = None
    if start == 0 or kept is None:
        digest = _first_page(request, store, name, chosen)
        candidates = digest.candidates
        kept = _keep(request, name, chosen, digest.entries)
    if start > 0 and len(kept) <= start + TOP:  # one more than the page: is there a next?
        want = start + TOP + 1 - len(kept)
        rest = _rest_of_day(store, prof, state_of(request).embedder, chosen, kept, want)
        kept.update((e.row_id, e) for e in rest)
    entries: list[Ranked] = list(kept.values())
    page = entries[start:] if start == 0 else entries[start : start + TOP]
    end = start + len(page)
    cards = [card_for(e.paper, e.row_id, prof, e, chosen) for e in page]
    # the first page does not rank the rest of the day: "More" may find it all rated or muted
    more = end < len(entries) or (start == 0 and candidates is not None and candidates > end)
    context |= {
        "cards": cards,
        "end": end,
        "candidates": candidates if candidates is not None else len(entries),
        "more": _radar_url(name, day_text, end) if more else None,
        "back": _radar_url(name, day_text, max(0, start - TOP)) if start else None,
    }
    if request.headers.get("hx-request") and start > 0:
        return render(request, "_radar_more.html", **context)
    rated = _rated(store, prof, chosen) if start == 0 else []
    return render(request, "radar.html", **context, digest=True, rated=rated)


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
    try:  # the dates a store can hold (parse_since refuses 9999-12-31 and the like)
        on_day: dt.date | None = parse_since(day[:MAX_FIELD], option="day") if day else None
    except UsageError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
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
