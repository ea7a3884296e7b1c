"""Profiles: own papers, rules, feedback history.

Every POST checks the CSRF token first, then that the viewer may use the profile (404
otherwise), and answers with a redirect back to the profile (303) -- or, for an htmx
request, the changed section of the page. Uploaded and pasted text is read by the same
readers as ``paperradar profile add FILE``, in a child process with a time and a memory limit
(``WebState.reading``, a :class:`paperradar.readers.isolated.IsolatedReader`); only then are
its papers added with :func:`paperradar.radar.profiles.add_papers`, all or nothing, in one
short transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from paperradar.config import load_config
from paperradar.errors import BusyError, InputError, PaperRadarError, UsageError
from paperradar.identifiers import normalise_alias
from paperradar.models import RULE_KINDS
from paperradar.radar.profiles import (
    AddReport,
    add_ids,
    add_papers,
    add_rule,
    author_matches,
    create_profile,
    load_profile,
    remove_papers,
    remove_rule,
)
from paperradar.readers import FORMAT_NAMES
from paperradar.search import keyword_search
from paperradar.sources.lookup import (
    IdOutcome,
    LookupSettings,
    fetch_author,
    fetch_missing,
    lookup_settings,
    parse_refs,
)
from paperradar.store.api import Store
from paperradar.web.access import profiles_for, require_profile
from paperradar.web.accounts import grant_profile
from paperradar.web.deps import (
    MAX_BODY,
    Viewer,
    check_csrf,
    render,
    state_of,
    store_of,
    viewer_of,
)

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
    try:
        create_owned(store, viewer, name)
    except InputError as exc:
        return _list_page(request, store, viewer, 400, str(exc), name)
    return RedirectResponse(f"/profiles/{name}?done=created", status_code=303)


def create_owned(store: Store, viewer: Viewer, name: str) -> None:
    """Create profile ``name`` owned by the viewer (a UsageError when the name is taken)."""
    if name in profiles_for(store, viewer):
        raise UsageError(f"You already have a profile named {name!r}.")
    with store.transaction():
        if store.radar.profile_id(name) is not None:
            # the same words whoever holds it: owners are not revealed
            raise UsageError(f"the name {name!r} is taken: choose another")
        create_profile(store, name)
        if viewer.user is not None:
            grant_profile(store, viewer.user.name, name)


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
        "pasted": "",  # the pasted text, given back when something in it failed
        "missing": [],  # the pasted ids that could not be added, with why
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
    extra: dict[str, Any] | None = None,
    status: int = 400,
) -> Response:
    """After a change: the changed section for htmx; otherwise a redirect back, or the
    page with the error (``status``, 400 unless part of the change was made). ``extra``
    joins the page's context (the pasted text given back, the missing ids)."""
    if _htmx(request):
        context = _context(store, viewer, name)
        context.update(extra or {})
        context["part_error"] = error
        context["part_notice"] = _notice(done, *(counts or (0, 0))) if done else None
        return render(request, fragment, **context)
    if error:
        context = _context(store, viewer, name)
        context.update(extra or {})
        context["error"] = error
        context["notice"] = _notice(done, *(counts or (0, 0))) if done else None
        return render(request, "profile.html", status, **context)
    query = f"done={done}" + (f"&n={counts[0]}&m={counts[1]}" if counts else "")
    return RedirectResponse(f"/profiles/{name}?{query}", status_code=303)


# --------------------------------------------------------------------------- own papers


def _counts(report: AddReport) -> tuple[int, int]:
    return report.added, report.already


def _format(fmt: str) -> str | None:
    """The format a form names ("" for: recognise it)."""
    if not fmt:
        return None
    if fmt not in FORMAT_NAMES:
        raise UsageError(f"unknown format {fmt!r}; known formats: {', '.join(FORMAT_NAMES)}")
    return fmt


def _add_bytes(
    request: Request,
    store: Store,
    name: str,
    data: bytes,
    filename: str,
    shown: str,
    fmt: str | None = None,
) -> AddReport:
    """Read ``data`` as a file called ``filename`` with the usual readers (``fmt``, or the
    one that recognises it), in a child process with a time and a memory limit, then add its
    papers (all or nothing) in one short transaction: no store lock is held while it is
    read. The papers' sightings and the profile record them as ``web:SHOWN``, and a
    reader's error names the file as ``shown``."""
    if data[:2] == b"\x1f\x8b":
        raise UsageError(f"{shown}: compressed files are not accepted; upload the plain text")
    reading = state_of(request).reading
    papers = reading.read(data, filename, f"web:{shown}", fmt, shown=shown)
    if not papers:
        raise UsageError(f"{shown}: no papers found")
    return add_papers(store, name, papers, f"web:{shown}")


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
    """Pasted BibTeX, RIS or any readable format; or ids (arXiv, DOI, ...), one or a few a
    line: those the store lacks are fetched. When anything fails, the page names it and
    gives the pasted text back."""
    check_csrf(request, viewer, csrf)
    name = require_profile(store, viewer, name)
    try:
        added = add_pasted(request, store, name, text, format_name)
    except BusyError:
        raise  # 503, the app's answer
    except PaperRadarError as exc:
        return _papers_failed(request, store, viewer, name, exc, text)
    if not added.missing:
        return _papers_added(request, store, viewer, name, added.report)
    counts = _counts(added.report)
    extra = {"pasted": text, "missing": added.missing}
    return _answer(
        request,
        store,
        viewer,
        name,
        "added" if sum(counts) else "",
        "_profile_papers.html",
        added.message,
        counts,
        extra,
        200 if sum(counts) else 400,
    )


@dataclass(slots=True)
class Added:
    """What a paste or a lookup added, and the ids it could not."""

    report: AddReport
    missing: list[IdOutcome] = field(default_factory=list)
    #: one line naming every missing id ("" when none is)
    message: str = ""


_RIS_TAG = re.compile(r"^[A-Z][A-Z0-9]  - ", re.MULTILINE)


def pasted_ids(text: str) -> list[str] | None:
    """The ids of pasted text that is a list of ids (one or a few a line), else None: a
    file's text (BibTeX, RIS, JSON, a table, a listing) is for the readers."""
    refs = parse_refs(text)
    if not refs or not any(normalise_alias(ref) for ref in refs):
        return None
    if all(normalise_alias(ref) for ref in refs):
        return refs
    lines = [line for line in text.splitlines() if line.strip()]
    structured = text.lstrip()[:1] in ("@", "{", "[", "<") or _RIS_TAG.search(text)
    if structured or any(len(parse_refs(line)) > 3 for line in lines):
        return None
    return refs  # a list of ids with a typo or two: each is named


def settings_of(request: Request) -> Callable[[], LookupSettings]:
    """The lookups' settings from the home's config.toml, read when a lookup needs them."""
    home = state_of(request).home
    return lambda: lookup_settings(load_config(home), interactive=True)


def add_pasted(request: Request, store: Store, name: str, text: str, fmt_name: str) -> Added:
    """Add pasted text to the profile: ids (the missing ones fetched) or a file's text."""
    if not text.strip():
        raise UsageError("paste BibTeX, RIS or another format, or ids one per line")
    fmt = _format(fmt_name)
    refs = pasted_ids(text) if fmt is None else None
    if refs is None:
        data = text.encode("utf-8")
        return Added(_add_bytes(request, store, name, data, "pasted.txt", "pasted text", fmt))
    looked = fetch_missing(store, refs, settings_of(request))
    found = list(store.papers.pids(looked.row_ids()).values())
    report = add_ids(store, name, found) if found else AddReport()
    return Added(report, looked.missing, looked.missing_message(details=False))


#: the author form's kinds -> fetch_author's arguments
AUTHOR_KINDS = {"orcid": "orcid", "arxiv": "arxiv_name", "openalex": "openalex_id", "s2": "s2_id"}


def add_author_papers(request: Request, store: Store, name: str, kind: str, value: str) -> Added:
    """Add an author's papers: ``kind`` is orcid, arxiv (a name), openalex or s2 (ids)."""
    value = value.strip()
    if not value:
        raise UsageError("give an ORCID iD, an author's name or an author id")
    if kind not in AUTHOR_KINDS:
        raise UsageError(f"unknown kind of author {kind!r}; choose from {', '.join(AUTHOR_KINDS)}")
    given: dict[str, str | None] = dict.fromkeys(AUTHOR_KINDS.values())
    given[AUTHOR_KINDS[kind]] = value
    settings = settings_of(request)()
    found = fetch_author(
        settings,
        s2_id=given["s2_id"],
        arxiv_name=given["arxiv_name"],
        orcid=given["orcid"],
        openalex_id=given["openalex_id"],
    )
    papers = found.papers
    if kind == "arxiv":  # arXiv matches names loosely: keep the papers listing this one
        papers = [p for p in papers if any(author_matches(value, a) for a in p.authors)]
    if not papers:
        raise UsageError(f"{found.service} lists no paper of {found.author}")
    return Added(add_papers(store, name, papers, found.origin))


def _papers_failed(
    request: Request,
    store: Store,
    viewer: Viewer,
    name: str,
    exc: PaperRadarError,
    pasted: str = "",
) -> Response:
    """The own-papers section with the reader's or library's one-line error (and the
    pasted text given back)."""
    extra = {"pasted": pasted}
    return _answer(request, store, viewer, name, "", "_profile_papers.html", str(exc), None, extra)


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
    try:
        report = add_upload(request, store, name, file, format_name)
    except InputError as exc:
        return _papers_failed(request, store, viewer, name, exc)
    return _papers_added(request, store, viewer, name, report)


def add_upload(
    request: Request, store: Store, name: str, file: UploadFile | None, fmt_name: str
) -> AddReport:
    """Add the papers of an uploaded file (any readable format, at most MAX_BODY bytes; 413
    beyond), all or nothing."""
    if file is None or not file.filename:
        raise UsageError("choose a file")
    data = file.file.read(MAX_BODY + 1)
    if len(data) > MAX_BODY:
        raise HTTPException(status_code=413, detail="the file is too large (5 MB at most)")
    shown = Path(file.filename.replace("\\", "/")).name[:200] or "upload"
    fmt = _format(fmt_name)
    return _add_bytes(request, store, name, data, _upload_name(file.filename), shown, fmt)


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
