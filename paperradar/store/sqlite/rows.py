"""Papers from rows of the ``papers`` and ``sightings`` tables (the values written are
:mod:`paperradar.store.columns`'s)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import orjson

from paperradar.models import Paper, Sighting
from paperradar.store.columns import PAPER_COLUMNS as PAPER_COLUMNS  # re-exported
from paperradar.store.columns import paper_values as paper_values  # re-exported


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def row_to_paper(row: sqlite3.Row) -> Paper:
    """A Paper from a ``papers`` row (aliases and sightings are loaded separately)."""
    return Paper(
        id=row["pid"],
        title=row["title"],
        abstract=row["abstract"],
        abstract_truncated=bool(row["abstract_truncated"]),
        authors=orjson.loads(row["authors"]),
        author_count=row["author_count"],
        categories=orjson.loads(row["categories"]),
        arxiv_id=row["arxiv_id"],
        arxiv_version=row["arxiv_version"],
        doi=row["doi"],
        s2_id=row["s2_id"],
        hf_id=row["hf_id"],
        links=orjson.loads(row["links"]),
        organisation=row["organisation"],
        upvotes=row["upvotes"],
        comment=row["comment"],
        journal_ref=row["journal_ref"],
        keywords=orjson.loads(row["keywords"]),
        submitted=_date(row["submitted"]),
        submitted_year_inferred=bool(row["submitted_year_inferred"]),
        updated=_date(row["updated"]),
        listed=_date(row["listed"]),
        listed_year_inferred=bool(row["listed_year_inferred"]),
        ingested=dt.datetime.fromisoformat(row["ingested"]),
        withdrawn=bool(row["withdrawn"]),
    )


def row_to_sighting(row: sqlite3.Row) -> Sighting:
    return Sighting(
        source=row["source"],
        locator=row["locator"],
        seen_on=_date(row["seen_on"]),
        seen_on_inferred=bool(row["seen_on_inferred"]),
        rank=row["rank"],
        upvotes=row["upvotes"],
        kind=row["kind"],
    )
