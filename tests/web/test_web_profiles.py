"""The web pages of profiles, digests and the topic map, through the real app and login.

The main flows (a profile made, papers uploaded or refused, rules, digests, a subscription,
the map) run on both storage backends (SQLite, and a PostgreSQL database named by the home's
config.toml: tests/helpers/backends.py)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import backends
from helpers.backends import PerBackend, on_both_backends
from helpers.webhome import PASSWORDS, build_home

from paperradar import ingest_files
from paperradar.digest import DigestOptions, make_digest
from paperradar.digest.subscriptions import active_subscriptions, get_subscription
from paperradar.embedding import FakeEmbedder
from paperradar.embedding.backfill import embed_missing
from paperradar.radar.profiles import load_profile, record_feedback
from paperradar.schedule.watch import claim_slot, finish_slot
from paperradar.store import SqliteStore
from paperradar.web.accounts import owner_of
from paperradar.web.app import create_app
from paperradar.web.deps import MAX_BODY

XSS = '<script>alert("x")</script> Graph & Molecules'
DAY = dt.date(2026, 7, 2)

BIB = """@article{web2026one,
  title = {Sparse attention for molecule graphs},
  author = {Webb, Ada},
  abstract = {We study sparse attention on molecular graphs for property prediction.},
  year = {2026}
}
"""
RIS = """TY  - JOUR
TI  - Audio encoders for speech recognition in noisy rooms
AU  - Webb, Ada
AB  - An audio encoder trained for speech recognition in noisy rooms.
PY  - 2026
ER  -
"""
BAD_BIB = """@article{ok2026,
  title = {A good entry},
  year = {2026}
}
@article{broken2026,
  title = {An entry that never ends,
  year = {2026
"""


@pytest.fixture(scope="module")
def template_homes(tmp_path_factory: pytest.TempPathFactory) -> PerBackend[Path]:
    """The web home plus: a liked paper with a hostile title, a recorded digest of
    alice-ml, all embedded; one per backend."""

    def build(backend: str) -> Path:
        home = build_home(tmp_path_factory.mktemp("web") / "home", backend)
        extra = tmp_path_factory.mktemp("extra") / "xss.jsonl"
        record = {
            "id": "2607.00099",
            "title": XSS,
            "abstract": "graph neural network for molecule property prediction on molecular graphs",
            "authors": ["Mallory"],
            "categories": ["cs.LG"],
            "comment": None,
            "crawl_date": DAY.isoformat(),
        }
        extra.write_text(json.dumps(record) + "\n", encoding="utf-8")
        with backends.open_home(home) as store:
            ingest_files(store, [extra])
            embed_missing(store, FakeEmbedder())
            record_feedback(store, "alice-ml", ["2607.00099"], "like")
            options = DigestOptions(start=DAY, end=DAY, top=5)
            make_digest(store, "alice-ml", FakeEmbedder(), options)
        return home

    return PerBackend(build)


@pytest.fixture
def home(template_homes: PerBackend[Path], backend: str, tmp_path: Path) -> Iterator[Path]:
    """A fresh copy of the template home for each test (the store is small)."""
    template = template_homes(backend)
    target = tmp_path / "home"
    if backend == backends.POSTGRES:
        backends.copy_home(template, target)
        yield target
        backends.forget(target)
        return
    target.mkdir()
    with SqliteStore.open(template) as source:  # the file alone, whole, without its WAL
        source.conn.execute("VACUUM INTO ?", (str(target / source.path.name),))
    yield target


@pytest.fixture
def app_client(home: Path) -> Iterator[TestClient]:
    app = create_app(home, embedder=FakeEmbedder())
    with TestClient(app, follow_redirects=False) as client:
        yield client
    app.state.web.store.close()


def login(client: TestClient, user: str) -> str:
    """Log in through the real form; the page's CSRF token."""
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    answer = client.post(
        "/login",
        data={"name": user, "password": PASSWORDS[user], "csrf": token.group(1), "next": "/x"},
    )
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/profiles").text)


def csrf_of(page: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


@pytest.fixture
def alice(app_client: TestClient) -> tuple[TestClient, str]:
    return app_client, login(app_client, "alice")


def own_pids(home: Path, profile: str) -> list[str]:
    with backends.open_home(home) as store:
        papers = store.papers.load(load_profile(store, profile).papers)
    return [p.id or "" for p in papers]


def paper_count(home: Path) -> int:
    with backends.open_home(home) as store:
        return store.papers.count()


# --------------------------------------------------------------------------- profiles


@on_both_backends
def test_create_profile_is_owned_by_its_creator_and_hidden_from_others(
    alice: tuple[TestClient, str], home: Path
) -> None:
    client, csrf = alice
    made = client.post("/profiles", data={"name": "alice-nlp", "csrf": csrf})
    assert made.status_code == 303
    assert made.headers["location"] == "/profiles/alice-nlp?done=created"
    page = client.get("/profiles").text
    assert 'href="/profiles/alice-nlp"' in page and 'data-profile="alice-ml"' in page
    assert "bob-db" not in page
    users = {name: id_ for id_, name in backends.rows(home, "SELECT id, name FROM users")}
    with backends.open_home(home) as store:
        assert owner_of(store, "alice-nlp") == users["alice"]

    client.cookies.clear()
    bob_csrf = login(client, "bob")
    assert "alice-nlp" not in client.get("/profiles").text
    hidden = client.get("/profiles/alice-nlp")
    assert hidden.status_code == 404
    # the name is taken, but the answer does not say by whom
    taken = client.post("/profiles", data={"name": "alice-nlp", "csrf": bob_csrf})
    assert taken.status_code == 400
    assert "is taken" in taken.text and "alice" not in taken.text.replace("alice-nlp", "")
    # bob cannot change alice's profile even with his own valid token
    sneaky = client.post("/profiles/alice-ml/ids", data={"id": "2607.00001", "csrf": bob_csrf})
    assert sneaky.status_code == 404
    assert "2607.00001" not in " ".join(own_pids(home, "alice-ml"))


def test_bad_profile_name_is_refused_with_a_message(alice: tuple[TestClient, str]) -> None:
    client, csrf = alice
    answer = client.post("/profiles", data={"name": "../etc", "csrf": csrf})
    assert answer.status_code == 400
    assert "invalid profile name" in answer.text


def test_profile_page_lists_own_papers_with_links(alice: tuple[TestClient, str]) -> None:
    client, _ = alice
    page = client.get("/profiles/alice-ml")
    assert page.status_code == 200
    assert "Graph transformer for node classification" in page.text
    assert re.search(r'<a href="/papers/[^"]+">Message passing graph neural network', page.text)


def test_add_own_papers_by_pasted_bibtex(alice: tuple[TestClient, str], home: Path) -> None:
    client, csrf = alice
    answer = client.post("/profiles/alice-ml/paste", data={"text": BIB, "csrf": csrf})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/profiles/alice-ml?done=added&n=1&m=0"
    page = client.get(answer.headers["location"]).text
    assert "Sparse attention for molecule graphs" in page
    assert "Added 1 paper(s) (0 already there)." in page


@on_both_backends
def test_add_own_papers_by_uploaded_bib_and_ris(alice: tuple[TestClient, str]) -> None:
    client, csrf = alice
    for name, body in (("mine.bib", BIB), ("mine.ris", RIS)):
        files = {"file": (name, body.encode(), "application/octet-stream")}
        answer = client.post("/profiles/alice-ml/upload", data={"csrf": csrf}, files=files)
        assert answer.status_code == 303, answer.text
    page = client.get("/profiles/alice-ml").text
    assert "Sparse attention for molecule graphs" in page
    assert "Audio encoders for speech recognition in noisy rooms" in page


@on_both_backends
def test_pasted_and_uploaded_papers_record_where_they_came_from(
    alice: tuple[TestClient, str], home: Path
) -> None:
    """Sightings and the profile name the paste or the uploaded file, never the temporary
    copy the readers read."""
    client, csrf = alice
    assert client.post("/profiles/alice-ml/paste", data={"text": BIB, "csrf": csrf}).is_redirect
    files = {"file": ("C:\\papers\\mine.ris", RIS.encode(), "application/octet-stream")}
    assert client.post("/profiles/alice-ml/upload", data={"csrf": csrf}, files=files).is_redirect
    locators = dict(
        backends.rows(
            home, "SELECT p.title, s.locator FROM sightings s JOIN papers p ON p.id = s.paper_id"
        )
    )
    origins = dict(
        backends.rows(
            home,
            "SELECT p.title, pp.origin FROM profile_papers pp JOIN papers p ON p.id = pp.paper_id",
        )
    )
    for where in (locators, origins):
        assert where["Sparse attention for molecule graphs"] == "web:pasted text"
        assert where["Audio encoders for speech recognition in noisy rooms"] == "web:mine.ris"
        assert not any("paperradar-upload-" in str(v) for v in where.values())


def test_add_by_pasted_ids_and_by_search(alice: tuple[TestClient, str], home: Path) -> None:
    client, csrf = alice
    answer = client.post(
        "/profiles/alice-ml/paste", data={"text": "2607.00040\narXiv:2607.00041v2\n", "csrf": csrf}
    )
    assert answer.status_code == 303
    assert {"arxiv:2607.00040", "arxiv:2607.00041"} <= set(own_pids(home, "alice-ml"))

    results = client.get("/profiles/alice-ml", params={"q": "robot manipulation"}).text
    assert 'id="profile-search-results"' in results and 'class="secondary add"' in results
    fragment = client.get(
        "/profiles/alice-ml", params={"q": "locomotion"}, headers={"HX-Request": "true"}
    )
    assert fragment.text.lstrip().startswith('<div id="profile-search-results">')
    pid = re.search(r'name="id" value="([^"]+)"', fragment.text)
    assert pid
    added = client.post("/profiles/alice-ml/ids", data={"id": pid.group(1), "csrf": csrf})
    assert added.status_code == 303
    assert pid.group(1) in own_pids(home, "alice-ml")

    unknown = client.post("/profiles/alice-ml/ids", data={"id": "2699.99999", "csrf": csrf})
    assert unknown.status_code == 400
    assert "no paper with id" in unknown.text


def test_remove_own_paper_with_htmx_fragment(alice: tuple[TestClient, str], home: Path) -> None:
    client, csrf = alice
    first = own_pids(home, "alice-ml")[0]
    answer = client.post(
        "/profiles/alice-ml/papers/remove",
        data={"id": first},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<section class="card" id="own-papers">')
    assert "Paper removed." in answer.text
    assert first not in own_pids(home, "alice-ml")


@on_both_backends
def test_malformed_upload_shows_the_reader_error_and_adds_nothing(
    alice: tuple[TestClient, str], home: Path
) -> None:
    client, csrf = alice
    before_papers, before_own = paper_count(home), own_pids(home, "alice-ml")
    files = {"file": ("broken.bib", BAD_BIB.encode(), "text/plain")}
    answer = client.post("/profiles/alice-ml/upload", data={"csrf": csrf}, files=files)
    assert answer.status_code == 400
    assert re.search(r"broken\.bib:\d+: [^<]+", answer.text), answer.text
    assert "paperradar-upload" not in answer.text  # the temporary path is not shown
    assert paper_count(home) == before_papers
    assert own_pids(home, "alice-ml") == before_own


def test_oversized_upload_is_refused(alice: tuple[TestClient, str], home: Path) -> None:
    client, csrf = alice
    before = paper_count(home)
    big = b"%" * (MAX_BODY + 10)
    files = {"file": ("big.bib", big, "text/plain")}
    answer = client.post("/profiles/alice-ml/upload", data={"csrf": csrf}, files=files)
    assert answer.status_code == 413

    # without a Content-Length (chunked), the route itself stops reading at the limit
    boundary = "pr-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bib"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + big
        + f"\r\n--{boundary}--\r\n".encode()
    )
    chunked = client.post(
        "/profiles/alice-ml/upload",
        content=iter([body[i : i + 65536] for i in range(0, len(body), 65536)]),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert chunked.status_code == 413
    assert paper_count(home) == before


@on_both_backends
def test_rules_add_and_remove(alice: tuple[TestClient, str], home: Path) -> None:
    client, csrf = alice
    added = client.post(
        "/profiles/alice-ml/rules",
        data={"kind": "follow-author", "value": "Ada Lovelace", "csrf": csrf},
    )
    assert added.status_code == 303
    page = client.get(added.headers["location"]).text
    assert 'data-kind="follow-author"' in page and "Ada Lovelace" in page and "Rule added." in page
    fragment = client.post(
        "/profiles/alice-ml/rules",
        data={"kind": "mute-category", "value": "cs.RO", "csrf": csrf},
        headers={"HX-Request": "true"},
    )
    assert fragment.text.lstrip().startswith('<section class="card" id="profile-rules">')
    assert "cs.RO" in fragment.text
    bad = client.post(
        "/profiles/alice-ml/rules", data={"kind": "shout", "value": "x", "csrf": csrf}
    )
    assert bad.status_code == 400 and "unknown rule" in bad.text
    removed = client.post(
        "/profiles/alice-ml/rules/remove",
        data={"kind": "follow-author", "value": "Ada Lovelace", "csrf": csrf},
    )
    assert removed.status_code == 303
    with backends.open_home(home) as store:
        rules = load_profile(store, "alice-ml").rules
    assert [(r.kind, r.value) for r in rules] == [("mute-category", "cs.RO")]


def test_feedback_history_lists_a_like_newest_first(
    alice: tuple[TestClient, str], home: Path
) -> None:
    client, _ = alice
    with backends.open_home(home) as store:
        record_feedback(store, "alice-ml", ["2607.00002"], "save")
    page = client.get("/profiles/alice-ml").text
    history = page[page.index('id="profile-feedback"') :]
    assert 'data-action="like"' in history and 'data-action="save"' in history
    assert history.index('data-action="save"') < history.index('data-action="like"')
    assert "&lt;script&gt;alert(" in history and "<script>alert" not in page


# --------------------------------------------------------------------------- digests


@on_both_backends
def test_digest_archive_and_digest_page(app_client: TestClient) -> None:
    login(app_client, "alice")
    archive = app_client.get("/digests", params={"profile": "alice-ml"})
    assert archive.status_code == 200
    link = re.search(r'<a href="/digests/(\d+)">', archive.text)
    assert link, archive.text
    digest = app_client.get(f"/digests/{link.group(1)}")
    assert digest.status_code == 200
    assert digest.text.count('class="card digest-item"') == 5
    assert "close to " in digest.text  # the recorded explanation
    assert app_client.get("/digests").status_code == 200

    app_client.cookies.clear()
    login(app_client, "bob")
    hidden = app_client.get(f"/digests/{link.group(1)}")
    assert hidden.status_code == 404
    assert "alice" not in hidden.text
    assert app_client.get("/digests", params={"profile": "alice-ml"}).status_code == 404
    assert app_client.get("/digests/99999").status_code == 404


@on_both_backends
def test_subscription_set_and_validated(alice: tuple[TestClient, str], home: Path) -> None:
    client, csrf = alice
    url = "/profiles/alice-ml/subscription"
    saved = client.post(
        url, data={"email": "alice@example.org", "at": "06:45", "enabled": "on", "csrf": csrf}
    )
    assert saved.status_code == 303
    page = client.get(saved.headers["location"]).text
    assert 'value="alice@example.org"' in page and 'value="06:45"' in page
    # no [email] settings and no watch yet: saved, and the page says why nothing will come
    assert "Subscription saved, but no email will arrive yet." in page
    assert "this server cannot send email yet: email.host is not set" in page
    assert "`paperradar watch`, which has never run on this server" in page

    backends.write_config(home, '[email]\nhost = "127.0.0.1"\nfrom = "radar@example.org"\n')
    with backends.open_home(home) as store:
        slot = dt.datetime.now(dt.UTC).replace(microsecond=0)
        assert claim_slot(store, slot)
        finish_slot(store, slot, "ok", "")
    ready = client.get(saved.headers["location"]).text
    assert "Subscription saved." in ready and 'class="warning"' not in ready

    bad_address = client.post(url, data={"email": "not an address", "at": "06:45", "csrf": csrf})
    assert bad_address.status_code == 400
    assert 'role="alert"' in bad_address.text and "not an address" in bad_address.text
    bad_time = client.post(url, data={"email": "a@example.org", "at": "25:99", "csrf": csrf})
    assert bad_time.status_code == 400 and "bad time of day" in bad_time.text

    off = client.post(url, data={"email": "alice@example.org", "at": "7:05", "csrf": csrf})
    assert off.status_code == 303
    with backends.open_home(home) as store:
        sub = get_subscription(store, "alice-ml")
        assert sub is not None and (sub.email, sub.enabled, sub.at) == (
            "alice@example.org",
            False,
            "07:05",
        )
        assert active_subscriptions(store) == []
    client.post(
        url, data={"email": "alice@example.org", "at": "08:00", "enabled": "on", "csrf": csrf}
    )
    with backends.open_home(home) as store:
        assert active_subscriptions(store) == [("alice-ml", "alice@example.org", "08:00")]


# --------------------------------------------------------------------------- the map


@on_both_backends
def test_map_draws_all_kinds_with_escaped_titles(alice: tuple[TestClient, str]) -> None:
    client, _ = alice
    answer = client.get("/map", params={"profile": "alice-ml"})
    assert answer.status_code == 200
    page = answer.text
    svg = page[
        page.index('<svg id="topic-map"') : page.index("</svg>", page.index('id="topic-map"'))
    ]
    kinds = re.findall(r'class="point (own|liked|candidate) cluster-\d"', svg)
    assert kinds.count("own") == 3 and kinds.count("liked") == 1 and kinds.count("candidate") >= 20
    assert svg.count("<title>") == len(kinds)  # one per point (the picture's has an id)
    assert svg.count('<a href="/papers/') == len(kinds)
    assert (
        "<title>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Graph &amp; Molecules</title>"
        in svg
    )
    assert "<script>alert" not in page
    assert 'id="map-legend"' in page and len(set(re.findall(r"cluster-(\d)", svg))) >= 2


def test_map_of_a_profile_without_papers_says_so(app_client: TestClient) -> None:
    login(app_client, "bob")
    page = app_client.get("/map").text
    assert 'id="map-missing"' in page and "has no papers yet" in page
    assert app_client.get("/map", params={"profile": "alice-ml"}).status_code == 404


# --------------------------------------------------------------------------- CSRF


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/profiles", {"name": "x1"}),
        ("/profiles/alice-ml/paste", {"text": BIB}),
        ("/profiles/alice-ml/upload", {}),
        ("/profiles/alice-ml/ids", {"id": "2607.00001"}),
        ("/profiles/alice-ml/papers/remove", {"id": "2607.00001"}),
        ("/profiles/alice-ml/rules", {"kind": "follow-keyword", "value": "graphs"}),
        ("/profiles/alice-ml/rules/remove", {"kind": "follow-keyword", "value": "graphs"}),
        ("/profiles/alice-ml/subscription", {"email": "a@example.org", "at": "07:00"}),
    ],
)
def test_every_post_needs_the_csrf_token(
    alice: tuple[TestClient, str], path: str, data: dict[str, str]
) -> None:
    client, csrf = alice
    files = {"file": ("mine.bib", BIB.encode(), "text/plain")} if "upload" in path else None
    missing = client.post(path, data=data, files=files)
    assert missing.status_code == 403
    wrong = client.post(path, data={**data, "csrf": csrf + "x"}, files=files)
    assert wrong.status_code == 403
    cross = client.post(
        path, data={**data, "csrf": csrf}, files=files, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403


# --------------------------------------------------------------------------- more


def test_single_user_mode_creates_profiles_without_owner(home: Path) -> None:
    app = create_app(home, single_user=True, embedder=FakeEmbedder())
    with TestClient(app, follow_redirects=False, base_url="http://localhost") as client:
        page = client.get("/profiles").text
        assert 'data-profile="nobody"' in page and 'data-profile="bob-db"' in page
        made = client.post("/profiles", data={"name": "solo", "csrf": csrf_of(page)})
        assert made.status_code == 303
    app.state.web.store.close()
    with backends.open_home(home) as store:
        assert owner_of(store, "solo") is None


def test_paste_with_a_named_format(alice: tuple[TestClient, str], home: Path) -> None:
    client, csrf = alice
    wrong = client.post(
        "/profiles/alice-ml/paste", data={"text": BIB, "format": "ris", "csrf": csrf}
    )
    assert wrong.status_code == 400 and "pasted text" in wrong.text
    unknown = client.post(
        "/profiles/alice-ml/paste", data={"text": BIB, "format": "pdf", "csrf": csrf}
    )
    assert unknown.status_code == 400 and "unknown format" in unknown.text
    right = client.post(
        "/profiles/alice-ml/paste", data={"text": RIS, "format": "ris", "csrf": csrf}
    )
    assert right.status_code == 303
    assert (
        "Audio encoders for speech recognition in noisy rooms"
        in client.get("/profiles/alice-ml").text
    )


def test_topic_map_library_on_tiny_profiles(home: Path) -> None:
    from paperradar.radar.profiles import add_ids, create_profile
    from paperradar.radar.topic_map import cluster, project, topic_map

    with backends.open_home(home) as store:
        create_profile(store, "tiny")
        add_ids(store, "tiny", ["2607.00001"])
        one = topic_map(store, "tiny", FakeEmbedder(), day=dt.date(1999, 1, 1))
        assert one.missing is None and [(p.kind, p.x, p.y, p.cluster) for p in one.points] == [
            ("own", 0.0, 0.0, 0)
        ]
        full = topic_map(store, "alice-ml", FakeEmbedder(), max_candidates=5)
        assert full.day == DAY and full.counts == {"own": 3, "liked": 1, "candidate": 5}
        assert full == topic_map(store, "alice-ml", FakeEmbedder(), max_candidates=5)
    same = np.ones((12, 4))
    assert project(same)[0].tolist() == [[0.0, 0.0]] * 12
    assert cluster(same).tolist() == [0] * 12


def test_single_user_mode_refuses_foreign_host_names(home: Path) -> None:
    """DNS rebinding: a page served from another name that resolves to 127.0.0.1 must not
    be able to drive the login-less app."""
    app = create_app(home, single_user=True, embedder=FakeEmbedder())
    with TestClient(app, base_url="http://attacker.example:8000") as client:
        refused = client.get("/radar")
        assert refused.status_code == 421
        assert refused.headers["content-security-policy"].startswith("default-src 'none'")
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/profiles").status_code == 200
    app.state.web.store.close()
