"""The paper page's feedback buttons and "Copy" in a real browser (Debian's Chromium,
headless, driven by Playwright), on the real server (``paperradar serve --single-user`` in a
subprocess) over the web home of tests/helpers/webhome.py.

The buttons post to /feedback, whose answer is a card: static/paper.js keeps only the card's
buttons, so after any number of clicks the page is still the paper's page, and the buttons
say what the store holds. "Copy BibTeX" puts the entry on the clipboard.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers.paths import REPO
from helpers.webhome import build_home

from paperradar import Store
from paperradar.exports import kept_papers
from paperradar.radar.profiles import load_profile

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CHROMIUM = Path(os.environ.get("PAPERRADAR_CHROMIUM", "/usr/bin/chromium"))
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = build_home(tmp_path_factory.mktemp("browser-saved") / "home")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PAPERRADAR_HOME"}
    env.update(PYTHONUTF8="1", PAPERRADAR_EMBEDDER="fake")
    cmd = [sys.executable, "-m", "paperradar", "--home", str(home), "serve", "--single-user"]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        env=env,
    )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"the server exited with {proc.returncode}"
            try:
                if httpx.get(url + "/saved", timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer in 60 s"
            time.sleep(0.1)
        yield url, home
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def page(server: tuple[str, Path]) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(f"the browser tests need playwright: {exc}", pytrace=False)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
        yield context.new_page()
        browser.close()


def _saved(home: Path) -> list[str]:
    with Store.open(home) as store:
        return [k.paper.id or "" for k in kept_papers(store, load_profile(store, "alice-ml"))]


def test_feedback_buttons_stay_on_the_paper_page(page: Any, server: tuple[str, Path]) -> None:
    url, home = server
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/papers/2607.00001")
    box = page.locator('li.match[data-profile="alice-ml"] .paper-feedback')
    heading = page.locator("article.paper h1").inner_text()
    for label, after, saved in (
        ("Save", "Saved", True),
        ("Saved", "Save", False),
        ("Save", "Saved", True),
    ):
        box.locator("button.save").click()
        box.locator("button.save", has_text=re.compile(f"^{after}$")).wait_for()
        assert box.locator("button.save").inner_text() == after, label
        assert ("arxiv:2607.00001" in _saved(home)) is saved
    box.locator("button.like").click()
    box.locator("button.like", has_text=re.compile("^Liked$")).wait_for()
    assert page.locator("article.paper h1").inner_text() == heading
    assert page.locator("article.card").count() == 0  # no card was swapped into the page
    assert box.locator("form.actions").count() == 1
    assert errors == []


def test_copy_bibtex(page: Any, server: tuple[str, Path]) -> None:
    url, _ = server
    page.goto(f"{url}/papers/2607.00002")
    page.locator("details.cite summary").click()
    page.locator('button[data-copy="cite-bibtex"]').click()
    page.locator('button[data-copy="cite-bibtex"]', has_text=re.compile("^Copied$")).wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#cite-bibtex").input_value()
    assert copied.startswith("@misc{") and "eprint = {2607.00002}" in copied
