"""The columns of the ``papers`` table written from a :class:`Paper`, and a paper's values for
them, as both backends take them: JSON as text, dates as ISO text, flags as 0/1 (SQLite stores
them as they are; PostgreSQL casts them to JSONB, DATE and BOOLEAN in its statements)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from paperradar.identifiers import abstract_key, content_hash
from paperradar.models import Paper

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
