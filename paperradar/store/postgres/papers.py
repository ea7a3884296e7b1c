"""Papers, aliases, sightings and categories in PostgreSQL: the upsert with dedup (the rules
and the batch logic are shared with SQLite: :mod:`paperradar.store.batch`), loads, lookups,
windows, filters, trend evidence and figures."""

from __future__ import annotations

import datetime as dt
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
from paperradar.store.batch import Batch, Prepared
from paperradar.store.columns import PAPER_COLUMNS, paper_values
from paperradar.store.postgres.base import PgRepo
from paperradar.store.postgres.filters import filter_sql, named
from paperradar.store.postgres.rows import (
    PAPER_SELECT,
    PAPER_TYPES,
    row_to_paper,
    row_to_sighting,
    utc,
    without_nul,
)


def _unnest(columns: Sequence[tuple[str, str]]) -> str:
    """``unnest(%b::T[], ...) AS v(name, ...)``: a batch's rows as one array per column
    (binary parameters: the server parses them twice as fast as array literals)."""
    arrays = ", ".join(f"%b::{kind}[]" for _, kind in columns)
    return f"unnest({arrays}) AS v({', '.join(name for name, _ in columns)})"


def _arrays(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows turned into one list per column (the parameters of :func:`_unnest`)."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


#: new papers go in by COPY (twice as fast as an INSERT of arrays): its text input turns the
#: values as :func:`paper_values` gives them (JSON text, ISO dates, 0/1) into the columns' types
_COPY_PAPERS = f"COPY papers (id, ingested, pid, {', '.join(PAPER_COLUMNS)}) FROM STDIN"
_CHANGED_PAPER = (
    ("pid", "text"),
    *((c, kind) for c, (kind, _) in PAPER_TYPES.items()),
    ("id", "bigint"),
)
_UPDATE_PAPER = (
    "UPDATE papers p SET pid = v.pid, "
    + ", ".join(f"{c} = {expr.format(f'v.{c}')}" for c, (_, expr) in PAPER_TYPES.items())
    + f" FROM {_unnest(_CHANGED_PAPER)} WHERE p.id = v.id"
)
_ALIAS = (("alias", "text"), ("paper_id", "bigint"))
_INSERT_ALIAS = (
    f"INSERT INTO aliases (alias, paper_id) SELECT v.alias, v.paper_id FROM {_unnest(_ALIAS)} "
    "ON CONFLICT DO NOTHING"
)
_SIGHTING = (
    ("paper_id", "bigint"),
    ("source", "text"),
    ("locator", "text"),
    ("seen_on", "date"),
    ("seen_on_inferred", "boolean"),
    ("rank", "bigint"),
    ("upvotes", "bigint"),
    ("kind", "text"),
)
_INSERT_SIGHTING = (
    f"INSERT INTO sightings ({', '.join(c for c, _ in _SIGHTING)}, recorded) "
    f"SELECT v.*, %s FROM {_unnest(_SIGHTING)} ON CONFLICT DO NOTHING"
)

#: tables whose rows name a paper, re-pointed when two stored papers turn out to be one,
#: with the columns that, beside ``paper_id``, make a row unique there: a row that would
#: collide with one of the kept paper's stays behind and goes with the dropped paper (as
#: SQLite's ``UPDATE OR IGNORE`` does)
_PAPER_REFERENCES: dict[str, tuple[str, ...]] = {
    "sightings": ("source", "locator", "seen_on", "rank"),
    "profile_papers": ("profile_id",),
    "feedback": (),
    "digest_items": (),
}


def _repoint(table: str, unique: tuple[str, ...]) -> str:
    """``UPDATE`` of ``table``'s rows from paper ``%(drop)s`` to ``%(keep)s``."""
    sql = f"UPDATE {table} r SET paper_id = %(keep)s WHERE r.paper_id = %(drop)s"
    if not unique:
        return sql
    same = " AND ".join(f"o.{c} IS NOT DISTINCT FROM r.{c}" for c in unique)
    return f"{sql} AND NOT EXISTS (SELECT 1 FROM {table} o WHERE o.paper_id = %(keep)s AND {same})"


_REPOINT = [_repoint(table, unique) for table, unique in _PAPER_REFERENCES.items()]

#: the sequence behind papers.id
_SEQUENCE = "pg_get_serial_sequence('papers', 'id')"


def _source_sql(alias: str) -> str:
    """A sighting's reader name mapped to its source (arXiv feeds -> 'arxiv') by the JSON
    object parameter ``%(sources)s``."""
    return f"coalesce(%(sources)s::jsonb ->> {alias}.source, {alias}.source)"


def _window_sql(alias: str, until: dt.date | None) -> str:
    return f"{alias}.seen_on >= %(since)s" + (
        "" if until is None else f" AND {alias}.seen_on <= %(until)s"
    )


def _window_params(
    since: dt.date, until: dt.date | None, source_aliases: Mapping[str, str]
) -> dict[str, object]:
    """The parameters of :func:`_window_sql` and :func:`_source_sql`."""
    return {"since": since, "until": until, "sources": orjson.dumps(dict(source_aliases)).decode()}


def _ids(ids: Iterable[int]) -> list[int]:
    """Row ids as a list of ints (numpy integers too)."""
    return [int(i) for i in ids]


class PgPapers(PgRepo):
    """The PostgreSQL PaperRepo."""

    # -- writing ------------------------------------------------------------------------

    def prepare(self, record: Paper) -> Prepared:
        """The record made ready for :meth:`upsert`; needs no database (any thread)."""
        return Prepared.of(without_nul(record))

    def upsert(
        self,
        records: Sequence[Paper] | Sequence[PreparedPaper],
        report: IngestReport | None = None,
    ) -> IngestReport:
        """Store a batch of records, merging each into the paper it duplicates, if any
        (:class:`~paperradar.store.batch.Batch`: the same rules as SQLite's). Runs in the
        caller's transaction, or in its own; holds the papers lock until it ends."""
        report = report or IngestReport()
        with self._db.transaction(papers=True):
            keyed = [
                r
                if isinstance(r, Prepared)
                else Prepared.of(without_nul(r if isinstance(r, Paper) else r.paper))
                for r in records
            ]
            batch = self._prefetch(keyed)
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            batch.dedupe(keyed, self._last_id() + 1, now, report)
            self._write(batch, now)
        return report

    def _last_id(self) -> int:
        """The largest row id ever given to a paper (deleted ones count: ids never return).
        Writers of papers hold the papers lock, so nobody else hands out ids meanwhile."""
        row = self.conn.execute(
            f"SELECT greatest(coalesce(pg_sequence_last_value({_SEQUENCE}::regclass), 0), "
            "coalesce((SELECT max(id) FROM papers), 0)) AS last"
        ).fetchone()
        assert row is not None
        return int(row["last"])

    def _prefetch(self, keyed: list[Prepared]) -> Batch:
        """Load the stored papers any record of the batch could be a duplicate of."""
        conn = self.conn
        batch = Batch()
        aliases = list({a for k in keyed for a in k.all_aliases()})
        keys = list({k.abstract for k in keyed if k.abstract})
        ids: set[int] = set()
        if aliases:
            for row in conn.execute(
                "SELECT paper_id FROM aliases WHERE alias = ANY(%s)", (aliases,)
            ):
                ids.add(row["paper_id"])
        if keys:
            for row in conn.execute(
                "SELECT id, abstract_key FROM papers WHERE abstract_key = ANY(%s) ORDER BY id",
                (keys,),
            ):
                ids.add(row["id"])
                batch.by_abstract_key.setdefault(row["abstract_key"], []).append(row["id"])
        if not ids:
            return batch
        id_list = list(ids)
        for row in conn.execute(
            f"SELECT {PAPER_SELECT} FROM papers WHERE id = ANY(%s)", (id_list,)
        ):
            paper = row_to_paper(row)
            values = paper_values(paper, row["abstract_key"] or "")[:-2]
            stored = (row["pid"], *values, row["abstract_key"], row["content_hash"])
            batch.add_stored(row["id"], paper, stored)
        for row in conn.execute(
            "SELECT alias, paper_id FROM aliases WHERE paper_id = ANY(%s)", (id_list,)
        ):
            batch.add_alias(row["alias"], row["paper_id"])
        return batch

    def _write(self, batch: Batch, now: dt.datetime) -> None:
        """Write what the batch decided; a statement per kind of change, none when there
        is nothing of that kind (every statement tells the other stores of a change)."""
        conn = self.conn
        for drop, keep in batch.absorbed.items():
            ids = {"keep": keep, "drop": drop}
            conn.execute("UPDATE aliases SET paper_id = %(keep)s WHERE paper_id = %(drop)s", ids)
            for sql in _REPOINT:  # what a user did with the paper follows it
                conn.execute(sql, ids)
            conn.execute("DELETE FROM papers WHERE id = %(drop)s", ids)
        if batch.new_ids:
            with conn.cursor().copy(_COPY_PAPERS) as copy:
                for row in batch.new_rows(now):
                    copy.write_row(row)
            conn.execute(f"SELECT setval({_SEQUENCE}, %s)", (max(batch.new_ids),))
        changed = batch.changed_rows()
        if changed:
            conn.execute(_UPDATE_PAPER, _arrays(changed, len(_CHANGED_PAPER)))
        aliases = list(batch.alias_rows())
        if aliases:
            conn.execute(_INSERT_ALIAS, _arrays(aliases, 2))
        sightings = [
            (i, s.source, s.locator, s.seen_on, s.seen_on_inferred, s.rank, s.upvotes, s.kind)
            for i, s in batch.sightings()
        ]
        if sightings:
            conn.execute(
                _INSERT_SIGHTING,
                [now, *_arrays(sightings, len(_SIGHTING))],
            )

    # -- reading ------------------------------------------------------------------------

    def resolve(self, ref: str) -> int:
        """The row id of a paper given any of its ids (canonical id, alias, arXiv id...)."""
        ref = ref.strip()
        row = self.conn.execute("SELECT id FROM papers WHERE pid = %s", (ref,)).fetchone()
        if row:
            return int(row["id"])
        alias = identifiers.normalise_alias(ref)
        if alias:
            row = self.conn.execute(
                "SELECT paper_id FROM aliases WHERE alias = %s", (alias,)
            ).fetchone()
            if row:
                return int(row["paper_id"])
        raise UsageError(f"no paper with id {ref!r} in the store")

    def get(self, ref: str) -> Paper:
        """A paper with its aliases and sightings, by any of its ids."""
        return self.load([self.resolve(ref)], with_sightings=True)[0]

    def load(self, ids: Sequence[int], with_sightings: bool = False) -> list[Paper]:
        """Papers by row id, in the given order, with aliases (and sightings if asked)."""
        id_list = _ids(ids)
        if not id_list:
            return []
        conn = self.conn
        papers: dict[int, Paper] = {
            row["id"]: row_to_paper(row)
            for row in conn.execute(
                f"SELECT {PAPER_SELECT} FROM papers WHERE id = ANY(%s)", (id_list,)
            )
        }
        for row in conn.execute(
            "SELECT alias, paper_id FROM aliases WHERE paper_id = ANY(%s) ORDER BY alias",
            (id_list,),
        ):
            papers[row["paper_id"]].aliases.append(row["alias"])
        if with_sightings:
            for row in conn.execute(
                "SELECT * FROM sightings WHERE paper_id = ANY(%s) ORDER BY seen_on NULLS FIRST, id",
                (id_list,),
            ):
                papers[row["paper_id"]].sightings.append(row_to_sighting(row))
        return [papers[i] for i in id_list if i in papers]

    def count(self) -> int:
        return self._one("SELECT count(*) AS n FROM papers")

    def max_id(self) -> int:
        return self._one("SELECT coalesce(max(id), 0) AS n FROM papers")

    def _one(self, sql: str) -> int:
        row = self.conn.execute(sql).fetchone()
        assert row is not None
        return int(row["n"])

    def texts(self, ids: Sequence[int]) -> dict[int, PaperText]:
        rows = self.conn.execute(
            "SELECT id, title, abstract, authors, categories FROM papers WHERE id = ANY(%s)",
            (_ids(ids),),
        )
        return {
            int(r["id"]): PaperText(r["title"], r["abstract"], r["authors"], r["categories"])
            for r in rows
        }

    def pids(self, ids: Sequence[int]) -> dict[int, str]:
        rows = self.conn.execute("SELECT id, pid FROM papers WHERE id = ANY(%s)", (_ids(ids),))
        return {int(r["id"]): r["pid"] for r in rows}

    def headings(self, ids: Sequence[int]) -> dict[int, PaperHeading]:
        rows = self.conn.execute(
            "SELECT id, pid, title, substr(abstract, 1, 120) AS start FROM papers "
            "WHERE id = ANY(%s)",
            (_ids(ids),),
        )
        return {
            int(r["id"]): PaperHeading(str(r["pid"]), r["title"] or "", r["start"] or "")
            for r in rows
        }

    def by_alias(self, aliases: Sequence[str]) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT alias, paper_id FROM aliases WHERE alias = ANY(%s)", (list(aliases),)
        )
        return {r["alias"]: int(r["paper_id"]) for r in rows}

    def matching(self, filters: Filters) -> list[int]:
        where, params = filter_sql(filters)
        rows = self.conn.execute(
            f"SELECT p.id FROM papers p WHERE true{where}",
            params,
        )
        return [int(r["id"]) for r in rows]

    def newest_listing(self) -> dt.date | None:
        row = self.conn.execute(
            "SELECT max(listed) AS d FROM papers "
            "WHERE listed IS NOT NULL AND NOT listed_year_inferred"
        ).fetchone()
        assert row is not None
        return row["d"]  # type: ignore[no-any-return]

    def newest_sighting(self) -> dt.date | None:
        row = self.conn.execute("SELECT max(seen_on) AS d FROM sightings").fetchone()
        assert row is not None
        return row["d"]  # type: ignore[no-any-return]

    def listed_by_source(
        self, since: dt.date, until: dt.date | None, source_aliases: Mapping[str, str]
    ) -> dict[str, int]:
        params = _window_params(since, until, source_aliases)
        sql = f"""
            SELECT {_source_sql("s")} COLLATE "C" AS src, count(DISTINCT s.paper_id) AS n
            FROM sightings s WHERE {_window_sql("s", until)}
            GROUP BY src ORDER BY n DESC, src
        """
        return {r["src"]: int(r["n"]) for r in self.conn.execute(sql, params)}

    def trend_evidence(
        self,
        since: dt.date,
        until: dt.date | None,
        category: str | None,
        source_aliases: Mapping[str, str],
    ) -> tuple[list[TrendEvidence], dt.date | None]:
        """Per-paper aggregates of the window's sightings (papers with some evidence only),
        and the newest sighting day in the window (None when no paper has evidence).

        One statement, as SQLite's: the grouping uses only max/min, cheap; only for the
        papers with evidence (upvotes, or their smallest and largest source or day differ)
        are the distinct (source, day) listings collected, through the paper's own sightings
        (index ``sightings_once`` starts with ``paper_id``).
        """
        where, params = named(*filter_sql(Filters(category=category)))
        params.update(_window_params(since, until, source_aliases))
        sql = f"""
        WITH w AS (
            SELECT s.paper_id, {_source_sql("s")} AS src, s.seen_on, s.upvotes
            FROM sightings s WHERE {_window_sql("s", until)}
        ),
        candidates AS (
            SELECT paper_id, max(upvotes) AS upvotes,
                   max(CASE WHEN upvotes > 0 THEN seen_on END) AS voted_on,
                   min(seen_on) AS first_seen, max(seen_on) AS last_seen
            FROM w GROUP BY paper_id
            HAVING max(upvotes) > 0 OR min(src) <> max(src) OR min(seen_on) <> max(seen_on)
        )
        SELECT c.*, l.sources, l.days, l.appearances,
            (SELECT max(n.seen_on) FROM sightings n WHERE {_window_sql("n", until)}) AS newest
        FROM candidates c JOIN papers p ON p.id = c.paper_id
        CROSS JOIN LATERAL (
            SELECT array_agg(DISTINCT x.src) AS sources, count(DISTINCT x.seen_on) AS days,
                   count(DISTINCT (x.src, x.seen_on)) AS appearances
            FROM (SELECT {_source_sql("l")} AS src, l.seen_on FROM sightings l
                  WHERE l.paper_id = c.paper_id AND {_window_sql("l", until)}) x
        ) l
        WHERE true{where}
        """
        rows = self.conn.execute(sql, params).fetchall()
        evidence = [
            TrendEvidence(
                row_id=int(r["paper_id"]),
                upvotes=r["upvotes"],
                voted_on=r["voted_on"],
                sources=sorted(r["sources"]),
                days=int(r["days"]),
                appearances=int(r["appearances"]),
                first_seen=r["first_seen"],
                last_seen=r["last_seen"],
            )
            for r in rows
        ]
        return evidence, (rows[0]["newest"] if rows else None)

    # -- figures ------------------------------------------------------------------------

    def stats(self) -> PaperStats:
        conn = self.conn
        one = conn.execute(
            "SELECT count(*) AS papers, "
            "count(*) FILTER (WHERE abstract <> '') AS with_abstract, "
            "count(*) FILTER (WHERE abstract_truncated) AS truncated, "
            "count(arxiv_id) AS with_arxiv_id, "
            "count(*) FILTER (WHERE title = '') AS without_title, "
            "count(*) FILTER (WHERE withdrawn) AS withdrawn, "
            "min(coalesce(listed, submitted)) AS first_date, "
            "max(coalesce(listed, submitted)) AS last_date, "
            "max(ingested) AS last_ingest, "
            "(SELECT count(*) FROM aliases) AS aliases, "
            "(SELECT count(*) FROM sightings) AS sightings, "
            "(SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'm')"
            ") AS size "
            "FROM papers"
        ).fetchone()
        assert one is not None
        sources = conn.execute(  # ties as SQLite's sorter leaves them: last source first
            "SELECT source, count(*) AS sightings, count(DISTINCT paper_id) AS papers "
            "FROM sightings GROUP BY source ORDER BY papers DESC, source DESC"
        ).fetchall()
        categories = conn.execute(
            "SELECT primary_category AS category, count(*) AS papers FROM papers "
            "WHERE primary_category IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"
        ).fetchall()
        days = conn.execute(
            "SELECT listed AS day, count(*) AS papers FROM papers WHERE listed IS NOT NULL "
            "GROUP BY 1 ORDER BY 1 DESC LIMIT 5"
        ).fetchall()
        return PaperStats(
            size_bytes=int(one["size"]),
            papers=one["papers"],
            with_abstract=one["with_abstract"],
            truncated_abstracts=one["truncated"],
            with_arxiv_id=one["with_arxiv_id"],
            without_title=one["without_title"],
            withdrawn=one["withdrawn"],
            aliases=one["aliases"],
            sightings=one["sightings"],
            first_date=one["first_date"],
            last_date=one["last_date"],
            last_ingest=utc(one["last_ingest"]) if one["last_ingest"] else None,
            sources=[SourceCount(r["source"], r["sightings"], r["papers"]) for r in sources],
            top_categories=[CategoryCount(r["category"], r["papers"]) for r in categories],
            latest_listing_days=[DayCount(r["day"], r["papers"]) for r in days],
        )
