"""Papers to and from rows of the ``papers`` table."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import orjson

from paperradar.identifiers import abstract_key, content_hash
from paperradar.models import Paper, Sighting

#: Columns written from a Paper, in the order of :func:`paper_values`.
PAPER_COLUMNS = (
    "title",
    "abstract",
    "abstract_truncated",
    "authors",
    "author_count",
    "categories",
    "primary_category",
    "arxiv_id",
    "arxiv_version",
    "doi",
    "s2_id",
    "hf_id",
    "links",
    "organisation",
    "upvotes",
    "comment",
    "journal_ref",
    "keywords",
    "submitted",
    "submitted_year_inferred",
    "updated",
    "listed",
    "listed_year_inferred",
    "withdrawn",
    "abstract_key",
    "content_hash",
)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _json(value: object) -> str:
    return orjson.dumps(value).decode()


def paper_values(paper: Paper, key: str | None = None) -> tuple[Any, ...]:
    """The values of :data:`PAPER_COLUMNS` for a paper (``key``: its abstract key if known)."""
    if key is None and paper.abstract:
        key = abstract_key(paper.abstract)
    return (
        paper.title,
        paper.abstract,
        int(paper.abstract_truncated),
        _json(paper.authors),
        paper.author_count,
        _json(paper.categories),
        paper.primary_category,
        paper.arxiv_id,
        paper.arxiv_version,
        paper.doi,
        paper.s2_id,
        paper.hf_id,
        _json(paper.links),
        paper.organisation,
        paper.upvotes,
        paper.comment,
        paper.journal_ref,
        _json(paper.keywords),
        _iso(paper.submitted),
        int(paper.submitted_year_inferred),
        _iso(paper.updated),
        _iso(paper.listed),
        int(paper.listed_year_inferred),
        int(paper.withdrawn),
        key,
        content_hash(paper.title, paper.abstract),
    )


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
