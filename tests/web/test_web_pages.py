"""The radar, feedback, search, paper and trending pages, through the real app.

Each test builds the web test home (tests/webhome.py: 48 listed papers on graphs, speech and
robots over 2026-07-01/02; alice owns ``alice-ml`` with two graph papers and one speech
paper, bob owns ``bob-db``), adds one hostile paper (script and img tags in its title,
author and abstract, a ``javascript:`` link, 42 upvotes on HF daily), and logs in through
the real /login form. Pages are checked for what a user sees.

The read-only tests and the main writing flows (feedback, likes) run on both storage backends
(SQLite, and a PostgreSQL database named by the home's config.toml: tests/helpers/backends.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from helpers import backends
from helpers.backends import PerBackend, on_both_backends
from helpers.webhome import build_home

from paperradar import ingest_files, paper_to_dict
from paperradar.embedding import FakeEmbedder
from paperradar.embedding.backfill import embed_missing
from paperradar.models import Paper, Sighting
from paperradar.radar.profiles import create_profile, load_profile
from paperradar.web.accounts import add_user, grant_profile
from paperradar.web.app import CSP, create_app
from paperradar.web.routes.search import snippet

DAY1 = "2026-07-01"
DAY2 = "2026-07-02"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE_TITLE = f"{SCRIPT} Graph transformer for molecule property prediction"
SAFE_URL = "https://example.org/hostile"

MakeClient = Callable[..., TestClient]


def hostile_paper() -> Paper:
    return Paper(
        title=HOSTILE_TITLE,
        abstract=f"{IMG} A graph transformer with message passing on molecular graphs for "
        "molecule property prediction and node classification.",
        authors=[SCRIPT, "Eve Example"],
        categories=["cs.LG"],
        links={"evil": "javascript:alert(1)", "home": SAFE_URL},
        listed=dt.date(2026, 7, 2),
        sightings=[
            Sighting("hf-daily", "https://example.org/papers", dt.date(2026, 7, 2), rank=1),
            Sighting("hf-daily", "https://example.org/api", dt.date(2026, 7, 2), upvotes=42),
        ],
    )


def make_home(folder: Path, backend: str) -> Path:
    path = build_home(folder / "home", backend)
    extra = folder / "hostile.jsonl"
    extra.write_bytes(orjson.dumps(paper_to_dict(hostile_paper())) + b"\n")
    with backends.open_home(path) as store:
        ingest_files(store, [extra])
        embed_missing(store, FakeEmbedder())
    return path


@pytest.fixture
def home(tmp_path: Path, backend: str) -> Iterator[Path]:
    """A home of the test's own, for tests that change it."""
    path = make_home(tmp_path, backend)
    try:
        yield path
    finally:
        backends.forget(path)


@pytest.fixture(scope="module")
def readers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PerBackend[TestClient]]:
    """alice on a home of each backend shared by the tests that only read."""

    def build(backend: str) -> TestClient:
        shared = make_home(tmp_path_factory.mktemp(f"shared-{backend}"), backend)
        client = TestClient(create_app(shared, embedder=FakeEmbedder()))
        login(client, "alice")
        return client

    made = PerBackend(build)
    yield made
    for client in made.built():
        client.app.state.web.store.close()  # type: ignore[attr-defined]


@pytest.fixture
def reader(readers: PerBackend[TestClient], backend: str) -> TestClient:
    return readers(backend)


def login(client: TestClient, name: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, page.text
    answer = client.post(
        "/login",
        data={"name": name, "password": f"{name}-password", "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/radar"


@pytest.fixture
def make_client(home: Path) -> Iterator[MakeClient]:
    apps: list[Any] = []

    def make(user: str | None = "alice", single_user: bool = False) -> TestClient:
        app = create_app(home, single_user=single_user, embedder=FakeEmbedder())
        apps.append(app)
        # single-user mode answers only requests addressed to a loopback name
        client = TestClient(
            app, base_url="http://localhost" if single_user else "http://testserver"
        )
        if user and not single_user:
            login(client, user)
        return client

    yield make
    for app in apps:  # a PostgreSQL store's connections are closed, not left to the collector
        app.state.web.store.close()


@pytest.fixture
def alice(make_client: MakeClient) -> TestClient:
    return make_client("alice")


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def card_ids(html: str) -> list[str]:
    """Paper ids of the radar's cards, in order."""
    match = re.search(r'<ol id="radar-list"[^>]*>(.*?)</ol>', html, re.S)
    assert match, "no radar list"
    return re.findall(r'<article class="card" data-paper-id="([^"]+)">', match.group(1))


def titles_by_id(html: str) -> dict[str, str]:
    return dict(
        re.findall(r'data-paper-id="([^"]+)">\s*<h3><a href="[^"]+">([^<]*)</a></h3>', html)
    )


def card_html(html: str, pid: str) -> str:
    match = re.search(
        rf'<article class="card" data-paper-id="{re.escape(pid)}">.*?</article>', html, re.S
    )
    assert match, f"no card for {pid}"
    return match.group(0)


def button(card: str, kind: str) -> str:
    match = re.search(rf'<button type="submit" class="{kind}\b[^>]*>', card)
    assert match, f"no {kind} button"
    return match.group(0)


def post_feedback(
    client: TestClient,
    token: str | None,
    paper: str,
    action: str,
    profile: str = "alice-ml",
    htmx: bool = True,
    day: str = "",
) -> Any:  # TestClient's response (httpx or httpx2, by version)
    headers = {"HX-Request": "true"} if htmx else {}
    if token is not None:
        headers["X-CSRF-Token"] = token
    return client.post(
        "/feedback",
        data={"paper": paper, "profile": profile, "action": action, "day": day},
        headers=headers,
        follow_redirects=False,
    )


def topic(title: str) -> str:
    return title.rsplit("(", 1)[-1].split()[0] if "(" in title else "other"


# --------------------------------------------------------------------------- the radar


@on_both_backends
def test_radar_shows_the_latest_days_ranked_papers_with_explanations(reader: TestClient) -> None:
    page = reader.get("/radar")
    assert page.status_code == 200
    html = page.text
    assert 'name="day" value="2026-07-02"' in html  # the newest listing day by default
    ids = card_ids(html)
    assert len(ids) == 20
    assert '<option value="alice-ml" selected>' in html and "bob-db" not in html
    titles = titles_by_id(html)
    assert "robots" not in {topic(titles[i]) for i in ids[:6]}  # her topics come first
    scores = [float(s) for s in re.findall(r'data-score="(\d\.\d+)"', html)]
    assert len(scores) == 20 and scores == sorted(scores, reverse=True)
    first = card_html(html, ids[0])
    assert "close to" in first
    assert "Message passing graph neural network for molecule property prediction" in html
    own = r'your paper <a href="/papers/[^"]+" title="cosine similarity 0\.\d\d">«'
    assert re.search(own, first)
    assert "shares " in first
    assert f'href="/papers/{ids[0].replace(":", "%3A")}"' in first
    for kind in ("like", "dislike", "save"):
        assert 'aria-pressed="false"' in button(first, kind)
        assert 'hx-post="/feedback"' in button(first, kind)
    assert 'href="/radar?profile=alice-ml&amp;day=2026-07-02">Re-rank</a>' in html


@on_both_backends
def test_radar_for_another_day_and_a_day_without_papers(reader: TestClient) -> None:
    day1 = reader.get(f"/radar?profile=alice-ml&day={DAY1}").text
    assert set(card_ids(day1)).isdisjoint(card_ids(reader.get("/radar").text))
    empty = reader.get("/radar?day=2026-06-01").text
    assert "No new papers for alice-ml listed 2026-06-01" in empty
    assert 'day=2026-07-02">2026-07-02</a>' in empty  # points at the newest listing


@on_both_backends
def test_like_answers_the_pressed_card_and_changes_the_next_ranking(alice: TestClient) -> None:
    before = alice.get(f"/radar?day={DAY2}").text
    token = csrf_of(before)
    order_before = card_ids(before)
    day1 = alice.get(f"/radar?day={DAY1}").text
    titles = titles_by_id(day1)
    robots = [i for i in card_ids(day1) if topic(titles[i]) == "robots"][:4]
    assert len(robots) == 4
    for pid in robots:
        answer = post_feedback(alice, token, pid, "like", day=DAY1)
        assert answer.status_code == 200
        card = answer.text
        assert card.startswith(f'<article class="card" data-paper-id="{pid}">')
        like = button(card, "like")
        assert 'aria-pressed="true"' in like and 'value="clear"' in like
        assert 'aria-pressed="false"' in button(card, "dislike")
        assert 'data-score="' in card  # the card keeps its score and explanation
    after = alice.get(f"/radar?day={DAY2}").text
    order_after = card_ids(after)
    assert order_after != order_before
    titles2 = titles_by_id(before) | titles_by_id(after)

    def robot_places(order: list[str]) -> list[int]:
        return [n for n, pid in enumerate(order) if topic(titles2[pid]) == "robots"]

    def mean(places: list[int]) -> float:
        return sum(places) / len(places)

    # day 2's robot papers move up: the liked ones are near them
    assert robot_places(order_after)[0] < robot_places(order_before)[0]
    assert mean(robot_places(order_after)) < mean(robot_places(order_before))
    lifted = card_html(after, order_after[robot_places(order_after)[0]])
    assert 'kind-liked">which you liked</span>' in lifted  # the explanation names a liked paper
    assert not set(robots) & set(card_ids(alice.get(f"/radar?day={DAY1}").text))


@on_both_backends
def test_radar_more_pages_through_the_whole_day(reader: TestClient) -> None:
    first = reader.get(f"/radar?day={DAY1}").text
    ids = card_ids(first)
    assert len(ids) == 20
    more = re.search(r'<a class="more button-link" href="([^"]+)" hx-get="([^"]+)"', first)
    assert more and more.group(1) == more.group(2)
    assert more.group(1).replace("&amp;", "&") == f"/radar?profile=alice-ml&day={DAY1}&offset=20"
    # htmx: the next cards and the "More" control, swapped out of band
    fragment = reader.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<h1>" not in fragment.text
    rest = re.findall(r'<article class="card" data-paper-id="([^"]+)">', fragment.text)
    assert rest and not set(rest) & set(ids)
    assert '<nav id="radar-more" class="more-nav" aria-label="More papers" hx-swap-oob="true">' in (
        fragment.text
    )
    assert "That is every ranked paper of this day." in fragment.text  # 24 listed on DAY1
    assert f'<span id="radar-end" hx-swap-oob="true">{20 + len(rest)}</span>' in fragment.text
    # without JavaScript: the same cards on a page of their own, numbered on
    plain = reader.get(f"/radar?day={DAY1}&offset=20").text
    assert card_ids(plain) == rest and '<ol id="radar-list" class="cards" start="21">' in plain
    assert 'href="/radar?profile=alice-ml&amp;day=2026-07-01">← previous page</a>' in plain
    past = reader.get(f"/radar?day={DAY1}&offset=60").text
    assert "No more papers for alice-ml listed 2026-07-01" in past
    assert reader.get("/radar?offset=-1").status_code == 400
    assert reader.get("/radar?offset=99999").status_code == 400


@on_both_backends
def test_radar_links_days_and_papers(reader: TestClient) -> None:
    day1 = reader.get(f"/radar?day={DAY1}").text
    assert '<span class="earlier disabled" aria-disabled="true">' in day1
    assert f'<a class="later" rel="next" href="/radar?profile=alice-ml&amp;day={DAY2}">' in day1
    day2 = reader.get(f"/radar?day={DAY2}").text
    assert f'<a class="earlier" rel="prev" href="/radar?profile=alice-ml&amp;day={DAY1}">' in day2
    assert '<span class="later disabled" aria-disabled="true">' in day2
    for pid in card_ids(day2):
        card = card_html(day2, pid)
        if pid.startswith("arxiv:"):
            number = pid.removeprefix("arxiv:")
            assert f'href="https://arxiv.org/abs/{number}"' in card
            assert f'href="https://arxiv.org/pdf/{number}"' in card
        assert "javascript:" not in card


def test_liked_papers_are_listed_apart_after_a_rerank(alice: TestClient) -> None:
    page = alice.get(f"/radar?day={DAY2}").text
    token = csrf_of(page)
    liked, disliked, saved = card_ids(page)[2:5]
    for pid, action in ((liked, "like"), (disliked, "dislike"), (saved, "save")):
        assert post_feedback(alice, token, pid, action, day=DAY2).status_code == 200
    after = alice.get(f"/radar?day={DAY2}").text
    ranked = card_ids(after)
    assert liked not in ranked and disliked not in ranked and saved in ranked
    notice = re.search(r'<p class="radar-notice rated-notice" id="rated-notice">(.*?)</p>', after)
    assert notice and "1 paper you liked and 1 you disliked from this day are not in" in (
        notice.group(1)
    )
    rated = re.search(r'<section id="radar-rated" class="rated">(.*?)</section>', after, re.S)
    assert rated
    assert re.findall(r'data-paper-id="([^"]+)"', rated.group(1)) == [liked, disliked]
    assert 'aria-pressed="true"' in button(card_html(rated.group(1), liked), "like")
    assert 'aria-pressed="true"' in button(card_html(rated.group(1), disliked), "dislike")
    assert "you liked this paper: it now shapes the ranking" in rated.group(1)
    assert 'aria-pressed="true"' in button(card_html(after, saved), "save")


@on_both_backends
def test_feedback_buttons_toggle_and_a_plain_form_post_returns_to_the_radar(
    alice: TestClient, home: Path
) -> None:
    page = alice.get("/radar").text
    token = csrf_of(page)
    pid = card_ids(page)[0]
    saved = post_feedback(alice, token, pid, "save").text
    assert 'aria-pressed="true"' in button(saved, "save")
    assert 'value="unsave"' in button(saved, "save")
    assert pid in card_ids(alice.get("/radar").text)  # saving does not take it off the radar
    disliked = post_feedback(alice, token, pid, "dislike").text
    assert 'aria-pressed="true"' in button(disliked, "dislike")
    assert 'aria-pressed="true"' in button(disliked, "save")
    cleared = post_feedback(alice, token, pid, "clear").text
    assert 'aria-pressed="false"' in button(cleared, "dislike")
    plain = post_feedback(alice, token, pid, "unsave", htmx=False, day=DAY2)
    assert plain.status_code == 303
    location = plain.headers["location"]
    assert location == "/radar?profile=alice-ml&day=2026-07-02"
    with backends.open_home(home) as store:
        actions = [f.action for f in load_profile(store, "alice-ml").feedback]
    assert actions == ["save", "dislike", "clear", "unsave"]


def test_feedback_needs_the_csrf_token(alice: TestClient, home: Path) -> None:
    page = alice.get("/radar").text
    pid = card_ids(page)[0]
    assert post_feedback(alice, None, pid, "like").status_code == 403
    wrong = post_feedback(alice, "x" * 43, pid, "like")
    assert wrong.status_code == 403
    form_field = alice.post(
        "/feedback",
        data={"paper": pid, "profile": "alice-ml", "action": "like", "csrf": "nope"},
    )
    assert form_field.status_code == 403
    assert alice.post("/feedback", data={}).status_code == 403  # the token is checked first
    with backends.open_home(home) as store:
        assert load_profile(store, "alice-ml").feedback == []


def test_alice_cannot_use_bobs_profile(alice: TestClient, home: Path) -> None:
    page = alice.get("/radar").text
    token = csrf_of(page)
    pid = card_ids(page)[0]
    for name in ("bob-db", "nobody", "no-such-profile"):
        shown = alice.get(f"/radar?profile={name}")
        assert shown.status_code == 404 and "<h1>Something is wrong</h1>" in shown.text
        posted = post_feedback(alice, token, pid, "like", profile=name)
        assert posted.status_code == 404
    with backends.open_home(home) as store:
        assert load_profile(store, "bob-db").feedback == []


def test_anonymous_visitors_are_sent_to_log_in(make_client: MakeClient) -> None:
    client = make_client(None)
    for path in ("/radar", "/search?q=graph", "/papers/arxiv:2607.00001", "/trending"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login?next=")
    posted = client.post(
        "/feedback", data={"paper": "arxiv:2607.00001", "profile": "alice-ml", "action": "like"}
    )
    assert posted.status_code == 401


def test_radar_without_a_profile_or_without_papers_says_what_to_do(
    home: Path, make_client: MakeClient
) -> None:
    with backends.open_home(home) as store:
        add_user(store, "carol", "carol-password")
    carol = make_client("carol")
    first = carol.get("/radar", follow_redirects=False)  # a first visit: the guided first run
    assert first.status_code == 303 and first.headers["location"] == "/welcome"
    with backends.open_home(home) as store:
        create_profile(store, "carol-new")
        grant_profile(store, "carol", "carol-new")
    still = carol.get("/radar", follow_redirects=False)  # an empty profile: still welcome
    assert still.status_code == 303 and still.headers["location"] == "/welcome"
    empty = carol.get("/radar?profile=carol-new").text
    assert 'href="/profiles/carol-new"' in empty and "has no papers yet" in empty
    assert "radar-list" not in empty
    single = make_client(None, single_user=True).get("/radar?profile=nobody").text
    assert 'href="/profiles/nobody"' in single


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/radar?day=2026-13-45", "day: expected a date"),
        ("/radar?day=yesterday", "day: expected a date"),
        ("/search?q=graph&since=last+week", "since: expected a date"),
        ("/search?q=graph&until=2026-02-30", "until: expected a date"),
        ("/search?q=graph&mode=fuzzy", "unknown search mode"),
        ("/search?q=graph&limit=0", "limit: a number from 1 to 100"),
        ("/search?q=graph&limit=abc", "limit: a number from 1 to 100"),
        ("/search?q=" + "x" * 501, "too long"),
        ("/trending?since=soon", "since: expected a date"),
        ("/trending?since=2026-07-02&until=2026-07-01", "is before"),
        ("/papers/arxiv:2607.00001/similar?limit=-1", "limit: a number from 1 to 100"),
    ],
)
def test_bad_parameters_give_a_400_page_with_the_message(
    reader: TestClient, path: str, message: str
) -> None:
    answer = reader.get(path)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert message in answer.text.replace("&#39;", "'")


@on_both_backends
def test_unknown_paper_and_action(reader: TestClient) -> None:
    missing = reader.get("/papers/arxiv:9999.99999")
    assert missing.status_code == 404 and "no paper with id" in missing.text
    assert reader.get("/papers/arxiv:9999.99999/similar").status_code == 404
    token = csrf_of(reader.get("/radar").text)
    assert post_feedback(reader, token, "arxiv:2607.00001", "explode").status_code == 400
    assert post_feedback(reader, token, "arxiv:9999.99999", "like").status_code == 404
    assert post_feedback(reader, token, "", "like").status_code == 400
    bad_day = post_feedback(reader, token, "arxiv:2607.00001", "save", day="someday")
    assert bad_day.status_code == 400 and "day: expected a date (YYYY-MM-DD)" in bad_day.text
    far = post_feedback(reader, token, "arxiv:2607.00001", "save", day="9999-12-31")
    assert far.status_code == 400 and "day: out of range" in far.text


# --------------------------------------------------------------------------- search


def result_ids(html: str) -> list[str]:
    """Paper ids of the search results (cards) or of the similar papers (a table)."""
    cards = re.search(r'<ol id="search-results"[^>]*>(.*?)</ol>', html, re.S)
    if cards:
        return re.findall(r'<article class="card" data-paper-id="([^"]+)">', cards.group(1))
    match = re.search(r'<table class="hits" id="search-results">(.*?)</table>', html, re.S)
    return re.findall(r'<tr data-paper-id="([^"]+)">', match.group(1)) if match else []


def result_dates(html: str) -> list[str]:
    return re.findall(r'<span class="date">([^<]*)</span>', html)


@on_both_backends
def test_search_keyword_and_hybrid_with_filters(reader: TestClient) -> None:
    form = reader.get("/search").text
    assert '<form id="search-form"' in form and 'name="q"' in form
    keyword = reader.get("/search?q=speaker+diarization&mode=keyword").text
    ids = result_ids(keyword)
    assert ids and all(pid.startswith("arxiv:") for pid in ids)
    titles = titles_by_id(keyword)
    assert all("iarization" in titles[pid] or "speech" in titles[pid] for pid in ids)
    later = reader.get(f"/search?q=speaker+diarization&mode=keyword&since={DAY2}").text
    later_ids = result_ids(later)
    assert later_ids and set(later_ids) < set(ids)
    assert set(result_dates(later)) == {DAY2}
    hybrid = reader.get(f"/search?q=robot+arm+grasping&mode=hybrid&until={DAY1}&category=cs").text
    hybrid_ids = result_ids(hybrid)
    assert hybrid_ids and 'href="/papers/arxiv%3A' in hybrid
    assert DAY2 not in result_dates(hybrid)
    assert reader.get("/search?q=robot&mode=semantic&category=math").status_code == 200
    assert "No papers match." in reader.get("/search?q=robot&mode=keyword&category=math").text
    # FTS syntax in the query is only text
    odd = reader.get("/search?q=%22graph%22+NEAR(*+-node:+OR&mode=keyword")
    assert odd.status_code == 200


@on_both_backends
def test_search_results_are_cards_with_snippets_buttons_and_pages(reader: TestClient) -> None:
    html = reader.get("/search?q=speaker+diarization&mode=keyword&limit=3").text
    ids = result_ids(html)
    assert len(ids) == 3
    first = card_html(html, ids[0])
    assert "<mark>speaker</mark>" in first and "<mark>diarization</mark>" in first
    assert 'name="profile" value="alice-ml"' in first and 'hx-post="/feedback"' in first
    assert re.search(r'<span class="score">score \d+\.\d{3}</span>', first)
    pager = re.search(r'<nav class="pager"[^>]*>(.*?)</nav>', html, re.S)
    assert pager and "previous" not in pager.group(1)
    next_url = re.search(r'<a class="next" rel="next" href="([^"]+)">', pager.group(1))
    assert next_url
    url = next_url.group(1).replace("&amp;", "&")
    assert url == "/search?q=speaker+diarization&mode=keyword&limit=3&offset=3"
    page2 = reader.get(url).text
    assert result_ids(page2) and not set(result_ids(page2)) & set(ids)
    assert '<ol id="search-results" class="cards results" start="4">' in page2
    assert '<a class="previous" rel="prev" href="/search?q=speaker+diarization' in page2
    whole = reader.get("/search?q=speaker+diarization&mode=keyword&limit=100").text
    assert result_ids(whole)[3:6] == result_ids(page2)
    assert "next →" not in whole
    bad = reader.get("/search?q=graph&offset=x")
    assert bad.status_code == 400 and "offset: a number from 0 to 900" in bad.text


def test_snippet_picks_the_sentence_with_most_query_words() -> None:
    abstract = "We study graphs. Speaker diarization with a speech encoder works. Done."
    pieces = snippet(abstract, "speaker diarization")
    assert "".join(t for t, _ in pieces) == "Speaker diarization with a speech encoder works."
    assert [t for t, marked in pieces if marked] == ["Speaker", "diarization"]
    long = "word " * 200
    cut = "".join(t for t, _ in snippet(long, "nothing"))
    assert cut.endswith("…") and len(cut) <= 251
    assert snippet("", "x") == []


# --------------------------------------------------------------------------- paper page


@on_both_backends
def test_paper_page_shows_metadata_similar_papers_and_profile_match(reader: TestClient) -> None:
    page = reader.get("/papers/2607.00026")  # any id form resolves
    assert page.status_code == 200
    html = page.text
    assert "<h1>Molecule Property Prediction with graph neural network (graphs 26)</h1>" in html
    assert "Author Graphs 1, Coauthor 26" in html and "cs.LG" in html
    assert "arxiv:2607.00026" in html and "<dt>listed</dt><dd>2026-07-02</dd>" in html
    assert '<a href="https://arxiv.org/abs/2607.00026"' in html
    assert "<td>arxiv-daily</td>" in html and "listings.jsonl" in html
    assert "/work/" not in html.split("<h2>Seen</h2>")[1]  # no server paths
    similar = re.search(r'<table class="hits" id="similar-papers">(.*?)</table>', html, re.S)
    assert similar and len(re.findall("<tr data-paper-id", similar.group(1))) == 10
    assert 'data-paper-id="arxiv:2607.00026"' not in similar.group(1)
    match = re.search(r'<li class="match" data-profile="alice-ml">(.*?)</li>\s*</ul>', html, re.S)
    assert match and 'data-score="0.' in match.group(1) and "close to" in match.group(1)
    radar = reader.get(f"/radar?day={DAY2}").text  # the same score as on the radar
    radar_score = re.search(r'data-score="(\d\.\d+)"', card_html(radar, "arxiv:2607.00026"))
    assert radar_score and f'data-score="{radar_score.group(1)}"' in match.group(1)
    assert "bob-db" not in html
    more = reader.get("/papers/arxiv:2607.00026/similar").text
    assert "Papers similar to" in more and len(result_ids(more)) == 20


def test_paper_page_says_when_a_paper_is_own_or_liked(alice: TestClient) -> None:
    own = alice.get("/search?q=Speech+recognition+with+an+audio+encoder&mode=keyword").text
    pid = next(p for p in result_ids(own) if p.startswith("cid:"))
    assert "one of this profile&#39;s own papers" in alice.get(f"/papers/{pid}").text
    token = csrf_of(own)
    post_feedback(alice, token, "arxiv:2607.00040", "like")
    assert "you liked this paper" in alice.get("/papers/arxiv:2607.00040").text


def hostile_id(client: TestClient) -> str:
    html = client.get("/search?q=molecule+transformer+graph&mode=keyword&source=hf-daily").text
    ids = result_ids(html)
    assert len(ids) == 1
    return ids[0]


@on_both_backends
def test_only_http_links_become_hrefs(reader: TestClient) -> None:
    html = reader.get(f"/papers/{hostile_id(reader)}").text
    assert f'<a href="{SAFE_URL}" rel="noopener noreferrer nofollow">' in html
    assert "javascript:" not in re.sub(
        r'<span class="unsafe-link">javascript:alert\(1\)</span>', "", html
    )
    assert '<span class="unsafe-link">javascript:alert(1)</span>' in html


def assert_escaped(html: str) -> None:
    assert SCRIPT not in html and "<img" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_feed_text_is_escaped_on_every_page(alice: TestClient) -> None:
    pid = hostile_id(alice)
    radar = alice.get(f"/radar?day={DAY2}").text
    assert pid in card_ids(radar)
    assert_escaped(radar)
    assert "&lt;img src=x onerror=alert(1)&gt;" in radar  # the abstract, in the card
    search = alice.get("/search?q=molecule+transformer&mode=hybrid").text
    assert pid in result_ids(search)
    assert_escaped(search)
    paper = alice.get(f"/papers/{pid}").text
    assert_escaped(paper)
    assert "&lt;img src=x onerror=alert(1)&gt;" in paper
    assert "<title>&lt;script&gt;" in paper
    trending = alice.get("/trending?since=2026-06-25").text
    assert pid in trending
    assert_escaped(trending)
    card = post_feedback(alice, csrf_of(radar), pid, "save").text
    assert_escaped(card)


@on_both_backends
def test_every_page_has_the_csp_header_and_no_inline_script_or_style(
    reader: TestClient,
) -> None:
    pid = hostile_id(reader)
    paths = [
        "/radar",
        f"/radar?day={DAY1}",
        "/search",
        "/search?q=graph&mode=hybrid",
        "/search?q=graph&since=bad",
        f"/papers/{pid}",
        f"/papers/{pid}/similar",
        "/papers/arxiv:9999.99999",
        "/trending",
        "/trending?since=2026-06-25",
        "/radar?profile=bob-db",
    ]
    for path in paths:
        answer = reader.get(path)
        assert answer.headers["content-security-policy"] == CSP, path
        html = answer.text
        assert " style=" not in html and "<style" not in html and "hx-on" not in html, path
        assert all(" src=" in tag for tag in re.findall(r"<script[^>]*>", html)), path


# --------------------------------------------------------------------------- trending


@on_both_backends
def test_trending_page_lists_papers_with_reasons(reader: TestClient) -> None:
    html = reader.get("/trending?since=2026-06-25").text
    assert '<ol id="trending-list"' in html
    assert "42 upvotes on hf-daily" in html
    default = reader.get("/trending")  # nothing listed in the last 7 days: the newest days
    assert default.status_code == 200
    assert "showing 2026-06-25 to 2026-07-02, the newest days in the store" in default.text
    assert '<ol id="trending-list"' in default.text
    nothing = reader.get("/trending?since=2030-01-01").text
    assert "Nothing trending: no source listed a paper between 2030-01-01 and" in nothing
    assert "the newest listing in the store is 2026-07-02" in nothing


@on_both_backends
def test_a_search_page_exports_its_results(reader: TestClient) -> None:
    page = reader.get("/search?q=speaker+diarization&mode=keyword&limit=3").text
    link = re.search(r'href="(/search/export\?[^"]+)&amp;format=ris"', page)
    assert link, page
    shown = result_ids(page)
    ris = reader.get(link.group(1).replace("&amp;", "&") + "&format=ris")
    assert ris.status_code == 200 and ris.headers["content-type"].startswith("application/")
    assert 'filename="paperradar-search.ris"' in ris.headers["content-disposition"]
    assert ris.text.count("ER  -") == len(shown) == 3
    second = reader.get("/search/export?q=speaker+diarization&mode=keyword&limit=3&offset=3")
    assert second.status_code == 200 and "@" in second.text  # BibTeX by default, page two
    assert reader.get("/search/export?q=&format=ris").status_code == 400
    assert reader.get("/search/export?q=x&format=doc").status_code == 400
