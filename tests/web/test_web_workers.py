"""``paperradar serve --workers N``: several server processes on one store.

Real servers (``python -m paperradar ... serve --workers 2`` on a free port of 127.0.0.1) on
the real PostgreSQL test server, or a SQLite file. Which worker answered a request is read
from ``/proc``: each keep-alive connection is a socket held open by the worker process that
accepted it, so a request sent on a connection is answered by that worker.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from helpers import backends
from helpers.appserver import free_port
from helpers.cli import popen_cli, run_cli
from helpers.webhome import FIXTURES, PASSWORDS, build_home

from paperradar.embedding import FakeEmbedder
from paperradar.radar.profiles import load_profile
from paperradar.store import open_store
from paperradar.web.throttle import LIMIT

pytestmark = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="reads which process holds a socket in /proc"
)

#: the longest a server may take to answer its first request (2 workers starting on 2 cores)
START_S = 60.0
#: keep-alive connections opened at most to find both workers
MAX_CONNECTIONS = 40
DAY = "2026-07-01"


@contextlib.contextmanager
def serving(home: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``paperradar serve --workers 2 ARGS`` on a free port; its base URL once it answers."""
    port = free_port()
    server = popen_cli(home, "serve", "--port", str(port), "--workers", "2", *args)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_S
        while True:
            assert server.poll() is None, server.communicate()[1].decode()
            assert time.monotonic() < deadline, "the server did not answer in time"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/static/app.css", timeout=5).status_code == 200:
                    break
            time.sleep(0.1)
        yield base, server
    finally:
        server.terminate()
        try:
            _, stderr = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
            raise
        assert "Traceback" not in stderr.decode(), stderr.decode()


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()]


def _server_sockets(port: int) -> set[str]:
    """The inodes of the established connections accepted on ``port`` (IPv4 loopback)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "01" and int(local.split(":")[1], 16) == port:
            inodes.add(inode)
    return inodes


def connections_by_worker(server: subprocess.Popen[bytes], port: int) -> dict[int, int]:
    """How many established connections each worker process of the server holds."""
    inodes = _server_sockets(port)
    held: dict[int, int] = {}
    for pid in children(server.pid):
        count = 0
        with contextlib.suppress(FileNotFoundError, PermissionError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(FileNotFoundError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:[") and target[8:-1] in inodes:
                        count += 1
        if count:
            held[pid] = count
    return held


def login_token(client: httpx.Client | TestClient) -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, page.text
    return token.group(1)


def log_in(client: httpx.Client | TestClient, name: str, password: str) -> Any:
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf": login_token(client)},
        follow_redirects=False,
    )


def clients_on_both_workers(
    base: str, server: subprocess.Popen[bytes], cookies: httpx.Cookies, path: str
) -> tuple[list[httpx.Client], list[httpx.Response]]:
    """New keep-alive connections, each sending ``path``, until both workers hold some; the
    clients (to close) and the answers."""
    port = int(base.rsplit(":", 1)[1])
    clients: list[httpx.Client] = []
    answers: list[httpx.Response] = []
    for _ in range(MAX_CONNECTIONS):
        client = httpx.Client(base_url=base, cookies=cookies, timeout=30)
        clients.append(client)
        answers.append(client.get(path))
        if len(connections_by_worker(server, port)) == 2:
            return clients, answers
    for client in clients:
        client.close()
    raise AssertionError(f"{MAX_CONNECTIONS} connections, all answered by one worker")


@pytest.fixture
def pg_home(tmp_path: Path) -> Iterator[Path]:
    """The web home of helpers/webhome.py (alice, bob, their profiles, embedded papers), its
    store a PostgreSQL database of its own."""
    home = build_home(tmp_path / "home", backends.POSTGRES)
    try:
        yield home
    finally:
        backends.forget(home)


@pytest.mark.serial
def test_a_session_and_the_login_throttle_are_shared_by_the_workers(
    pg_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    with serving(pg_home) as (base, server):
        with httpx.Client(base_url=base, timeout=30) as first:
            assert log_in(first, "alice", PASSWORDS["alice"]).status_code == 303
            cookies = first.cookies
            clients, answers = clients_on_both_workers(
                base, server, cookies, f"/radar?profile=alice-ml&day={DAY}"
            )
            try:
                for answer in answers:  # the one session, on either worker
                    assert answer.status_code == 200
                    assert "alice-ml" in answer.text and "data-paper-id=" in answer.text
                for client in clients:  # and again, on the same connections
                    assert client.get("/profiles").status_code == 200
            finally:
                for client in clients:
                    client.close()

        # wrong passwords, each on a new connection held open: on both workers
        port = int(base.rsplit(":", 1)[1])
        guessing: list[httpx.Client] = []
        try:
            for _ in range(LIMIT):
                client = httpx.Client(base_url=base, timeout=30)
                guessing.append(client)
                wrong = log_in(client, "bob", "not-his-password")
                assert wrong.status_code == 303 and "failed=1" in wrong.headers["location"]
            spread = connections_by_worker(server, port)
            while len(spread) < 2 and len(guessing) < MAX_CONNECTIONS:  # reach both workers
                client = httpx.Client(base_url=base, timeout=30)
                guessing.append(client)
                assert client.get("/login").status_code == 200
                spread = connections_by_worker(server, port)
            assert len(spread) == 2, "the connections all went to one worker"
            for client in guessing:  # the right password now, on every connection
                locked = log_in(client, "bob", PASSWORDS["bob"])
                assert locked.status_code == 429, locked.text
                assert "Too many failed logins for this account" in locked.text
        finally:
            for client in guessing:
                client.close()


@pytest.mark.serial
def test_single_user_forms_post_to_any_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    home = build_home(tmp_path / "home")
    with serving(home, "--single-user") as (base, server):
        clients, answers = clients_on_both_workers(
            base, server, httpx.Cookies(), f"/radar?profile=alice-ml&day={DAY}"
        )
        try:
            tokens = set()
            for answer in answers:
                assert answer.status_code == 200
                found = re.search(r'<meta name="csrf-token" content="([^"]+)">', answer.text)
                assert found
                tokens.add(found.group(1))
            assert len(tokens) == 1, "the workers give different CSRF tokens"
            (token,) = tokens
            pid = re.findall(r'data-paper-id="([^"]+)"', answers[0].text)[0]
            for client in clients:  # the token of one worker's page, posted to each
                liked = client.post(
                    "/feedback",
                    data={"paper": pid, "profile": "alice-ml", "action": "like", "day": DAY},
                    headers={"X-CSRF-Token": token, "HX-Request": "true"},
                )
                assert liked.status_code == 200, liked.text
        finally:
            for client in clients:
                client.close()
    secret = home / "single-user-csrf"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert secret.read_text().strip() == token


def test_workers_below_one_are_refused() -> None:
    for value in ("0", "-3"):
        result = run_cli(Path("/nonexistent-paperradar-home"), "serve", "--workers", value)
        assert result.code == 2
        assert result.stderr.strip() == f"error: --workers must be 1 or more, not {value}"
        assert "Traceback" not in result.stderr


def write_listing(path: Path, first: int, count: int) -> list[str]:
    """A JSONL listing of ``count`` new papers of the radar's day; their ids."""
    import json

    topics = ("graph transformer", "query optimizer", "diffusion model", "index structure")
    ids, lines = [], []
    for n in range(first, first + count):
        pid = f"2607.{n:05d}"
        topic = topics[n % len(topics)]
        ids.append(pid)
        lines.append(
            json.dumps(
                {
                    "id": pid,
                    "title": f"On {topic} number {n}",
                    "abstract": f"We study {topic} at scale {n}; experiments on {topic} data.",
                    "authors": [f"Author {n}"],
                    "categories": ["cs.LG"],
                    "crawl_date": DAY,
                }
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


#: how long the users keep going after the commands have finished, at least
AFTER_S = 2.0
#: the longest the commands and the users may run together
LOAD_S = 90.0


@pytest.mark.serial
def test_workers_an_ingest_and_an_embed_at_once_lose_nothing(
    pg_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    # papers waiting for `paperradar embed`, and papers for `paperradar ingest --embed`
    waiting = write_listing(tmp_path / "waiting.jsonl", 10_000, 150)
    assert run_cli(pg_home, "ingest", "--quiet", tmp_path / "waiting.jsonl").code == 0
    assert run_cli(pg_home, "profile", "add", "bob-db", FIXTURES / "own.bib").code == 0
    incoming = write_listing(tmp_path / "incoming.jsonl", 20_000, 150)
    profiles = {"alice": "alice-ml", "bob": "bob-db"}
    liked: dict[str, set[str]] = {"alice": set(), "bob": set()}
    errors: list[str] = []
    done = threading.Event()

    def user(base: str, name: str, cookies: httpx.Cookies) -> None:
        profile = profiles[name]
        radar = f"/radar?profile={profile}&day={DAY}"
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
            while not done.is_set():
                page = client.get(radar)
                if page.status_code != 200:
                    errors.append(f"{name} GET {radar}: {page.status_code} {page.text[:300]}")
                    return
                token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
                cards = re.findall(r'data-paper-id="([^"]+)"', page.text)
                fresh = [p for p in cards if p not in liked[name]]
                if token is None or not fresh:
                    continue
                answer = client.post(
                    "/feedback",
                    data={"paper": fresh[0], "profile": profile, "action": "like", "day": DAY},
                    headers={"X-CSRF-Token": token.group(1), "HX-Request": "true"},
                )
                if answer.status_code != 200:
                    errors.append(f"{name} like {fresh[0]}: {answer.status_code}")
                    return
                liked[name].add(fresh[0])

    with serving(pg_home) as (base, _):
        sessions = {}
        for name in profiles:
            with httpx.Client(base_url=base, timeout=30) as client:
                assert log_in(client, name, PASSWORDS[name]).status_code == 303
                sessions[name] = client.cookies
        users = [
            threading.Thread(target=user, args=(base, name, sessions[name]), daemon=True)
            for name in profiles
            for _ in range(2)  # two connections a user: on either worker
        ]
        for thread in users:
            thread.start()
        commands = [
            popen_cli(pg_home, "ingest", "--embed", "--quiet", tmp_path / "incoming.jsonl"),
            popen_cli(pg_home, "embed"),
        ]
        try:
            results = [command.communicate(timeout=LOAD_S) for command in commands]
        finally:
            time.sleep(AFTER_S)
            done.set()
            for thread in users:
                thread.join(LOAD_S)
            for command in commands:
                if command.poll() is None:
                    command.kill()
                    command.communicate()
        for command, (_, stderr) in zip(commands, results, strict=True):
            assert command.returncode == 0, stderr.decode()
            assert "Traceback" not in stderr.decode()
        assert not any(thread.is_alive() for thread in users)
        assert errors == []

    assert liked["alice"] and liked["bob"]
    with open_store(pg_home) as store:
        for name, profile in profiles.items():
            stored = set(load_profile(store, profile).liked())
            assert {store.papers.resolve(pid) for pid in liked[name]} <= stored, name
        for pid in waiting + incoming:
            store.papers.resolve(pid)  # present (a UsageError otherwise)
        assert store.vectors.count_pending(FakeEmbedder().model_id) == 0


def test_a_kept_radar_page_is_ranked_again_only_when_what_it_shows_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each process keeps the radar's first pages (web/first_pages.py): a reload is not ranked
    again, nor is it after another user's like; a like on the profile made by another
    process is seen at once, and a page is ranked again once it is MAX_AGE_S old."""
    from paperradar.digest import make_digest
    from paperradar.radar.profiles import record_feedback
    from paperradar.web import first_pages
    from paperradar.web.app import create_app

    home = build_home(tmp_path / "home")
    made: list[str] = []

    def counted(*args: object, **kwargs: object) -> object:
        made.append(str(args[1]))
        return make_digest(*args, **kwargs)  # type: ignore[arg-type]

    now = [1000.0]
    monkeypatch.setattr("paperradar.web.routes.radar.make_digest", counted)
    app = create_app(home, embedder=FakeEmbedder(), warm_up=False)
    state = app.state.web
    state.first_pages = first_pages.FirstPages(state.store, clock=lambda: now[0])
    client = TestClient(app)
    assert log_in(client, "alice", PASSWORDS["alice"]).status_code == 303
    radar = f"/radar?profile=alice-ml&day={DAY}"
    first = client.get(radar)
    assert client.get(radar).text == first.text  # kept: the same page, not ranked again
    assert made == ["alice-ml"]
    cards = re.findall(r'<article class="card" data-paper-id="([^"]+)">', first.text)
    with open_store(home) as other:  # another process: bob likes a paper on his profile
        record_feedback(other, "bob-db", [cards[1]], "like")
    assert client.get(radar).text == first.text
    assert made == ["alice-ml"]
    with open_store(home) as other:  # ... and alice's top card is liked elsewhere
        record_feedback(other, "alice-ml", [cards[0]], "like")
    again = client.get(radar)
    assert made == ["alice-ml", "alice-ml"]
    ranked = again.text.split('<ol id="radar-list"', 1)[1].split("</ol>", 1)[0]
    assert f'data-paper-id="{cards[0]}"' not in ranked  # rated now, not ranked
    with open_store(home) as other:  # a commit that leaves alice's page as it was
        record_feedback(other, "bob-db", [cards[2]], "like")
    now[0] += first_pages.MAX_AGE_S - 1
    client.get(radar)
    assert len(made) == 2  # still young enough
    now[0] += 2
    client.get(radar)
    assert len(made) == 3  # too old once the store changed: ranked again
    client.get(radar)
    assert len(made) == 3  # and the store has not changed since
