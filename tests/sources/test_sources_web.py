"""The Hugging Face, Semantic Scholar and OpenAlex sources against a real local HTTP server.

Each test drives a source as the sync engine does (``start`` then ``fetch`` until a page has
no ``next``) over recorded responses in tests/fixtures/sources/web, and checks from the
server's request log what was asked for.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import paths
from helpers.httpserver import LocalServer, Reply

from paperradar.errors import ConfigError, FeedUnavailable, SourceError
from paperradar.models import Paper
from paperradar.sources import hf_daily, openalex, semantic_scholar
from paperradar.sources.base import Checkpoint, Cursor, Page, Source
from paperradar.sources.http import HttpSettings, PoliteClient, open_client

FIXTURES = paths.FIXTURES / "sources" / "web"
TODAY = dt.date(2026, 11, 23)  # a Monday: the 21st and 22nd have no daily papers
SECRET = "sekrit-S2-key-0123456789"
JSON = {"Content-Type": "application/json"}


def body(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def ok(name: str) -> Reply:
    return Reply(200, body(name), headers=JSON)


@pytest.fixture
def client() -> Iterator[PoliteClient]:
    settings = HttpSettings(
        user_agent="paperradar-test (mailto:t@example.org)",
        timeout=1.0,
        attempts=3,
        backoff=0.01,
        intervals={"127.0.0.1": 0.05},
    )
    with open_client(settings) as http:
        yield PoliteClient(http, settings)


def run(
    source: Source, client: PoliteClient, cursor: Cursor, *, start: Checkpoint | None = None
) -> list[Page]:
    """Drive one run to its end (from ``start`` when given, as a resumed run does)."""
    checkpoint = start if start is not None else source.start(cursor, TODAY)
    pages = []
    while checkpoint is not None:
        page = source.fetch(client, checkpoint)
        pages.append(page)
        checkpoint = page.next
    return pages


def papers(pages: list[Page]) -> list[Paper]:
    out = [r for page in pages for r in page.records]
    assert all(isinstance(r, Paper) for r in out)
    return [r for r in out if isinstance(r, Paper)]


# --------------------------------------------------------------------------- Hugging Face


def serve_hf_week(server: LocalServer) -> None:
    server.route("/api/daily_papers", [ok("hf_daily_empty.json")])  # any other day
    for date, page in (("2026-11-20", 0), ("2026-11-20", 1), ("2026-11-23", 0)):
        name = f"hf_daily_{date}_p{page}.json"
        server.route("/api/daily_papers", [ok(name)], match={"date": date, "p": str(page)})


def hf_source(server: LocalServer) -> hf_daily.HfDailySource:
    table = {"base_url": server.url, "since": "2026-11-20", "limit": 2}
    return hf_daily.from_config("hf", table)


def asked(server: LocalServer) -> list[tuple[str | None, str | None]]:
    return [(r.param("date"), r.param("p")) for r in server.requests("/api/daily_papers")]


def test_hf_walks_days_and_pages_up_to_today(http_server: LocalServer, client: Any) -> None:
    serve_hf_week(http_server)
    source = hf_source(http_server)
    pages = run(source, client, {})

    assert asked(http_server) == [
        ("2026-11-20", "0"),
        ("2026-11-20", "1"),
        ("2026-11-21", "0"),
        ("2026-11-22", "0"),
        ("2026-11-23", "0"),
    ]
    assert {r.param("limit") for r in http_server.requests()} == {"2"}
    assert [len(p.records) for p in pages] == [2, 1, 0, 0, 1]
    assert pages[2].next == {"date": "2026-11-22", "page": 0, "until": "2026-11-23"}
    # today's list still grows: the next run starts again from today
    assert pages[-1].cursor == {"date": "2026-11-22"}
    assert all(p.cursor is None for p in pages[:-1])
    assert source.start(pages[-1].cursor, TODAY) == {
        "date": "2026-11-23",
        "page": 0,
        "until": "2026-11-23",
    }

    first = papers(pages)[0]
    assert (first.arxiv_id, first.upvotes, first.organisation) == ("2611.14021", 57, "Sparse Lab")
    assert first.listed == dt.date(2026, 11, 20)
    assert first.sightings[0].locator == pages[0].request
    assert pages[0].request == source.describe({"date": "2026-11-20", "page": 0, "until": "x"})
    assert pages[0].request.endswith("/api/daily_papers?date=2026-11-20&p=0&limit=2")


def test_hf_start_defaults_and_nothing_to_do(http_server: LocalServer) -> None:
    source = hf_daily.from_config("hf", {"base_url": http_server.url})
    assert source.start({}, TODAY) == {"date": "2026-11-16", "page": 0, "until": "2026-11-23"}
    assert source.start({"date": "2026-11-23"}, TODAY) is None  # nothing after today
    assert source.host == "127.0.0.1" and source.limit == 100
    assert hf_daily.from_config("hf", {}).describe({"date": "2026-11-23", "page": 0}) == (
        "https://huggingface.co/api/daily_papers?date=2026-11-23&p=0&limit=100"
    )


def test_hf_rate_limited_then_served(http_server: LocalServer, client: Any) -> None:
    throttled = Reply(429, '{"error":"rate limited"}', headers={"Retry-After": "0", **JSON})
    http_server.route("/api/daily_papers", [throttled, ok("hf_daily_2026-11-23_p0.json")])
    pages = run(hf_source(http_server), client, {"date": "2026-11-22"})

    assert asked(http_server) == [("2026-11-23", "0"), ("2026-11-23", "0")]
    assert [p.title for p in papers(pages)] == [
        "Quokkaformer-2: Efficient Attention for Marsupial Vision"
    ]
    assert pages[-1].cursor == {"date": "2026-11-22"}


def test_hf_resumed_run_repeats_no_completed_request(http_server: LocalServer, client: Any) -> None:
    serve_hf_week(http_server)
    source = hf_source(http_server)
    checkpoint = source.start({}, TODAY)
    for _ in range(3):  # the run is killed after its third page was stored
        assert checkpoint is not None
        checkpoint = source.fetch(client, checkpoint).next
    assert checkpoint == {"date": "2026-11-22", "page": 0, "until": "2026-11-23"}

    pages = run(source, client, {}, start=checkpoint)

    requested = asked(http_server)
    assert len(requested) == len(set(requested)) == 5
    assert [len(p.records) for p in pages] == [0, 1]
    assert pages[-1].cursor == {"date": "2026-11-22"}


def test_hf_unreadable_body_is_retried_then_fails_naming_the_url(
    http_server: LocalServer, client: Any
) -> None:
    broken = Reply(200, "<html><body>Service warming up</body></html>", headers=JSON)
    http_server.route("/api/daily_papers", [broken])
    source = hf_source(http_server)
    checkpoint = source.start({"date": "2026-11-22"}, TODAY)
    assert checkpoint is not None

    with pytest.raises(SourceError) as failure:
        source.fetch(client, checkpoint)

    assert len(http_server.requests()) == 3  # every attempt
    assert source.describe(checkpoint) in str(failure.value)
    assert "\n" not in str(failure.value)


# ------------------------------------------------------------------------ Semantic Scholar


PAPERS_PATH = "/graph/v1/author/2712345/papers"


def test_s2_author_papers_pages_by_offset(http_server: LocalServer, client: Any) -> None:
    http_server.route(PAPERS_PATH, [ok("s2_author_papers_offset0.json")], match={"offset": "0"})
    route = [ok("s2_author_papers_offset100.json")]
    http_server.route(PAPERS_PATH, route, match={"offset": "100"})

    found = semantic_scholar.author_papers(client, "2712345", base_url=http_server.url, api_key="")

    asked = http_server.requests(PAPERS_PATH)
    assert [(r.param("offset"), r.param("limit")) for r in asked] == [("0", "100"), ("100", "100")]
    assert "externalIds" in (asked[0].param("fields") or "")
    assert "x-api-key" not in {k.lower() for k in asked[0].headers}
    assert [p.s2_id[:6] for p in found if p.s2_id] == ["3f1c5d", "a0b1c2", "c4d5e6"]

    preprint, article, proceedings = found
    assert (preprint.arxiv_id, preprint.doi) == ("2503.11731", "10.48550/arxiv.2503.11731")
    assert preprint.authors == ["Maya Lindqvist", "Tobias Reinhardt"]
    assert preprint.submitted == dt.date(2025, 3, 14)
    assert preprint.journal_ref is None  # "ArXiv" is not a journal
    assert preprint.links["abs"] == "https://arxiv.org/abs/2503.11731"
    assert preprint.sightings[0].source == "semantic-scholar"
    assert preprint.sightings[0].locator == preprint.links["s2"]
    assert preprint.links["s2"].endswith("/paper/3f1c5d7e9a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d")

    assert article.abstract == "" and article.doi == "10.1162/tacl_a_00731"
    assert article.submitted is None  # a year alone is no date
    assert article.journal_ref == (
        "Transactions of the Association for Computational Linguistics 12, 1410-1428 (2024)"
    )
    assert proceedings.journal_ref == "Nordic Conference of Computational Linguistics (2023)"
    assert proceedings.arxiv_id is None and proceedings.doi is None


def test_s2_unknown_author_is_a_clear_error(http_server: LocalServer, client: Any) -> None:
    missing = Reply(404, body("s2_author_not_found.json"), headers=JSON)
    http_server.route("/graph/v1/author/999999/papers", [missing])

    with pytest.raises(SourceError, match=r"^Semantic Scholar has no author 999999$"):
        semantic_scholar.author_papers(client, "999999", base_url=http_server.url, api_key="")
    assert len(http_server.requests()) == 1  # a 404 is not retried


def test_s2_api_key_is_sent_and_never_shown(
    http_server: LocalServer, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(semantic_scholar.API_KEY_ENV, SECRET)
    http_server.route("/graph/v1/author/2712345", [ok("s2_author_2712345.json")])
    forbidden = Reply(403, '{"message": "Forbidden"}', headers=JSON)
    http_server.route("/graph/v1/author/2712346", [forbidden])
    http_server.route("/graph/v1/author/999999/papers", [Reply(404, "{}", headers=JSON)])
    base = http_server.url

    assert semantic_scholar.author_name(client, "2712345", base_url=base) == "Maya Lindqvist"
    with pytest.raises(SourceError) as refused:
        semantic_scholar.author_name(client, "2712346", base_url=base)
    with pytest.raises(SourceError) as missing:
        semantic_scholar.author_papers(client, "999999", base_url=base, api_key=SECRET)

    assert [r.headers.get("x-api-key") for r in http_server.requests()] == [SECRET] * 3
    assert "403" in str(refused.value) and "API key" in str(refused.value)
    for error in (refused.value, missing.value):
        assert SECRET not in str(error) and SECRET not in repr(error.__cause__)


def test_s2_recommendations_once_a_day(http_server: LocalServer, client: Any) -> None:
    path = "/recommendations/v1/papers/"
    http_server.route(path, [ok("s2_recommendations.json")])
    table = {
        "base_url": http_server.url,
        "positive": ["arxiv:2503.11731", "DOI:10.1162/tacl_a_00731"],
        "negative": "s2:c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7",
        "limit": 20,
        "api_key": SECRET,
    }
    source = semantic_scholar.from_config("recs", table)
    pages = run(source, client, {"date": "2026-11-22"})

    (request,) = http_server.requests(path)
    assert request.method == "POST" and request.param("limit") == "20"
    assert json.loads(request.body) == {
        "positivePaperIds": ["ARXIV:2503.11731", "DOI:10.1162/tacl_a_00731"],
        "negativePaperIds": ["c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"],
    }
    assert request.headers.get("x-api-key") == SECRET
    assert SECRET not in pages[0].request + repr(source)
    assert pages[0].cursor == {"date": "2026-11-23"}
    assert source.start(pages[0].cursor, TODAY) is None
    assert source.start(pages[0].cursor, TODAY + dt.timedelta(days=1)) == {"date": "2026-11-24"}

    linear, routing = papers(pages)
    assert linear.arxiv_id == "2611.09876" and linear.s2_id
    assert [(s.source, s.rank, s.seen_on) for s in linear.sightings] == [
        ("s2-recommendations", 1, TODAY)
    ]
    assert routing.journal_ref == "Journal of machine learning research 27, 1-34 (2026)"


# ------------------------------------------------------------------------------- OpenAlex


def serve_openalex(server: LocalServer) -> None:
    """Page 1 for ``cursor=*``, then the page each ``meta.next_cursor`` points to."""
    cursor = "*"
    for number in (1, 2, 3):
        name = f"openalex_works_page{number}.json"
        server.route("/works", [ok(name)], match={"cursor": cursor})
        cursor = json.loads(body(name))["meta"]["next_cursor"]


def openalex_source(server: LocalServer, **options: Any) -> openalex.OpenAlexSource:
    table = {
        "base_url": server.url,
        "author": ["A5023888391", "https://openalex.org/A5000000002"],
        "topic": "T10181",
        "mailto": "t@example.org",
        "api_key": "oa-secret-key-42",
        "per_page": 2,
        **options,
    }
    return openalex.from_config("alex", table)


def test_openalex_pages_by_cursor(http_server: LocalServer, client: Any) -> None:
    serve_openalex(http_server)
    source = openalex_source(http_server)
    pages = run(source, client, {})

    asked = http_server.requests("/works")
    assert [r.param("cursor") for r in asked] == [
        "*",
        pages[0].next and pages[0].next["cursor"],
        pages[1].next and pages[1].next["cursor"],
    ]
    assert asked[0].param("filter") == (
        "authorships.author.id:A5023888391|A5000000002,topics.id:T10181,"
        "from_publication_date:2026-11-16"
    )
    assert (asked[0].param("per-page"), asked[0].param("mailto")) == ("2", "t@example.org")
    assert asked[0].param("api_key") == "oa-secret-key-42"
    assert all("oa-secret-key-42" not in p.request for p in pages)
    assert "api_key=***" in pages[0].request
    assert [len(p.records) for p in pages] == [2, 1, 0]
    assert pages[0].next == {
        "cursor": json.loads(body("openalex_works_page1.json"))["meta"]["next_cursor"],
        "from": "2026-11-16",
        "run_started": "2026-11-23",
    }
    assert pages[-1].cursor == {"from": "2026-11-23"}
    assert source.start(pages[-1].cursor, TODAY + dt.timedelta(days=1)) == {
        "cursor": "*",
        "from": "2026-11-23",
        "run_started": "2026-11-24",
    }


def test_openalex_work_mapping(http_server: LocalServer, client: Any) -> None:
    serve_openalex(http_server)
    preprint, article, chapter = papers(run(openalex_source(http_server), client, {}))

    assert preprint.abstract == body("openalex_abstract_W4415001001.txt").strip()
    assert preprint.title == "Scaling Laws for Retrieval-Augmented Language Models"
    assert preprint.authors == ["Maya Lindqvist", "Tobias Reinhardt"]
    assert (preprint.arxiv_id, preprint.doi) == ("2611.04321", "10.48550/arxiv.2611.04321")
    assert preprint.journal_ref is None  # arXiv is a repository, not a journal
    assert preprint.submitted == dt.date(2026, 11, 17)
    assert preprint.keywords == [
        "Natural Language Processing Techniques",
        "Advanced Text Analysis Techniques",
        "Computer science",
        "Natural language processing",
    ]
    assert preprint.links["openalex"] == "https://openalex.org/W4415001001"
    assert [(s.source, s.seen_on) for s in preprint.sightings] == [("openalex", TODAY)]

    assert article.doi == "10.1162/tacl_a_00745"
    assert (article.arxiv_id, article.arxiv_version) == ("2605.01234", 2)  # from a location
    assert article.journal_ref == "Transactions of the Association for Computational Linguistics"
    assert article.abstract.startswith("Dense retrievers trained on English transfer poorly")

    assert chapter.abstract == "" and chapter.arxiv_id is None
    assert chapter.journal_ref == "Lecture notes in computer science"


def test_openalex_refusal_asks_for_a_key_without_showing_it(
    http_server: LocalServer, client: Any
) -> None:
    http_server.route("/works", [Reply(401, body("openalex_error_401.json"), headers=JSON)])
    source = openalex_source(http_server, since="2026-11-01")
    checkpoint = source.start({}, TODAY)
    assert checkpoint is not None and checkpoint["from"] == "2026-11-01"

    with pytest.raises(FeedUnavailable) as refused:
        source.fetch(client, checkpoint)

    message = str(refused.value)
    assert "401" in message and "PAPERRADAR_OPENALEX_API_KEY" in message
    assert "oa-secret-key-42" not in message and "api_key=***" in message
    assert len(http_server.requests()) == 1


def test_openalex_rebuilds_abstracts_in_position_order() -> None:
    index = {"world.": [1, 3], "Hello": [0], "again,": [2]}
    assert openalex.rebuild_abstract(index) == "Hello world. again, world."
    assert openalex.rebuild_abstract(None) == ""


# ----------------------------------------------------------------------------- from_config


@pytest.mark.parametrize(
    ("module", "table", "message"),
    [
        (hf_daily, {"since": "yesterday"}, "[sources.x] since: expected a date"),
        (hf_daily, {"limit": 500}, "[sources.x] limit: expected a whole number from 1 to 100"),
        (hf_daily, {"base_url": "ftp://example.org"}, "[sources.x] base_url: expected an http"),
        (hf_daily, {"sine": "2026-11-01"}, "[sources.x] sine: unknown option"),
        (semantic_scholar, {}, "[sources.x] positive: give at least one paper id"),
        (semantic_scholar, {"positive": [1]}, "[sources.x] positive: expected a string or"),
        (semantic_scholar, {"positive": ["doi:"]}, "[sources.x] positive: 'doi:' is not a"),
        (semantic_scholar, {"positive": "ArXiv:1", "limit": 0}, "[sources.x] limit:"),
        (semantic_scholar, {"positive": "ArXiv:1", "api_key": ""}, "[sources.x] api_key:"),
        (openalex, {}, "[sources.x] author: give author, concept or topic ids"),
        (openalex, {"author": "T10181"}, "[sources.x] author: 'T10181' is not an OpenAlex"),
        (openalex, {"topic": "T1", "mailto": "me"}, "[sources.x] mailto: expected an email"),
        (openalex, {"concept": ["C1"], "per_page": 201}, "[sources.x] per_page:"),
    ],
)
def test_from_config_names_the_bad_option(module: Any, table: Any, message: str) -> None:
    with pytest.raises(ConfigError) as bad:
        module.from_config("x", table)
    assert str(bad.value).startswith(message)
    assert "\n" not in str(bad.value)


def test_from_config_reads_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(openalex.API_KEY_ENV, "from-env")
    monkeypatch.setenv(semantic_scholar.API_KEY_ENV, "s2-from-env")
    alex = openalex.from_config("alex", {"concept": "https://openalex.org/C41008148"})
    recs = semantic_scholar.from_config("recs", {"positive": "ArXiv:2503.11731"})

    assert (alex.api_key, alex.filters, alex.base_url) == (
        "from-env",
        {"concepts.id": ["C41008148"]},
        "https://api.openalex.org",
    )
    assert "from-env" not in alex.describe({"cursor": "*", "from": "2026-11-01"}) + repr(alex)
    assert (recs.api_key, recs.positive, recs.host) == (
        "s2-from-env",
        ["ARXIV:2503.11731"],
        "api.semanticscholar.org",
    )
    assert openalex.from_config("alex", {"topic": "T1", "since": dt.date(2026, 1, 2)}).since == (
        dt.date(2026, 1, 2)
    )
