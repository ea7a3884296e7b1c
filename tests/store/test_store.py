"""The store: dedup, merging the richest fields, FTS in step, migrations, transactions."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import orjson
import pytest

from paperradar import Store, keyword_search
from paperradar.errors import StoreError, UsageError
from paperradar.models import Paper, Sighting
from paperradar.store.sqlite.migrate import split_statements

ABSTRACT = (
    "We introduce a method for sparse mixture-of-experts routing that balances load without "
    "auxiliary losses, and show that it improves perplexity at equal compute on four "
    "language modelling benchmarks while halving the routing overhead."
)


def arxiv(pid: str, version: int | None = None, **kw: object) -> Paper:
    base: dict[str, object] = {
        "title": "Loss-Free Balancing for Sparse Experts",
        "abstract": ABSTRACT,
        "arxiv_id": pid,
        "arxiv_version": version,
        "sightings": [Sighting(source="test", locator=f"{pid}v{version}")],
    }
    base.update(kw)
    return Paper(**base)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path)


def fts_ok(store: Store) -> bool:
    store.conn.execute("INSERT INTO papers_fts(papers_fts) VALUES('integrity-check')")
    return True


def test_store_file_is_sqlite_in_wal_mode_with_migrations(store: Store, tmp_path: Path) -> None:
    assert (tmp_path / "paperradar.db").exists()
    assert store.conn.execute("PRAGMA journal_mode").fetchall()[0][0] == "wal"
    names = [r["name"] for r in store.conn.execute("SELECT name FROM migrations").fetchall()]
    assert names == [
        "0001_papers",
        "0002_vectors",
        "0003_radar",
        "0004_categories",
        "0005_sources",
        "0006_users",
        "0007_ingest_runs",
        "0008_store_copies",
        "0009_login_failures",
    ]
    Store.open(tmp_path).close()  # reopening applies nothing twice
    assert [
        r["name"] for r in store.conn.execute("SELECT name FROM migrations").fetchall()
    ] == names


def test_same_arxiv_id_at_another_version_is_one_paper(store: Store) -> None:
    store.papers.upsert([arxiv("2501.00001", 1)])
    v2 = arxiv("2501.00001", 2, title="Loss-Free Balancing for Sparse Experts (v2)")
    report = store.papers.upsert([v2])
    assert (report.new, report.merged) == (0, 1)
    paper = store.papers.get("2501.00001v1")
    assert paper.arxiv_version == 2
    assert paper.title.endswith("(v2)")  # a later version's title wins
    assert paper.id == "arxiv:2501.00001"
    assert len(paper.sightings) == 2
    assert fts_ok(store)
    assert [h.paper.id for h in keyword_search(store, "v2 balancing")] == ["arxiv:2501.00001"]


def test_different_arxiv_ids_with_the_same_title_stay_apart(store: Store) -> None:
    store.papers.upsert([arxiv("2501.00001"), arxiv("2502.00002")])
    assert store.papers.count() == 2


def test_normalised_title_merges_a_bibtex_entry_into_the_arxiv_paper(store: Store) -> None:
    store.papers.upsert([arxiv("2501.00001", 1)])
    bib = Paper(
        title="LOSS-FREE balancing for  sparse experts!",
        doi="10.1000/xyz",
        journal_ref="ICML 2025",
        authors=["Ada Lovelace", "Alan Turing"],
    )
    store.papers.upsert([bib])
    assert store.papers.count() == 1
    paper = store.papers.get("doi:10.1000/XYZ")
    assert paper.id == "arxiv:2501.00001"
    assert paper.journal_ref == "ICML 2025"
    assert paper.authors == ["Ada Lovelace", "Alan Turing"]
    assert paper.title == "Loss-Free Balancing for Sparse Experts"  # the stored title stays
    assert set(paper.aliases) >= {"arxiv:2501.00001", "doi:10.1000/xyz"}


def test_truncated_abstract_prefix_merges_and_the_full_one_survives(store: Store) -> None:
    listing = Paper(title="", abstract=ABSTRACT[:150], abstract_truncated=True, upvotes=7)
    store.papers.upsert([listing])
    full = Paper(abstract=ABSTRACT, authors=["A B"])
    report = store.papers.upsert([full])
    assert report.merged == 1 and store.papers.count() == 1
    (row,) = store.conn.execute("SELECT pid FROM papers").fetchall()
    paper = store.papers.get(row["pid"])
    assert paper.abstract == ABSTRACT and not paper.abstract_truncated
    assert paper.upvotes == 7
    assert fts_ok(store)
    assert keyword_search(store, "halving routing overhead")  # the full text is indexed


def test_titled_entry_merges_into_an_untitled_own_abstract(store: Store) -> None:
    store.papers.upsert([Paper(abstract=ABSTRACT)])
    store.papers.upsert([Paper(title="Loss-Free Balancing", abstract=ABSTRACT[:200])])
    assert store.papers.count() == 1
    (row,) = store.conn.execute("SELECT title, abstract FROM papers").fetchall()
    assert (row["title"], row["abstract"]) == ("Loss-Free Balancing", ABSTRACT)
    assert keyword_search(store, "Loss-Free")


def test_a_record_joining_two_stored_papers_absorbs_one(store: Store) -> None:
    store.papers.upsert([arxiv("2501.00001", title="First spelling of it", abstract="one " * 10)])
    store.papers.upsert(
        [Paper(title="Quite another spelling", doi="10.5555/abc", abstract="two " * 10)]
    )
    assert store.papers.count() == 2
    both = Paper(title="Joined", arxiv_id="2501.00001", doi="10.5555/abc")
    store.papers.upsert([both])
    assert store.papers.count() == 1
    paper = store.papers.get("doi:10.5555/abc")
    assert paper.id == "arxiv:2501.00001"
    assert {"arxiv:2501.00001", "doi:10.5555/abc"} <= set(paper.aliases)
    assert fts_ok(store)


def test_duplicates_within_one_batch_merge(store: Store) -> None:
    report = store.papers.upsert([arxiv("2501.00001", 1), arxiv("2501.00001", 3)])
    assert (report.new, report.merged) == (1, 1)
    assert store.papers.get("2501.00001").arxiv_version == 3


def test_reupsert_is_idempotent(store: Store) -> None:
    records = [arxiv("2501.00001", 1), Paper(abstract=ABSTRACT + " More.")]
    store.papers.upsert(records)
    counts = store.conn.execute(
        "SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM aliases), "
        "(SELECT count(*) FROM sightings)"
    ).fetchall()[0]
    store.papers.upsert([arxiv("2501.00001", 1), Paper(abstract=ABSTRACT + " More.")])
    again = store.conn.execute(
        "SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM aliases), "
        "(SELECT count(*) FROM sightings)"
    ).fetchall()[0]
    assert tuple(again) == tuple(counts)


def test_withdrawn_record_marks_a_known_paper_and_skips_an_unknown_one(store: Store) -> None:
    store.papers.upsert([arxiv("2501.00001")])
    report = store.papers.upsert(
        [Paper(arxiv_id="2501.00001", withdrawn=True), Paper(arxiv_id="2509.99999", withdrawn=True)]
    )
    assert (report.merged, report.skipped, report.new) == (1, 1, 0)
    assert store.papers.get("2501.00001").withdrawn
    assert store.papers.count() == 1


def test_dates_keep_real_years_over_inferred_ones(store: Store) -> None:
    store.papers.upsert(
        [
            Paper(
                title="Dated paper title",
                submitted=dt.date(2025, 9, 29),
                submitted_year_inferred=True,
            )
        ]
    )
    store.papers.upsert([Paper(title="Dated paper title", submitted=dt.date(2024, 9, 29))])
    paper = store.conn.execute("SELECT submitted, submitted_year_inferred FROM papers").fetchall()[
        0
    ]
    assert (paper["submitted"], paper["submitted_year_inferred"]) == ("2024-09-29", 0)


def test_a_failed_batch_leaves_the_store_unchanged(store: Store) -> None:
    store.papers.upsert([arxiv("2501.00001")])
    with pytest.raises(RuntimeError), store.transaction():
        store.papers.upsert([arxiv("2502.00002")])
        raise RuntimeError("boom")
    assert store.papers.count() == 1
    assert not keyword_search(store, "nonexistentword") and fts_ok(store)


def test_unknown_id_is_a_usage_error(store: Store) -> None:
    with pytest.raises(UsageError, match="no paper with id"):
        store.papers.get("2599.00001")


def test_unwritable_home_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot open the store"):
        Store.open(blocker / "home")


def test_split_statements_keeps_trigger_bodies_whole() -> None:
    sql = (
        "CREATE TABLE a(x);\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n SELECT 1;\n SELECT 2;\nEND;\n"
    )
    statements = split_statements(sql)
    assert len(statements) == 2 and statements[1].endswith("END;")
    conn = sqlite3.connect(":memory:")
    for statement in statements:
        conn.execute(statement)


def _categories(store: Store) -> set[tuple[int, str]]:
    return {
        (r[0], r[1])
        for r in store.conn.execute("SELECT paper_id, category FROM paper_categories").fetchall()
    }


def test_paper_categories_follow_inserts_merges_and_updates(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.papers.upsert(
        [
            Paper(title="One", abstract="a", arxiv_id="2601.00001", categories=["cs.CL", "cs.LG"]),
            Paper(title="Two", abstract="b", doi="10.1/two", categories=["eess.AS"]),
            Paper(title="Three", abstract="c", arxiv_id="2601.00003"),
        ]
    )
    assert _categories(store) == {(1, "cs.cl"), (1, "cs.lg"), (2, "eess.as")}
    # a later record of paper 2 brings a category: the union is kept, in step
    store.papers.upsert([Paper(title="Two", abstract="b", doi="10.1/two", categories=["cs.SD"])])
    assert _categories(store) == {(1, "cs.cl"), (1, "cs.lg"), (2, "eess.as"), (2, "cs.sd")}
    # paper 3 and paper 2 turn out to be one: the dropped row's categories go with it
    store.papers.upsert([Paper(title="Two", abstract="b", doi="10.1/two", arxiv_id="2601.00003")])
    rows = store.conn.execute("SELECT id, categories FROM papers").fetchall()
    assert len(rows) == 2
    expected = {(r["id"], c.lower()) for r in rows for c in orjson.loads(r["categories"])}
    assert _categories(store) == expected
    assert {c for _, c in expected} == {"cs.cl", "cs.lg", "eess.as", "cs.sd"}


def test_the_category_migration_fills_the_table_from_existing_papers(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.papers.upsert(
        [Paper(title="One", abstract="a", arxiv_id="2601.00001", categories=["cs.CL"])]
    )
    store.conn.execute("DELETE FROM paper_categories")
    store.conn.execute("DELETE FROM migrations WHERE name = '0004_categories'")
    for name in ("papers_categories_insert", "papers_categories_update"):
        store.conn.execute(f"DROP TRIGGER {name}")
    store.conn.execute("DROP TABLE paper_categories")
    store.close()
    reopened = Store.open(tmp_path)
    assert _categories(reopened) == {(1, "cs.cl")}


def test_a_transaction_left_suspended_ends_quietly_after_the_store_closes(
    tmp_path: Path,
) -> None:
    """Ctrl-C can land between a ``with`` entering the transaction and the block taking
    over: the transaction's generator then stays suspended until the collector closes it,
    after the store (and its connection) closed at exit. Closing it must not raise, which
    Python would print as a traceback on a command's stderr."""
    store = Store.open(tmp_path)
    entered = store.transaction()
    entered.__enter__()  # never exited: as the interrupted ``with`` leaves it
    store.close()
    entered.gen.close()  # what the collector does: GeneratorExit at the yield, no error
    again = Store.open(tmp_path)
    with again, again.transaction():  # nothing was left half-written or locked
        pass
