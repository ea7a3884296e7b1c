"""The papers repository of every backend: upsert with dedup and merging, lookups, loads,
filters, windows, trend evidence and figures."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest

from paperradar.errors import UsageError
from paperradar.models import Filters, IngestReport, Paper, Sighting
from paperradar.store.api import Store
from paperradar.store.api.papers import (
    CategoryCount,
    DayCount,
    PaperHeading,
    PaperText,
    PreparedPaper,
    SourceCount,
    TrendEvidence,
)

Make = Callable[..., Paper]

ABSTRACT = (
    "We introduce a method for sparse mixture-of-experts routing that balances load without "
    "auxiliary losses, and show that it improves perplexity at equal compute on four "
    "language modelling benchmarks while halving the routing overhead."
)
TITLE = "Loss-Free Balancing for Sparse Experts"
D1, D2, D3, D4, D5 = (dt.date(2025, 3, d) for d in (3, 4, 5, 6, 9))


def seen(source: str, day: dt.date, upvotes: int | None = None) -> Sighting:
    return Sighting(source=source, locator=f"{source}/{day}", seen_on=day, upvotes=upvotes)


# -- upsert: counts, dedup, merging ---------------------------------------------------------


def test_upsert_counts_new_merged_and_skipped_into_the_report(store: Store, paper: Make) -> None:
    first = store.papers.upsert([paper("Graph networks for molecules"), paper("Sparse experts")])
    assert (first.new, first.merged, first.skipped) == (2, 0, 0)
    report = IngestReport(read=5)
    returned = store.papers.upsert(
        [
            paper("Graph networks for molecules"),  # the same text again
            paper("Protein folding at scale"),
            Paper(arxiv_id="2509.99999", withdrawn=True),  # a deletion of an unknown paper
        ],
        report,
    )
    assert returned is report
    assert (report.read, report.new, report.merged, report.skipped) == (5, 1, 1, 1)
    assert store.papers.count() == 3


def test_upsert_takes_records_prepared_in_another_thread(store: Store, paper: Make) -> None:
    records = [paper("Graph networks for molecules"), paper("Sparse experts")]
    prepared: list[PreparedPaper] = []
    worker = threading.Thread(target=lambda: prepared.extend(map(store.papers.prepare, records)))
    worker.start()
    worker.join(timeout=10)
    assert [p.paper for p in prepared] == records
    report = store.papers.upsert(prepared)
    assert (report.new, report.merged) == (2, 0)
    assert [p.title for p in store.papers.load(sorted(store.papers.matching(Filters())))] == [
        "Graph networks for molecules",
        "Sparse experts",
    ]


def test_an_arxiv_id_at_another_version_is_the_same_paper(store: Store, paper: Make) -> None:
    store.papers.upsert([paper(TITLE, abstract=ABSTRACT, arxiv_id="2501.00001", arxiv_version=1)])
    v2 = paper(
        TITLE + " (v2)",
        abstract=ABSTRACT,
        arxiv_id="2501.00001",
        arxiv_version=2,
        sightings=[Sighting(source="test", locator="2501.00001v2", seen_on=D2)],
    )
    report = store.papers.upsert([v2])
    assert (report.new, report.merged) == (0, 1)
    assert store.papers.count() == 1
    got = store.papers.get("2501.00001v1")
    assert got.id == "arxiv:2501.00001"
    assert got.arxiv_version == 2
    assert got.title == TITLE + " (v2)"  # a later version's title wins
    assert len(got.sightings) == 2


def test_different_arxiv_ids_with_one_title_stay_two_papers(store: Store, paper: Make) -> None:
    store.papers.upsert([paper(TITLE, arxiv_id="2501.00001"), paper(TITLE, arxiv_id="2502.00002")])
    assert store.papers.count() == 2


def test_a_doi_in_another_case_is_the_same_paper(store: Store, paper: Make) -> None:
    store.papers.upsert([paper("Graph networks for molecules", doi="10.1000/ABC.1")])
    report = store.papers.upsert([paper("A wholly different title here", doi="10.1000/abc.1")])
    assert (report.new, report.merged) == (0, 1)
    assert store.papers.count() == 1
    assert store.papers.get("doi:10.1000/abc.1").id == "doi:10.1000/abc.1"


def test_a_normalised_title_merges_a_bibtex_entry_into_the_arxiv_paper(
    store: Store, paper: Make
) -> None:
    store.papers.upsert([paper(TITLE, abstract=ABSTRACT, arxiv_id="2501.00001")])
    bib = Paper(
        title="LOSS-FREE balancing for  sparse experts!",
        doi="10.1000/xyz",
        journal_ref="ICML 2025",
        authors=["Ada Lovelace", "Alan Turing", "Grace Hopper"],
    )
    report = store.papers.upsert([bib])
    assert (report.new, report.merged) == (0, 1)
    got = store.papers.get("doi:10.1000/XYZ")
    assert got.id == "arxiv:2501.00001"
    assert got.title == TITLE  # the stored title stays
    assert got.journal_ref == "ICML 2025"
    assert got.authors == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert {"arxiv:2501.00001", "doi:10.1000/xyz"} <= set(got.aliases)


def test_a_truncated_abstract_merges_with_the_full_one(store: Store) -> None:
    listing = Paper(abstract=ABSTRACT[:150], abstract_truncated=True, upvotes=7)
    store.papers.upsert([listing])
    report = store.papers.upsert([Paper(title="Balancing experts", abstract=ABSTRACT)])
    assert (report.new, report.merged) == (0, 1)
    assert store.papers.count() == 1
    (row_id,) = store.papers.matching(Filters())
    (got,) = store.papers.load([row_id])
    assert got.abstract == ABSTRACT and not got.abstract_truncated
    assert got.title == "Balancing experts"
    assert got.upvotes == 7


def test_unrelated_abstracts_do_not_merge(store: Store) -> None:
    store.papers.upsert([Paper(abstract=ABSTRACT)])
    store.papers.upsert([Paper(abstract=ABSTRACT.replace("sparse", "dense"))])
    assert store.papers.count() == 2


def test_merging_keeps_the_richest_fields(store: Store, paper: Make) -> None:
    store.papers.upsert(
        [
            paper(
                TITLE,
                abstract=ABSTRACT,
                arxiv_id="2501.00001",
                authors=["A. Lovelace"],
                categories=["cs.LG"],
                links={"pdf": "https://arxiv.org/pdf/2501.00001"},
                keywords=["moe"],
                listed=D3,
                upvotes=3,
            )
        ]
    )
    store.papers.upsert(
        [
            Paper(
                title="",
                abstract=ABSTRACT[:150],
                abstract_truncated=True,
                arxiv_id="2501.00001",
                authors=["Ada Lovelace", "Alan Turing"],
                categories=["cs.CL", "cs.LG"],
                links={"code": "https://example.org/code"},
                keywords=["routing"],
                listed=D1,
                upvotes=9,
                comment="12 pages",
                organisation="Analytical Engines",
                withdrawn=True,
                sightings=[seen("hf-daily", D1, upvotes=9)],
            )
        ]
    )
    got = store.papers.get("arxiv:2501.00001")
    assert got.title == TITLE  # no title does not erase one
    assert got.abstract == ABSTRACT and not got.abstract_truncated  # full beats truncated
    assert got.authors == ["Ada Lovelace", "Alan Turing"]  # the longer list
    assert got.categories == ["cs.LG", "cs.CL"]  # united, the stored primary first
    assert got.links == {
        "pdf": "https://arxiv.org/pdf/2501.00001",
        "code": "https://example.org/code",
    }
    assert got.keywords == ["moe", "routing"]
    assert got.listed == D1  # the earliest real listing
    assert got.upvotes == 9
    assert (got.comment, got.organisation) == ("12 pages", "Analytical Engines")
    assert got.withdrawn
    assert {s.source for s in got.sightings} == {"test", "hf-daily"}


def test_a_record_joining_two_stored_papers_absorbs_one_and_its_links(
    store: Store, paper: Make
) -> None:
    store.papers.upsert([paper("First spelling of the paper", arxiv_id="2501.00001")])
    store.papers.upsert([paper("Quite another spelling here", doi="10.5555/abc")])
    kept, dropped = store.papers.resolve("2501.00001"), store.papers.resolve("doi:10.5555/abc")
    assert store.radar.add_profile("ada", dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    profile_id = store.radar.profile_id("ada")
    assert profile_id is not None
    store.radar.link_papers(profile_id, [dropped], "test", dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    report = store.papers.upsert([Paper(title="Joined", arxiv_id="2501.00001", doi="10.5555/abc")])
    assert report.merged == 1
    assert store.papers.count() == 1
    assert store.papers.resolve("doi:10.5555/abc") == kept
    assert store.papers.load([dropped]) == []
    assert {"arxiv:2501.00001", "doi:10.5555/abc"} <= set(store.papers.get("2501.00001").aliases)
    assert store.radar.profile(profile_id).papers == [kept]  # what a user did follows it
    store.papers.upsert([paper("A new paper after the merge")])
    assert store.papers.max_id() > max(kept, dropped)  # a dropped row id never returns


def test_reupserting_the_same_records_changes_nothing(store: Store, paper: Make) -> None:
    records = [paper(TITLE, abstract=ABSTRACT, arxiv_id="2501.00001"), Paper(abstract=ABSTRACT)]
    store.papers.upsert(records)
    before = store.papers.stats()
    store.papers.upsert([paper(TITLE, abstract=ABSTRACT, arxiv_id="2501.00001")])
    after = store.papers.stats()
    assert (after.papers, after.aliases, after.sightings) == (
        before.papers,
        before.aliases,
        before.sightings,
    )


def test_a_withdrawal_marks_a_known_paper(store: Store, paper: Make) -> None:
    store.papers.upsert([paper(TITLE, arxiv_id="2501.00001")])
    report = store.papers.upsert([Paper(arxiv_id="2501.00001", withdrawn=True)])
    assert (report.new, report.merged, report.skipped) == (0, 1, 0)
    assert store.papers.get("2501.00001").withdrawn


# -- resolving and loading -------------------------------------------------------------------


def test_resolve_by_canonical_id_alias_and_any_arxiv_spelling(store: Store, paper: Make) -> None:
    store.papers.upsert([paper(TITLE, arxiv_id="2501.00001", doi="10.1000/xyz")])
    row_id = store.papers.resolve("arxiv:2501.00001")
    assert row_id == store.papers.max_id()
    cid = paper(TITLE).derived_aliases()[-1]
    for ref in (
        "2501.00001",
        "2501.00001v3",
        " arXiv:2501.00001 ",
        "https://arxiv.org/abs/2501.00001v2",
        "doi:10.1000/XYZ",
        "https://doi.org/10.1000/xyz",
        cid,
    ):
        assert store.papers.resolve(ref) == row_id, ref


def test_an_unknown_id_is_a_usage_error(store: Store, paper: Make) -> None:
    store.papers.upsert([paper(TITLE, arxiv_id="2501.00001")])
    for ref in ("2599.00001", "doi:10.9/none", "not an id"):
        with pytest.raises(UsageError, match=f"no paper with id '{ref}' in the store"):
            store.papers.resolve(ref)
        with pytest.raises(UsageError, match="no paper with id"):
            store.papers.get(ref)


def test_get_has_aliases_and_sightings_in_day_order(store: Store, paper: Make) -> None:
    record = paper(
        TITLE,
        arxiv_id="2501.00001",
        doi="10.1000/xyz",
        sightings=[seen("arxiv-rss", D3), seen("hf-daily", D1, upvotes=4), seen("web", D2)],
    )
    store.papers.upsert([record])
    got = store.papers.get("2501.00001")
    assert got.id == "arxiv:2501.00001"
    assert got.aliases == sorted(record.derived_aliases())
    assert [(s.source, s.seen_on, s.upvotes) for s in got.sightings] == [
        ("hf-daily", D1, 4),
        ("web", D2, None),
        ("arxiv-rss", D3, None),
    ]
    assert got.ingested is not None
    assert (got.title, got.authors, got.categories) == (
        record.title,
        record.authors,
        record.categories,
    )


def test_load_keeps_the_order_asked_and_leaves_unknown_ids_out(store: Store, paper: Make) -> None:
    store.papers.upsert([paper("First paper title here"), paper("Second paper title here")])
    first, second = (store.papers.resolve(a) for a in _cids(paper, "First", "Second"))
    loaded = store.papers.load([second, 999, first])
    assert [p.title for p in loaded] == ["Second paper title here", "First paper title here"]
    assert all(p.sightings == [] for p in loaded)  # only when asked
    assert all(p.aliases for p in loaded)
    (with_sightings,) = store.papers.load([first], with_sightings=True)
    assert [s.locator for s in with_sightings.sightings] == ["First paper title here"]
    assert store.papers.load([]) == []


def _cids(paper: Make, *words: str) -> list[str]:
    return [paper(f"{w} paper title here").derived_aliases()[-1] for w in words]


def test_count_max_id_texts_pids_headings(store: Store, paper: Make) -> None:
    assert (store.papers.count(), store.papers.max_id()) == (0, 0)
    long_abstract = "x" * 100 + " " + "y" * 100
    store.papers.upsert(
        [
            paper(TITLE, abstract=ABSTRACT, arxiv_id="2501.00001", categories=["cs.CL", "cs.LG"]),
            Paper(abstract=long_abstract, authors=["Grace Hopper"]),
        ]
    )
    assert store.papers.count() == 2
    a = store.papers.resolve("2501.00001")
    (b,) = set(store.papers.matching(Filters())) - {a}
    assert store.papers.max_id() == max(a, b)
    assert store.papers.texts([a, b, 999]) == {
        a: PaperText(TITLE, ABSTRACT, ["Ada Lovelace", "Alan Turing"], ["cs.CL", "cs.LG"]),
        b: PaperText("", long_abstract, ["Grace Hopper"], []),
    }
    b_pid = store.papers.pids([b])[b]
    assert b_pid.startswith("cid:")
    assert store.papers.pids([a, b, 999]) == {a: "arxiv:2501.00001", b: b_pid}
    assert store.papers.headings([b, a, 999]) == {
        a: PaperHeading("arxiv:2501.00001", TITLE, ABSTRACT[:120]),
        b: PaperHeading(b_pid, "", long_abstract[:120]),
    }
    assert store.papers.texts([]) == {} and store.papers.pids([]) == {}


def test_by_alias_names_only_stored_papers(store: Store, paper: Make) -> None:
    store.papers.upsert([paper(TITLE, arxiv_id="2501.00001", doi="10.1000/xyz")])
    row_id = store.papers.resolve("2501.00001")
    assert store.papers.by_alias(["arxiv:2501.00001", "doi:10.1000/xyz", "arxiv:2599.1"]) == {
        "arxiv:2501.00001": row_id,
        "doi:10.1000/xyz": row_id,
    }
    assert store.papers.by_alias([]) == {}


# -- filters and windows ---------------------------------------------------------------------


def test_matching_filters_by_date_category_and_source(store: Store, paper: Make) -> None:
    store.papers.upsert(
        [
            paper("Alpha paper title here", categories=["cs.CL"], listed=D1, source="arxiv-rss"),
            paper("Beta paper title here", categories=["stat.ML", "cs.LG"], listed=D3),
            paper(
                "Gamma paper title here",
                categories=["math-ph"],
                listed=None,
                submitted=D5,
                source="hf-daily",
                seen_on=D5,
            ),
            paper("Delta paper title here", categories=["csx.AB"], listed=D4),
        ]
    )
    alpha, beta, gamma, delta = (
        store.papers.resolve(c) for c in _cids(paper, "Alpha", "Beta", "Gamma", "Delta")
    )

    def ids(**kw: object) -> set[int]:
        return set(store.papers.matching(Filters(**kw)))  # type: ignore[arg-type]

    assert ids() == {alpha, beta, gamma, delta}
    assert ids(since=D3) == {beta, gamma, delta}
    assert ids(until=D3) == {alpha, beta}
    assert ids(since=D2, until=D4) == {beta, delta}
    assert ids(since=D5, until=D5) == {gamma}  # no listing: the submission date counts
    assert ids(category="cs.CL") == {alpha}
    assert ids(category="CS.cl") == {alpha}  # categories match in any case
    assert ids(category="cs") == {alpha, beta}  # an archive covers its categories
    assert ids(category="math") == set()
    assert ids(category="cs.LG") == {beta}  # any category, not only the primary
    assert ids(source="arxiv-rss") == {alpha}
    assert ids(source="hf-daily", category="math-ph") == {gamma}
    assert ids(source="test", since=D4) == {delta}
    assert ids(source="nowhere") == set()


def test_newest_listing_and_sighting(store: Store, paper: Make) -> None:
    assert store.papers.newest_listing() is None and store.papers.newest_sighting() is None
    store.papers.upsert(
        [
            paper("Alpha paper title here", listed=D2, seen_on=D1),
            paper("Beta paper title here", listed=D5, listed_year_inferred=True, seen_on=D4),
            paper("Gamma paper title here", listed=None, seen_on=D3),
        ]
    )
    assert store.papers.newest_listing() == D2  # not the one with an inferred year
    assert store.papers.newest_sighting() == D4


def test_trend_evidence_over_a_window(store: Store, paper: Make) -> None:
    aliases = {"arxiv-rss": "arxiv", "arxiv-atom": "arxiv"}
    store.papers.upsert(
        [
            # two sources, two days, upvotes: evidence
            paper(
                "Alpha paper title here",
                categories=["cs.CL"],
                sightings=[seen("arxiv-rss", D1), seen("hf-daily", D2, upvotes=5)],
            ),
            # two feeds of one source on one day: no evidence
            paper(
                "Beta paper title here",
                categories=["cs.CL"],
                sightings=[seen("arxiv-rss", D1), seen("arxiv-atom", D1)],
            ),
            # one source on two days (the second one out of the window): no evidence
            paper(
                "Gamma paper title here",
                categories=["cs.CL"],
                sightings=[seen("arxiv-rss", D2), seen("arxiv-rss", D5)],
            ),
            # one source on two days in the window, in another category
            paper(
                "Delta paper title here",
                categories=["stat.ML"],
                sightings=[seen("arxiv-atom", D1), seen("arxiv-rss", D3)],
            ),
            # upvotes alone are evidence
            paper(
                "Epsilon paper title here",
                categories=["cs.CL"],
                sightings=[seen("hf-daily", D2, upvotes=2)],
            ),
            # the newest day of the window, without evidence
            paper("Zeta paper title here", sightings=[seen("web", D4)]),
        ]
    )
    alpha, delta, epsilon = (
        store.papers.resolve(c) for c in _cids(paper, "Alpha", "Delta", "Epsilon")
    )
    evidence, newest = store.papers.trend_evidence(D1, D4, None, aliases)
    assert newest == D4
    assert sorted(evidence, key=lambda e: e.row_id) == sorted(
        [
            TrendEvidence(alpha, 5, D2, ["arxiv", "hf-daily"], 2, 2, D1, D2),
            TrendEvidence(delta, None, None, ["arxiv"], 2, 2, D1, D3),
            TrendEvidence(epsilon, 2, D2, ["hf-daily"], 1, 1, D2, D2),
        ],
        key=lambda e: e.row_id,
    )
    in_cl, _ = store.papers.trend_evidence(D1, D4, "cs.CL", aliases)
    assert {e.row_id for e in in_cl} == {alpha, epsilon}
    fewer, _ = store.papers.trend_evidence(D1, D4, None, {"arxiv-rss": "arxiv"})
    assert len(fewer) == 4  # arxiv-rss and arxiv-atom now count as two sources
    open_ended, newest = store.papers.trend_evidence(D2, None, None, aliases)
    gamma = store.papers.resolve(_cids(paper, "Gamma")[0])
    assert {e.row_id for e in open_ended} == {alpha, gamma, epsilon}
    assert newest == D5
    assert store.papers.trend_evidence(D5 + dt.timedelta(days=1), None, None, aliases) == (
        [],
        None,
    )


def test_trend_evidence_without_source_aliases(
    store: Store, paper: Make, known_bug: Callable[[str, str], None]
) -> None:
    known_bug("sqlite", "an empty source_aliases makes the SQL `CASE s.source ELSE ... END`")
    store.papers.upsert(
        [paper("Alpha paper title here", sightings=[seen("arxiv-rss", D1), seen("web", D2)])]
    )
    evidence, newest = store.papers.trend_evidence(D1, None, None, {})
    assert [e.sources for e in evidence] == [["arxiv-rss", "web"]]
    assert newest == D2


def test_stats_figures(store: Store, paper: Make) -> None:
    empty = store.papers.stats()
    assert (empty.papers, empty.aliases, empty.sightings, empty.sources) == (0, 0, 0, [])
    assert (empty.first_date, empty.last_date, empty.last_ingest) == (None, None, None)
    store.papers.upsert(
        [
            paper(
                "Alpha paper title here",
                arxiv_id="2501.00001",
                categories=["cs.CL"],
                listed=D1,
                sightings=[seen("test", D1), seen("test", D2)],
            ),
            paper(
                "Beta paper title here",
                categories=["cs.CL", "cs.LG"],
                listed=D3,
                source="hf-daily",
                withdrawn=True,
            ),
            paper("Gamma paper title here", categories=["stat.ML"], listed=D3, source="hf-daily"),
            Paper(
                abstract=ABSTRACT[:150],
                abstract_truncated=True,
                submitted=D5,
                sightings=[seen("hf-daily", D5)],
            ),
        ]
    )
    stats = store.papers.stats()
    assert stats.size_bytes > 0
    assert (stats.papers, stats.with_abstract, stats.truncated_abstracts) == (4, 4, 1)
    assert (stats.with_arxiv_id, stats.without_title, stats.withdrawn) == (1, 1, 1)
    assert stats.aliases == 5  # a content id each, and one arXiv id
    assert stats.sightings == 5
    assert (stats.first_date, stats.last_date) == (D1, D5)
    assert stats.last_ingest is not None
    assert abs(stats.last_ingest - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert stats.sources == [SourceCount("hf-daily", 3, 3), SourceCount("test", 2, 1)]
    assert stats.top_categories == [CategoryCount("cs.CL", 2), CategoryCount("stat.ML", 1)]
    assert stats.latest_listing_days == [DayCount(D3, 2), DayCount(D1, 1)]
