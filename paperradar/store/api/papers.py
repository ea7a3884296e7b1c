"""Papers, their aliases, sightings and categories: upsert with dedup, loads, lookups,
windows, filters, trend evidence, figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from paperradar.models import Filters, IngestReport, Paper


class PreparedPaper(Protocol):
    """A record made ready for :meth:`PaperRepo.upsert` by :meth:`PaperRepo.prepare` (ids,
    keys and column values computed off the writer's thread)."""

    @property
    def paper(self) -> Paper:
        """The record itself."""
        ...


@dataclass(frozen=True, slots=True)
class PaperText:
    """What a paper says, for ranking: title, abstract, authors and categories."""

    title: str
    abstract: str
    authors: list[str]
    categories: list[str]


@dataclass(frozen=True, slots=True)
class PaperHeading:
    """How a paper is labelled in a list: its canonical id, title and its abstract's first
    120 characters."""

    pid: str
    title: str
    start: str


@dataclass(frozen=True, slots=True)
class TrendEvidence:
    """One paper's sightings over a window, aggregated: the most upvotes any sighting showed
    and the newest day with upvotes, its sources (sorted, aliases applied), distinct days,
    distinct (source, day) listings, and its first and last sighting days in the window."""

    row_id: int
    upvotes: int | None
    voted_on: dt.date | None
    sources: list[str]
    days: int
    appearances: int
    first_seen: dt.date
    last_seen: dt.date


@dataclass(frozen=True, slots=True)
class SourceCount:
    """Sightings and distinct papers of one source."""

    source: str
    sightings: int
    papers: int


@dataclass(frozen=True, slots=True)
class CategoryCount:
    """Papers whose primary category is ``category``."""

    category: str
    papers: int


@dataclass(frozen=True, slots=True)
class DayCount:
    """Papers listed on ``day``."""

    day: dt.date
    papers: int


@dataclass(frozen=True, slots=True)
class PaperStats:
    """Figures about the stored papers (see :func:`paperradar.store.stats.store_stats`).

    ``size_bytes`` is the store's size on disk; the dates are over ``listed`` (else
    ``submitted``); ``sources`` most papers first, ``top_categories`` the ten largest
    primary categories, ``latest_listing_days`` the five newest listing days.
    """

    size_bytes: int
    papers: int
    with_abstract: int
    truncated_abstracts: int
    with_arxiv_id: int
    without_title: int
    withdrawn: int
    aliases: int
    sightings: int
    first_date: dt.date | None
    last_date: dt.date | None
    last_ingest: dt.datetime | None
    sources: list[SourceCount]
    top_categories: list[CategoryCount]
    latest_listing_days: list[DayCount]


class PaperRepo(Protocol):
    """Papers, their aliases, sightings and categories: upsert with dedup, loads, lookups,
    windows, filters, trend evidence, figures."""

    def prepare(self, record: Paper) -> PreparedPaper:
        """The record made ready for :meth:`upsert`; needs no database (any thread)."""
        ...

    def upsert(
        self,
        records: Sequence[Paper] | Sequence[PreparedPaper],
        report: IngestReport | None = None,
    ) -> IngestReport:
        """Store records, merging each into the paper it duplicates; counts into ``report``."""
        ...

    def resolve(self, ref: str) -> int:
        """The row id of the paper with id or alias ``ref``; UsageError when there is none."""
        ...

    def get(self, ref: str) -> Paper:
        """The paper with id or alias ``ref``, with its aliases and sightings."""
        ...

    def load(self, ids: Sequence[int], with_sightings: bool = False) -> list[Paper]:
        """Papers by row id, in the given order (unknown ids left out), with aliases."""
        ...

    def count(self) -> int:
        """How many papers are stored."""
        ...

    def max_id(self) -> int:
        """The largest row id of a stored paper (0 when there is none)."""
        ...

    def texts(self, ids: Sequence[int]) -> dict[int, PaperText]:
        """Row id -> title, abstract, authors and categories (unknown ids left out)."""
        ...

    def pids(self, ids: Sequence[int]) -> dict[int, str]:
        """Row id -> canonical id (unknown ids left out)."""
        ...

    def headings(self, ids: Sequence[int]) -> dict[int, PaperHeading]:
        """Row id -> canonical id, title and abstract start (unknown ids left out)."""
        ...

    def by_alias(self, aliases: Sequence[str]) -> dict[str, int]:
        """Alias -> row id, for the aliases that name a stored paper."""
        ...

    def matching(self, filters: Filters) -> list[int]:
        """Row ids of the papers that pass ``filters`` (in no particular order)."""
        ...

    def newest_listing(self) -> dt.date | None:
        """The newest listing date printed in full (not one with an inferred year)."""
        ...

    def newest_sighting(self) -> dt.date | None:
        """The newest day any source listed a paper."""
        ...

    def trend_evidence(
        self,
        since: dt.date,
        until: dt.date | None,
        category: str | None,
        source_aliases: Mapping[str, str],
    ) -> tuple[list[TrendEvidence], dt.date | None]:
        """The papers with evidence (upvotes, several sources or days) among the sightings
        of ``since``..``until`` (sources renamed by ``source_aliases``), in category
        ``category`` if given, and the newest sighting day of the window (None: no papers)."""
        ...

    def listed_by_source(
        self, since: dt.date, until: dt.date | None, source_aliases: Mapping[str, str]
    ) -> dict[str, int]:
        """Distinct papers with a sighting in ``since``..``until``, per source (renamed by
        ``source_aliases``), most first."""
        ...

    def stats(self) -> PaperStats:
        """Figures about the stored papers, aliases and sightings."""
        ...
