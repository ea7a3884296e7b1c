"""What a request depends on: the app's state, the store, the viewer, templates, CSRF.

The routes declare these as FastAPI dependencies. The store is one object for the app's
life, shared by the worker threads that serve requests; each thread has its own connection
to it (SQLite; a server backend hands out pooled ones), so requests run in parallel and no
request waits for another's. The caches behind search and ranking belong to the store and
are checked against its version, so every thread sees what any other committed.

Several server processes (``paperradar serve --workers N``, or gunicorn) can serve one
store: sessions and failed logins live in the store, and single-user mode's CSRF token in a
file of the home (:func:`shared_secret`), so any process answers any request.

The embedder is made once, however many requests ask for it at once; :meth:`WebState.warm_up`
(run by the app in a background thread at start-up) loads its model and imports what the
first re-rank needs, so that no request has to.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from paperradar.config import load_config
from paperradar.embedding import Embedder, default_embedder
from paperradar.errors import ConfigError, PaperRadarError
from paperradar.radar.trending import TrendingCache
from paperradar.readers.isolated import IsolatedReader
from paperradar.search.rerank import Reranker, configured_reranker
from paperradar.store import open_store
from paperradar.store.api import Store
from paperradar.web.accounts import Session, User, session_for
from paperradar.web.first_pages import FirstPages
from paperradar.web.hashing import PasswordChecks
from paperradar.web.throttle import (
    CLIENT_LIMIT,
    CLIENT_SCOPE,
    CLIENT_WINDOW_S,
    NAME_SCOPE,
    LoginThrottle,
)

SESSION_COOKIE = "pr_session"
LOGIN_COOKIE = "pr_login"
#: largest accepted request body (uploads of own papers): 5 MB
MAX_BODY = 5 * 1024 * 1024
#: the text the warm-up embeds to load the model
WARM_UP_TEXT = "paperradar warm-up"
#: single-user mode's CSRF token, in the home: the same in every server process
CSRF_FILE = "single-user-csrf"

log = logging.getLogger(__name__)


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
        self.store = open_store(home)  # shared by the worker threads, a connection each
        #: the trending page's answers, kept until the store changes
        self.trending = TrendingCache(self.store)
        #: the radar's first pages, kept while what they are ranked from is unchanged
        self.first_pages = FirstPages(self.store)
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        self._reranker: Reranker | None = None
        #: set when :meth:`warm_up` has finished (loaded, or failed and logged)
        self.warmed = threading.Event()
        #: single-user mode has no session: one token for every process serving the home
        self.local_csrf = shared_secret(home / CSRF_FILE) if single_user else ""
        #: (profile, day) -> the ranked entries the radar last showed, by row id: a feedback
        #: button answers its card with the score it had, without ranking the day again
        self.shown: dict[tuple[str, str], dict[int, Any]] = {}
        #: failed logins per account name, counted in the store (every process the same)
        self.logins = LoginThrottle(self.store.accounts, NAME_SCOPE)
        #: failed logins per client address
        self.clients = LoginThrottle(
            self.store.accounts, CLIENT_SCOPE, CLIENT_LIMIT, CLIENT_WINDOW_S
        )
        #: reads uploaded and pasted files in child processes (killed when the server stops)
        self.reading = IsolatedReader()
        #: the password checks: one at a time, on a low-priority thread of their own
        self.passwords = PasswordChecks()
        self.templates = Environment(
            loader=PackageLoader("paperradar.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    @property
    def embedder(self) -> Embedder:
        """The home's embedder, made by the first request that asks (the others wait)."""
        if self._embedder is None:
            with self._embedder_lock:
                if self._embedder is None:
                    self._embedder = default_embedder(load_config(self.home))
        return self._embedder

    def warm_up(self) -> None:
        """Load the embedding model (one short text embedded) and import the classifier the
        first re-rank after feedback trains. A failure is logged, not raised: the first page
        that needs what failed reports it."""
        try:
            self.embedder.embed([WARM_UP_TEXT])
            import sklearn.linear_model  # noqa: F401  (the feedback classifier's import)
        except (PaperRadarError, ImportError) as exc:
            log.warning("warm-up: %s", exc)
        finally:
            self.warmed.set()

    def start_warm_up(self) -> threading.Thread:
        """:meth:`warm_up` in a daemon thread; returns at once."""
        thread = threading.Thread(target=self.warm_up, name="paperradar-warm-up", daemon=True)
        thread.start()
        return thread

    @property
    def reranker(self) -> Reranker:
        """``[search] rerank`` of the home's config (read once, like the embedder)."""
        if self._reranker is None:
            self._reranker = configured_reranker(load_config(self.home))
        return self._reranker


def shared_secret(path: Path) -> str:
    """The random token in ``path``, made by the first process that asks: written to a
    private temporary file (mode 0600) and linked into place, so the file appears whole or
    not at all, and of processes racing to make it the first link wins and all read it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as file:
                    file.write(secrets.token_urlsafe(32) + "\n")
                    file.flush()
                    os.fsync(file.fileno())
                with contextlib.suppress(FileExistsError):  # another process's token stays
                    os.link(temp, path)  # never replaces a file
            finally:
                temp.unlink(missing_ok=True)
        token = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read or make the single-user CSRF token: {exc}") from exc
    if len(token) < 32:
        raise ConfigError(f"{path}: not a CSRF token (delete the file to make a new one)")
    return token


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def store_of(request: Request) -> Iterator[Store]:
    """The store for this request: the app's store, on this worker thread's connection."""
    yield state_of(request).store


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
