"""Profiles: own papers, rules, feedback history.

Every POST checks the CSRF token first, then that the viewer may use the profile (404
otherwise), and answers with a redirect back to the profile (303) -- or, for an htmx
request, the changed section of the page. Uploaded and pasted text is read by the same
readers as ``paperradar profile add FILE``: it is written to a temporary file and added with
:func:`paperradar.radar.profiles.add_files`, all or nothing.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from paperradar.errors import FormatError, InputError, UsageError
from paperradar.identifiers import normalise_alias
from paperradar.models import RULE_KINDS
from paperradar.radar.profiles import (
    AddReport,
    add_files,
    add_ids,
    add_rule,
    create_profile,
    load_profile,
    remove_papers,
    remove_rule,
)
from paperradar.readers import FORMAT_NAMES
from paperradar.search import keyword_search
from paperradar.store.api import Store
from paperradar.web.access import profiles_for, require_profile
from paperradar.web.accounts import grant_profile
from paperradar.web.deps import MAX_BODY, Viewer, check_csrf, render, store_of, viewer_of

router = APIRouter()

StoreDep = Annotated[Store, Depends(store_of)]
ViewerDep = Annotated[Viewer, Depends(viewer_of)]
CsrfField = Annotated[str | None, Form(max_length=128)]

#: the most pasted text accepted (a form field; files go through the upload)
MAX_PASTE = 1024 * 1024
SEARCH_LIMIT = 10
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
#: what a redirect back may announce (fixed texts: nothing from the query string is shown)
NOTICES = {
    "created": "Profile created: add your own papers below.",
    "added": "Added {n} paper(s) ({m} already there).",
    "removed": "Paper removed.",
    "rule-added": "Rule added.",
    "rule-exists": "The profile already has that rule.",
    "rule-removed": "Rule removed.",
    "rule-missing": "The profile did not have that rule.",
}


def paper_href(pid: str) -> str:
    """The link to a paper's page (its canonical id, percent-encoded but for ':')."""
    return "/papers/" + quote(pid, safe=":")


def _notice(done: str | None, n: int = 0, m: int = 0) -> str | None:
    text = NOTICES.get(done or "")
    return text.format(n=n, m=m) if text else None


def _count(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


# --------------------------------------------------------------------------- the list


@router.get("/profiles")
def profiles_page(request: Request, store: StoreDep, viewer: ViewerDep) -> Response:
    return _list_page(request, store, viewer)


def _list_page(
    request: Request,
    store: Store,
    viewer: Viewer,
    status: int = 200,
    error: str | None = None,
    name: str = "",
) -> Response:
    rows = []
    for profile_name in profiles_for(store, viewer):
        profile = load_profile(store, profile_name)
        rows.append(
            {
                "name": profile.name,
                "papers": len(profile.papers),
                "liked": len(profile.liked()),
                "rules": len(profile.rules),
                "created": profile.created,
            }
        )
    return render(
        request, "profiles.html", status, viewer=viewer, profiles=rows, error=error, name=name
    )


@router.post("/profiles")
def create(
    request: Request,
    store: StoreDep,
    viewer: ViewerDep,
    csrf: CsrfField = None,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, viewer, csrf)
    name = name.strip()
    if name in profiles_for(store, viewer):
        return _list_page(
            request, store, viewer, 400, f"You already have a profile named {name!r}.", name
        )
    try:
        with store.transaction():
            if store.radar.profile_id(name) is not None:
                # the same words whoever holds it: owners are not revealed
                raise UsageError(f"the name {name!r} is taken: choose another")
            create_profile(store, name)
            if viewer.user is not None:
                grant_profile(store, viewer.user.name, name)
    except InputError as exc:
        return _list_page(request, store, viewer, 400, str(exc), name)
    return RedirectResponse(f"/profiles/{name}?done=created", status_code=303)


# --------------------------------------------------------------------------- one profile


@router.get("/profiles/{name}")
def profile_page(
    request: Request,
    name: str,
    store: StoreDep,
    viewer: ViewerDep,
    q: Annotated[str | None, Query(max_length=500)] = None,
    done: Annotated[str | None, Query(max_length=40)] = None,
    n: Annotated[str, Query(max_length=9)] = "0",
    m: Annotated[str, Query(max_length=9)] = "0",
) -> Response:
    name = require_profile(store, viewer, name)
    context = _context(store, viewer, name)
    context["notice"] = _notice(done, _count(n), _count(m))
    if q is not None:
        context.update(_search(store, name, q[:500]))
    if _htmx(request) and q is not None:
        return render(request, "_profile_search.html", **context)
    return render(request, "profile.html", **context)


def _context(store: Store, viewer: Viewer, name: str) -> dict[str, Any]:
    """What the profile page shows: own papers, rules, feedback history (newest first)."""
    profile = load_profile(store, name)
    papers = [
        {
            "pid": p.id or "",
            "href": paper_href(p.id or ""),
            "title": _label(p.title, p.abstract),
            "authors": p.authors,
        }
        for p in store.papers.load(profile.papers)
    ]
    touched = list({f.paper_id for f in profile.feedback})
    known = {
        row_id: (p.id or "", _label(p.title, p.abstract))
        for row_id, p in zip(touched, store.papers.load(touched), strict=False)
        if p.id
    }
    history = [
        {
            "at": f.at,
            "action": f.action,
            "pid": known[f.paper_id][0],
            "href": paper_href(known[f.paper_id][0]),
            "title": known[f.paper_id][1],
        }
        for f in reversed(profile.feedback)
        if f.paper_id in known
    ]
    return {
        "viewer": viewer,
        "name": profile.name,
        "papers": papers,
        "rules": profile.rules,
        "rule_kinds": RULE_KINDS,
        "history": history,
        "error": None,
        "notice": None,
        "part_error": None,  # a section's own message, when htmx asked for the section alone
        "part_notice": None,
        "formats": FORMAT_NAMES,
        "q": None,
        "hits": None,
        "search_error": None,
        "own": {p["pid"] for p in papers},
    }


def _label(title: str, abstract: str) -> str:
    if title:
        return title
    return abstract[:100] + ("…" if len(abstract) > 100 else "") if abstract else "(untitled)"


def _search(store: Store, name: str, q: str) -> dict[str, Any]:
    if not q.strip():
        return {"q": q, "hits": [], "search_error": "Type some words to search for."}
    try:
        hits = keyword_search(store, q, limit=SEARCH_LIMIT)
    except InputError as exc:
        return {"q": q, "hits": [], "search_error": str(exc)}
    found = [
        {
            "pid": h.paper.id or "",
            "href": paper_href(h.paper.id or ""),
            "title": _label(h.paper.title, h.paper.abstract),
        }
        for h in hits
    ]
    return {"q": q, "hits": found, "search_error": None}


def _answer(
    request: Request,
    store: Store,
    viewer: Viewer,
    name: str,
    done: str,
    fragment: str,
    error: str | None = None,
    counts: tuple[int, int] | None = None,
) -> Response:
    """After a change: the changed section for htmx; otherwise a redirect back, or the
    page with the error (400)."""
    if _htmx(request):
        context = _context(store, viewer, name)
        context["part_error"] = error
        context["part_notice"] = None if error else _notice(done, *(counts or (0, 0)))
        return render(request, fragment, **context)
    if error:
        context = _context(store, viewer, name)
        context["error"] = error
        return render(request, "profile.html", 400, **context)
    query = f"done={done}" + (f"&n={counts[0]}&m={counts[1]}" if counts else "")
    return RedirectResponse(f"/profiles/{name}?{query}", status_code=303)


# --------------------------------------------------------------------------- own papers


def _counts(report: AddReport) -> tuple[int, int]:
    return report.added, report.already


def _looks_like_ids(lines: list[str]) -> bool:
    return bool(lines) and all(normalise_alias(line) is not None for line in lines)


def _format(fmt: str) -> str | None:
    """The format a form names ("" for: recognise it)."""
    if not fmt:
        return None
    if fmt not in FORMAT_NAMES:
        raise UsageError(f"unknown format {fmt!r}; known formats: {', '.join(FORMAT_NAMES)}")
    return fmt


def _add_bytes(
    store: Store, name: str, data: bytes, filename: str, shown: str, fmt: str | None = None
) -> AddReport:
    """Read ``data`` as a file called ``filename`` with the usual readers (``fmt``, or the
    one that recognises it) and add its papers (all or nothing); the papers' sightings and
    the profile record them as ``web:SHOWN`` (never the temporary copy's path), and a
    reader's error names the file as ``shown``."""
    if data[:2] == b"\x1f\x8b":
        raise UsageError(f"{shown}: compressed files are not accepted; upload the plain text")
    with tempfile.TemporaryDirectory(prefix="paperradar-upload-") as tmp:
        path = Path(tmp) / filename
        path.write_bytes(data)
        try:
            with store.transaction():
                report = add_files(store, name, [path], fmt=fmt, origins=[f"web:{shown}"])
        except FormatError as exc:
            raise FormatError(shown, exc.line, exc.reason) from None
    if not report.added and not report.already:
        raise UsageError(f"{shown}: no papers found")
    return report


def _upload_name(filename: str) -> str:
    """A harmless file name for the temporary copy (the readers sniff by extension too)."""
    base = _SAFE_NAME.sub("_", Path(filename.replace("\\", "/")).name).lstrip("._")
    return base[-100:] or "upload.txt"


@router.post("/profiles/{name}/paste")
def paste(
    request: Request,
    name: str,
    store: StoreDep,
    viewer: ViewerDep,
    csrf: CsrfField = None,
    text: Annotated[str, Form(max_length=MAX_PASTE)] = "",
    format_name: Annotated[str, Form(alias="format", max_length=40)] = "",
) -> Response:
    """Pasted BibTeX, RIS or any readable format; or ids (arXiv, DOI, ...) one per line."""
    check_csrf(request, viewer, csrf)
    name = require_profile(store, viewer, name)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    try:
        if not lines:
            raise UsageError("paste BibTeX, RIS or another format, or ids one per line")
        fmt = _format(format_name)
        if fmt is None and _looks_like_ids(lines):
            report = add_ids(store, name, lines)
        else:
            data = text.encode("utf-8")
            report = _add_bytes(store, name, data, "pasted.txt", "pasted text", fmt)
    except InputError as exc:
        return _papers_failed(request, store, viewer, name, exc)
    return _papers_added(request, store, viewer, name, report)


def _papers_failed(
    request: Request, store: Store, viewer: Viewer, name: str, exc: InputError
) -> Response:
    """The own-papers section with the reader's or library's one-line error."""
    return _answer(request, store, viewer, name, "", "_profile_papers.html", str(exc))


def _papers_added(
    request: Request, store: Store, viewer: Viewer, name: str, report: Any
) -> Response:
    """The own-papers section with what an addition did."""
    return _answer(
        request, store, viewer, name, "added", "_profile_papers.html", None, _counts(report)
    )


@router.post("/profiles/{name}/upload")
def upload(
    request: Request,
    name: str,
    store: StoreDep,
    viewer: ViewerDep,
    csrf: CsrfField = None,
    file: Annotated[UploadFile | None, File()] = None,
    format_name: Annotated[str, Form(alias="format", max_length=40)] = "",
) -> Response:
    """A file of own papers in any readable format, at most MAX_BODY bytes."""
    check_csrf(request, viewer, csrf)
    name = require_profile(store, viewer, name)
    if file is None or not file.filename:
        return _answer(request, store, viewer, name, "", "_profile_papers.html", "choose a file")
    data = file.file.read(MAX_BODY + 1)
    if len(data) > MAX_BODY:
        raise HTTPException(status_code=413, detail="the file is too large (5 MB at most)")
    shown = Path(file.filename.replace("\\", "/")).name[:200] or "upload"
    try:
        fmt = _format(format_name)
        report = _add_bytes(store, name, data, _upload_name(file.filename), shown, fmt)
    except InputError as exc:
        return _papers_failed(request, store, viewer, name, exc)
    return _papers_added(request, store, viewer, name, report)


@router.post("/profiles/{name}/ids")
def add_by_id(
    request: Request,
    name: str,
    store: StoreDep,
    viewer: ViewerDep,
    csrf: CsrfField = None,
    id: Annotated[list[str] | None, Form(max_length=300)] = None,
) -> Response:
    """Stored papers by id (the search results' "add" buttons)."""
    check_csrf(request, viewer, csrf)
    name = require_profile(store, viewer, name)
    refs = [ref.strip() for ref in id or [] if ref.strip()]
    try:
        if not refs:
            raise UsageError("give a paper id")
        report = add_ids(store, name, refs)
    except InputError as exc:
        return _papers_failed(request, store, viewer, name, exc)
    return _papers_added(request, store, viewer, name, report)


@router.post("/profiles/{name}/papers/remove")
def remove_paper(
    request: Request,
    name: str,
    store: StoreDep,
    viewer: ViewerDep,
    csrf: CsrfField = None,
    id: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    check_csrf(request, viewer, csrf)
    name = require_profile(store, viewer, name)
    try:
        remove_papers(store, name, [id])
    except InputError as exc:
        return _papers_failed(request, store, viewer, name, exc)
    return _answer(request, store, viewer, name, "removed", "_profile_papers.html")


# --------------------------------------------------------------------------- rules


@router.post("/profiles/{name}/rules")
def add_rule_route(
    request: Request,
    name: str,
    store: StoreDep,
    viewer: ViewerDep,
    csrf: CsrfField = None,
    kind: Annotated[str, Form(max_length=40)] = "",
    value: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    return _change_rule(request, store, viewer, name, csrf, (kind, value), add_rule, "added")


@router.post("/profiles/{name}/rules/remove")
def remove_rule_route(
    request: Request,
    name: str,
    store: StoreDep,
    viewer: ViewerDep,
    csrf: CsrfField = None,
    kind: Annotated[str, Form(max_length=40)] = "",
    value: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    return _change_rule(request, store, viewer, name, csrf, (kind, value), remove_rule, "removed")


def _change_rule(
    request: Request,
    store: Store,
    viewer: Viewer,
    name: str,
    csrf: str | None,
    rule: tuple[str, str],
    change: Callable[[Store, str, str, str], bool],
    verb: str,
) -> Response:
    """Add or remove a follow / mute rule; the notice says whether anything changed."""
    check_csrf(request, viewer, csrf)
    name = require_profile(store, viewer, name)
    try:
        changed = change(store, name, *rule)
    except InputError as exc:
        return _answer(request, store, viewer, name, "", "_profile_rules.html", str(exc))
    unchanged = {"added": "rule-exists", "removed": "rule-missing"}[verb]
    done = f"rule-{verb}" if changed else unchanged
    return _answer(request, store, viewer, name, done, "_profile_rules.html")
