"""Logging in and out. The login form is protected from cross-site posting by a
double-submit token (a cookie and a form field that must match)."""

from __future__ import annotations

import hmac
import math
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from paperradar.store.api import Store
from paperradar.web.accounts import SESSION_DAYS, authenticate, end_session, start_session
from paperradar.web.deps import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Viewer,
    check_csrf,
    render,
    state_of,
    store_of,
    viewer_of,
)

router = APIRouter()

#: the longest a login waits for the password checks before it (then 503)
HASHING_WAIT_S = 10.0


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (``//evil``, ``https://...``)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/radar"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/radar", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None, failed: bool = False) -> Response:
    if state_of(request).single_user:
        return RedirectResponse(_safe_next(next), status_code=303)
    token = secrets.token_urlsafe(32)
    response = render(
        request, "login.html", csrf=token, next=_safe_next(next), failed=failed, viewer=None
    )
    response.set_cookie(
        LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), max_age=3600
    )
    return response


@router.post("/login")
def login(
    request: Request,
    store: Annotated[Store, Depends(store_of)],
    name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=128)],
    next: Annotated[str, Form(max_length=2000)] = "/radar",
) -> Response:
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf.encode()):
        raise HTTPException(status_code=403, detail="the login form expired: load it again")
    state = state_of(request)
    logins, clients = state.logins, state.clients
    client = request.client.host if request.client else "unknown"
    for throttle, key, whose in ((clients, client, "your address"), (logins, name, "this account")):
        wait = throttle.retry_after(key)
        if wait is not None:  # refused before the password is even checked
            minutes = math.ceil(wait / 60)
            refused = render(
                request, "login.html", 429, csrf=cookie, next=_safe_next(next), viewer=None,
                locked=f"Too many failed logins for {whose}: try again in {minutes} min.",
            )  # fmt: skip
            refused.headers["Retry-After"] = str(wait)
            return refused
    # argon2 on the checking thread, a flood's hashes one at a time (web/hashing.py)
    user = state.passwords.run(lambda: authenticate(store, name, password), HASHING_WAIT_S)
    if user is None:
        logins.failed(name)
        clients.failed(client)
        target = f"/login?failed=1&next={_safe_next(next)}"
        return RedirectResponse(target, status_code=303)
    logins.succeeded(name)
    token, _ = start_session(store, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=SESSION_DAYS * 86400,
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewer_of)],
    store: Annotated[Store, Depends(store_of)],
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    check_csrf(request, viewer, csrf)
    end_session(store, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
