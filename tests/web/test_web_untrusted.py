"""Untrusted work off the request path: an upload is read in a child process with a time and
a memory limit, never holding the store's write lock; a busy store answers 503; failed
logins are limited per client address; SIGTERM stops ``paperradar serve`` during an upload.

The slow upload is a real one: 45,000 BibTeX entries with nested braces (4.6 MB, under the
5 MB limit), which take seconds to read. The timed tests and the one that signals a server
run with the serial ones. The upload tests run on both storage backends (SQLite, and a
PostgreSQL database named by the home's config.toml: tests/helpers/backends.py); the busy-store
tests are SQLite's: another connection holds the file's write lock past ``busy_timeout``,
which the test sets to 0.2 s (PostgreSQL waits for a row lock its fixed ``lock_timeout``, 10 s).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import sqlite3
import string
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from helpers import paths
from helpers.appserver import free_port, serving
from helpers.backends import PerBackend, on_both_backends
from helpers.webhome import PASSWORDS, build_home

from paperradar import Store
from paperradar.embedding import FakeEmbedder
from paperradar.errors import ConfigError, StoreBusyError
from paperradar.radar.profiles import create_profile
from paperradar.readers.isolated import IsolatedReader, Limits
from paperradar.store.sqlite.store import BUSY_TIMEOUT_ENV, DB_NAME
from paperradar.web.accounts import authenticate
from paperradar.web.app import create_app
from paperradar.web.deps import WebState
from paperradar.web.throttle import CLIENT_LIMIT

#: what a fast page may take while an upload is read (it takes a few ms alone)
FAST = 1.0
#: how long a test waits for something that should happen at once
PATIENCE = 30.0
#: entries in BIG_BIB
ENTRIES = 45_000
#: a valid BibTeX file that takes seconds to read
BIG_BIB = b"".join(
    b"@article{k%d, title={Title %d {{{{nested}}}}}, author={Ada Lovelace and Alan Turing},"
    b" year={2020}}\n" % (i, i)
    for i in range(ENTRIES)
)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def template_homes(tmp_path_factory: pytest.TempPathFactory) -> PerBackend[Path]:
    return PerBackend(
        lambda backend: build_home(tmp_path_factory.mktemp("untrusted") / "home", backend)
    )


@pytest.fixture
def home(
    template_homes: PerBackend[Path], backend: str, home_copies: Callable[[Path, str], Path]
) -> Path:
    return home_copies(template_homes(backend), "home")


@contextlib.contextmanager
def closing(app: Any) -> Iterator[Any]:
    """The app, its store closed afterwards (a PostgreSQL store's connections with it)."""
    try:
        yield app
    finally:
        app.state.web.store.close()


def log_in(client: httpx.Client | TestClient, name: str, password: str | None = None) -> Any:
    """Post the login form; the answer."""
    token = CSRF.search(client.get("/login").text)
    assert token
    return client.post(
        "/login",
        data={"name": name, "password": password or PASSWORDS[name], "csrf": token.group(1)},
        follow_redirects=False,
    )


@contextlib.contextmanager
def session(base: str, name: str) -> Iterator[tuple[httpx.Client, str]]:
    """A logged-in client and its session's CSRF token."""
    with httpx.Client(base_url=base, timeout=120) as client:
        assert log_in(client, name).status_code == 303
        token = CSRF.search(client.get("/profiles").text)
        assert token
        yield client, token.group(1)


def upload(client: httpx.Client | TestClient, csrf: str, data: bytes, profile: str) -> Any:
    return client.post(
        f"/profiles/{profile}/upload",
        data={"csrf": csrf, "format": ""},
        files={"file": ("mine.bib", data)},
        follow_redirects=False,
    )


def wait_for(check: Any, what: str) -> Any:
    deadline = time.monotonic() + PATIENCE
    while not (found := check()):
        assert time.monotonic() < deadline, f"{what} did not happen in {PATIENCE} s"
        time.sleep(0.02)
    return found


def in_background(answers: dict[str, Any], key: str, call: Any) -> threading.Thread:
    def run() -> None:
        answers[key] = call()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


# --------------------------------------------------------------------------- uploads


@pytest.mark.serial
def test_a_slow_upload_does_not_delay_another_users_page(home: Path) -> None:
    app = create_app(home, embedder=FakeEmbedder(), warm_up=False)
    state: WebState = app.state.web
    with (
        serving(app) as base,
        session(base, "alice") as (alice, csrf),
        session(base, "bob") as (bob, _bob_csrf),
    ):
        answers: dict[str, Any] = {}
        thread = in_background(answers, "upload", lambda: upload(alice, csrf, BIG_BIB, "alice-ml"))
        wait_for(state.reading.running, "the upload's reading child")
        for _ in range(3):
            started = time.monotonic()
            page = bob.get("/search?q=graph&mode=keyword")
            took = time.monotonic() - started
            assert page.status_code == 200 and "graph" in page.text.lower()
            assert took < FAST, f"a search took {took:.2f} s while an upload was read"
        assert state.reading.running(), "the upload was read before the searches: not slow"
        thread.join(PATIENCE * 4)
    assert answers["upload"].status_code == 303, answers["upload"].text[-500:]
    assert f"n={ENTRIES}&m=0" in answers["upload"].headers["location"]


@pytest.mark.serial
def test_a_cli_ingest_beside_a_web_upload_both_succeed(home: Path) -> None:
    # SQLite only: its single writer is what could make the two wait for each other (on
    # PostgreSQL the upload is one papers transaction beside the ingest's; 45,000 papers there
    # take too long for make test)
    app = create_app(home, embedder=FakeEmbedder(), warm_up=False)
    state: WebState = app.state.web
    with closing(app), serving(app) as base, session(base, "alice") as (alice, csrf):
        answers: dict[str, Any] = {}
        thread = in_background(answers, "upload", lambda: upload(alice, csrf, BIG_BIB, "alice-ml"))
        wait_for(state.reading.running, "the upload's reading child")
        ingest = subprocess.run(
            [sys.executable, "-m", "paperradar", "--home", str(home), "ingest",
             str(paths.FIXTURES / "radar" / "listings.jsonl")],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "PAPERRADAR_EMBEDDER": "fake", BUSY_TIMEOUT_ENV: "2"},
        )  # fmt: skip
        assert ingest.returncode == 0, ingest.stderr
        assert state.reading.running(), "the upload was read before the ingest: not beside it"
        thread.join(PATIENCE * 4)
    assert answers["upload"].status_code == 303, answers["upload"].text[-500:]


@on_both_backends
def test_a_file_over_the_time_limit_is_a_clear_400_and_nothing_is_added(home: Path) -> None:
    app = create_app(home, embedder=FakeEmbedder(), warm_up=False)
    state: WebState = app.state.web
    state.reading = IsolatedReader(Limits(time_s=0.3))
    with closing(app):
        over_the_time_limit(TestClient(app), state)


def over_the_time_limit(client: TestClient, state: WebState) -> None:
    assert log_in(client, "alice").status_code == 303
    csrf = CSRF.search(client.get("/profiles/alice-ml").text)
    assert csrf
    before = client.get("/profiles/alice-ml").text.count('href="/papers/')
    answer = upload(client, csrf.group(1), BIG_BIB, "alice-ml")
    assert answer.status_code == 400
    assert "mine.bib: the file took too long to read (over 0.3 s)" in answer.text
    text = BIG_BIB[: BIG_BIB.rindex(b"\n", 0, 600_000)].decode()  # the most a form field takes
    pasted = client.post(
        "/profiles/alice-ml/paste",
        data={"csrf": csrf.group(1), "text": text},
        follow_redirects=False,
    )
    assert pasted.status_code == 400
    assert "pasted text: the file took too long to read" in pasted.text
    assert client.get("/profiles/alice-ml").text.count('href="/papers/') == before
    assert state.reading.running() == []


def test_a_file_over_the_memory_limit_is_a_clear_400(home: Path) -> None:
    app = create_app(home, embedder=FakeEmbedder(), warm_up=False)
    app.state.web.reading = IsolatedReader(Limits(memory=100 * 1024 * 1024))
    client = TestClient(app)
    assert log_in(client, "alice").status_code == 303
    csrf = CSRF.search(client.get("/profiles/alice-ml").text)
    assert csrf
    answer = upload(client, csrf.group(1), BIG_BIB, "alice-ml")
    assert answer.status_code == 400
    assert "mine.bib: the file needs too much memory to read (over 100 MiB)" in answer.text


@on_both_backends
def test_an_upload_read_in_a_child_adds_its_papers_as_before(home: Path) -> None:
    with closing(create_app(home, embedder=FakeEmbedder(), warm_up=False)) as app:
        adds_its_papers(TestClient(app))


def adds_its_papers(client: TestClient) -> None:
    assert log_in(client, "bob").status_code == 303
    csrf = CSRF.search(client.get("/profiles/bob-db").text)
    assert csrf
    data = (paths.FIXTURES / "radar" / "own.bib").read_bytes()
    answer = upload(client, csrf.group(1), data, "bob-db")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/profiles/bob-db?done=added&n=3&m=0"
    broken = upload(client, csrf.group(1), data.replace(b"}\n", b"\n", 1), "bob-db")
    assert broken.status_code == 400
    assert "mine.bib:" in broken.text


# --------------------------------------------------------------------------- a busy store


def test_a_busy_store_answers_503_with_retry_after(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BUSY_TIMEOUT_ENV, "0.2")
    client = TestClient(create_app(home, embedder=FakeEmbedder(), warm_up=False))
    assert log_in(client, "alice").status_code == 303
    radar = client.get("/radar?profile=alice-ml&day=2026-07-01")
    csrf = CSRF.search(radar.text)
    paper = re.search(r'name="paper" value="([^"]+)"', radar.text)
    assert csrf and paper
    like = {"csrf": csrf.group(1), "paper": paper.group(1), "profile": "alice-ml", "action": "like"}
    blocker = sqlite3.connect(home / DB_NAME, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer, holding the lock past the timeout
    try:
        busy = client.post("/feedback", data=like, follow_redirects=False)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "5"
    assert "The store is busy with another writer" in busy.text
    again = client.post("/feedback", data=like, follow_redirects=False)
    assert again.status_code == 303


def test_the_store_raises_store_busy_error_past_its_busy_timeout(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BUSY_TIMEOUT_ENV, "0.1")
    blocker = sqlite3.connect(home / DB_NAME, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with Store.open(home) as store, pytest.raises(StoreBusyError, match="database is locked"):
            create_profile(store, "another")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    monkeypatch.setenv(BUSY_TIMEOUT_ENV, "soon")
    with pytest.raises(ConfigError, match=BUSY_TIMEOUT_ENV):
        Store.open(home)


# --------------------------------------------------------------------------- logins


def test_failed_logins_with_random_names_are_refused_per_address(home: Path) -> None:
    app = create_app(home, embedder=FakeEmbedder(), warm_up=False)
    flood = TestClient(app, client=("192.0.2.7", 40000))
    for _ in range(CLIENT_LIMIT):
        name = "".join(random.choices(string.ascii_lowercase, k=10))
        wrong = log_in(flood, name, "wrong-password")
        assert wrong.status_code == 303 and "failed=1" in wrong.headers["location"]
    refused = log_in(flood, "someone-new", "wrong-password")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "Too many failed logins for your address: try again in 1 min." in refused.text
    assert log_in(flood, "alice").status_code == 429  # the right password too, from there
    other = TestClient(app, client=("192.0.2.8", 40000))
    assert log_in(other, "alice").status_code == 303  # another address is not affected


def test_a_login_being_checked_does_not_hold_up_another_user(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(home, embedder=FakeEmbedder(), warm_up=False)
    bob = TestClient(app)
    assert log_in(bob, "bob").status_code == 303
    inside, release = threading.Event(), threading.Event()

    def held(*args: Any) -> Any:
        inside.set()
        assert release.wait(PATIENCE)
        return authenticate(*args)

    monkeypatch.setattr("paperradar.web.routes.auth.authenticate", held)
    answers: dict[str, Any] = {}
    thread = in_background(answers, "login", lambda: log_in(TestClient(app), "alice"))
    try:
        assert inside.wait(PATIENCE)
        assert bob.get("/search?q=graph&mode=keyword").status_code == 200
        assert thread.is_alive()
    finally:
        release.set()
        thread.join(PATIENCE)
    assert answers["login"].status_code == 303


# --------------------------------------------------------------------------- SIGTERM


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` and that read a file for it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"paperradar.readers.isolated" in cmdline:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.serial
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the reading child in /proc")
def test_sigterm_stops_the_server_within_seconds_during_an_upload(home: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "paperradar", "--home", str(home), "serve", "--port", str(port)],
        env={**os.environ, "PAPERRADAR_EMBEDDER": "fake"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(base), "the server's start")
        with session(base, "alice") as (alice, csrf):
            thread = in_background({}, "upload", lambda: _upload_quietly(alice, csrf))
            children = wait_for(lambda: _children(server.pid), "the upload's reading child")
            started = time.monotonic()
            server.send_signal(signal.SIGTERM)
            server.wait(PATIENCE)
            took = time.monotonic() - started
            thread.join(PATIENCE)  # its connection was closed by the server
            thread.join(PATIENCE)  # the upload's connection was closed
        assert took < 5.0, f"the server took {took:.1f} s to stop"
        wait_for(lambda: not any(_alive(child) for child in children), "the child's end")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        assert server.stderr is not None
        assert b"Traceback" not in server.stderr.read()
        server.stderr.close()


def _answers(base: str) -> bool:
    try:
        return httpx.get(base + "/login", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _upload_quietly(client: httpx.Client, csrf: str) -> None:
    with contextlib.suppress(httpx.HTTPError):
        upload(client, csrf, BIG_BIB, "alice-ml")
