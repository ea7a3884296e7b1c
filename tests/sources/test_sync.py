"""``paperradar sync`` end to end: the real command against a real local HTTP server.

The arXiv OAI-PMH and Hugging Face fixtures of tests/fixtures/sources are served on
127.0.0.1; config.toml points the sources there. The server's request log shows what was
asked for, how far apart, and that an interrupted harvest repeats no completed request. The
tests that store something run on both storage backends (SQLite, and a PostgreSQL database
named by the home's config.toml: tests/helpers/backends.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import backends, paths
from helpers.backends import on_both_backends
from helpers.cli import CliResult, popen_cli, run_cli
from helpers.httpserver import LocalServer, Reply

from paperradar.store.api.scheduling import SourceState

FIXTURES = paths.FIXTURES / "sources"
OAI = FIXTURES / "arxiv" / "oai-pmh"
WEB = FIXTURES / "web"
TOKEN_1, TOKEN_2 = "7734512|1001", "7734512|2001"
JSON = {"Content-Type": "application/json"}


def today() -> dt.date:
    """Today, asked when it is needed: a suite that runs past midnight sees the new day, as
    the sync it checks does."""
    return dt.date.today()


def since() -> dt.date:
    return today() - dt.timedelta(days=2)


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def serve_oai(server: LocalServer, page2: Reply | None = None) -> None:
    server.route("/oai", [Reply(body=text(OAI / "oai_cs_page1.xml"))], match={"set": "cs"})
    server.route(
        "/oai",
        [page2 or Reply(body=text(OAI / "oai_cs_page2.xml"))],
        match={"resumptionToken": TOKEN_1},
    )
    server.route(
        "/oai",
        [Reply(body=text(OAI / "oai_cs_page3_last.xml"))],
        match={"resumptionToken": TOKEN_2},
    )


def serve_hf(server: LocalServer) -> None:
    server.route("/api/daily_papers", [Reply(body=text(WEB / "hf_daily_empty.json"), headers=JSON)])
    for page in (0, 1):
        server.route(
            "/api/daily_papers",
            [Reply(body=text(WEB / f"hf_daily_2026-11-20_p{page}.json"), headers=JSON)],
            match={"date": since().isoformat(), "p": str(page)},
        )


def configure(home: Path, server: LocalServer, interval: float = 0.05, extra: str = "") -> None:
    backends.write_config(
        home,
        f"""
[http]
contact = "tests@example.org"
attempts = 2
backoff = 0.01
timeout = 10

[http.intervals]
"127.0.0.1" = {interval}

[sources.arxiv]
kind = "arxiv-oai"
base_url = "{server.url}/oai"
since = "{since().isoformat()}"

[sources.hf]
kind = "hf-daily"
base_url = "{server.url}"
since = "{since().isoformat()}"
limit = 2
{extra}
""",
    )


def sync_json(home: Path, *args: str) -> tuple[CliResult, dict[str, Any]]:
    result = run_cli(home, "sync", "--json", *args)
    return result, json.loads(result.stdout) if result.stdout.strip() else {}


def papers(home: Path) -> int:
    return backends.count(home, "papers")


def states(home: Path) -> dict[str, SourceState]:
    """Each source's saved state, through the store."""
    with backends.open_home(home) as store:
        return {state.name: state for state in store.scheduling.source_states()}


@on_both_backends
def test_sync_stores_each_source_and_goes_on_from_its_cursor(
    home: Path, http_server: LocalServer
) -> None:
    serve_oai(http_server)
    serve_hf(http_server)
    configure(home, http_server, interval=0.25)
    result, report = sync_json(home)
    assert result.code == 0, result.stderr
    runs = {run["name"]: run for run in report["sources"]}
    assert runs["arxiv"]["pages"] == 3 and runs["arxiv"]["complete"]
    assert runs["arxiv"]["new"] == 5 and runs["arxiv"]["notes"] == {"deleted": 1}
    assert runs["hf"]["new"] == 3 and runs["hf"]["error"] is None
    assert runs["arxiv"]["cursor"] == {"until": today().isoformat()}
    assert papers(home) == 8
    assert {name: state.checkpoint for name, state in states(home).items()} == {
        "arxiv": None,
        "hf": None,
    }

    # per-host politeness, across both sources: request starts >= 0.25 s apart
    arrivals = [r.at for r in http_server.requests()]
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.2, gaps  # 0.25 s between starts; arrival times jitter a little
    first = http_server.requests("/oai")[0]
    assert (
        first.param("from") == since().isoformat() and first.param("until") == today().isoformat()
    )
    assert "tests@example.org" in first.headers["User-Agent"]

    # the next run starts where this one ended: nothing is stored twice
    before = len(http_server.requests("/oai"))
    result, report = sync_json(home)
    assert result.code == 0, result.stderr
    again = http_server.requests("/oai")[before]
    assert again.param("from") == today().isoformat()
    assert papers(home) == 8

    status = run_cli(home, "sync", "--status")
    assert f'arxiv (arxiv-oai): cursor {{"until":"{today().isoformat()}"}}' in status.stdout


@on_both_backends
def test_a_failing_source_is_reported_and_the_others_still_run(
    home: Path, http_server: LocalServer
) -> None:
    serve_oai(http_server)
    http_server.route("/api/daily_papers", [Reply(503, body="down for maintenance")])
    configure(home, http_server)
    result = run_cli(home, "sync")
    assert result.code == 1
    assert "arxiv: 3 pages · read 5 · new 5 · merged 0 · skipped 0 · deleted 1" in result.stdout
    hf_line = next(line for line in result.stdout.splitlines() if line.startswith("hf:"))
    assert hf_line.startswith(f"hf: error: GET {http_server.url}/api/daily_papers?date=")
    assert hf_line.endswith(": 503 Service Unavailable after 2 attempts")
    assert result.stderr.strip().endswith(
        "error: 1 of 2 sources failed (each resumes where it stopped on the next sync)"
    )
    hf = states(home)["hf"]
    assert hf.failures == 1 and hf.last_error and "503" in hf.last_error


@pytest.mark.slow
@pytest.mark.serial
@on_both_backends
def test_a_killed_harvest_resumes_without_repeating_a_completed_request(
    home: Path, http_server: LocalServer
) -> None:
    serve_oai(http_server, page2=Reply(body=text(OAI / "oai_cs_page2.xml"), delay=30))
    configure(home, http_server)
    proc = popen_cli(home, "sync", "--source", "arxiv")
    deadline = time.monotonic() + 60
    while not http_server.requests("/oai")[1:] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(http_server.requests("/oai")) == 2  # page 1 done, page 2 asked for
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)  # closes its pipes too
    assert papers(home) == 2  # page 1: three records, one of them deleted
    checkpoint = states(home)["arxiv"].checkpoint
    assert checkpoint and checkpoint["token"] == TOKEN_1

    dry = run_cli(home, "sync", "--dry-run", "--source", "arxiv")
    assert "arxiv: would resume an interrupted run with" in dry.stdout
    assert len(http_server.requests("/oai")) == 2  # a dry run asks for nothing

    serve_oai(http_server)  # page 2 answers at once now
    result, report = sync_json(home, "--source", "arxiv")
    assert result.code == 0, result.stderr
    (run,) = report["sources"]
    assert run["resumed"] and run["pages"] == 2 and run["new"] == 3
    asked = [r.param("resumptionToken") or "first" for r in http_server.requests("/oai")]
    # page 1 once; page 2 again (its answer never arrived); page 3 once
    assert asked == ["first", TOKEN_1, TOKEN_1, TOKEN_2]
    assert papers(home) == 5
    assert backends.count(home, "sightings") == 5


def test_dry_run_shows_the_first_requests_and_fetches_nothing(
    home: Path, http_server: LocalServer
) -> None:
    configure(home, http_server)
    result = run_cli(home, "sync", "--dry-run")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"arxiv: would start with {http_server.url}/oai?verb=ListRecords")
    assert f"from={since().isoformat()}" in lines[0]
    assert lines[1].startswith(f"hf: would start with {http_server.url}/api/daily_papers?date=")
    assert http_server.requests() == []
    assert states(home) == {}


def test_bad_source_config_is_one_line_naming_the_table(
    home: Path, http_server: LocalServer
) -> None:
    configure(home, http_server, extra='\n[sources.mystery]\nkind = "gopher"\n')
    result = run_cli(home, "sync")
    assert result.code == 1
    assert result.stderr.strip().startswith(
        "error: [sources.mystery] kind: unknown source kind 'gopher'"
    )
    assert len(result.stderr.strip().splitlines()) == 1
    unknown = run_cli(home, "sync", "--source", "nope")
    assert unknown.code == 2 and "no source named 'nope'" in unknown.stderr
    assert http_server.requests() == []


def test_no_sources_configured(home: Path) -> None:
    result = run_cli(home, "sync")
    assert result.code == 0
    assert "no sources configured" in result.stdout


def test_profile_add_author_imports_from_semantic_scholar(
    home: Path, http_server: LocalServer
) -> None:
    author = "2712345"
    http_server.route(
        f"/graph/v1/author/{author}",
        [Reply(body=text(WEB / "s2_author_2712345.json"), headers=JSON)],
    )
    for offset in (0, 100):
        http_server.route(
            f"/graph/v1/author/{author}/papers",
            [Reply(body=text(WEB / f"s2_author_papers_offset{offset}.json"), headers=JSON)],
            match={"offset": str(offset)},
        )
    configure(home, http_server, extra=f'\n[s2]\nbase_url = "{http_server.url}"\n')
    assert run_cli(home, "profile", "create", "me").code == 0
    result = run_cli(home, "profile", "add-author", "me", "--s2", author, "--json")
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["fetched"] >= 2 and report["added"] == report["fetched"]
    shown = run_cli(home, "profile", "show", "me", "--json")
    assert len(json.loads(shown.stdout)["papers"]) == report["added"]
    again_run = run_cli(home, "profile", "add-author", "me", "--s2", author, "--json")
    again = json.loads(again_run.stdout)
    assert again["added"] == 0 and again["already"] == report["added"]
    missing = run_cli(home, "profile", "add-author", "nobody", "--s2", author)
    assert missing.code == 2


def test_status_names_sources_that_never_synced(home: Path, http_server: LocalServer) -> None:
    empty = run_cli(home, "sync", "--status")
    assert empty.code == 0, empty.stderr
    assert "no sources configured and none ever synced" in empty.stdout
    assert str(home / "config.toml") in empty.stdout

    configure(home, http_server)
    status = run_cli(home, "sync", "--status")
    assert status.code == 0, status.stderr
    assert "arxiv (arxiv-oai): never synced" in status.stdout
    assert "hf (hf-daily): never synced" in status.stdout
    listed = json.loads(run_cli(home, "sync", "--status", "--json").stdout)
    assert [(s["name"], s["synced"]) for s in listed] == [("arxiv", False), ("hf", False)]
