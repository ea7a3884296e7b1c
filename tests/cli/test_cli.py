"""The ``paperradar`` command end to end: ingest, search, show and stats (run in this process by
conftest.run_cli, as a pipe sees it; tests/test_cli_process.py runs the real process).

Most search and show checks share one store (module scope): the shipped arXiv slice plus the
small fixture files in tests/fixtures/cli, whose made-up words (quokkaformer, wombat...) occur
nowhere in the slice, so their results are known exactly while bm25 still sees a real corpus.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from helpers import paths

# tests/fixtures/cli/papers.jsonl, in the arxiv-cs-daily schema:
#   id          title has quokkaformer  abstract has it  categories         listed
#   2605.90001  yes                     yes (twice)      cs.CL cs.LG        2026-06-10
#   2605.90002  no                      yes              cs.IR              2026-06-20
#   2605.90003  yes                     yes              cs.CV              2026-06-30
#   2605.90004  yes                     yes              math.OC stat.ML    2026-06-30
#   2605.90005  no                      no               cs.DM math.CO      2026-06-20
#   2605.90006  no                      no               cs.CL              2026-06-10
# tests/fixtures/arxiv-atom/cli_dup_and_doi.xml: 2605.90001 again at v2 (a merge), and 2605.90007
# (new; DOI 10.5555/Devil.2026.7; eess.AS cs.SD; submitted 2026-06-15, no listing date).
QUOKKA = {f"arxiv:2605.9000{n}" for n in (1, 2, 3, 4)}
QUOKKA_IN_TITLE = {f"arxiv:2605.9000{n}" for n in (1, 3, 4)}
SLICE_PAPERS = 2518
# Beside the Atom reader's fixtures: that reader's tests check no other fixture is Atom.
ATOM = paths.FIXTURES / "arxiv-atom" / "cli_dup_and_doi.xml"


def arxiv(n: int) -> str:
    return f"arxiv:2605.{90000 + n}"


@pytest.fixture(scope="module")
def store(make_cli: Any, tmp_path_factory: pytest.TempPathFactory, arxiv_slice: Path) -> Any:
    """A read-only store for the search/show/stats tests: the slice and the fixture papers."""
    cli = make_cli(tmp_path_factory.mktemp("store") / "home")
    fixtures = paths.FIXTURES / "cli"
    counts = cli.ingest(arxiv_slice, fixtures / "papers.jsonl", ATOM)
    assert counts == {"read": SLICE_PAPERS + 8, "new": SLICE_PAPERS + 7, "merged": 1, "skipped": 0}
    return cli


# -- ingest ------------------------------------------------------------------------------


def test_ingest_summary_counts_a_mixed_set(
    cli: Any, seed_files: list[Path], cli_fixtures: Path
) -> None:
    # The seeds: 20 `Abstract:` lines (000 and 001 overlap) that are 14 papers, and 379
    # listing entries with 363 unique titles; one abstract is a listing entry's full text.
    # 399 records, 376 papers. Then 6 new JSON Lines papers, and an Atom file with one of
    # them again (at v2) and one new paper.
    result = cli.ok(
        "ingest",
        "--quiet",
        *seed_files,
        cli_fixtures / "papers.jsonl",
        ATOM,
    )
    assert result.stdout.count("\n") == 1, "the summary is one line"
    assert parse(result.stdout) == {"read": 407, "new": 383, "merged": 24, "skipped": 0}
    figures = cli.stats()
    assert figures["papers"] == 383
    assert figures["sightings"] == 407  # every record read is one sighting of its paper

    merged = cli.json("show", arxiv(1))
    assert merged["arxiv_version"] == 2
    assert {s["source"] for s in merged["sightings"]} == {"arxiv-daily", "arxiv-atom"}


def test_ingest_merges_the_own_abstract_into_its_listing_entry(
    cli: Any, seed_files: list[Path]
) -> None:
    assert cli.ingest(*seed_files) == {"read": 399, "new": 376, "merged": 23, "skipped": 0}
    # The own abstract "While large language models (LLMs) dominate the AI landscape..." (in
    # 000 and 001) is the titled, truncated entry "Computational Bottlenecks of Training
    # Small-scale Large Language Models" of listing 003: one paper, title and full abstract.
    hits = cli.json("search", '"while large language models llms dominate the ai landscape"')
    assert len(hits) == 1
    paper = cli.json("show", hits[0]["id"])
    assert (
        paper["title"] == "Computational Bottlenecks of Training Small-scale Large Language Models"
    )
    assert not paper["abstract_truncated"]
    assert paper["abstract"].startswith("While large language models (LLMs) dominate")
    assert {s["source"] for s in paper["sightings"]} == {"abstracts", "listing"}
    assert len(paper["sightings"]) == 3  # 000, 001 and 003


def test_ingest_json_prints_only_the_counts(cli: Any, cli_fixtures: Path) -> None:
    result = cli.ok("ingest", "--json", cli_fixtures / "papers.jsonl", ATOM)
    assert result.stderr == ""
    report = orjson.loads(result.stdout)
    assert {k: report[k] for k in ("read", "new", "merged", "skipped")} == {
        "read": 8,
        "new": 7,
        "merged": 1,
        "skipped": 0,
    }
    assert report["bad"] == []
    assert isinstance(report["seconds"], int | float)
    assert cli.stats()["papers"] == 7


def test_format_forces_a_reader(cli: Any, cli_fixtures: Path, seed_files: list[Path]) -> None:
    # arxiv-daily records without crawl_date: not recognised by sniffing...
    unsniffable = cli_fixtures / "no_crawl_date.jsonl"
    detected = cli("ingest", unsniffable)
    assert detected.code == 2
    assert "format" in detected.stderr
    # ...but read when the format is named.
    assert cli.ingest("--format", "arxiv-daily", unsniffable) == {
        "read": 2,
        "new": 2,
        "merged": 0,
        "skipped": 0,
    }
    paper = cli.json("show", arxiv(401))
    assert paper["title"] == "Platypus Parsers for Noisy Text"
    assert paper["categories"] == ["cs.CL"]
    # A forced reader is used even when sniffing would pick another: the abstracts list is
    # then not JSON, and nothing of it is stored.
    forced = cli("ingest", "--format", "arxiv-daily", seed_files[0])
    assert forced.code == 2
    assert forced.stderr.startswith(f"error: {seed_files[0]}:1: ")
    assert cli.stats()["papers"] == 2


def test_unknown_format_name_is_a_usage_error(cli: Any, cli_fixtures: Path) -> None:
    result = cli("ingest", "--format", "no-such-format", cli_fixtures / "papers.jsonl")
    assert result.code == 2
    assert "Traceback" not in result.stderr
    assert "no-such-format" in result.stderr


def test_reingest_is_idempotent(
    cli: Any, seed_files: list[Path], arxiv_slice: Path, cli_fixtures: Path
) -> None:
    files = [
        *seed_files,
        arxiv_slice,
        cli_fixtures / "papers.jsonl",
        ATOM,
    ]
    first = cli.ingest(*files)
    before = cli.stats()
    assert before["papers"] == first["new"]
    again = cli.ingest(*files)
    assert again == {"read": first["read"], "new": 0, "merged": first["read"], "skipped": 0}
    after = cli.stats()
    for key in ("papers", "aliases", "sightings", "with_arxiv_id", "truncated_abstracts"):
        assert after[key] == before[key], key


# -- search ------------------------------------------------------------------------------


def test_search_finds_every_paper_with_the_word(store: Any) -> None:
    hits = store.json("search", "quokkaformer", "--limit", "50")
    ids = [h["id"] for h in hits]
    assert set(ids) == QUOKKA
    assert len(ids) == len(set(ids))
    # bm25 over title and abstract: the three with the word in the title first.
    assert set(ids[:3]) == QUOKKA_IN_TITLE
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert scores[-1] > 0


def test_search_is_case_insensitive_and_covers_authors(store: Any) -> None:
    assert set(store.search_ids("WOMBAT")) == {arxiv(1), arxiv(5)}


def test_search_prints_a_table(store: Any) -> None:
    result = store.ok("search", "platypus walks")
    assert "Echidna Graphs" in result.stdout
    assert "2026-06-20" in result.stdout
    assert "no papers match" not in result.stdout


def test_search_limit(store: Any) -> None:
    everything = store.search_ids("quokkaformer")
    assert store.search_ids("quokkaformer", "--limit", "2") == everything[:2]
    assert len(store.search_ids("language", "--limit", "7")) == 7
    assert len(store.search_ids("language", "-n", "3")) == 3
    bad = store("search", "quokkaformer", "--limit", "0")
    assert bad.code == 2
    assert bad.stderr.startswith("error: ")


def test_search_default_limit_is_20(store: Any) -> None:
    assert len(store.search_ids("model")) == 20


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("2026-06-20", {arxiv(2), arxiv(3), arxiv(4)}),  # the day itself counts
        ("2026-06-21", {arxiv(3), arxiv(4)}),
        ("2026-07-01", set()),
    ],
)
def test_search_since_a_date(store: Any, since: str, expected: set[str]) -> None:
    assert set(store.search_ids("quokkaformer", "--since", since)) == expected


def test_search_since_uses_the_submission_date_without_a_listing_date(store: Any) -> None:
    # 2605.90007 was never listed; it was submitted on 2026-06-15.
    assert arxiv(7) in store.search_ids("tasmanian", "--since", "2026-06-15")
    assert store.search_ids("tasmanian", "--since", "2026-06-16") == []


def test_search_since_a_span_back_from_today(cli: Any, tmp_path: Path) -> None:
    today = dt.date.today()
    ages = {"2605.90801": 5, "2605.90802": 60, "2605.90803": 400}
    lines = [
        orjson.dumps(
            {
                "id": arxiv_id,
                "title": f"Numbat foraging study number {n}",
                "authors": ["Ti Numbat"],
                "categories": ["q-bio.PE"],
                "abstract": "Numbats eat termites.",
                "comment": None,
                "crawl_date": (today - dt.timedelta(days=age)).isoformat(),
            }
        ).decode()
        for n, (arxiv_id, age) in enumerate(ages.items())
    ]
    recent = tmp_path / "recent.jsonl"
    recent.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli.ingest(recent)
    assert set(cli.search_ids("numbat", "--since", "30d")) == {"arxiv:2605.90801"}
    assert set(cli.search_ids("numbat", "--since", "10w")) == {
        "arxiv:2605.90801",
        "arxiv:2605.90802",
    }
    assert len(cli.search_ids("numbat", "--since", "2y")) == 3
    bad = cli("search", "numbat", "--since", "last tuesday")
    assert bad.code == 2
    assert bad.stderr.startswith("error: ")
    assert len(bad.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("cs.CL", {arxiv(1)}),
        ("cs.CV", {arxiv(3)}),
        ("cs", {arxiv(1), arxiv(2), arxiv(3)}),  # the archive: every cs.* paper, no math.OC
        ("stat.ML", {arxiv(4)}),  # a cross-list counts, not only the primary category
        ("cs.C", set()),  # a prefix of a category is not an archive
    ],
)
def test_search_category(store: Any, category: str, expected: set[str]) -> None:
    assert set(store.search_ids("quokkaformer", "--category", category)) == expected


def test_search_category_on_the_slice(store: Any) -> None:
    cl = store.json("search", "language models", "--category", "cs.CL", "--limit", "200")
    cs = store.json("search", "language models", "--category", "cs", "--limit", "200")
    assert 0 < len(cl) <= len(cs)
    assert all("cs.CL" in hit["categories"] for hit in cl)
    assert all(any(c.startswith("cs.") for c in hit["categories"]) for hit in cs)


def test_search_json_shape(store: Any) -> None:
    hits = store.json("search", "quokkaformer sparse attention")
    assert isinstance(hits, list)
    assert hits
    top = hits[0]
    assert top["id"] == arxiv(1)
    assert top["arxiv_id"] == "2605.90001"
    assert top["title"] == "Quokkaformer: Sparse Attention for Marsupial Language Models"
    assert top["authors"] == ["Ada Wombat", "Bo Numbat"]
    assert top["categories"] == ["cs.CL", "cs.LG"]
    assert top["listed"] == "2026-06-10"
    assert arxiv(1) in top["aliases"]
    assert isinstance(top["score"], float)
    assert isinstance(top["abstract"], str)
    assert isinstance(top["abstract_truncated"], bool)


def test_search_no_match(store: Any, cli: Any) -> None:
    assert store.ok("search", "xylophonist").stdout.strip() == "no papers match"
    assert store.json("search", "xylophonist") == []
    # An empty (new) store is not an error either.
    assert cli.ok("search", "anything").stdout.strip() == "no papers match"


HOSTILE_QUERIES = [
    '"unbalanced',
    "NEAR(a b)",
    "foo*",
    "-bar",
    "title:x",
    "authors:wombat",
    "quokkaformer (((",
    "a AND OR NOT b",
    "'; DROP TABLE papers; --",
    "^quokkaformer + {bilby}",
    'quokkaformer ""',
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_user_text_is_never_fts_syntax(store: Any, query: str) -> None:
    # "--" so that a query starting with "-" is the query, not an option.
    result = store("search", "--", query)
    assert result.code == 0, result
    # at most the note that, without embeddings, hybrid search gives keyword results
    assert all(line.startswith("note: ") for line in result.stderr.splitlines())
    assert result.stdout.strip() == "no papers match" or "┃ id" in result.stdout


@pytest.mark.parametrize(
    ("query", "check"),
    [
        # "-" is not NOT: both words must match, so only the pruning paper.
        pytest.param("quokkaformer -pruning", lambda ids: ids == [arxiv(3)], id="minus"),
        # "*" is not a prefix operator: no paper has the word "quokka".
        pytest.param("quokka*", lambda ids: ids == [], id="star"),
        # "title:" is not a column filter: the abstract-only paper is found too.
        pytest.param("title:quokkaformer", lambda ids: arxiv(2) in ids, id="colon"),
        # NEAR is a word (2605.90002 has "near"), not a proximity group: as FTS5 syntax
        # this matches nothing, "bilby" and "quokkaformer" being 12 words apart.
        pytest.param("NEAR(quokkaformer bilby)", lambda ids: ids == [arxiv(2)], id="near"),
        # An unbalanced quote is ignored; the words still search.
        pytest.param('"quokkaformer pruning', lambda ids: ids[:1] == [arxiv(3)], id="quote"),
        # A balanced one is a phrase.
        pytest.param('"sparse attention" quokkaformer', lambda ids: ids == [arxiv(1)], id="phrase"),
    ],
)
def test_query_operators_are_plain_words(store: Any, query: str, check: Any) -> None:
    ids = store.search_ids(query, "--limit", "100")
    assert check(ids), ids


def test_sql_in_a_query_is_just_text(store: Any) -> None:
    before = store.stats()["papers"]
    assert store("search", "'; DROP TABLE papers; --").code == 0
    assert store.stats()["papers"] == before == SLICE_PAPERS + 7


@pytest.mark.parametrize("query", ["(((", '"', "!?*:- ()"])
def test_query_without_words_is_a_clean_error(store: Any, query: str) -> None:
    result = store("search", "--", query)
    assert result.code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr


# -- show --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        "arxiv:2605.90001",  # the canonical id
        "2605.90001v3",  # a version we never saw still names the paper
        "arXiv:2605.90001v2",
        "https://arxiv.org/abs/2605.90001v1",
        "http://arxiv.org/pdf/2605.90001",
    ],
)
def test_show_resolves_any_spelling_of_an_arxiv_id(store: Any, ref: str) -> None:
    paper = store.json("show", ref)
    assert paper["id"] == arxiv(1)
    assert paper["title"] == "Quokkaformer: Sparse Attention for Marsupial Language Models"


@pytest.mark.parametrize(
    "ref",
    ["10.5555/devil.2026.7", "doi:10.5555/Devil.2026.7", "https://doi.org/10.5555/DEVIL.2026.7"],
)
def test_show_resolves_a_doi(store: Any, ref: str) -> None:
    paper = store.json("show", ref)
    assert paper["id"] == arxiv(7)
    assert paper["doi"] == "10.5555/devil.2026.7"
    assert paper["journal_ref"] == "J. Marsupial Speech 3 (2026) 1-9"


def test_show_json_carries_the_merged_record(store: Any) -> None:
    paper = store.json("show", arxiv(1))
    assert paper["arxiv_id"] == "2605.90001"
    assert paper["arxiv_version"] == 2
    assert paper["listed"] == "2026-06-10"
    assert paper["submitted"] == "2026-06-09"
    assert paper["comment"] == "12 pages"
    assert arxiv(1) in paper["aliases"]
    sightings = {(s["source"], s["rank"]) for s in paper["sightings"]}
    assert sightings == {("arxiv-daily", 1), ("arxiv-atom", 1)}


def test_show_by_a_content_id(cli: Any, seed_files: list[Path]) -> None:
    cli.ingest(seed_files[0])
    hit = cli.json("search", "Large Reasoning Models")[0]
    assert hit["id"].startswith("cid:")
    paper = cli.json("show", hit["id"])
    assert paper["abstract"] == hit["abstract"]


def test_show_prints_the_paper(store: Any) -> None:
    out = store.ok("show", "2605.90007").stdout
    assert out.startswith("Tasmanian Devil Benchmarks")
    assert "arxiv:2605.90007" in out
    assert "doi:10.5555/devil.2026.7" in out
    assert "A benchmark of speech recorded in windy outdoor conditions." in out


@pytest.mark.parametrize("ref", ["2605.99999", "doi:10.1/nothing", "not an id"])
def test_show_unknown_id(store: Any, ref: str) -> None:
    result = store("show", ref)
    assert result.code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert ref in lines[0]


# -- stats -------------------------------------------------------------------------------


def test_stats_json(store: Any) -> None:
    figures = store.stats()
    assert figures["papers"] == SLICE_PAPERS + 7
    assert figures["with_arxiv_id"] == SLICE_PAPERS + 7
    assert figures["sightings"] == SLICE_PAPERS + 8
    assert figures["first_date"] == "2026-06-10"
    assert figures["last_date"] == "2026-07-01"
    sources = {row["source"]: (row["papers"], row["sightings"]) for row in figures["sources"]}
    assert sources == {"arxiv-daily": (SLICE_PAPERS + 6, SLICE_PAPERS + 6), "arxiv-atom": (2, 2)}
    assert Path(figures["store"]).parent == store.home
    assert figures["size_bytes"] > 0


def test_stats_table(store: Any) -> None:
    out = store.ok("stats").stdout
    assert re.search(rf"^\s*papers\s+{SLICE_PAPERS + 7:,}\s*$", out, re.MULTILINE)
    assert "arxiv-atom" in out


def test_stats_of_an_empty_store(cli: Any) -> None:
    figures = cli.stats()
    assert figures["papers"] == 0
    assert figures["sources"] == []
    assert figures["config"] == str(Path(figures["store"]).parent / "config.toml")
    table = cli.ok("stats").stdout
    assert re.search(r"^\s*papers\s+0\s*$", table, re.MULTILINE)
    assert "(none yet: `paperradar init` writes a" in table  # where a config would go


def parse(stdout: str) -> dict[str, int]:
    match = re.fullmatch(
        r"read ([\d,]+) · new ([\d,]+) · merged ([\d,]+) · skipped ([\d,]+) in .*\n", stdout
    )
    assert match, stdout
    values = [int(v.replace(",", "")) for v in match.groups()]
    return dict(zip(("read", "new", "merged", "skipped"), values, strict=True))
