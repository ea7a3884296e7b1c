"""The three arXiv live sources against a real local HTTP server serving recorded responses.

Each test drives a source the way the sync engine does -- ``start(cursor, today)``, then
``fetch`` until a page has no ``next`` -- and checks the pages it returns and, from the
server's request log, what it asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import paths
from helpers.httpserver import LocalServer, Logged, Reply

from paperradar.errors import ConfigError, SourceError
from paperradar.models import Paper
from paperradar.readers.base import Record
from paperradar.sources import arxiv_api, arxiv_oai, arxiv_rss
from paperradar.sources.base import Cursor, Page, Source
from paperradar.sources.http import DEFAULT_INTERVALS, HttpSettings, PoliteClient, open_client

#: recorded responses, one folder per reader (the readers' tests sniff every fixture by folder)
HERE = paths.FIXTURES / "sources" / "arxiv"
MARCH_19 = dt.date(2025, 3, 19)
TOKEN_1 = "7734512|1001"
TOKEN_2 = "7734512|2001"


def body(name: str) -> str:
    [path] = HERE.glob(f"*/{name}")
    return path.read_text(encoding="utf-8")


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


def harvest(source: Source, client: PoliteClient, cursor: Cursor, today: dt.date) -> list[Page]:
    """Every page of one run, as the sync engine would fetch them."""
    return resume(source, client, source.start(cursor, today))


def resume(source: Source, client: PoliteClient, checkpoint: dict[str, Any] | None) -> list[Page]:
    pages: list[Page] = []
    while checkpoint is not None:
        pages.append(source.fetch(client, checkpoint))
        checkpoint = pages[-1].next
        assert len(pages) < 10, "the run does not end"
    return pages


def ids(records: list[Record]) -> list[str | None]:
    return [r.arxiv_id for r in records if isinstance(r, Paper)]


def all_records(pages: list[Page]) -> list[Record]:
    return [record for page in pages for record in page.records]


def query_keys(request: Logged) -> set[str]:
    return set(request.query)


# --- arxiv-oai ------------------------------------------------------------------------------


def oai_source(server: LocalServer, **options: Any) -> arxiv_oai.ArxivOaiSource:
    table = {"kind": "arxiv-oai", "base_url": f"{server.url}/oai", "since": "2025-03-12"}
    return arxiv_oai.from_config("arxiv", {**table, **options})


def route_oai_pages(server: LocalServer) -> None:
    server.route("/oai", [Reply(body=body("oai_cs_page1.xml"))], match={"metadataPrefix": "arXiv"})
    server.route("/oai", [Reply(body=body("oai_cs_page2.xml"))], match={"resumptionToken": TOKEN_1})
    page3 = [Reply(body=body("oai_cs_page3_last.xml"))]
    server.route("/oai", page3, match={"resumptionToken": TOKEN_2})


def test_oai_pages_through_resumption_tokens(
    http_server: LocalServer, client: PoliteClient
) -> None:
    route_oai_pages(http_server)
    pages = harvest(oai_source(http_server), client, {}, MARCH_19)

    assert [ids(p.records) for p in pages] == [
        ["2503.12001", "2411.04567"],
        ["2503.12345", "2503.12346"],
        ["2503.13002"],
    ]
    window = {"from": "2025-03-12", "until": "2025-03-19"}
    assert pages[0].next == {"token": TOKEN_1, **window}
    assert pages[1].next == {"token": TOKEN_2, **window}
    assert pages[-1].next is None and pages[-1].cursor == {"until": "2025-03-19"}
    first, *rest = http_server.requests("/oai")
    assert first.query == {
        "verb": ["ListRecords"],
        "metadataPrefix": ["arXiv"],
        "set": ["cs"],
        "from": ["2025-03-12"],
        "until": ["2025-03-19"],
    }
    assert [query_keys(r) for r in rest] == [{"verb", "resumptionToken"}] * 2
    assert [r.param("resumptionToken") for r in rest] == [TOKEN_1, TOKEN_2]
    assert [r.headers.get("User-Agent") for r in rest] == [
        "paperradar-test (mailto:t@example.org)"
    ] * 2


def test_oai_maps_the_arxiv_format_into_papers(
    http_server: LocalServer, client: PoliteClient
) -> None:
    route_oai_pages(http_server)
    source = oai_source(http_server)
    page = source.fetch(client, source.start({}, MARCH_19) or {})

    paper = page.records[1]
    assert isinstance(paper, Paper)
    assert paper.title == "Gradient Noise Scale as a Stopping Rule for Data-Parallel Training"
    assert paper.authors == ["Chidinma Okafor", "Erik Lindqvist", "Haruki Sato Jr"]
    assert paper.categories == ["cs.LG", "stat.ML"]
    assert (paper.submitted, paper.updated) == (dt.date(2024, 11, 7), dt.date(2025, 3, 17))
    assert paper.doi == "10.48550/tmlr.2025.0412"
    assert paper.journal_ref == "Transactions on Machine Learning Research (2025)"
    assert (
        paper.sightings[0].locator
        == page.request
        == source.describe(source.start({}, MARCH_19) or {})
    )
    assert page.request.startswith(f"{http_server.url}/oai?verb=ListRecords")


def test_oai_skips_and_counts_deleted_records(
    http_server: LocalServer, client: PoliteClient
) -> None:
    route_oai_pages(http_server)
    source = oai_source(http_server)
    page = source.fetch(client, source.start({}, MARCH_19) or {})

    assert "2503.09876" not in ids(page.records)
    assert not any(isinstance(r, Paper) and r.withdrawn for r in page.records)
    assert page.notes == {"deleted": 1}


def test_oai_no_records_match_is_an_empty_complete_page(
    http_server: LocalServer, client: PoliteClient
) -> None:
    http_server.route("/oai", [Reply(body=body("oai_no_records_match.xml"))])
    pages = harvest(oai_source(http_server), client, {"until": "2025-03-22"}, dt.date(2025, 3, 23))

    assert len(pages) == 1
    assert pages[0].records == [] and pages[0].next is None
    assert pages[0].cursor == {"until": "2025-03-23"}
    assert http_server.requests("/oai")[0].param("from") == "2025-03-22"


def test_oai_waits_out_503_retry_after(http_server: LocalServer, client: PoliteClient) -> None:
    busy = Reply(503, body="Retry after 1 second", headers={"Retry-After": "1"})
    http_server.route("/oai", [busy, Reply(body=body("oai_cs_page3_last.xml"))])
    pages = harvest(oai_source(http_server), client, {}, MARCH_19)

    assert ids(all_records(pages)) == ["2503.13002"]
    first, second = http_server.requests("/oai")
    assert second.at - first.at >= 0.95
    assert second.query == first.query


def test_oai_retries_a_truncated_body(http_server: LocalServer, client: PoliteClient) -> None:
    replies = [Reply(body=body("oai_cs_page1_truncated.xml")), Reply(body=body("oai_cs_page1.xml"))]
    http_server.route("/oai", replies, match={"metadataPrefix": "arXiv"})
    source = oai_source(http_server)
    page = source.fetch(client, source.start({}, MARCH_19) or {})

    assert ids(page.records) == ["2503.12001", "2411.04567"]
    assert len(http_server.requests("/oai")) == 2


def test_oai_permanently_broken_body_fails_naming_the_url(
    http_server: LocalServer, client: PoliteClient
) -> None:
    http_server.route("/oai", [Reply(body=body("oai_cs_page1_truncated.xml"))])
    source = oai_source(http_server)

    with pytest.raises(SourceError) as caught:
        source.fetch(client, source.start({}, MARCH_19) or {})
    message = str(caught.value)
    assert f"{http_server.url}/oai?verb=ListRecords" in message
    assert message.startswith("arxiv: ") and "\n" not in message
    assert len(http_server.requests("/oai")) == 3


def test_oai_resumes_a_saved_harvest_with_the_remaining_pages(
    http_server: LocalServer, client: PoliteClient
) -> None:
    route_oai_pages(http_server)
    saved = {"token": TOKEN_1, "from": "2025-03-12", "until": "2025-03-19"}
    pages = resume(oai_source(http_server), client, saved)

    assert ids(all_records(pages)) == ["2503.12345", "2503.12346", "2503.13002"]
    assert pages[-1].cursor == {"until": "2025-03-19"}
    requests = http_server.requests("/oai")
    assert [r.param("resumptionToken") for r in requests] == [TOKEN_1, TOKEN_2]
    assert all(query_keys(r) == {"verb", "resumptionToken"} for r in requests)


def test_oai_expired_token_restarts_the_window(
    http_server: LocalServer, client: PoliteClient
) -> None:
    expired = [Reply(body=body("oai_bad_resumption_token.xml"))]
    http_server.route("/oai", expired, match={"resumptionToken": TOKEN_1})
    http_server.route("/oai", [Reply(body=body("oai_cs_page3_last.xml"))], match={"set": "cs"})
    saved = {"token": TOKEN_1, "from": "2025-03-12", "until": "2025-03-19"}
    pages = resume(oai_source(http_server), client, saved)

    assert pages[0].records == [] and pages[0].notes == {"restarted": 1}
    assert pages[0].next == {"from": "2025-03-12", "until": "2025-03-19", "restarts": 1}
    assert ids(pages[1].records) == ["2503.13002"]
    assert len(http_server.requests("/oai")) == 2


def test_oai_token_expiring_again_after_a_restart_fails(
    http_server: LocalServer, client: PoliteClient
) -> None:
    http_server.route("/oai", [Reply(body=body("oai_bad_resumption_token.xml"))])
    saved = {"token": TOKEN_1, "from": "2025-03-12", "until": "2025-03-19", "restarts": 1}

    with pytest.raises(SourceError, match="badResumptionToken"):
        resume(oai_source(http_server), client, saved)
    assert len(http_server.requests("/oai")) == 1


def test_oai_protocol_error_fails_without_retrying(
    http_server: LocalServer, client: PoliteClient
) -> None:
    http_server.route("/oai", [Reply(body=body("oai_bad_argument.xml"))])
    source = oai_source(http_server, set="nosuchset")

    with pytest.raises(SourceError, match=r"badArgument: Illegal set: nosuchset"):
        source.fetch(client, source.start({}, MARCH_19) or {})
    assert len(http_server.requests("/oai")) == 1


def test_oai_window_comes_from_cursor_since_or_a_week_back() -> None:
    source = arxiv_oai.from_config("arxiv", {})
    today = dt.date(2025, 3, 19)

    assert source.start({"until": "2025-03-17"}, today) == {
        "from": "2025-03-17",
        "until": "2025-03-19",
    }
    assert source.start({}, today) == {"from": "2025-03-12", "until": "2025-03-19"}
    assert source.start({"until": "2025-03-20"}, today) is None
    dated = arxiv_oai.from_config("arxiv", {"since": dt.date(2025, 1, 1)})
    assert dated.start({}, today) == {"from": "2025-01-01", "until": "2025-03-19"}
    with pytest.raises(SourceError, match="saved state until='yesterday'"):
        source.start({"until": "yesterday"}, today)


# --- arxiv-api ------------------------------------------------------------------------------


def api_source(server: LocalServer, **options: Any) -> arxiv_api.ArxivApiSource:
    table = {
        "kind": "arxiv-api",
        "base_url": f"{server.url}/api/query",
        "categories": ["cs.CL", "cs.LG"],
        "page_size": 3,
        "since": "2025-03-10",
    }
    return arxiv_api.from_config("arxiv-api", {**table, **options})


def route_api(server: LocalServer, start: int, *names: str) -> None:
    server.route("/api/query", [Reply(body=body(n)) for n in names], match={"start": str(start)})


def test_api_pages_by_start_until_the_total(http_server: LocalServer, client: PoliteClient) -> None:
    route_api(http_server, 0, "api_cs_page1.xml")
    route_api(http_server, 3, "api_cs_page2.xml")
    pages = harvest(api_source(http_server), client, {}, MARCH_19)

    assert [ids(p.records) for p in pages] == [
        ["2503.14110", "2503.14087", "2503.13501"],
        ["2503.13377", "2503.11020"],
    ]
    assert pages[0].next == {"start": 3, "since": "2025-03-10", "run_started": "2025-03-19"}
    assert pages[1].next is None and pages[1].cursor == {"since": "2025-03-19"}
    first, second = http_server.requests("/api/query")
    assert first.query == {
        "search_query": ["cat:cs.CL OR cat:cs.LG"],
        "sortBy": ["submittedDate"],
        "sortOrder": ["descending"],
        "start": ["0"],
        "max_results": ["3"],
    }
    assert second.param("start") == "3"
    paper = pages[0].records[2]
    assert isinstance(paper, Paper)
    assert (paper.arxiv_version, paper.submitted) == (2, dt.date(2025, 3, 17))
    assert paper.doi == "10.18653/v1/2025.lrec-main.77"


def test_api_stops_at_the_window_start(http_server: LocalServer, client: PoliteClient) -> None:
    route_api(http_server, 0, "api_cs_page1.xml")
    route_api(http_server, 3, "api_cs_page2.xml")
    pages = harvest(api_source(http_server), client, {"since": "2025-03-18"}, MARCH_19)

    assert len(pages) == 1
    assert ids(pages[0].records) == ["2503.14110", "2503.14087"]
    assert pages[0].notes == {"outside_window": 1}
    assert pages[0].cursor == {"since": "2025-03-19"}
    assert [r.param("start") for r in http_server.requests("/api/query")] == ["0"]


def test_api_error_entry_fails_with_arxivs_message(
    http_server: LocalServer, client: PoliteClient
) -> None:
    http_server.route("/api/query", [Reply(body=body("api_error.xml"))])
    source = api_source(http_server)

    with pytest.raises(SourceError) as caught:
        source.fetch(client, source.start({}, MARCH_19) or {})
    message = str(caught.value)
    assert "arXiv API error: max_results must be less than or equal to 30000" in message
    assert message.startswith("arxiv-api: ") and "\n" not in message
    assert len(http_server.requests("/api/query")) == 1


def test_api_retries_an_empty_page_once(http_server: LocalServer, client: PoliteClient) -> None:
    route_api(http_server, 0, "api_cs_page1.xml")
    route_api(http_server, 3, "api_empty_quirk.xml", "api_cs_page2.xml")
    pages = harvest(api_source(http_server), client, {}, MARCH_19)

    assert len(ids(all_records(pages))) == 5
    assert pages[1].notes == {"empty_retries": 1}
    assert pages[1].cursor == {"since": "2025-03-19"}
    assert [r.param("start") for r in http_server.requests("/api/query")] == ["0", "3", "3"]


def test_api_ends_the_run_on_a_second_empty_page(
    http_server: LocalServer, client: PoliteClient
) -> None:
    route_api(http_server, 0, "api_cs_page1.xml")
    route_api(http_server, 3, "api_empty_quirk.xml")
    pages = harvest(api_source(http_server), client, {}, MARCH_19)

    assert len(ids(all_records(pages))) == 3
    assert pages[1].records == [] and pages[1].cursor == {"since": "2025-03-19"}
    assert pages[1].notes == {"empty_retries": 1, "ended_on_empty_page": 1}
    assert [r.param("start") for r in http_server.requests("/api/query")] == ["0", "3", "3"]


def test_api_query_option_and_window() -> None:
    both = arxiv_api.from_config("a", {"categories": ["cs.CL"], "query": "abs:retrieval"})
    assert both.search_query == "(cat:cs.CL) AND (abs:retrieval)"
    raw = arxiv_api.from_config("a", {"query": "au:bengio"})
    assert raw.params(raw.start({}, MARCH_19) or {})["search_query"] == "au:bengio"
    assert raw.start({}, MARCH_19) == {
        "start": 0,
        "since": "2025-03-12",
        "run_started": "2025-03-19",
    }
    assert raw.start({"since": "2025-03-18"}, MARCH_19) == {
        "start": 0,
        "since": "2025-03-18",
        "run_started": "2025-03-19",
    }
    assert raw.describe({"start": 200, "since": "2025-03-18", "run_started": "2025-03-19"}) == (
        "http://export.arxiv.org/api/query?search_query=au%3Abengio&sortBy=submittedDate"
        "&sortOrder=descending&start=200&max_results=100"
    )


# --- arxiv-rss ------------------------------------------------------------------------------

FEED_PATH = "/rss/cs.CL+cs.LG"


def rss_source(server: LocalServer, **options: Any) -> arxiv_rss.ArxivRssSource:
    table = {"kind": "arxiv-rss", "base_url": server.url, "categories": ["cs.CL", "cs.LG"]}
    return arxiv_rss.from_config("daily", {**table, **options})


def test_rss_reads_one_announcement_day(http_server: LocalServer, client: PoliteClient) -> None:
    http_server.route(FEED_PATH, [Reply(body=body("rss_cs.CL+cs.LG_2025-03-18.xml"))])
    pages = harvest(rss_source(http_server), client, {"announced": "2025-03-17"}, MARCH_19)

    assert len(pages) == 1
    page = pages[0]
    assert ids(page.records) == [
        "2503.12001",
        "2503.14087",
        "2503.12345",
        "2411.04567",
        "2309.01234",
    ]
    assert page.next is None and page.cursor == {"announced": "2025-03-18"}
    assert page.request == f"{http_server.url}{FEED_PATH}"
    assert len(http_server.requests(FEED_PATH)) == 1


def test_rss_keeps_announce_types(http_server: LocalServer, client: PoliteClient) -> None:
    http_server.route(FEED_PATH, [Reply(body=body("rss_cs.CL+cs.LG_2025-03-18.xml"))])
    [page] = harvest(rss_source(http_server), client, {}, MARCH_19)

    papers = [r for r in page.records if isinstance(r, Paper)]
    kinds = [p.sightings[0].kind for p in papers]
    assert kinds == ["new", "new", "cross", "replace", "replace-cross"]
    assert {p.listed for p in papers} == {dt.date(2025, 3, 18)}
    assert papers[3].arxiv_version == 2 and papers[3].doi == "10.48550/tmlr.2025.0412"


def test_rss_atom_flavour(http_server: LocalServer, client: PoliteClient) -> None:
    path = "/atom/cs.CL+cs.LG"
    http_server.route(path, [Reply(body=body("atom_cs.CL+cs.LG_2025-03-18.xml"))])
    [page] = harvest(rss_source(http_server, format="atom"), client, {}, MARCH_19)

    papers = [r for r in page.records if isinstance(r, Paper)]
    assert [(p.arxiv_id, p.sightings[0].kind) for p in papers] == [
        ("2503.12001", "new"),
        ("2309.01234", "replace-cross"),
    ]
    assert page.cursor == {"announced": "2025-03-18"}


def test_rss_empty_announcement_day_is_complete(
    http_server: LocalServer, client: PoliteClient
) -> None:
    http_server.route(FEED_PATH, [Reply(body=body("rss_cs.CL+cs.LG_2025-03-22_empty.xml"))])
    pages = harvest(
        rss_source(http_server), client, {"announced": "2025-03-21"}, dt.date(2025, 3, 22)
    )

    assert len(pages) == 1
    assert pages[0].records == [] and pages[0].next is None
    assert pages[0].cursor == {"announced": "2025-03-21"}
    assert pages[0].notes == {"empty_day": 1}


def test_rss_day_already_stored_is_skipped_but_completes(
    http_server: LocalServer, client: PoliteClient
) -> None:
    http_server.route(FEED_PATH, [Reply(body=body("rss_cs.CL+cs.LG_2025-03-18.xml"))])
    pages = harvest(rss_source(http_server), client, {"announced": "2025-03-18"}, MARCH_19)

    assert len(pages) == 1
    assert pages[0].records == [] and pages[0].next is None
    assert pages[0].cursor == {"announced": "2025-03-18"}
    assert pages[0].notes == {"already_stored": 5}


def test_rss_no_request_when_todays_day_is_stored(
    http_server: LocalServer, client: PoliteClient
) -> None:
    source = rss_source(http_server)

    assert source.start({"announced": "2025-03-19"}, MARCH_19) is None
    assert harvest(source, client, {"announced": "2025-03-19"}, MARCH_19) == []
    assert http_server.requests() == []


# --- configuration --------------------------------------------------------------------------


def test_defaults_point_at_arxiv_and_keep_arxivs_pace() -> None:
    oai = arxiv_oai.from_config("o", {})
    api = arxiv_api.from_config("a", {"categories": ["cs.CL"]})
    rss = arxiv_rss.from_config("r", {"categories": ["cs.CL", "cs.LG"]})

    assert (oai.kind, oai.host, oai.set_spec) == ("arxiv-oai", "oaipmh.arxiv.org", "cs")
    assert (api.kind, api.host, api.page_size) == ("arxiv-api", "export.arxiv.org", 100)
    assert (rss.kind, rss.host) == ("arxiv-rss", "rss.arxiv.org")
    assert rss.describe({"announced": None}) == "https://rss.arxiv.org/rss/cs.CL+cs.LG"
    for host in (oai.host, api.host, rss.host):
        assert DEFAULT_INTERVALS[host] >= 3.0


@pytest.mark.parametrize(
    ("module", "table", "key"),
    [
        (arxiv_oai, {"since": "last week"}, "since"),
        (arxiv_oai, {"since": 20250301}, "since"),
        (arxiv_oai, {"set": ""}, "set"),
        (arxiv_oai, {"set": "cs math"}, "set"),
        (arxiv_oai, {"base_url": "ftp://example.org/oai"}, "base_url"),
        (arxiv_oai, {"sets": "cs"}, "sets"),
        (arxiv_api, {}, "categories"),
        (arxiv_api, {"categories": "cs CL"}, "categories"),
        (arxiv_api, {"categories": []}, "categories"),
        (arxiv_api, {"query": " "}, "query"),
        (arxiv_api, {"categories": ["cs.CL"], "page_size": 2001}, "page_size"),
        (arxiv_api, {"categories": ["cs.CL"], "page_size": "100"}, "page_size"),
        (arxiv_api, {"categories": ["cs.CL"], "page_size": True}, "page_size"),
        (arxiv_rss, {}, "categories"),
        (arxiv_rss, {"categories": ["cs.CL"], "format": "json"}, "format"),
        (arxiv_rss, {"categories": ["cs.CL"], "since": "2025-03-01"}, "since"),
        (arxiv_rss, {"categories": ["cs.CL"], "base_url": "rss.arxiv.org"}, "base_url"),
    ],
)
def test_from_config_names_the_bad_option(module: Any, table: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        module.from_config("mine", table)
    message = str(caught.value)
    assert message.startswith(f"[sources.mine] {key}: ")
    assert "\n" not in message
