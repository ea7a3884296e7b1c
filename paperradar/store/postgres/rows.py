"""Papers from PostgreSQL rows of ``papers`` and ``sightings`` (rows as dicts), equal to what
the SQLite store returns for the same data; and the column list the papers repository writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from paperradar.models import Paper, Sighting
from paperradar.store.columns import PAPER_COLUMNS

#: the columns a Paper is read from (not ``SELECT *``: other tables' helpers add columns)
PAPER_SELECT = ", ".join(("id", "pid", "ingested", *PAPER_COLUMNS))

#: each written column's type in PostgreSQL, as :func:`~paperradar.store.columns.paper_values`
#: gives it (JSON and dates as text, flags as 0/1), and the expression that converts it
#: (``{}``: the value)
PAPER_TYPES: dict[str, tuple[str, str]] = {
    "title": ("text", "{}"),
    "abstract": ("text", "{}"),
    "abstract_truncated": ("int", "{}::boolean"),
    "authors": ("text", "{}::jsonb"),
    "author_count": ("bigint", "{}"),
    "categories": ("text", "{}::jsonb"),
    "primary_category": ("text", "{}"),
    "arxiv_id": ("text", "{}"),
    "arxiv_version": ("bigint", "{}"),
    "doi": ("text", "{}"),
    "s2_id": ("text", "{}"),
    "hf_id": ("text", "{}"),
    "links": ("text", "{}::json"),
    "organisation": ("text", "{}"),
    "upvotes": ("bigint", "{}"),
    "comment": ("text", "{}"),
    "journal_ref": ("text", "{}"),
    "keywords": ("text", "{}::jsonb"),
    "submitted": ("text", "{}::date"),
    "submitted_year_inferred": ("int", "{}::boolean"),
    "updated": ("text", "{}::date"),
    "listed": ("text", "{}::date"),
    "listed_year_inferred": ("int", "{}::boolean"),
    "withdrawn": ("int", "{}::boolean"),
    "abstract_key": ("text", "{}"),
    "content_hash": ("text", "{}"),
}
assert tuple(PAPER_TYPES) == PAPER_COLUMNS


def utc(value: dt.datetime) -> dt.datetime:
    """A TIMESTAMPTZ as the SQLite store returns it: in UTC."""
    return value.astimezone(dt.UTC)


def row_to_paper(row: Mapping[str, Any]) -> Paper:
    """A Paper from a ``papers`` row selected with :data:`PAPER_SELECT` (aliases and
    sightings are loaded separately)."""
    return Paper(
        id=row["pid"],
        title=row["title"],
        abstract=row["abstract"],
        abstract_truncated=row["abstract_truncated"],
        authors=row["authors"],
        author_count=row["author_count"],
        categories=row["categories"],
        arxiv_id=row["arxiv_id"],
        arxiv_version=row["arxiv_version"],
        doi=row["doi"],
        s2_id=row["s2_id"],
        hf_id=row["hf_id"],
        links=row["links"],
        organisation=row["organisation"],
        upvotes=row["upvotes"],
        comment=row["comment"],
        journal_ref=row["journal_ref"],
        keywords=row["keywords"],
        submitted=row["submitted"],
        submitted_year_inferred=row["submitted_year_inferred"],
        updated=row["updated"],
        listed=row["listed"],
        listed_year_inferred=row["listed_year_inferred"],
        ingested=utc(row["ingested"]),
        withdrawn=row["withdrawn"],
    )


def row_to_sighting(row: Mapping[str, Any]) -> Sighting:
    return Sighting(
        source=row["source"],
        locator=row["locator"],
        seen_on=row["seen_on"],
        seen_on_inferred=row["seen_on_inferred"],
        rank=row["rank"],
        upvotes=row["upvotes"],
        kind=row["kind"],
    )


def _clean(text: str) -> str:
    return text.replace("\x00", "") if isinstance(text, str) else text


def _clean_list(values: list[str]) -> list[str]:
    return [_clean(v) for v in values]


def without_nul(paper: Paper) -> Paper:
    """``paper`` with the NUL characters taken out of its text: PostgreSQL's text cannot
    hold them (SQLite's can), and a record with one is stored without them rather than
    failing its whole ingest. Changes the record in place, and only when it has one."""
    texts = [
        paper.title,
        paper.abstract,
        *paper.authors,
        *paper.categories,
        *paper.keywords,
        *paper.links,
        *paper.links.values(),
        *(s.source + s.locator + (s.kind or "") for s in paper.sightings),
    ]
    optional = ("arxiv_id", "doi", "s2_id", "hf_id", "organisation", "comment", "journal_ref")
    if not any(isinstance(t, str) and "\x00" in t for t in texts) and not any(
        "\x00" in str(getattr(paper, name) or "") for name in optional
    ):
        return paper
    paper.title, paper.abstract = _clean(paper.title), _clean(paper.abstract)
    paper.authors = _clean_list(paper.authors)
    paper.categories = _clean_list(paper.categories)
    paper.keywords = _clean_list(paper.keywords)
    paper.links = {_clean(k): _clean(v) for k, v in paper.links.items()}
    for name in optional:
        value = getattr(paper, name)
        if value is not None:
            setattr(paper, name, _clean(value))
    for s in paper.sightings:
        s.source, s.locator = _clean(s.source), _clean(s.locator)
        s.kind = _clean(s.kind) if s.kind is not None else None
    return paper
