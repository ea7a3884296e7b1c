"""The web app: FastAPI + Jinja2 + htmx, a thin shell over the library (docs/web.md).

One process holds one store connection (the library's caches -- vector index, keyword
counts -- are validated per connection), used by one request at a time. Every page calls
the same library functions as the CLI.

Security, on every response: a Content-Security-Policy that allows scripts, styles and
images from this server only (no inline script or style, no eval), ``nosniff``, no framing,
``Referrer-Policy: same-origin``. Every state-changing request (POST) must carry the
session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``) and, when the browser
sends one, an ``Origin`` of this server. Templates autoescape everything: feed text is never
rendered as HTML.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperradar.embedding import Embedder, default_embedder
from paperradar.errors import PaperRadarError
from paperradar.store import Store
from paperradar.web.accounts import Session, User, session_for
from paperradar.web.throttle import LoginThrottle

SESSION_COOKIE = "pr_session"
LOGIN_COOKIE = "pr_login"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
#: largest accepted request body (uploads of own papers): 5 MB
MAX_BODY = 5 * 1024 * 1024


@dataclass(slots=True)
class Viewer:
    """Who is asking: a logged-in user, or the single user of single-user mode."""

    user: User | None
    csrf: str
    single_user: bool

    @property
    def name(self) -> str:
        return self.user.name if self.user else "local"


class WebState:
    """What the app holds for its whole life."""

    def __init__(self, home: Path, single_user: bool, embedder: Embedder | None) -> None:
        self.home = home
        self.single_user = single_user
        self.store = Store.open(home)
        self.lock = threading.Lock()  # released by whichever worker thread ends the request
        self._embedder = embedder
        self.local_csrf = secrets.token_urlsafe(32)  # single-user mode has no session
        #: (profile, day) -> the ranked entries the radar last showed, by row id: a feedback
        #: button answers its card with the score it had, without ranking the day again
        self.shown: dict[tuple[str, str], dict[int, Any]] = {}
        self.logins = LoginThrottle()  # failed logins per account name
        self.templates = Environment(
            loader=PackageLoader("paperradar.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = default_embedder()
        return self._embedder


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def store_of(request: Request) -> Iterator[Store]:
    """The store, held by this request alone until it has answered."""
    state = state_of(request)
    with state.lock:
        yield state.store


def viewer_of(request: Request, store: Annotated[Store, Depends(store_of)]) -> Viewer:
    """The viewer; an anonymous request gets 401 (the app redirects pages to /login)."""
    state = state_of(request)
    if state.single_user:
        return Viewer(None, state.local_csrf, True)
    session: Session | None = session_for(store, request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise HTTPException(status_code=401, detail="log in first")
    return Viewer(session.user, session.csrf, False)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page or fragment from the templates, with the viewer's CSRF token at hand."""
    state = state_of(request)
    html = state.templates.get_template(template).render(
        request=request, single_user=state.single_user, **context
    )
    return HTMLResponse(html, status_code=status)


def check_csrf(request: Request, viewer: Viewer, form_token: str | None) -> None:
    """A POST must carry the viewer's token and, if the browser sends an Origin, our own
    (an opaque ``null`` origin is refused too)."""
    sent = request.headers.get("x-csrf-token") or form_token or ""
    if not hmac.compare_digest(sent.encode(), viewer.csrf.encode()):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token")
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise HTTPException(status_code=403, detail="cross-origin request refused")


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
    home: Path, *, single_user: bool = False, embedder: Embedder | None = None
) -> FastAPI:
    """The app for the store in ``home``. ``single_user`` serves without login (the CLI
    allows it only on a loopback address)."""
    app = FastAPI(title="paperradar", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = WebState(home, single_user, embedder)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit)
    static = resources.files("paperradar.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 401 and request.method == "GET":
            if request.headers.get("hx-request"):
                return Response(status_code=401, headers={"HX-Redirect": "/login"})
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
        return render(request, "error.html", status=exc.status_code, message=str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ())[1:]) or 'request'}: "
            f"{error.get('msg', 'invalid')}"
            for error in exc.errors()
        )
        return render(request, "error.html", status=400, message=f"bad request: {problems}")

    @app.exception_handler(PaperRadarError)
    async def library_error(request: Request, exc: PaperRadarError) -> Response:
        status = 400 if exc.exit_code == 2 else 500
        return render(request, "error.html", status=status, message=str(exc))

    from paperradar.web.routes import register

    register(app)
    return app
