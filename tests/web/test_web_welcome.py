"""The guided first run (``/welcome``) and the profile page's pasted ids, through the real
app, login and a real local HTTP server for the lookups (a closed port for offline)."""

from __future__ import annotations

import html
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import paths
from helpers.httpserver import LocalServer, Logged, Reply
from helpers.webhome import build_home

from paperradar import Store
from paperradar.config import CONFIG_NAME
from paperradar.embedding import FakeEmbedder
from paperradar.radar.profiles import load_profile
from paperradar.web.accounts import add_user, get_user
from paperradar.web.app import create_app
from paperradar.web.deps import Viewer
from paperradar.web.routes.welcome import needs_welcome

WEB = paths.FIXTURES / "sources" / "web"
ATOM = paths.FIXTURES / "arxiv-atom"
JSON = {"Content-Type": "application/json"}
BIB = """@article{carol2024,
  title = {Sparse attention for molecule graphs, revisited},
  author = {Carroll, Carol},
  abstract = {We revisit sparse attention on molecular graphs for property prediction.},
  year = {2024}
}
"""


@pytest.fixture(scope="module")
def template_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = build_home(tmp_path_factory.mktemp("welcome") / "home")
    with Store.open(home) as store:
        add_user(store, "carol", "carol-password")
    return home


@pytest.fixture
def home(template_home: Path, tmp_path: Path) -> Path:
    target = tmp_path / "home"
    target.mkdir()
    with Store.open(template_home) as source:
        source.conn.execute("VACUUM INTO ?", (str(target / source.path.name),))
    return target


def configure(home: Path, url: str) -> None:
    (home / CONFIG_NAME).write_text(
        "[http]\nattempts = 1\ndefault_interval = 0\n"
        '[http.intervals]\n"127.0.0.1" = 0\n'
        f'[lookup]\narxiv_url = "{url}/api/query"\nopenalex_url = "{url}"\n'
        f'[s2]\nbase_url = "{url}"\n',
        encoding="utf-8",
    )


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    app = create_app(home, embedder=FakeEmbedder())
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client
    app.state.web.store.close()


def login(client: TestClient, user: str, password: str) -> str:
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    answer = client.post(
        "/login", data={"name": user, "password": password, "csrf": token.group(1), "next": "/"}
    )
    assert answer.status_code == 303, answer.text
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/profiles").text)
    assert found
    return found.group(1)


def serve(server: LocalServer) -> None:
    atom = (ATOM / "id_list_new_style.xml").read_text(encoding="utf-8")
    server.route("/api/query", [Reply(body=atom)])

    def works(request: Logged) -> Reply:
        page = json.loads((WEB / "openalex_works_page1.json").read_text(encoding="utf-8"))
        asked = (request.param("filter") or "").removeprefix("doi:").split("|")
        page["results"] = [w for w in page["results"] if w["doi"][16:] in asked]
        page["meta"]["next_cursor"] = None
        return Reply(body=json.dumps(page), headers=JSON)

    server.route("/works", works)
    server.route("/graph/v1/paper/batch", lambda r: Reply(body="[null]", headers=JSON))


def viewer(store: Store, user: str) -> Viewer:
    return Viewer(get_user(store, user), "x", False)


def textarea(page: str) -> str:
    found = re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    assert found, page[:400]
    return html.unescape(found.group(1))


def test_needs_welcome_for_no_profile_or_empty_ones(home: Path) -> None:
    with Store.open(home) as store:
        assert needs_welcome(store, viewer(store, "carol"))  # no profile
        assert not needs_welcome(store, viewer(store, "alice"))
        assert needs_welcome(store, viewer(store, "bob"))  # an empty profile
        assert not needs_welcome(store, Viewer(None, "x", True))  # alice-ml has papers


def test_the_guided_first_run(client: TestClient, home: Path, http_server: LocalServer) -> None:
    serve(http_server)
    configure(home, http_server.url)
    csrf = login(client, "carol", "carol-password")
    first = client.get("/welcome")
    assert first.status_code == 200 and 'data-step="1"' in first.text
    taken = client.post("/welcome", data={"name": "alice-ml", "csrf": csrf})
    assert taken.status_code == 400 and "is taken" in taken.text
    made = client.post("/welcome", data={"name": "carol-ml", "csrf": csrf})
    assert made.status_code == 303 and made.headers["location"] == "/welcome?profile=carol-ml"
    second = client.get("/welcome")
    assert 'data-step="2"' in second.text and "carol-ml" in second.text

    pasted = "hep-th/9901001\n10.9999/nowhere\n"
    partly = client.post("/welcome/carol-ml/paste", data={"text": pasted, "csrf": csrf})
    assert partly.status_code == 200
    assert "Added 1 paper(s) (0 already there)." in partly.text
    assert "1 of 2 ids could not be added: 10.9999/nowhere (not found)" in partly.text
    assert textarea(partly.text) == pasted
    assert 'data-step="3"' in partly.text and 'href="/radar?profile=carol-ml"' in partly.text

    uploaded = client.post(
        "/welcome/carol-ml/upload",
        data={"csrf": csrf},
        files={"file": ("mine.bib", BIB.encode(), "application/x-bibtex")},
    )
    assert uploaded.status_code == 303
    assert uploaded.headers["location"] == "/welcome?profile=carol-ml&n=1&m=0"
    with Store.open(home) as store:
        assert len(load_profile(store, "carol-ml").papers) == 2
        assert not needs_welcome(store, viewer(store, "carol"))


def test_welcome_author_by_orcid(client: TestClient, home: Path, http_server: LocalServer) -> None:
    for page, match in ((3, {}), (1, {"cursor": "*"})):
        body = (WEB / f"openalex_works_page{page}.json").read_text(encoding="utf-8")
        http_server.route("/works", [Reply(body=body, headers=JSON)], match=match)
    configure(home, http_server.url)
    csrf = login(client, "carol", "carol-password")
    assert client.post("/welcome", data={"name": "carol-ml", "csrf": csrf}).status_code == 303
    bad = client.post(
        "/welcome/carol-ml/author",
        data={"kind": "orcid", "value": "0000-0002-1825-0098", "csrf": csrf},
    )
    assert bad.status_code == 400 and "check digit" in bad.text
    assert 'value="0000-0002-1825-0098"' in bad.text
    assert http_server.requests() == []
    good = client.post(
        "/welcome/carol-ml/author",
        data={"kind": "orcid", "value": "0000-0002-1825-0097", "csrf": csrf},
    )
    assert good.status_code == 303
    assert good.headers["location"] == "/welcome?profile=carol-ml&n=2&m=0"


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_profile_paste_offline_names_every_id_and_keeps_the_text(
    client: TestClient, home: Path
) -> None:
    configure(home, closed_port_url())
    csrf = login(client, "alice", "alice-password")
    with Store.open(home) as store:
        before = (store.papers.count(), len(load_profile(store, "alice-ml").papers))
    pasted = "2103.00020\n10.48550/arXiv.2103.00021\n10.1162/tacl_a_00745\n"
    answer = client.post("/profiles/alice-ml/paste", data={"text": pasted, "csrf": csrf})
    assert answer.status_code == 400
    page = html.unescape(answer.text)
    assert "3 of 3 ids could not be added" in page
    for ref in pasted.split():
        assert f"{ref} (offline)" in page
    assert 'id="missing-ids"' in answer.text
    assert textarea(answer.text) == pasted
    with Store.open(home) as store:
        after = (store.papers.count(), len(load_profile(store, "alice-ml").papers))
    assert after == before


def test_profile_paste_fetches_and_keeps_nothing_back_when_all_went_well(
    client: TestClient, home: Path, http_server: LocalServer
) -> None:
    serve(http_server)
    configure(home, http_server.url)
    csrf = login(client, "alice", "alice-password")
    answer = client.post(
        "/profiles/alice-ml/paste",
        data={"text": "hep-th/9901001, 10.1162/tacl_a_00745", "csrf": csrf},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/profiles/alice-ml?done=added&n=2&m=0"
    page = client.get(answer.headers["location"]).text
    assert "Brane Dynamics" in page and textarea(page) == ""


def test_pasted_bibtex_that_fails_is_given_back(client: TestClient, home: Path) -> None:
    csrf = login(client, "alice", "alice-password")
    broken = "@article{x,\n  title = {Never ends,\n"
    answer = client.post("/profiles/alice-ml/paste", data={"text": broken, "csrf": csrf})
    assert answer.status_code == 400
    assert textarea(answer.text) == broken
