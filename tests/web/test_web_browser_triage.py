"""Triage on the radar in a real browser: "More" through the whole day, previous / next day,
PDF and arXiv links, the keys (j/k/l/?), the liked state after a re-rank, search result
cards with pages, dark mode, and a phone's width (390x844) on every page.

One server and one browser tab for the module (the harness of test_web_browser.py), over
the web test home plus 40 more papers listed on DAY, so the day has more than two pages.
Screenshots of the radar and search pages at 390x844 and 1280x900 go to tests/artifacts/triage/
(git-ignored, beside test_web_browser.py's) and, with ``PAPERRADAR_SCREENSHOTS=DIR``, to DIR
too.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import paths
from helpers.webhome import PASSWORDS, build_home
from web.test_web_browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    RECORD_CSP,
    Server,
    Watch,
    assert_clean,
    log_in,
    require_browser,
    serve,
    watch,
)

from paperradar import Store, ingest_files
from paperradar.embedding import FakeEmbedder
from paperradar.embedding.backfill import embed_missing

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

DAY = "2026-07-01"  # the first listing day of the fixtures: 24 papers, + 40 here
LATER = "2026-07-02"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TOPICS = [
    ("graph neural network", "message passing", "node classification"),
    ("speaker diarization", "speech recognition", "audio encoder"),
    ("robot manipulation", "grasping policy", "locomotion"),
    ("protein folding", "structure prediction", "molecular dynamics"),
]


def extra_papers() -> list[dict[str, Any]]:
    """40 papers on DAY over four topics; the last one has a DOI and no arXiv id."""
    out: list[dict[str, Any]] = []
    for n in range(40):
        a, b, c = TOPICS[n % len(TOPICS)]
        out.append(
            {
                "arxiv_id": f"2607.{n + 101:05d}",
                "title": f"{a.capitalize()} with {b} (extra {n})",
                "abstract": f"We study {a} and {b}. A new method for {c} with {a} is proposed. "
                f"It improves {b} on three benchmarks. Code and data are released. "
                f"Results show gains for {c} at scale and in the low-data regime.",
                "authors": [f"Extra Author {n}", "Coauthor X"],
                "categories": ["cs.LG"],
                "listed": DAY,
                "submitted": DAY,
            }
        )
    out[-1].pop("arxiv_id")
    out[-1]["doi"] = "10.1234/triage.40"
    return out


@pytest.fixture(scope="module")
def triage_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = build_home(tmp_path_factory.mktemp("triage") / "home")
    extra = home.parent / "extra.json"
    extra.write_text(json.dumps(extra_papers()), encoding="utf-8")
    with Store.open(home) as store:
        ingest_files(store, [extra], fmt="paperradar-json")
        embed_missing(store, FakeEmbedder())
    return home


@pytest.fixture(scope="module")
def server(triage_home: Path) -> Iterator[Server]:
    require_browser()
    with serve(triage_home, triage_home.parent / "server.log") as running:
        yield running


@pytest.fixture(scope="module")
def shots() -> list[Path]:
    """Where screenshots go: tests/artifacts/triage, and $PAPERRADAR_SCREENSHOTS when set."""
    folders = [paths.TESTS / "artifacts" / "triage"]
    if os.environ.get("PAPERRADAR_SCREENSHOTS"):
        folders.append(Path(os.environ["PAPERRADAR_SCREENSHOTS"]))
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    return folders


@pytest.fixture(scope="module")
def tab(server: Server) -> Iterator[tuple[Any, Watch]]:
    """One browser, one tab, alice logged in, for the whole module."""
    with require_browser()() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        context = browser.new_context(viewport=DESKTOP)
        context.add_init_script(RECORD_CSP)
        page = context.new_page()
        page.set_default_timeout(30_000)
        seen = watch(page)
        log_in(page, server.url, "alice", PASSWORDS["alice"])
        yield page, seen
        context.close()
        browser.close()


def expect(locator: Any) -> Any:
    """Playwright's ``expect`` (imported late: without playwright the harness says why)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def shoot(page: Any, folders: list[Path], name: str) -> None:
    for folder in folders:
        page.screenshot(path=str(folder / f"{name}.png"))


def radar_ids(page: Any) -> list[str]:
    ids: list[str] = page.eval_on_selector_all(
        "#radar-list article.card", "cards => cards.map(c => c.dataset.paperId)"
    )
    return ids


def current_id(page: Any) -> str | None:
    found: str | None = page.evaluate(
        "(() => { const c = document.querySelector('article.card.current');"
        " return c && c === document.activeElement ? c.dataset.paperId : null; })()"
    )
    return found


# --------------------------------------------------------------------------- the radar


def test_more_goes_through_the_whole_day_and_days_link_up(
    tab: tuple[Any, Watch], server: Server, shots: list[Path]
) -> None:
    page, seen = tab
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server.url}/radar?profile=alice-ml&day={DAY}")
    first = radar_ids(page)
    assert len(first) == 20
    shoot(page, shots, "radar-1280x900")
    for card in page.locator("#radar-list article.card").all():
        pid = card.get_attribute("data-paper-id") or ""
        if pid.startswith("arxiv:"):
            arxiv = pid.removeprefix("arxiv:")
            assert (
                card.locator("a.link-arxiv").get_attribute("href")
                == f"https://arxiv.org/abs/{arxiv}"
            )
            assert (
                card.locator("a.link-pdf").get_attribute("href") == f"https://arxiv.org/pdf/{arxiv}"
            )
    # each card shows its best-matching sentences or its abstract's first lines
    cards = page.locator("#radar-list article.card")
    shown = cards.evaluate_all(
        "cs => cs.filter(c => c.querySelector('.snippet.best, .abstract.clamp')).length"
    )
    assert shown == cards.count()
    whole = page.locator("#radar-list article.card details.whole-abstract").first
    if whole.count():
        whole.locator("summary").click()
        expect(whole.locator("p.abstract mark").first).to_be_visible()
    clamped = page.locator("#radar-list article.card .abstract.clamp").first
    if clamped.count():  # three lines, a click shows it all
        height = clamped.evaluate("a => a.clientHeight")
        clamped.click()
        expect(clamped).to_have_class(re.compile(r"\bopen\b"))
        assert clamped.evaluate("a => a.clientHeight") >= height
    # More, until the day is done: every ranked paper once
    more = page.locator("#radar-more a.more")
    for _ in range(10):
        if more.count() == 0:
            break
        before = len(radar_ids(page))
        more.click()
        expect(page.locator("#radar-list article.card")).not_to_have_count(before)
    ids = radar_ids(page)
    summary = re.search(r"of (\d+) papers", page.locator(".radar-summary").inner_text())
    listed = int(summary[1]) if summary else 0
    assert listed > 60 and len(ids) == listed, f"{len(ids)} cards of {listed} after More"
    assert len(set(ids)) == len(ids) and ids[:20] == first
    assert page.locator("#radar-end").inner_text() == str(len(ids))
    doi = page.locator("article.card a.link-doi")
    assert doi.count() == 1 and doi.get_attribute("href") == "https://doi.org/10.1234/triage.40"
    # the same pages without JavaScript: plain links
    page.goto(f"{server.url}/radar?profile=alice-ml&day={DAY}&offset=20")
    assert radar_ids(page) == ids[20:40]
    assert page.locator("#radar-list").get_attribute("start") == "21"
    # previous / next day: DAY is the first listing day, LATER the last
    page.goto(f"{server.url}/radar?profile=alice-ml&day={DAY}")
    assert page.locator(".day-nav a.earlier").count() == 0
    assert page.locator(".day-nav .earlier.disabled").count() == 1
    with page.expect_navigation():
        page.locator(".day-nav a.later").click()
    assert f"day={LATER}" in page.url and radar_ids(page)
    assert page.locator(".day-nav a.later").count() == 0
    assert page.locator(".day-nav a.earlier").get_attribute("href").endswith(f"day={DAY}")
    assert_clean(page, seen, server.url)


def test_keys_move_like_and_the_liked_paper_is_shown_after_a_rerank(
    tab: tuple[Any, Watch], server: Server
) -> None:
    page, seen = tab
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server.url}/radar?profile=alice-ml&day={LATER}")
    ids = radar_ids(page)
    page.keyboard.press("j")
    assert current_id(page) == ids[0]
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert current_id(page) == ids[1]
    outline = page.locator("article.card.current").evaluate("c => getComputedStyle(c).outlineStyle")
    assert outline == "solid", "the current card has no visible focus ring"
    page.keyboard.press("l")
    liked = page.locator(f'#radar-list article.card[data-paper-id="{ids[1]}"] button.like')
    expect(liked).to_have_attribute("aria-pressed", "true", timeout=30_000)
    swapped = page.locator(f'#radar-list article.card.current[data-paper-id="{ids[1]}"]')
    expect(swapped).to_be_focused()  # the swapped-in card is still the current one
    page.keyboard.press("s")
    saved = page.locator(f'#radar-list article.card[data-paper-id="{ids[1]}"] button.save')
    expect(saved).to_have_attribute("aria-pressed", "true", timeout=30_000)
    # keys are ignored while typing; ? shows the list of keys, Escape hides it. The save's
    # swap must have settled first: settling gives the swapped card its focus back, which
    # would take it from the field (under load that came after the focus, and "j" moved on)
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    field = page.locator("#radar-form input[name=day]")
    field.focus()
    expect(field).to_be_focused()
    page.keyboard.press("j")
    assert page.locator("article.card.current").get_attribute("data-paper-id") == ids[1]
    page.locator("main h1").click()
    page.keyboard.press("?")
    expect(page.locator("#key-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#key-help")).to_be_hidden()
    # re-rank: the liked paper is an anchor now, not ranked; the page says so and shows it
    with page.expect_navigation():
        page.locator("a.rerank").click()
    assert ids[1] not in radar_ids(page)
    assert "1 paper you liked" in page.locator("#rated-notice").inner_text()
    rated = page.locator(f'#radar-rated article.card[data-paper-id="{ids[1]}"]')
    assert rated.locator("button.like").get_attribute("aria-pressed") == "true"
    assert rated.locator("button.save").get_attribute("aria-pressed") == "true"
    # take it back (the module's other tests share alice's profile)
    rated.locator("button.like").click()
    expect(rated.locator("button.like")).to_have_attribute("aria-pressed", "false", timeout=30_000)
    rated.locator("button.save").click()
    expect(rated.locator("button.save")).to_have_attribute("aria-pressed", "false", timeout=30_000)
    page.keyboard.press("o")  # the current card (the rated one, clicked last) opens
    page.wait_for_url(re.compile(r"/papers/"))
    assert_clean(page, seen, server.url)


# --------------------------------------------------------------------------- search


def test_search_results_are_cards_with_snippets_buttons_and_pages(
    tab: tuple[Any, Watch], server: Server, shots: list[Path]
) -> None:
    page, seen = tab
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server.url}/search?q=speaker+diarization&mode=keyword&limit=5")
    cards = page.locator("#search-results article.card")
    assert cards.count() == 5
    first = cards.first
    marked = {m.lower() for m in first.locator(".snippet mark").all_inner_texts()}
    assert {"speaker", "diarization"} <= marked, marked
    assert first.locator("button.save").count() == 1 and first.locator("a.link-pdf").count() == 1
    shoot(page, shots, "search-1280x900")
    ids = page.eval_on_selector_all(
        "#search-results article.card", "c => c.map(e => e.dataset.paperId)"
    )
    with page.expect_navigation():
        page.locator(".pager a.next").click()
    assert "offset=5" in page.url
    later = page.eval_on_selector_all(
        "#search-results article.card", "c => c.map(e => e.dataset.paperId)"
    )
    assert later and not set(later) & set(ids)
    assert page.locator(".pager a.previous").count() == 1
    button = page.locator("#search-results article.card").first.locator("button.save")
    button.click()
    expect(
        page.locator("#search-results article.card").first.locator("button.save")
    ).to_have_attribute("aria-pressed", "true", timeout=30_000)
    page.locator("#search-results article.card").first.locator("button.save").click()
    expect(
        page.locator("#search-results article.card").first.locator("button.save")
    ).to_have_attribute("aria-pressed", "false", timeout=30_000)
    assert_clean(page, seen, server.url)


# --------------------------------------------------------------------------- dark mode, phones


def test_dark_mode_follows_the_system(
    tab: tuple[Any, Watch], server: Server, shots: list[Path]
) -> None:
    page, seen = tab
    page.set_viewport_size(DESKTOP)
    colours = "getComputedStyle(document.body).backgroundColor"
    card = "getComputedStyle(document.querySelector('article.card')).backgroundColor"
    text = "getComputedStyle(document.body).color"
    page.emulate_media(color_scheme="light")
    page.goto(f"{server.url}/radar?profile=alice-ml&day={DAY}")
    assert page.evaluate(colours) == "rgb(251, 252, 253)"
    assert page.evaluate(card) == "rgb(255, 255, 255)"
    page.emulate_media(color_scheme="dark")
    assert page.evaluate(colours) == "rgb(18, 22, 28)"
    assert page.evaluate(card) == "rgb(27, 33, 41)"
    assert page.evaluate(text) == "rgb(228, 233, 240)"
    shoot(page, shots, "radar-dark-1280x900")
    page.emulate_media(color_scheme="light")
    assert_clean(page, seen, server.url)


def test_a_phone_gets_every_page_without_sideways_scrolling(
    tab: tuple[Any, Watch], server: Server, shots: list[Path]
) -> None:
    page, seen = tab
    page.set_viewport_size(PHONE)
    pages = {
        "radar": f"/radar?profile=alice-ml&day={DAY}",
        "search": "/search?q=speaker+diarization&mode=keyword",
        "similar": "/papers/arxiv:2607.00003/similar",
        "paper": "/papers/arxiv:2607.00003",
        "profiles": "/profiles",
        "profile": "/profiles/alice-ml",
        "trending": "/trending?since=2026-06-25",
        "digests": "/digests",
        "map": "/map?profile=alice-ml",
    }
    for name, path in pages.items():
        page.goto(server.url + path)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= PHONE["width"], f"{name}: {wide} px wide on a {PHONE['width']} px phone"
        for link in page.locator("header.top nav a").all():
            box = link.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], name
        if name in {"radar", "search"}:
            shoot(page, shots, f"{name}-390x844")
    assert_clean(page, seen, server.url)
    page.set_viewport_size(DESKTOP)
