"""The reading list (/saved), its exports, a digest's export, and the paper page's links,
feedback buttons and "Cite", through the real app (FastAPI's TestClient, a real store built
by tests/helpers/webhome.py, logins through the real /login form). Every exported file is
read back with paperradar's own readers. Every test runs on both storage backends (SQLite,
and a PostgreSQL database named by the home's config.toml: tests/helpers/backends.py)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import backends
from helpers.backends import BACKENDS, PerBackend
from helpers.webhome import PASSWORDS, build_home

from paperradar import ingest_files
from paperradar.digest import DigestOptions, make_digest
from paperradar.embedding import FakeEmbedder
from paperradar.embedding.backfill import embed_missing
from paperradar.models import Paper
from paperradar.radar.profiles import record_feedback
from paperradar.readers import read_path
from paperradar.web.app import create_app

DAY = dt.date(2026, 7, 2)
HOSTILE = "<script>alert(1)</script> Graph {transformer} at 100% & $O(n)$"
HOSTILE_ID = "arxiv:2607.00099"

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def _hostile(folder: Path) -> Path:
    path = folder / "hostile.jsonl"
    record = {
        "id": "2607.00099",
        "title": HOSTILE,
        "abstract": "graph neural network for molecule property prediction on molecular graphs",
        "authors": ["Zoë Ünal", "Jean-Pierre de la Fontaine"],
        "categories": ["cs.LG"],
        "comment": None,
        "crawl_date": DAY.isoformat(),
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def _journal_paper(folder: Path) -> Path:
    path = folder / "journal.bib"
    path.write_text(
        "@article{x, title = {A journal paper on graphs}, author = {Hopper, Grace},\n"
        "  journal = {Journal of Graphs}, year = {2025}, doi = {10.5555/graphs.2025.1},\n"
        "  url = {https://example.org/graphs.pdf}}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> PerBackend[Path]:
    """The web home with a hostile paper and a journal paper with a DOI; alice-ml saved
    2607.00001, then the hostile paper, and liked 2607.00002, and has a recorded digest."""

    def build(backend: str) -> Path:
        folder = tmp_path_factory.mktemp(f"saved-{backend}")
        path = build_home(folder / "home", backend)
        with backends.open_home(path) as store:
            ingest_files(store, [_hostile(folder)])
            embed_missing(store, FakeEmbedder())
            record_feedback(store, "alice-ml", ["2607.00001"], "save")
            record_feedback(store, "alice-ml", ["2607.00099"], "save")
            record_feedback(store, "alice-ml", ["2607.00002"], "like")
            ingest_files(store, [_journal_paper(folder)])
            options = DigestOptions(start=DAY, end=DAY, top=4)
            make_digest(store, "alice-ml", FakeEmbedder(), options)
        return path

    return PerBackend(build)


@pytest.fixture
def home(homes: PerBackend[Path], backend: str) -> Path:
    return homes(backend)


def login(client: TestClient, user: str) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    answer = client.post(
        "/login",
        data={"name": user, "password": PASSWORDS[user], "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def client_for(home: Path, user: str) -> Iterator[TestClient]:
    app = create_app(home, embedder=FakeEmbedder())
    with TestClient(app) as client:
        login(client, user)
        yield client
    app.state.web.store.close()


#: (backend, user) -> the user's logged-in client on that backend's home
Clients = Callable[[str, str], TestClient]


@pytest.fixture(scope="module")
def clients(homes: PerBackend[Path]) -> Iterator[Clients]:
    opened: dict[tuple[str, str], Iterator[TestClient]] = {}
    made: dict[tuple[str, str], TestClient] = {}

    def client(backend: str, user: str) -> TestClient:
        if (backend, user) not in made:
            opened[backend, user] = client_for(homes(backend), user)
            made[backend, user] = next(opened[backend, user])
        return made[backend, user]

    yield client
    for running in opened.values():
        for _ in running:  # the rest of client_for: the client and the store closed
            pass


@pytest.fixture
def alice(clients: Clients, backend: str) -> TestClient:
    return clients(backend, "alice")


@pytest.fixture
def bob(clients: Clients, backend: str) -> TestClient:
    return clients(backend, "bob")


def card_ids(page: str) -> list[str]:
    return re.findall(r'<article class="card" data-paper-id="([^"]+)">', page)


def read_back(tmp_path: Path, body: bytes, name: str) -> list[Paper]:
    path = tmp_path / name
    path.write_bytes(body)
    return [r for r in read_path(path).records if isinstance(r, Paper)]


def digest_id(home: Path, profile: str) -> int:
    with backends.open_home(home) as store:
        found = store.radar.profile_id(profile)
        assert found is not None
        return store.radar.digests(found, 1)[0].id


# --------------------------------------------------------------------------- /saved


def test_reading_list_shows_saved_papers_newest_first(alice: TestClient) -> None:
    page = alice.get("/saved")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Reading list</h1>" in text
    assert card_ids(text) == [HOSTILE_ID, "arxiv:2607.00001"]
    assert re.search(r'<p class="why muted">saved \d{4}-\d\d-\d\d \d\d:\d\d UTC</p>', text)
    assert "<script>alert(1)</script>" not in text
    assert html.escape(HOSTILE, quote=False) in text
    assert text.count('aria-pressed="true"') == 2  # both cards say "Saved"
    for fmt in ("bibtex", "ris", "csl-json"):
        assert f'href="/saved/export?format={fmt}&amp;profile=alice-ml&amp;list=saved"' in text
    liked = alice.get("/saved?list=liked").text
    assert card_ids(liked) == ["arxiv:2607.00002"]
    assert (
        "liked " in liked
        and "/saved/export?format=ris&amp;profile=alice-ml&amp;list=liked" in liked
    )


def test_reading_list_is_the_viewers_own(bob: TestClient) -> None:
    assert bob.get("/saved?profile=alice-ml").status_code == 404
    assert bob.get("/saved/export?format=bibtex&profile=alice-ml").status_code == 404
    page = bob.get("/saved").text
    assert card_ids(page) == [] and "No saved papers for bob-db yet" in page
    assert bob.get("/saved?list=disliked").status_code == 400


@pytest.mark.parametrize(
    ("fmt", "media", "extension"),
    [
        ("bibtex", "application/x-bibtex", "bib"),
        ("ris", "application/x-research-info-systems", "ris"),
        ("csl-json", "application/vnd.citationstyles.csl+json", "json"),
    ],
)
def test_saved_export_downloads_a_file_the_readers_read(
    alice: TestClient, tmp_path: Path, fmt: str, media: str, extension: str
) -> None:
    answer = alice.get(f"/saved/export?format={fmt}&profile=alice-ml")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == f"{media}; charset=utf-8"
    name = f"paperradar-alice-ml-saved.{extension}"
    assert answer.headers["content-disposition"] == f'attachment; filename="{name}"'
    papers = read_back(tmp_path, answer.content, name)
    assert [p.arxiv_id for p in papers] == ["2607.00099", "2607.00001"]
    assert papers[0].title == HOSTILE
    assert papers[0].authors == ["Zoë Ünal", "Jean-Pierre de la Fontaine"]
    assert alice.get(f"/saved/export?format={fmt}&list=liked").status_code == 200
    assert alice.get("/saved/export?format=endnote").status_code == 400


def test_digest_export_for_its_profile_only(
    alice: TestClient, bob: TestClient, home: Path, tmp_path: Path
) -> None:
    mine = digest_id(home, "alice-ml")
    answer = alice.get(f"/digests/{mine}/export?format=ris")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="paperradar-digest-{mine}.ris"'
    )
    papers = read_back(tmp_path, answer.content, "digest.ris")
    page = alice.get(f"/digests/{mine}").text
    assert len(papers) == 4
    for paper in papers:
        assert paper.arxiv_id and paper.arxiv_id in page
    assert bob.get(f"/digests/{mine}/export?format=ris").status_code == 404
    assert alice.get("/digests/99999/export").status_code == 404
    assert alice.get(f"/digests/{mine}/export?format=doc").status_code == 400


# --------------------------------------------------------------------------- the paper page


def test_paper_page_has_links_cite_and_feedback_buttons(alice: TestClient) -> None:
    page = alice.get("/papers/2607.00099").text
    links = re.search(r'<p class="paper-links" id="paper-links">(.*?)</p>', page, re.S)
    assert links, "no links"
    assert 'href="https://arxiv.org/abs/2607.00099"' in links.group(1)
    assert 'href="https://arxiv.org/pdf/2607.00099"' in links.group(1)
    cite = re.search(r'<details class="cite" id="cite">(.*?)</details>', page, re.S)
    assert cite, "no Cite"
    body = cite.group(1)
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert "Ünal, Z., &amp; de la Fontaine, J.-P. (2026)." in body
    assert "@misc{unal2026script," in body
    assert "\\textbraceleft{}transformer\\textbraceright{} at 100\\% \\&amp; \\$O(n)\\$" in body
    assert 'data-copy="cite-text"' in body and 'data-copy="cite-bibtex"' in body
    for fmt in ("bibtex", "ris", "csl-json"):
        assert f'href="/papers/arxiv%3A2607.00099/cite?format={fmt}" download' in body
    assert '<script src="/static/paper.js" defer></script>' in page
    match = re.search(r'<li class="match" data-profile="alice-ml">(.*?)</form>', page, re.S)
    assert match, "no match for alice-ml"
    form = match.group(1)
    assert '<form class="actions" method="post" action="/feedback">' in form
    assert 'name="paper" value="arxiv:2607.00099"' in form
    assert 'name="profile" value="alice-ml"' in form
    assert re.search(
        r'class="save secondary" name="action" value="unsave" aria-pressed="true"', form
    )
    assert re.search(
        r'class="like secondary" name="action" value="like" aria-pressed="false"', form
    )
    assert 'hx-post="/feedback"' in form and 'data-profile="bob-db"' not in page


def test_paper_page_links_a_doi(alice: TestClient) -> None:
    page = alice.get("/papers/10.5555/graphs.2025.1").text
    links = re.search(r'<p class="paper-links" id="paper-links">(.*?)</p>', page, re.S)
    assert links, "no links"
    assert 'href="https://doi.org/10.5555/graphs.2025.1"' in links.group(1)
    assert "arxiv.org" not in links.group(1)
    assert "Hopper, G. (2025). A journal paper on graphs. Journal of Graphs." in page
    assert "@article{hopper2025journal," in page


def test_cite_files(alice: TestClient, tmp_path: Path) -> None:
    answer = alice.get("/papers/2607.00099/cite?format=bibtex")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/x-bibtex; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="unal2026script.bib"'
    (paper,) = read_back(tmp_path, answer.content, "cite.bib")
    assert paper.title == HOSTILE and paper.arxiv_id == "2607.00099"
    text = alice.get("/papers/2607.00099/cite?format=text")
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text.startswith("Ünal, Z., & de la Fontaine, J.-P. (2026). <script>")
    assert alice.get("/papers/2607.00099/cite?format=doc").status_code == 400
    assert alice.get("/papers/2699.99999/cite").status_code == 404


def test_saving_from_the_paper_page(home: Path, tmp_path: Path) -> None:
    """The paper page's form posts to /feedback (htmx): the answer's buttons say Saved, and
    the paper is then on the reading list."""
    for client in client_for(home, "alice"):
        page = client.get("/papers/2607.00003").text
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
        assert token
        answer: Any = client.post(
            "/feedback",
            data={"paper": "arxiv:2607.00003", "profile": "alice-ml", "action": "save"},
            headers={"HX-Request": "true", "X-CSRF-Token": token.group(1)},
        )
        assert answer.status_code == 200
        assert re.search(r'class="save secondary" name="action" value="unsave"', answer.text)
        again = client.get("/papers/2607.00003").text
        match = re.search(r'<li class="match" data-profile="alice-ml">(.*?)</form>', again, re.S)
        assert match and 'value="unsave" aria-pressed="true"' in match.group(1)
        assert card_ids(client.get("/saved").text)[0] == "arxiv:2607.00003"
        client.post(
            "/feedback",
            data={"paper": "arxiv:2607.00003", "profile": "alice-ml", "action": "unsave"},
            headers={"HX-Request": "true", "X-CSRF-Token": token.group(1)},
        )
        assert "arxiv:2607.00003" not in card_ids(client.get("/saved").text)
