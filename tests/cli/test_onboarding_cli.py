"""Onboarding from the command line: ``paperradar init`` and its starter config.toml,
``profile add --id`` fetching what the store lacks (a real local HTTP server; a closed port
for offline), and ``profile add-author`` by arXiv name, ORCID or OpenAlex id."""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import paths
from helpers.cli import run_cli
from helpers.httpserver import LocalServer, Logged, Reply

from paperradar.config import CONFIG_NAME, Config, load_config
from paperradar.digest.mail import settings_from_config
from paperradar.schedule.watch import watch_settings
from paperradar.search.rerank import configured_reranker
from paperradar.sources import configured_sources
from paperradar.sources.http import http_settings
from paperradar.sources.lookup import lookup_settings
from paperradar.store import open_store

WEB = paths.FIXTURES / "sources" / "web"
ATOM = paths.FIXTURES / "arxiv-atom"
ARXIV_PAGE = paths.FIXTURES / "sources" / "arxiv" / "arxiv-atom" / "api_cs_page1.xml"
JSON = {"Content-Type": "application/json"}
_SETTING = re.compile(r"^# (\[[^\]]+\]|[A-Za-z0-9_.\"-]+ = .*)$")


# --------------------------------------------------------------------------- init


def test_init_writes_a_commented_starter_and_says_where(home: Path) -> None:
    result = run_cli(home, "init")
    assert result.code == 0, result.stderr
    path = home / CONFIG_NAME
    assert f"wrote a starter config: {path}" in result.stdout
    text = path.read_text(encoding="utf-8")
    assert load_config(home).values == {}  # all commented: all defaults
    again = run_cli(home, "init")
    assert again.code == 2 and again.stdout == ""
    assert again.stderr == (
        f"error: {path} exists: edit it, or replace it with `paperradar init --force`\n"
    )
    path.write_text("[search]\nrerank = 'none'\n", encoding="utf-8")
    forced = run_cli(home, "init", "--force")
    assert forced.code == 0 and "kept as" in forced.stdout
    assert path.read_text(encoding="utf-8") == text
    assert (home / "config.toml.bak").read_text(encoding="utf-8").startswith("[search]")
    where = run_cli(home, "init", "--where")
    assert where.stdout == f"home: {home}\nconfig: {path} (exists)\n"


def blocks(text: str) -> dict[str, list[int]]:
    """The starter's sections: header -> the line numbers of its commented settings."""
    found: dict[str, list[int]] = {}
    header = ""
    for number, line in enumerate(text.splitlines()):
        match = _SETTING.match(line)
        if not match:
            continue
        if match.group(1).startswith("["):
            header = match.group(1)
            found[header] = []
        found[header].append(number)
    return found


def with_block(home: Path, text: str, lines: list[int]) -> Config:
    rows = text.splitlines()
    for number in lines:
        rows[number] = rows[number].removeprefix("# ")
    (home / CONFIG_NAME).write_text("\n".join(rows) + "\n", encoding="utf-8")
    return load_config(home)


def _defaults(config: Config) -> Any:
    return (
        configured_reranker(config).__class__,
        config.get("embedding", "model", "minilm"),
        int(config.get("search", "hnsw_threshold", 200000)),
        http_settings(config),
        repr(lookup_settings(config)),
        lookup_settings(config).s2_url,
        watch_settings(config).schedule,
        watch_settings(config).top,
    )


#: the sections whose commented values are the defaults, checked to read as such
DEFAULTS_SHOWN = ("[embedding]", "[search]", "[lookup]", "[s2]", "[watch]")
#: the sections of examples (no defaults): the reader of each must accept them
READERS: dict[str, Callable[[Config], Any]] = {
    "[email]": settings_from_config,
    "[sources.arxiv-cs]": configured_sources,
    "[sources.arxiv-daily]": configured_sources,
    "[sources.hf]": configured_sources,
    "[watch.email]": watch_settings,
}


def test_every_starter_section_uncommented_is_valid(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith(("PAPERRADAR_HTTP", "PAPERRADAR_WATCH", "PAPERRADAR_EMAIL")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PAPERRADAR_SMTP_PASSWORD", "starter-test-password")
    assert run_cli(home, "init").code == 0
    text = (home / CONFIG_NAME).read_text(encoding="utf-8")
    found = blocks(text)
    assert {"[embedding]", "[search]", "[http]", "[lookup]", "[s2]", "[watch]", "[email]"} <= set(
        found
    )
    defaults = _defaults(load_config(home))
    for header, lines in found.items():
        assert len(lines) >= 2, f"{header} documents no key"
        config = with_block(home, text, lines)
        assert header.strip("[]").split(".")[0] in config.values, header
        reader = READERS.get(header)
        if reader is not None:
            assert reader(config) is not None, header
        elif header in DEFAULTS_SHOWN:
            assert _defaults(config) == defaults, header
    http = with_block(home, text, found["[http]"])
    assert http_settings(http).user_agent.endswith("mailto:you@example.org)")
    assert http_settings(http).attempts == 5 and http_settings(http).timeout == 30
    intervals = with_block(home, text, found["[http.intervals]"])
    assert http_settings(intervals).intervals["export.arxiv.org"] == 3


# --------------------------------------------------------------------------- profile add --id


def configure(home: Path, url: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / CONFIG_NAME).write_text(
        "[http]\nattempts = 1\ndefault_interval = 0\n"
        '[http.intervals]\n"127.0.0.1" = 0\n'
        f'[lookup]\narxiv_url = "{url}/api/query"\nopenalex_url = "{url}"\n'
        f'[s2]\nbase_url = "{url}"\n',
        encoding="utf-8",
    )


def openalex_answer(request: Logged) -> Reply:
    page = json.loads((WEB / "openalex_works_page1.json").read_text(encoding="utf-8"))
    asked = (request.param("filter") or "").removeprefix("doi:").split("|")
    page["results"] = [w for w in page["results"] if w["doi"][16:] in asked]
    page["meta"]["next_cursor"] = None
    return Reply(body=json.dumps(page), headers=JSON)


def own_ids(home: Path, name: str) -> list[str]:
    shown = run_cli(home, "profile", "show", name, "--json")
    return [p["id"] for p in json.loads(shown.stdout)["papers"]]


def test_add_ids_fetches_what_the_store_lacks(home: Path, http_server: LocalServer) -> None:
    atom = (ATOM / "id_list_new_style.xml").read_text(encoding="utf-8")
    http_server.route("/api/query", [Reply(body=atom)])
    http_server.route("/works", openalex_answer)
    http_server.route("/graph/v1/paper/batch", lambda r: Reply(body="[null]", headers=JSON))
    configure(home, http_server.url)
    assert run_cli(home, "profile", "create", "me").code == 0
    result = run_cli(
        home,
        "profile",
        "add",
        "me",
        "--id",
        "hep-th/9901001",
        "--id",
        "10.1162/tacl_a_00745",
        "--id",
        "10.9999/nowhere",
    )
    assert result.code == 2
    assert result.stdout.splitlines() == [
        "  hep-th/9901001: fetched",
        "  10.1162/tacl_a_00745: fetched",
        "  10.9999/nowhere: not found (neither OpenAlex nor Semantic Scholar)",
        "added 2 papers to me (0 were already there); 2 in all",
    ]
    assert result.stderr == (
        "error: 1 of 3 ids could not be added: 10.9999/nowhere (not found); the other 2 are in me\n"
    )
    with open_store(home) as store:
        fetched = {
            store.papers.resolve("hep-th/9901001"),
            store.papers.resolve("10.1162/tacl_a_00745"),
        }
        assert set(own_ids(home, "me")) == set(store.papers.pids(sorted(fetched)).values())
    asked = len(http_server.requests())
    again = run_cli(home, "profile", "add", "me", "--id", "hep-th/9901001v1", "--json")
    assert again.code == 0
    report = json.loads(again.stdout)
    assert report["already"] == 1 and report["ids"][0]["status"] == "stored"
    assert len(http_server.requests()) == asked  # nothing fetched for a stored paper


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_offline_names_every_missing_id_and_writes_nothing(home: Path) -> None:
    configure(home, closed_port_url())
    assert run_cli(home, "profile", "create", "me").code == 0
    ids = ["2103.00020", "10.48550/arXiv.2103.00021", "10.1162/tacl_a_00745", "s2:abc"]
    args = [part for ref in ids for part in ("--id", ref)]
    result = run_cli(home, "profile", "add", "me", *args)
    assert result.code == 1
    assert result.stderr.startswith("error: 4 of 4 ids could not be added: ")
    for ref in ids:
        assert f"{ref} (offline)" in result.stderr
        assert f"  {ref}: offline (" in result.stdout
    assert "none of the ids was added" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    with open_store(home) as store:
        assert store.papers.count() == 0
    assert own_ids(home, "me") == []
    offline = run_cli(home, "profile", "add", "me", "--offline", "--id", "2103.00020")
    assert offline.code == 1
    assert "2103.00020: offline (not in the store; nothing fetched)" in offline.stdout


def test_add_with_stored_ids_reads_no_lookup_settings(home: Path, cli_fixtures: Path) -> None:
    """Ids the store holds need no fetching, so bad [lookup] settings do not matter (a
    config.toml that is not TOML at all does: the store's URL may be in it)."""
    assert run_cli(home, "ingest", cli_fixtures / "papers.jsonl").code == 0
    assert run_cli(home, "profile", "create", "me").code == 0
    (home / CONFIG_NAME).write_text('[lookup]\narxiv_url = "ftp://nowhere"\n', encoding="utf-8")
    with open_store(home) as store:
        first = store.papers.load([1])[0].id
    assert first is not None
    result = run_cli(home, "profile", "add", "me", "--id", first)
    assert result.code == 0, result.stderr
    assert own_ids(home, "me") == [first]


# --------------------------------------------------------------------------- add-author


def test_add_author_by_arxiv_name_keeps_that_authors_papers(
    home: Path, http_server: LocalServer
) -> None:
    page = ARXIV_PAGE.read_text(encoding="utf-8").replace(
        "<opensearch:totalResults>5", "<opensearch:totalResults>3"
    )
    http_server.route("/api/query", [Reply(body=page)])
    configure(home, http_server.url)
    assert run_cli(home, "profile", "create", "me").code == 0
    result = run_cli(home, "profile", "add-author", "me", "--arxiv", "Keiko Ishida", "--json")
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["service"] == "arXiv" and report["fetched"] == 1 and report["added"] == 1
    (asked,) = http_server.requests("/api/query")
    assert asked.param("search_query") == 'au:"Keiko Ishida"'


def test_add_author_by_orcid(home: Path, http_server: LocalServer) -> None:
    for page, match in ((3, {}), (1, {"cursor": "*"})):
        body = (WEB / f"openalex_works_page{page}.json").read_text(encoding="utf-8")
        http_server.route("/works", [Reply(body=body, headers=JSON)], match=match)
    configure(home, http_server.url)
    assert run_cli(home, "profile", "create", "me").code == 0
    result = run_cli(home, "profile", "add-author", "me", "--orcid", "0000-0002-1825-0097")
    assert result.code == 0, result.stderr
    assert result.stdout == (
        "ORCID 0000-0002-1825-0097: 2 papers from OpenAlex · added 2 to me · already there 0\n"
    )
    assert http_server.requests("/works")[0].param("filter") == "author.orcid:0000-0002-1825-0097"


def test_add_author_needs_exactly_one_valid_author(home: Path, http_server: LocalServer) -> None:
    configure(home, http_server.url)
    assert run_cli(home, "profile", "create", "me").code == 0
    none = run_cli(home, "profile", "add-author", "me")
    assert none.code == 2 and "give one of --s2 ID, --arxiv NAME" in none.stderr
    two = run_cli(home, "profile", "add-author", "me", "--s2", "1", "--openalex", "A1")
    assert two.code == 2
    bad = run_cli(home, "profile", "add-author", "me", "--orcid", "0000-0002-1825-0098")
    assert bad.code == 2 and "check digit" in bad.stderr
    assert http_server.requests() == []
