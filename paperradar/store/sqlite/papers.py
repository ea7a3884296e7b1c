"""Papers, aliases, sightings and categories in SQLite: the upsert with dedup, loads, lookups,
windows, filters, trend evidence and figures."""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from paperradar import identifiers
from paperradar.errors import UsageError
from paperradar.models import Filters, IngestReport, Paper
from paperradar.store.api.papers import (
    CategoryCount,
    DayCount,
    PaperHeading,
    PaperStats,
    PaperText,
    PreparedPaper,
    SourceCount,
    TrendEvidence,
)
from paperradar.store.batch import Batch
from paperradar.store.batch import Prepared as Prepared  # re-exported by store.py
from paperradar.store.sqlite.base import SqliteRepo
from paperradar.store.sqlite.filters import filter_sql
from paperradar.store.sqlite.rows import PAPER_COLUMNS, row_to_paper, row_to_sighting


def _from_json_rows(columns: tuple[str, ...]) -> str:
    """``SELECT`` of a JSON array of row arrays (one parameter): a whole batch is one
    statement, so SQLite holds no Python lock between rows and a reader thread runs freely."""
    picks = ", ".join(f"value ->> {i}" for i in range(len(columns)))
    return f"({', '.join(columns)}) SELECT {picks} FROM json_each(?)"


_INSERT_PAPER = "INSERT INTO papers " + _from_json_rows(("id", "ingested", "pid", *PAPER_COLUMNS))
_UPDATE_PAPER = (
    f"UPDATE papers SET pid = ?, {', '.join(f'{c} = ?' for c in PAPER_COLUMNS)} WHERE id = ?"
)
_INSERT_SIGHTING = "INSERT OR IGNORE INTO sightings " + _from_json_rows(
    (
        "paper_id",
        "source",
        "locator",
        "seen_on",
        "seen_on_inferred",
        "rank",
        "upvotes",
        "kind",
        "recorded",
    )
)
_INSERT_ALIAS = "INSERT OR IGNORE INTO aliases " + _from_json_rows(("alias", "paper_id"))


def _json_list(values: Iterable[object]) -> str:
    return orjson.dumps(list(values)).decode()


def _json_rows(rows: Iterable[tuple[Any, ...]]) -> str:
    return orjson.dumps(list(rows)).decode()


def _id_list(ids: Iterable[int]) -> str:
    """Row ids as a JSON array (numpy integers too)."""
    return "[" + ",".join(str(int(i)) for i in ids) + "]"


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


#: tables whose rows name a paper: re-pointed when two stored papers turn out to be one
_PAPER_REFERENCES = ("sightings", "profile_papers", "feedback", "digest_items")


def _source_sql(alias: str, source_aliases: Mapping[str, str]) -> str:
    """SQL mapping a sighting's reader name to its source (arXiv feeds -> 'arxiv')."""
    whens = " ".join(f"WHEN '{name}' THEN '{to}'" for name, to in source_aliases.items())
    return f"CASE {alias}.source {whens} ELSE {alias}.source END"


def _window_sql(alias: str, until: dt.date | None) -> str:
    return f"{alias}.seen_on >= ?" + ("" if until is None else f" AND {alias}.seen_on <= ?")


class SqlitePapers(SqliteRepo):
    """The SQLite PaperRepo."""

    # -- writing ------------------------------------------------------------------------

    def prepare(self, record: Paper) -> Prepared:
        """The record made ready for :meth:`upsert`; needs no database (any thread)."""
        return Prepared.of(record)

    def upsert(
        self,
        records: Sequence[Paper] | Sequence[PreparedPaper],
        report: IngestReport | None = None,
    ) -> IngestReport:
        """Store a batch of records, merging each into the paper it duplicates, if any.

        Duplicates are found by alias (arXiv id at any version, DOI, S2, HF), by content id
        (normalised title) and by abstract (one a truncated prefix of the other): see
        :class:`~paperradar.store.batch.Batch`. Runs in the caller's transaction, or in its own.
        """
        report = report or IngestReport()
        with self._db.transaction(papers=True):
            keyed = [
                r
                if isinstance(r, Prepared)
                else Prepared.of(r if isinstance(r, Paper) else r.paper)
                for r in records
            ]
            batch = self._prefetch(keyed)
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            batch.dedupe(keyed, self._last_id() + 1, dt.datetime.fromisoformat(now), report)
            self._write(batch, now)
        return report

    def _last_id(self) -> int:
        """The largest row id ever given to a paper (deleted ones count: ids never return)."""
        row = self.conn.execute(
            "SELECT max(ifnull((SELECT seq FROM sqlite_sequence WHERE name = 'papers'), 0), "
            "ifnull((SELECT max(id) FROM papers), 0))"
        ).fetchone()
        return int(row[0])

    def _prefetch(self, keyed: list[Prepared]) -> Batch:
        """Load the stored papers any record of the batch could be a duplicate of."""
        batch = Batch()
        aliases = {a for k in keyed for a in k.all_aliases()}
        keys = {k.abstract for k in keyed if k.abstract}
        ids: set[int] = set()
        for (pid,) in self.conn.execute(
            "SELECT paper_id FROM aliases WHERE alias IN (SELECT value FROM json_each(?))",
            (_json_list(aliases),),
        ):
            ids.add(pid)
        for pid, key in self.conn.execute(
            "SELECT id, abstract_key FROM papers "
            "WHERE abstract_key IN (SELECT value FROM json_each(?))",
            (_json_list(keys),),
        ):
            ids.add(pid)
            batch.by_abstract_key.setdefault(key, []).append(pid)
        if not ids:
            return batch
        id_list = _json_list(ids)
        for row in self.conn.execute(
            "SELECT * FROM papers WHERE id IN (SELECT value FROM json_each(?))", (id_list,)
        ):
            batch.add_stored(
                row["id"], row_to_paper(row), tuple(row[c] for c in ("pid", *PAPER_COLUMNS))
            )
        for alias, pid in self.conn.execute(
            "SELECT alias, paper_id FROM aliases "
            "WHERE paper_id IN (SELECT value FROM json_each(?))",
            (id_list,),
        ):
            batch.add_alias(alias, pid)
        return batch

    def _write(self, batch: Batch, now: str) -> None:
        conn = self.conn
        for drop, keep in batch.absorbed.items():
            conn.execute("UPDATE aliases SET paper_id = ? WHERE paper_id = ?", (keep, drop))
            for table in _PAPER_REFERENCES:  # what a user did with the paper follows it
                conn.execute(
                    f"UPDATE OR IGNORE {table} SET paper_id = ? WHERE paper_id = ?", (keep, drop)
                )
            conn.execute("DELETE FROM papers WHERE id = ?", (drop,))
        conn.execute(_INSERT_PAPER, (_json_rows(batch.new_rows(now)),))
        if batch.new_ids:  # one pass over the batch's new rows: twice as fast as a row trigger
            conn.execute(
                "INSERT INTO papers_fts(rowid, title, abstract, authors) "
                "SELECT id, title, abstract, authors FROM papers WHERE id BETWEEN ? AND ?",
                (min(batch.new_ids), max(batch.new_ids)),
            )
        conn.executemany(_UPDATE_PAPER, batch.changed_rows())
        conn.execute(_INSERT_ALIAS, (_json_rows(batch.alias_rows()),))
        sightings = [
            (
                i,
                s.source,
                s.locator,
                s.seen_on.isoformat() if s.seen_on else None,
                int(s.seen_on_inferred),
                s.rank,
                s.upvotes,
                s.kind,
                now,
            )
            for i, s in batch.sightings()
        ]
        conn.execute(_INSERT_SIGHTING, (_json_rows(sightings),))

    # -- reading ------------------------------------------------------------------------

    def resolve(self, ref: str) -> int:
        """The row id of a paper given any of its ids (canonical id, alias, arXiv id...)."""
        ref = ref.strip()
        row = self.conn.execute("SELECT id FROM papers WHERE pid = ?", (ref,)).fetchone()
        if row:
            return int(row[0])
        alias = identifiers.normalise_alias(ref)
        if alias:
            row = self.conn.execute(
                "SELECT paper_id FROM aliases WHERE alias = ?", (alias,)
            ).fetchone()
            if row:
                return int(row[0])
        raise UsageError(f"no paper with id {ref!r} in the store")

    def get(self, ref: str) -> Paper:
        """A paper with its aliases and sightings, by any of its ids."""
        return self.load([self.resolve(ref)], with_sightings=True)[0]

    def load(self, ids: Sequence[int], with_sightings: bool = False) -> list[Paper]:
        """Papers by row id, in the given order, with aliases (and sightings if asked)."""
        id_list = _json_list(ids)
        papers: dict[int, Paper] = {
            row["id"]: row_to_paper(row)
            for row in self.conn.execute(
                "SELECT * FROM papers WHERE id IN (SELECT value FROM json_each(?))", (id_list,)
            )
        }
        for alias, pid in self.conn.execute(
            "SELECT alias, paper_id FROM aliases "
            "WHERE paper_id IN (SELECT value FROM json_each(?)) ORDER BY alias",
            (id_list,),
        ):
            papers[pid].aliases.append(alias)
        if with_sightings:
            for row in self.conn.execute(
                "SELECT * FROM sightings WHERE paper_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY seen_on, id",
                (id_list,),
            ):
                papers[row["paper_id"]].sightings.append(row_to_sighting(row))
        return [papers[i] for i in ids if i in papers]

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM papers").fetchone()[0])

    def max_id(self) -> int:
        return int(self.conn.execute("SELECT ifnull(max(id), 0) AS m FROM papers").fetchone()[0])

    def texts(self, ids: Sequence[int]) -> dict[int, PaperText]:
        rows = self.conn.execute(
            "SELECT id, title, abstract, authors, categories FROM papers "
            "WHERE id IN (SELECT value FROM json_each(?))",
            (_id_list(ids),),
        )
        return {
            int(r["id"]): PaperText(
                r["title"], r["abstract"], orjson.loads(r["authors"]), orjson.loads(r["categories"])
            )
            for r in rows
        }

    def pids(self, ids: Sequence[int]) -> dict[int, str]:
        rows = self.conn.execute(
            "SELECT id, pid FROM papers WHERE id IN (SELECT value FROM json_each(?))",
            (_id_list(ids),),
        )
        return {int(r["id"]): r["pid"] for r in rows}

    def headings(self, ids: Sequence[int]) -> dict[int, PaperHeading]:
        rows = self.conn.execute(
            "SELECT id, pid, title, substr(abstract, 1, 120) AS start FROM papers "
            "WHERE id IN (SELECT value FROM json_each(?))",
            (_id_list(ids),),
        )
        return {
            int(r["id"]): PaperHeading(str(r["pid"]), r["title"] or "", r["start"] or "")
            for r in rows
        }

    def by_alias(self, aliases: Sequence[str]) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT alias, paper_id FROM aliases WHERE alias IN (SELECT value FROM json_each(?))",
            (_json_list(aliases),),
        )
        return {r["alias"]: int(r["paper_id"]) for r in rows}

    def matching(self, filters: Filters) -> list[int]:
        where, params = filter_sql(filters)
        rows = self.conn.execute(f"SELECT p.id FROM papers p WHERE 1 = 1{where}", tuple(params))
        return [int(r["id"]) for r in rows]

    def newest_listing(self) -> dt.date | None:
        row = self.conn.execute(
            "SELECT max(listed) AS d FROM papers "
            "WHERE listed IS NOT NULL AND listed_year_inferred = 0"
        ).fetchone()
        return _date(row["d"])

    def newest_sighting(self) -> dt.date | None:
        row = self.conn.execute("SELECT max(seen_on) AS d FROM sightings").fetchone()
        return _date(row["d"])

    def listed_by_source(
        self, since: dt.date, until: dt.date | None, source_aliases: Mapping[str, str]
    ) -> dict[str, int]:
        bounds = [since.isoformat()] if until is None else [since.isoformat(), until.isoformat()]
        src = _source_sql("s", source_aliases=source_aliases)
        sql = f"""
            SELECT {src} AS src, count(DISTINCT s.paper_id) AS n
            FROM sightings s INDEXED BY sightings_seen WHERE {_window_sql("s", until)}
            GROUP BY src ORDER BY n DESC, src
        """
        return {r["src"]: int(r["n"]) for r in self.conn.execute(sql, bounds)}

    def trend_evidence(
        self,
        since: dt.date,
        until: dt.date | None,
        category: str | None,
        source_aliases: Mapping[str, str],
    ) -> tuple[list[TrendEvidence], dt.date | None]:
        """Per-paper aggregates of the window's sightings (papers with some evidence only),
        and the newest sighting day in the window (None when no paper has evidence).

        One statement. The grouping uses only max/min, which is cheap: a paper has evidence
        when it has upvotes, or its smallest and largest source (or day) differ. Only for
        those few papers are the distinct (source, day) listings collected, through the
        paper's own sightings (index ``sightings_once`` starts with ``paper_id``). ``INDEXED
        BY`` keeps the window on ``sightings_seen``: without statistics SQLite would rather
        scan every sighting in ``paper_id`` order to skip a sort, about 6x slower for a week
        of a 75k-paper store.
        """
        bounds = [since.isoformat()] if until is None else [since.isoformat(), until.isoformat()]
        where, params = filter_sql(Filters(category=category))
        src = functools.partial(_source_sql, source_aliases=source_aliases)
        sql = f"""
        WITH w AS (
            SELECT s.paper_id, {src("s")} AS src, s.seen_on, s.upvotes
            FROM sightings s INDEXED BY sightings_seen WHERE {_window_sql("s", until)}
        ),
        candidates AS (
            SELECT paper_id, max(upvotes) AS upvotes,
                   max(CASE WHEN upvotes > 0 THEN seen_on END) AS voted_on,
                   min(seen_on) AS first_seen, max(seen_on) AS last_seen
            FROM w GROUP BY paper_id
            HAVING max(upvotes) > 0 OR min(src) <> max(src) OR min(seen_on) <> max(seen_on)
        )
        SELECT c.*,
            (SELECT json_group_array(DISTINCT json_array({src("l")}, l.seen_on))
             FROM sightings l WHERE l.paper_id = c.paper_id AND {_window_sql("l", until)}
            ) AS listings,
            (SELECT max(n.seen_on) FROM sightings n WHERE {_window_sql("n", until)}) AS newest
        FROM candidates c JOIN papers p ON p.id = c.paper_id
        WHERE 1{where}
    """
        rows = list(self.conn.execute(sql, (*bounds, *bounds, *bounds, *params)))
        evidence = []
        for r in rows:
            listings = {(src, day) for src, day in orjson.loads(r["listings"])}
            evidence.append(
                TrendEvidence(
                    row_id=int(r["paper_id"]),
                    upvotes=r["upvotes"],
                    voted_on=_date(r["voted_on"]),
                    sources=sorted({src for src, _ in listings}),
                    days=len({day for _, day in listings}),
                    appearances=len(listings),
                    first_seen=dt.date.fromisoformat(r["first_seen"]),
                    last_seen=dt.date.fromisoformat(r["last_seen"]),
                )
            )
        newest = dt.date.fromisoformat(rows[0]["newest"]) if rows else None
        return evidence, newest

    # -- figures ------------------------------------------------------------------------

    def stats(self) -> PaperStats:
        conn = self.conn
        one = conn.execute(
            "SELECT count(*) AS papers, "
            "sum(abstract != '') AS with_abstract, "
            "sum(abstract_truncated) AS truncated, "
            "sum(arxiv_id IS NOT NULL) AS with_arxiv_id, "
            "sum(title = '') AS without_title, "
            "sum(withdrawn) AS withdrawn, "
            "min(coalesce(listed, submitted)) AS first_date, "
            "max(coalesce(listed, submitted)) AS last_date, "
            "max(ingested) AS last_ingest "
            "FROM papers"
        ).fetchone()
        sources = conn.execute(
            "SELECT source, count(*) AS sightings, count(DISTINCT paper_id) AS papers "
            "FROM sightings GROUP BY source ORDER BY papers DESC"
        ).fetchall()
        categories = conn.execute(
            "SELECT primary_category AS category, count(*) AS papers FROM papers "
            "WHERE primary_category IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"
        ).fetchall()
        days = conn.execute(
            "SELECT listed AS day, count(*) AS papers FROM papers WHERE listed IS NOT NULL "
            "GROUP BY 1 ORDER BY 1 DESC LIMIT 5"
        ).fetchall()
        path = self._db.path
        size = sum(
            os.path.getsize(p) for p in (path, path.with_name(path.name + "-wal")) if p.exists()
        )
        return PaperStats(
            size_bytes=size,
            papers=one["papers"],
            with_abstract=one["with_abstract"] or 0,
            truncated_abstracts=one["truncated"] or 0,
            with_arxiv_id=one["with_arxiv_id"] or 0,
            without_title=one["without_title"] or 0,
            withdrawn=one["withdrawn"] or 0,
            aliases=conn.execute("SELECT count(*) AS n FROM aliases").fetchone()["n"],
            sightings=conn.execute("SELECT count(*) AS n FROM sightings").fetchone()["n"],
            first_date=_date(one["first_date"]),
            last_date=_date(one["last_date"]),
            last_ingest=(
                dt.datetime.fromisoformat(one["last_ingest"]) if one["last_ingest"] else None
            ),
            sources=[SourceCount(r["source"], r["sightings"], r["papers"]) for r in sources],
            top_categories=[CategoryCount(r["category"], r["papers"]) for r in categories],
            latest_listing_days=[
                DayCount(dt.date.fromisoformat(r["day"]), r["papers"]) for r in days
            ],
        )
