"""The web app in a real browser: Debian's Chromium, headless, driven by Playwright.

The real server runs as a subprocess (``python -m paperradar --home HOME serve --port P``,
``PAPERRADAR_EMBEDDER=fake``) over the web home of tests/helpers/webhome.py plus two papers whose
title, abstract, authors, organisation, comment and links carry script payloads. The tests
log in, read the radar, like a paper and re-rank, search, open a paper, hover the topic map,
check that no payload ran (no ``window.__xss``, no dialog, no Content-Security-Policy
report about the app's own assets), and that one user cannot see another's profile.

Every step leaves a screenshot in tests/artifacts/ (git-ignored). With
``PAPERRADAR_SCREENSHOT_DOCS=1`` the radar of the shipped arXiv slice is also saved as
docs/img/radar.png (the README's picture), ranked with the real model.

The main flows (log in and read the radar, like and re-rank, search, a paper page, another
user refused) run on both storage backends: a second server serves a home whose store is a
PostgreSQL database (tests/helpers/backends.py).

Chromium (``apt-get install chromium``) and the Python package playwright (the dev extras)
are installed by ``make test``; without them these tests fail and say what is missing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import backends, paths
from helpers.backends import PerBackend, on_both_backends
from helpers.paths import ARXIV_SLICE, REPO, SEED_FILES
from helpers.webhome import PASSWORDS, build_home

from paperradar import Store, ingest_files
from paperradar.digest import DigestOptions, make_digest
from paperradar.embedding import Embedder, FakeEmbedder, MiniLMEmbedder
from paperradar.embedding.backfill import embed_missing
from paperradar.radar.profiles import add_files, create_profile
from paperradar.web.accounts import add_user, grant_profile

# one worker runs them all (one server and one browser), beside the other tests
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CHROMIUM = Path(os.environ.get("PAPERRADAR_CHROMIUM", "/usr/bin/chromium"))
#: how this machine's Chromium runs headless (no sandbox as root, no calls home)
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = paths.TESTS / "artifacts"
DOCS_IMAGE = REPO / "docs" / "img" / "radar.png"
DAY = "2026-07-01"  # the first listing day of tests/fixtures/radar/listings.jsonl
MAP_DAY = "2026-07-02"  # the newest listing day: the topic map's candidates
SLICE_DAY = "2026-07-01"  # the last day of the shipped arXiv slice
SLICE_PASSWORD = "researcher-password"

XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_ATTR = '" onmouseover="window.__xss=1" x="'
XSS_LINK = "javascript:window.__xss=1"
XSS_TITLE = f"Graph neural network message passing {XSS_SCRIPT} {XSS_IMG} {XSS_ATTR}"
XSS_PAPER = {
    "title": XSS_TITLE,
    "abstract": (
        f"We study graph neural network models with message passing {XSS_IMG} for molecule "
        f'property prediction on molecular graphs {XSS_SCRIPT} <a href="{XSS_LINK}">code</a>.'
    ),
    "authors": [XSS_SCRIPT, f"Ada {XSS_IMG}", XSS_ATTR],
    "categories": ["cs.LG"],
    "organisation": XSS_IMG,
    "comment": f"code at {XSS_LINK}",
    "keywords": [XSS_SCRIPT],
    "links": {"url": XSS_LINK, "code": XSS_LINK, "pdf": f" {XSS_LINK}"},
    "listed": DAY,
    "submitted": DAY,
    "abstract_truncated": False,
    "aliases": [],
}
#: the same payloads on the newest day, so the topic map shows them too
XSS_MAP_TITLE = f"Robot manipulation with a grasping policy {XSS_SCRIPT} {XSS_IMG} {XSS_ATTR}"
XSS_MAP_PAPER = {
    **XSS_PAPER,
    "title": XSS_MAP_TITLE,
    "abstract": f"A grasping policy {XSS_SCRIPT} for robot manipulation {XSS_IMG} and locomotion.",
    "listed": MAP_DAY,
    "submitted": MAP_DAY,
}


# --------------------------------------------------------------------------- harness


def require_browser() -> Any:
    """The Playwright sync API, or a failure that says how to install what is missing."""
    problems = []
    sync_playwright: Any = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        problems.append(
            f"the Python package playwright is not installed ({exc}): "
            "`make test` installs it, or `pip install -e '.[dev]'`"
        )
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        problems.append(
            f"{CHROMIUM} is missing: `make test` installs it, or `apt-get install chromium`"
        )
    if problems:
        pytest.fail("the browser tests cannot run: " + "; ".join(problems), pytrace=False)
    return sync_playwright


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """The real ``paperradar serve`` in a subprocess."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def serve(home: Path, log: Path, *, fake: bool = True, timeout: float = 60.0) -> Iterator[Server]:
    """Start the server on a free port, wait until it answers, stop it afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"PAPERRADAR_HOME", "COLUMNS"}}
    env["PYTHONUTF8"] = "1"
    if fake:
        env["PAPERRADAR_EMBEDDER"] = "fake"
    else:
        env.pop("PAPERRADAR_EMBEDDER", None)
    cmd = [sys.executable, "-m", "paperradar", "--home", str(home)]
    cmd += ["serve", "--port", str(port)]
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, cwd=REPO, env=env)
    server = Server(f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{server.output()}")
            try:
                if httpx.get(server.url + "/login", timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer in {timeout:.0f} s:\n{server.output()}")
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Watch:
    """What a page did that it should not: dialogs, script errors, CSP reports, console errors."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # assets and htmx calls answered >= 400


#: runs before any page script (injected by the browser, not subject to the page's CSP)
RECORD_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push({directive: e.violatedDirective, blocked: e.blockedURI,
                     source: e.sourceFile, line: e.lineNumber});
});
"""


def watch(page: Any) -> Watch:
    seen = Watch()

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: seen.console.append(f"{msg.type}: {msg.text}") if msg.type == "error" else None,
    )

    def on_response(response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            seen.failed.append(f"{response.status} {response.request.method} {response.url}")

    page.on("response", on_response)
    return seen


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def own_asset_violations(page: Any) -> list[dict[str, Any]]:
    """CSP reports other than a blocked inline payload: anything about this server's files
    (a stylesheet, a script, an inline style of a template, an image) is a page bug."""
    reports: list[dict[str, Any]] = page.evaluate("window.__csp || []")
    payload = {"script-src-elem", "script-src-attr", "script-src"}
    return [r for r in reports if not (r["blocked"] == "inline" and r["directive"] in payload)]


def assert_clean(page: Any, seen: Watch, base: str) -> None:
    """No payload ran, no dialog opened, no script error, no CSP report about own assets."""
    assert page.evaluate("window.__xss") is None, "a script payload ran"
    assert seen.dialogs == [], f"dialogs opened: {seen.dialogs}"
    assert seen.errors == [], f"script errors: {seen.errors}"
    assert own_asset_violations(page) == [], "CSP blocked the app's own assets"
    assert seen.failed == [], f"requests of the page failed: {seen.failed}"
    refused = [c for c in seen.console if base in c]
    assert refused == [], f"the browser refused the app's own assets: {refused}"


def assert_inert(page: Any, name: str) -> None:
    """The payloads made no element: only the app's own scripts, no handler attributes,
    no ``javascript:`` link, no payload image."""
    scripts = page.eval_on_selector_all("script", "s => s.map(e => e.getAttribute('src'))")
    assert all(s and s.startswith("/static/") for s in scripts), f"{name}: scripts {scripts}"
    handlers = page.evaluate(
        "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
        ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"
    )
    assert handlers == [], f"{name}: event handler attributes {handlers}"
    hrefs = page.eval_on_selector_all("[href]", "s => s.map(e => e.getAttribute('href'))")
    bad = [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:"))]
    assert bad == [], f"{name}: links {bad}"
    assert page.locator("img[src='x']").count() == 0, f"{name}: the payload image is in the page"


def log_in(page: Any, base: str, name: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    assert "/login" not in page.url, f"login as {name} failed: {page.url}"


def card_ids(page: Any) -> list[str]:
    ids: list[str] = page.eval_on_selector_all(
        "#radar-list article.card", "cards => cards.map(c => c.dataset.paperId)"
    )
    return ids


def titles_of(page: Any) -> list[str]:
    titles: list[str] = page.eval_on_selector_all(
        "#radar-list article.card",
        "cards => cards.map(c => (c.querySelector('h2, h3') || c).textContent.trim())",
    )
    return titles


def expect_pressed(button: Any) -> None:
    from playwright.sync_api import expect

    # the swap waits for the server's answer: allow for a loaded 2-core CI machine
    expect(button).to_have_attribute("aria-pressed", "true", timeout=30_000)


def rerank(page: Any) -> None:
    """Follow the radar's re-rank link and wait for the new ranking."""
    link = page.get_by_role("link", name=re.compile(r"re-?rank", re.IGNORECASE))
    assert link.count() == 1, "the radar has no re-rank link"
    with page.expect_response(lambda r: "/radar" in r.url and r.request.method == "GET"):
        link.click()
    page.wait_for_load_state("networkidle")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def playwright_api() -> Any:
    return require_browser()


@pytest.fixture(scope="module")
def web_homes(tmp_path_factory: pytest.TempPathFactory) -> PerBackend[Path]:
    """tests/helpers/webhome.py's home plus papers full of script payloads, listed on DAY and
    MAP_DAY; one per backend."""

    def build(backend: str) -> Path:
        home = build_home(tmp_path_factory.mktemp(f"web-{backend}") / "home", backend)
        payload = home.parent / "xss.json"
        payload.write_text(json.dumps([XSS_PAPER, XSS_MAP_PAPER], indent=1), encoding="utf-8")
        with backends.open_home(home) as store:
            ingest_files(store, [payload], fmt="paperradar-json")
            embed_missing(store, FakeEmbedder())
        return home

    return PerBackend(build)


@pytest.fixture
def web_home(web_homes: PerBackend[Path], backend: str) -> Path:
    return web_homes(backend)


def pid_of(home: Path, title: str) -> str:
    with Store.open(home) as store:
        rows = store.conn.execute("SELECT pid FROM papers WHERE title = ?", (title,)).fetchall()
    assert len(rows) == 1, f"no paper stored under the title {title!r}"
    return str(rows[0]["pid"])


@pytest.fixture(scope="module")
def servers(web_homes: PerBackend[Path], playwright_api: Any) -> Iterator[PerBackend[Server]]:
    """One server per backend, started when a test first needs it, over that backend's home."""
    with contextlib.ExitStack() as running:

        def start(backend: str) -> Server:
            home = web_homes(backend)
            return running.enter_context(serve(home, home.parent / "server.log"))

        yield PerBackend(start)


@pytest.fixture
def server(servers: PerBackend[Server], backend: str) -> Server:
    return servers(backend)


@pytest.fixture(scope="module")
def browser(playwright_api: Any) -> Iterator[Any]:
    with playwright_api() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[tuple[Any, Watch]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_CSP)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened, watch(opened)
    context.close()


# --------------------------------------------------------------------------- tests


@on_both_backends
def test_alice_logs_in_and_sees_her_radar(page: tuple[Any, Watch], server: Server) -> None:
    tab, seen = page
    tab.goto(server.url + "/radar")
    assert "/login" in tab.url, "an anonymous visit must be sent to the login form"
    shot(tab, "01-login")
    log_in(tab, server.url, "alice", PASSWORDS["alice"])
    tab.goto(f"{server.url}/radar?profile=alice-ml&day={DAY}")
    ids = card_ids(tab)
    assert len(ids) >= 10, f"the radar shows {len(ids)} cards"
    assert len(set(ids)) == len(ids), "a paper is shown twice"
    first = tab.locator("#radar-list article.card").first
    assert "Graph" in first.inner_text(), "alice's best match should be a graph paper"
    for button in ("button.like", "button.dislike", "button.save"):
        assert first.locator(button).count() == 1, f"no {button} on a card"
    shot(tab, "02-radar")
    assert_clean(tab, seen, server.url)


@on_both_backends
def test_a_like_changes_the_ranking_after_a_rerank(page: tuple[Any, Watch], server: Server) -> None:
    tab, seen = page
    log_in(tab, server.url, "alice", PASSWORDS["alice"])
    tab.goto(f"{server.url}/radar?profile=alice-ml&day={DAY}")
    before = card_ids(tab)
    titles = dict(zip(before, titles_of(tab), strict=True))
    # the lowest card is a robots paper: liking it lifts the other robot papers
    target = tab.locator("#radar-list article.card").last
    liked = target.get_attribute("data-paper-id")
    assert "(robots" in titles[liked], f"expected a robots paper last, found {titles[liked]!r}"
    target.locator("button.like").click()
    card = tab.locator(f'#radar-list article.card[data-paper-id="{liked}"]')
    expect_pressed(card.locator("button.like"))
    first = tab.locator("#radar-list article.card").first
    first.locator("button.save").click()  # saving is no opinion: it keeps the ranking
    expect_pressed(tab.locator(f'article.card[data-paper-id="{before[0]}"] button.save'))
    shot(tab, "03-liked")
    rerank(tab)
    after = card_ids(tab)
    shot(tab, "04-reranked")
    assert after != before, "the like did not change the ranking"
    assert liked not in after, "a liked paper is an anchor now, not a candidate"
    robots_before = [i for i, p in enumerate(before) if "(robots" in titles[p] and p != liked]
    after_titles = titles_of(tab)
    robots_after = [i for i, t in enumerate(after_titles) if "(robots" in t]
    assert robots_after and robots_before
    assert min(robots_after) < min(robots_before), (
        f"robot papers did not rise: best at {min(robots_before)} before, {min(robots_after)} after"
    )
    assert_clean(tab, seen, server.url)


@on_both_backends
def test_search_finds_papers(page: tuple[Any, Watch], server: Server) -> None:
    tab, seen = page
    log_in(tab, server.url, "alice", PASSWORDS["alice"])
    tab.goto(server.url + "/search")
    tab.fill("#search-form input[name=q]", "diarization")
    with tab.expect_navigation():
        tab.press("#search-form input[name=q]", "Enter")
    assert "q=diarization" in tab.url
    text = tab.locator("main").inner_text()
    assert "Speaker Diarization" in text or "speaker diarization" in text.lower()
    hits = tab.locator("main [data-paper-id]")
    assert hits.count() >= 3, f"{hits.count()} results for 'diarization'"
    shot(tab, "05-search")
    assert_clean(tab, seen, server.url)


@on_both_backends
def test_a_paper_page(page: tuple[Any, Watch], server: Server) -> None:
    tab, seen = page
    log_in(tab, server.url, "alice", PASSWORDS["alice"])
    tab.goto(server.url + "/papers/arxiv:2607.00003")
    heading = tab.locator("h1")
    assert heading.inner_text().startswith("Graph Neural Network with node classification")
    assert "message passing" in tab.locator("main").inner_text()
    shot(tab, "06-paper")
    assert_clean(tab, seen, server.url)


def test_the_topic_map(page: tuple[Any, Watch], server: Server) -> None:
    tab, seen = page
    log_in(tab, server.url, "alice", PASSWORDS["alice"])
    tab.goto(server.url + "/map?profile=alice-ml")
    points = tab.locator("svg#topic-map circle.point")
    assert points.count() >= 20, f"{points.count()} points on the map"
    titled = tab.eval_on_selector_all(
        "svg#topic-map circle.point",
        "cs => cs.filter(c => c.querySelector('title') && c.querySelector('title').textContent)"
        ".length",
    )
    assert titled == points.count(), "every point needs a <title> (its paper)"
    box = points.first.bounding_box()
    assert box and box["width"] > 0, "the points are not drawn"
    points.first.hover()
    shot(tab, "07-map")
    assert_clean(tab, seen, server.url)


def test_payloads_in_a_paper_never_run(
    page: tuple[Any, Watch], server: Server, web_home: Path
) -> None:
    """Title, abstract, authors, organisation, comment and links full of script: shown as
    text on every page that lists the paper, never run."""
    tab, seen = page
    log_in(tab, server.url, "alice", PASSWORDS["alice"])
    radar_paper, map_paper = pid_of(web_home, XSS_TITLE), pid_of(web_home, XSS_MAP_TITLE)
    visits = {
        "radar": f"/radar?profile=alice-ml&day={DAY}",
        "search": "/search?q=passing+grasping",
        "paper": f"/papers/{radar_paper}",
        "paper-2": f"/papers/{map_paper}",
        "map": "/map?profile=alice-ml",
    }
    for name, path in visits.items():
        tab.goto(server.url + path)
        shown = tab.locator("main").evaluate("m => m.textContent")
        assert XSS_SCRIPT in shown, f"the {name} page does not show the title as text"
        assert_inert(tab, name)
        for link in tab.locator("main a", has_text="__xss").all():
            link.hover()  # the title's onmouseover payload, were it an attribute
        shot(tab, f"08-payload-{name}")
        assert_clean(tab, seen, server.url)
    tab.goto(server.url + visits["map"])
    point = tab.locator(f'svg#topic-map .point[data-pid="{map_paper}"]')
    assert point.count() == 1, "the payload paper is not on the map"
    assert XSS_SCRIPT in point.locator("title").text_content()
    point.hover()
    assert_clean(tab, seen, server.url)


@on_both_backends
def test_bob_cannot_see_alices_profile(
    page: tuple[Any, Watch], server: Server, web_home: Path
) -> None:
    tab, seen = page
    log_in(tab, server.url, "bob", PASSWORDS["bob"])
    for path in (f"/radar?profile=alice-ml&day={DAY}", "/map?profile=alice-ml"):
        response = tab.goto(server.url + path)
        assert response is not None and response.status == 404, f"{path}: {response}"
        assert tab.locator("#radar-list article.card").count() == 0
        assert "Graph Neural Network" not in tab.locator("main").inner_text()
    shot(tab, "09-bob-refused")
    for path in ("/radar", "/map", "/papers/arxiv:2607.00003"):
        tab.goto(server.url + path)
        assert "alice-ml" not in tab.content(), f"bob's {path} names alice's profile"
    assert_clean(tab, seen, server.url)
    # nor can he give alice's profile feedback, even with his own valid CSRF token
    csrf = tab.locator('meta[name="csrf-token"]').get_attribute("content")
    form = {"paper": "arxiv:2607.00003", "profile": "alice-ml", "action": "dislike", "day": DAY}
    refused = tab.request.post(
        server.url + "/feedback", form=form, headers={"X-CSRF-Token": csrf, "HX-Request": "true"}
    )
    assert refused.status == 404, f"bob's feedback on alice-ml answered {refused.status}"
    disliked = backends.count(web_home, "feedback", "action = 'dislike'")
    assert disliked == 0, "bob's feedback reached alice's profile"


# --------------------------------------------------------------------------- the README picture


@pytest.fixture(scope="module")
def slice_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bool]:
    """The demo's data: the shipped arXiv slice and the researcher of seeds 000/001, ranked
    with the real model when the README picture is made, else with the fake one."""
    real = os.environ.get("PAPERRADAR_SCREENSHOT_DOCS") == "1"
    home = tmp_path_factory.mktemp("slice") / "home"
    embedder: Embedder = MiniLMEmbedder() if real else FakeEmbedder()
    with Store.open(home) as store:
        ingest_files(store, [ARXIV_SLICE])
        create_profile(store, "researcher")
        add_files(store, "researcher", SEED_FILES[:2])
        add_user(store, "researcher", SLICE_PASSWORD)
        grant_profile(store, "researcher", "researcher")
        day = dt.date.fromisoformat(SLICE_DAY)
        # embeds the day's papers and the profile's, so the first page view is quick
        make_digest(store, "researcher", embedder, DigestOptions(day, day, record=False))
    return home, real


def test_the_radar_of_the_shipped_slice(browser: Any, slice_home: tuple[Path, bool]) -> None:
    """The radar over real arXiv data; also the README's picture with
    PAPERRADAR_SCREENSHOT_DOCS=1 (docs/img/radar.png)."""
    home, real = slice_home
    with serve(home, home.parent / "server.log", fake=not real) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(RECORD_CSP)
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        seen = watch(tab)
        log_in(tab, server.url, "researcher", SLICE_PASSWORD)
        tab.goto(f"{server.url}/radar?profile=researcher&day={SLICE_DAY}")
        assert len(card_ids(tab)) >= 10
        shot(tab, "10-radar-slice")
        if real:
            DOCS_IMAGE.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(DOCS_IMAGE))
        assert_clean(tab, seen, server.url)
        context.close()
