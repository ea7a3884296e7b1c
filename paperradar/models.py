"""Typed models shared by every stage: papers and where they were seen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from paperradar import identifiers


@dataclass(slots=True)
class Sighting:
    """One time a source listed a paper: which source and file/URL, when, at what rank."""

    source: str
    locator: str
    seen_on: dt.date | None = None
    seen_on_inferred: bool = False
    rank: int | None = None
    upvotes: int | None = None
    kind: str | None = None  # e.g. the arXiv announce type: new, cross, replace, replace-cross


@dataclass(slots=True)
class Paper:
    """A paper as read from a source or as stored.

    ``id`` is the canonical id and ``aliases`` every id it is known by; both are filled in by
    the store. Readers fill the external ids (``arxiv_id`` without version, ``doi``, ...)
    and the store derives the aliases from them.
    """

    title: str = ""
    abstract: str = ""
    abstract_truncated: bool = False
    authors: list[str] = field(default_factory=list)
    author_count: int | None = None
    categories: list[str] = field(default_factory=list)
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    doi: str | None = None
    s2_id: str | None = None
    hf_id: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    organisation: str | None = None
    upvotes: int | None = None
    comment: str | None = None
    journal_ref: str | None = None
    keywords: list[str] = field(default_factory=list)
    submitted: dt.date | None = None
    submitted_year_inferred: bool = False  # the source printed no year: it was inferred
    updated: dt.date | None = None
    listed: dt.date | None = None  # listed / announced by a source
    listed_year_inferred: bool = False
    ingested: dt.datetime | None = None
    withdrawn: bool = False
    sightings: list[Sighting] = field(default_factory=list)
    id: str | None = None
    aliases: list[str] = field(default_factory=list)

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def n_authors(self) -> int | None:
        """Number of authors: the list's length, or the count a listing gave."""
        return len(self.authors) if self.authors else self.author_count

    def external_aliases(self) -> list[str]:
        """Aliases from the paper's own ids (not the content id)."""
        out = []
        if self.arxiv_id:
            out.append(f"arxiv:{self.arxiv_id}")
        if self.doi:
            out.append(f"doi:{self.doi.lower()}")
        if self.s2_id:
            out.append(f"s2:{self.s2_id}")
        if self.hf_id:
            out.append(f"hf:{self.hf_id}")
        return out

    def derived_aliases(self) -> list[str]:
        """External aliases plus the content id: what the store files this paper under."""
        out = self.external_aliases()
        cid = identifiers.content_id(self.title, self.abstract)
        if cid:
            out.append(cid)
        return out


@dataclass(slots=True)
class IngestReport:
    """What one ingest did: records read, papers new and merged, records skipped."""

    read: int = 0
    new: int = 0
    merged: int = 0
    skipped: int = 0
    bad: list[str] = field(default_factory=list)
