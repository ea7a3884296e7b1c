"""The web app: FastAPI + Jinja2 + htmx, a thin shell over the library (docs/web.md).

One process holds one store, shared by the worker threads that serve requests in parallel,
each on its own connection (web/deps.py). Every page calls the same library functions as the
CLI.

Security, on every response: a Content-Security-Policy that allows scripts, styles and
images from this server only (no inline script or style, no eval), ``nosniff``, no framing,
``Referrer-Policy: same-origin``. Every state-changing request (POST) must carry the
session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``) and, when the browser
sends one, an ``Origin`` of this server. Templates autoescape everything: feed text is never
rendered as HTML.

At start-up (the app's lifespan) a background thread loads the embedding model and imports
the feedback classifier (``WebState.warm_up``): the server answers at once, and no request
waits for a model load but one that needs the model before the warm-up has finished. While
it serves, the interpreter hands the GIL between threads every :data:`SWITCH_INTERVAL_S`
instead of every 5 ms: a page whose thread waits on SQLite gets the GIL back that much
sooner while another request's thread runs Python (a slow request's work delays a fast page
by at most that much per wait). At shut-down the children reading uploads are killed, so no
request keeps the server up.

Several processes can serve one store (``paperradar serve --workers N``, or gunicorn with
uvicorn workers and the factory :func:`app_from_env`): each makes its own app from the
environment, and whatever one process must know of another's requests (sessions, failed
logins, single-user mode's CSRF token) is in the store or the home (web/deps.py).

A busy store (another writer held the write lock past the busy timeout) or a full set of
upload readers answers ``503`` with ``Retry-After``: the request may simply be sent again.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperradar.config import resolve_home
from paperradar.embedding import Embedder
from paperradar.errors import BusyError, PaperRadarError, StoreBusyError
from paperradar.web.deps import (
    MAX_BODY,
    WebState,
    render,
)
from paperradar.web.routes import register

#: set to 1 in the environment, :func:`app_from_env` serves in single-user mode
SINGLE_USER_ENV = "PAPERRADAR_SINGLE_USER"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
#: seconds a thread runs Python before the GIL goes to another thread that asks (Python: 5 ms)
SWITCH_INTERVAL_S = 0.001
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class BodyLimit:
    """Refuse a request body over :data:`MAX_BODY` (413), chunked ones included: the bytes
    are counted as they arrive."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > MAX_BODY:
            await _too_large(send)
            return
        seen = 0
        exceeded = False

        async def counted() -> Message:
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY:  # stop reading; whatever the app answers becomes 413
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def checked_send(message: Message) -> None:
            if not exceeded:
                await send(message)
            elif message["type"] == "http.response.start":
                await _too_large(send)

        await self.app(scope, counted, checked_send)


async def _too_large(send: Send) -> None:
    body = b"request too large (5 MB at most)"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain"),
                (b"content-length", str(len(body)).encode()),
                *((k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _local_host(host: str) -> bool:
    """Whether a Host header names this machine by a loopback name or address."""
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0][1:]
    if name in ("localhost", "::1") or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        state: WebState = request.app.state.web
        if state.single_user and not _local_host(request.headers.get("host", "")):
            # without login, only a page the browser got from this machine's own name may
            # talk to us: a foreign name pointing here (DNS rebinding) is refused
            response: Response = Response("single-user mode answers localhost only", 421)
        else:
            response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers["Cache-Control"] = "no-store"
        return response


def create_app(
    home: Path,
    *,
    single_user: bool = False,
    embedder: Embedder | None = None,
    warm_up: bool = True,
) -> FastAPI:
    """The app for the store in ``home``. ``single_user`` serves without login (the CLI
    allows it only on a loopback address); ``warm_up`` loads the model in the background
    when the server starts."""
    state = WebState(home, single_user, embedder)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm_up:
            state.start_warm_up()
        switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        try:
            yield
        finally:
            sys.setswitchinterval(switch)
            state.reading.stop()  # a request waiting on a reading child returns at once
            state.passwords.close()  # the password checks still queued are dropped

    app = FastAPI(
        title="paperradar", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.web = state
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit)
    static = resources.files("paperradar.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    # the error pages are plain functions: rendered on worker threads, never on the event loop
    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 401 and request.method == "GET":
            if request.headers.get("hx-request"):
                return Response(status_code=401, headers={"HX-Redirect": "/login"})
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
        return render(request, "error.html", status=exc.status_code, message=str(exc.detail))

    @app.exception_handler(RequestValidationError)
    def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ())[1:]) or 'request'}: "
            f"{error.get('msg', 'invalid')}"
            for error in exc.errors()
        )
        return render(request, "error.html", status=400, message=f"bad request: {problems}")

    @app.exception_handler(BusyError)
    def busy(request: Request, exc: BusyError) -> Response:
        message = (
            "The store is busy with another writer (an ingest, say): try again in a few seconds."
            if isinstance(exc, StoreBusyError)
            else f"{str(exc)[:1].upper()}{str(exc)[1:]}."
        )
        response = render(request, "error.html", status=503, message=message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(PaperRadarError)
    def library_error(request: Request, exc: PaperRadarError) -> Response:
        status = 400 if exc.exit_code == 2 else 500
        return render(request, "error.html", status=status, message=str(exc))

    register(app)
    return app


def app_from_env() -> FastAPI:
    """The app a worker process makes for itself (uvicorn's ``factory=True``, gunicorn's
    ``paperradar.web.app:app_from_env()``): the home of ``$PAPERRADAR_HOME`` (else the
    default home), its store as ``open_store`` picks it (``$PAPERRADAR_STORE``, else
    ``[store] url``, else the SQLite file), single-user mode when ``$PAPERRADAR_SINGLE_USER``
    is 1. Single-user mode still answers loopback names only (the Host check above), however
    the server was bound."""
    single_user = os.environ.get(SINGLE_USER_ENV, "").strip() == "1"
    return create_app(resolve_home(None), single_user=single_user)
