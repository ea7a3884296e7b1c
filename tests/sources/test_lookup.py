"""Fetching the papers a researcher names that the store lacks, and an author's papers,
against a real local HTTP server speaking arXiv's Atom, OpenAlex's and Semantic Scholar's JSON
(recorded answers in tests/fixtures); a closed port stands for being offline."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import paths
from helpers.httpserver import LocalServer, Logged, Reply

from paperradar.errors import UsageError
from paperradar.models import Paper
from paperradar.sources import lookup
from paperradar.sources.http import HttpSettings
from paperradar.store import open_store
from paperradar.store.api import Store

WEB = paths.FIXTURES / "sources" / "web"
ATOM = paths.FIXTURES / "arxiv-atom"
ARXIV_PAGE = paths.FIXTURES / "sources" / "arxiv" / "arxiv-atom" / "api_cs_page1.xml"
JSON = {"Content-Type": "application/json"}
ATOM_TYPE = {"Content-Type": "application/atom+xml"}
S2_PAPER = "3f1c5d7e9a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d"
TACL_DOI = "10.1162/tacl_a_00745"


def settings_for(url: str) -> lookup.LookupSettings:
    http = HttpSettings(
        user_agent="paperradar-test (mailto:t@example.org)",
        timeout=2.0,
        attempts=1,
        backoff=0.01,
        intervals={"127.0.0.1": 0.0},
        default_interval=0.0,
    )
    return lookup.LookupSettings(
        http=http, arxiv_url=f"{url}/api/query", openalex_url=url, s2_url=url
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "home") as opened:
        yield opened


def openalex_answer(request: Logged) -> Reply:
    """OpenAlex's ``/works?filter=doi:A|B``: the works it knows among the DOIs asked for."""
    page = json.loads((WEB / "openalex_works_page1.json").read_text(encoding="utf-8"))
    asked = (request.param("filter") or "").removeprefix("doi:").split("|")
    known = [w for w in page["results"] if w["doi"].removeprefix("https://doi.org/") in asked]
    page["results"], page["meta"]["next_cursor"] = known, None
    return Reply(body=json.dumps(page), headers=JSON)


def s2_answer(request: Logged) -> Reply:
    """Semantic Scholar's batch: a paper object per id it knows, null for the others."""
    data = json.loads((WEB / "s2_author_papers_offset0.json").read_text(encoding="utf-8"))
    known = {p["paperId"]: p for p in data["data"]}
    ids = json.loads(request.body)["ids"]
    return Reply(body=json.dumps([known.get(i) for i in ids]), headers=JSON)


def serve(server: LocalServer) -> None:
    atom = (ATOM / "id_list_new_style.xml").read_text(encoding="utf-8")
    server.route("/api/query", [Reply(body=atom, headers=ATOM_TYPE)])
    server.route("/works", openalex_answer)
    server.route("/graph/v1/paper/batch", s2_answer)


def test_fetches_only_what_the_store_lacks_and_names_every_miss(
    store: Store, http_server: LocalServer
) -> None:
    serve(http_server)
    store.papers.upsert([Paper(title="rStar held already", arxiv_id="2501.04519")])
    refs = [
        "arXiv:2501.04519v2",
        "https://arxiv.org/abs/hep-th/9901001v1",
        TACL_DOI.upper(),
        f"s2:{S2_PAPER}",
        "10.9999/nowhere",
        "not-an-id",
    ]
    result = lookup.fetch_missing(store, refs, settings_for(http_server.url))
    status = {o.ref: o.status for o in result.outcomes}
    assert status == {
        "arXiv:2501.04519v2": "stored",
        "https://arxiv.org/abs/hep-th/9901001v1": "fetched",
        TACL_DOI.upper(): "fetched",
        f"s2:{S2_PAPER}": "fetched",
        "10.9999/nowhere": "not found",
        "not-an-id": "not an id",
    }
    (arxiv,) = http_server.requests("/api/query")
    assert arxiv.param("id_list") == "hep-th/9901001"
    (works,) = http_server.requests("/works")
    assert works.param("filter") == f"doi:{TACL_DOI}|10.9999/nowhere"
    (batch,) = http_server.requests("/graph/v1/paper/batch")
    assert batch.method == "POST"
    assert json.loads(batch.body) == {"ids": ["DOI:10.9999/nowhere", S2_PAPER]}
    brane = store.papers.get("hep-th/9901001")
    assert brane.title.startswith("Brane Dynamics") and "D-branes" in brane.abstract
    assert store.papers.get(TACL_DOI).title.startswith("Morphology-Aware Negatives")
    assert store.papers.get("arxiv:2503.11731").s2_id == S2_PAPER
    message = result.missing_message()
    assert message.startswith("2 of 6 ids could not be added: ")
    assert "10.9999/nowhere: not found" in message and "not-an-id: not an id" in message
    assert len(result.row_ids()) == 4


def test_an_arxiv_doi_is_fetched_from_arxiv(store: Store, http_server: LocalServer) -> None:
    serve(http_server)
    result = lookup.fetch_missing(
        store, ["10.48550/arXiv.2501.04519"], settings_for(http_server.url)
    )
    assert [o.status for o in result.outcomes] == ["fetched"]
    assert http_server.requests("/api/query")[0].param("id_list") == "2501.04519"
    assert http_server.requests("/works") == []
    assert store.papers.resolve("arxiv:2501.04519") == result.row_ids()[0]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_offline_names_every_missing_id_and_stores_nothing(store: Store) -> None:
    store.papers.upsert([Paper(title="rStar held already", arxiv_id="2501.04519")])
    refs = ["2501.04519", "2103.00020", "2103.00021", "10.1162/x", "s2:abc"]
    result = lookup.fetch_missing(store, refs, settings_for(closed_port_url()))
    assert [o.status for o in result.outcomes] == ["stored"] + ["offline"] * 4
    message = result.missing_message()
    for ref in refs[1:]:
        assert ref in message
    assert "could not connect" in message
    assert store.papers.count() == 1


def test_no_settings_means_nothing_is_fetched(store: Store, http_server: LocalServer) -> None:
    result = lookup.fetch_missing(store, ["2103.00020"], None)
    assert result.outcomes[0].line() == "2103.00020: offline (not in the store; nothing fetched)"
    assert http_server.requests() == []


def test_a_refusal_is_said_as_such(store: Store, http_server: LocalServer) -> None:
    http_server.route("/graph/v1/paper/batch", [Reply(403, body='{"message": "Forbidden"}')])
    result = lookup.fetch_missing(store, [f"s2:{S2_PAPER}"], settings_for(http_server.url))
    (outcome,) = result.outcomes
    assert outcome.status == "refused" and "403" in outcome.detail


def test_an_id_arxiv_cannot_read_spoils_only_itself(store: Store, http_server: LocalServer) -> None:
    atom = (ATOM / "id_list_new_style.xml").read_text(encoding="utf-8")
    error = (ATOM / "api_error.xml").read_text(encoding="utf-8")
    http_server.route("/api/query", [Reply(body=error, headers=ATOM_TYPE)])
    http_server.route(
        "/api/query", [Reply(body=atom, headers=ATOM_TYPE)], match={"id_list": "hep-th/9901001"}
    )
    result = lookup.fetch_missing(
        store, ["hep-th/9901001", "1234.12345"], settings_for(http_server.url)
    )
    assert [o.status for o in result.outcomes] == ["fetched", "not found"]
    assert "incorrect id format" in result.outcomes[1].detail
    assert len(http_server.requests("/api/query")) == 3


def test_arxiv_author_query(http_server: LocalServer) -> None:
    page = ARXIV_PAGE.read_text(encoding="utf-8").replace(
        "<opensearch:totalResults>5", "<opensearch:totalResults>3"
    )
    http_server.route("/api/query", [Reply(body=page, headers=ATOM_TYPE)])
    settings = settings_for(http_server.url)
    with lookup.lookup_client(settings) as client:
        papers = lookup.arxiv_author_papers(client, settings, 'Ada "Lovelace"')
    assert len(papers) == 3
    (asked,) = http_server.requests("/api/query")
    assert asked.param("search_query") == 'au:"Ada Lovelace"'
    assert asked.param("sortBy") == "submittedDate"


def test_orcid_works_from_openalex_pages(http_server: LocalServer) -> None:
    for page, cursor in ((3, None), (1, "*")):  # the newest route is tried first
        body = (WEB / f"openalex_works_page{page}.json").read_text(encoding="utf-8")
        match = {"cursor": cursor} if cursor else {}
        http_server.route("/works", [Reply(body=body, headers=JSON)], match=match)
    settings = settings_for(http_server.url)
    with lookup.lookup_client(settings) as client:
        papers = lookup.openalex_author_papers(
            client, settings, orcid="https://orcid.org/0000-0002-1825-0097"
        )
    assert [p.title[:20] for p in papers] == ["Scaling Laws for Ret", "Morphology-Aware Neg"]
    first, second = http_server.requests("/works")
    assert first.param("filter") == "author.orcid:0000-0002-1825-0097"
    assert first.param("cursor") == "*" and second.param("cursor") != "*"


def test_author_ids_are_checked() -> None:
    assert lookup.orcid_id("0000-0002-1694-233x") == "0000-0002-1694-233X"
    with pytest.raises(UsageError, match="check digit"):
        lookup.orcid_id("0000-0002-1825-0098")
    with pytest.raises(UsageError, match="not an ORCID"):
        lookup.orcid_id("12345")
    assert lookup.openalex_author_id("https://openalex.org/a5023888391") == "A5023888391"
    with pytest.raises(UsageError, match="not an OpenAlex author id"):
        lookup.openalex_author_id("W123")


def test_pasted_references_are_split() -> None:
    text = "2501.04519\n 10.1162/tacl_a_00745, arXiv:2103.00020 ;2501.04519\n\n"
    assert lookup.parse_refs(text) == ["2501.04519", "10.1162/tacl_a_00745", "arXiv:2103.00020"]
