"""Deduplicating a batch of records against the stored papers, the same on every backend.

A backend prepares records (:class:`Prepared`, off the writer's thread), loads into a
:class:`Batch` the stored papers any record could duplicate (their rows, aliases and abstract
keys), lets :meth:`Batch.dedupe` match, merge and claim in memory, then writes what the batch
says: new papers, changed ones, papers absorbed into others, new aliases, sightings. The
rules themselves (which records are one paper, how they merge) are :mod:`.dedup`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from paperradar import identifiers
from paperradar.models import IngestReport, Paper, Sighting
from paperradar.store.columns import paper_values
from paperradar.store.dedup import compatible, merge_into, same_abstract


@dataclass(slots=True)
class Prepared:
    """A record ready for a papers repository's ``upsert``: what it can be matched by (its
    ids, content id and abstract key) and its column values (:func:`paper_values`).
    Preparing needs no database, so a reader thread can do it while the writer stores the
    previous batch."""

    paper: Paper
    external: list[str]
    content_id: str | None
    abstract: str | None
    values: tuple[Any, ...]

    @classmethod
    def of(cls, record: Paper) -> Prepared:
        key = identifiers.abstract_key(record.abstract) if record.abstract else None
        return cls(
            record,
            record.external_aliases(),
            identifiers.content_id(record.title, record.abstract),
            key,
            paper_values(record, key),
        )

    def all_aliases(self) -> list[str]:
        return [*self.external, self.content_id] if self.content_id else self.external


@dataclass
class Batch:
    """Working state while one batch of records is matched and merged in memory. Row ids
    are the stored papers' and, for new papers, the ones :meth:`dedupe` hands out."""

    papers: dict[int, Paper] = field(default_factory=dict)  # row id -> paper
    owned: dict[int, set[str]] = field(default_factory=dict)  # row id -> its aliases
    alias_owner: dict[str, int] = field(default_factory=dict)
    by_abstract_key: dict[str, list[int]] = field(default_factory=dict)
    new_aliases: dict[int, set[str]] = field(default_factory=dict)
    new_ids: list[int] = field(default_factory=list)
    dirty: set[int] = field(default_factory=set)
    absorbed: dict[int, int] = field(default_factory=dict)  # dropped row id -> kept row id
    stored: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # pid, values as loaded
    fresh: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # new, values as prepared

    # -- loading the candidates ---------------------------------------------------------------

    def add_stored(self, row_id: int, paper: Paper, stored: tuple[Any, ...]) -> None:
        """A stored paper (``stored``: its pid and :func:`paper_values` as in the store)."""
        self.papers[row_id] = paper
        self.owned[row_id] = set()
        self.stored[row_id] = stored

    def add_alias(self, alias: str, row_id: int) -> None:
        """An alias of a stored paper added with :meth:`add_stored`."""
        self.owned[row_id].add(alias)
        self.alias_owner[alias] = row_id

    # -- deciding -----------------------------------------------------------------------------

    def dedupe(
        self, keyed: list[Prepared], next_id: int, ingested: dt.datetime, report: IngestReport
    ) -> None:
        """Match each record to the paper it duplicates and merge it in, or make it a new
        paper (row ids from ``next_id`` on, first ingested at ``ingested``); counts into
        ``report``."""
        for keys in keyed:
            record = keys.paper
            target = self._match(record, keys)
            if target is None:
                if record.withdrawn and not (record.title or record.abstract):
                    report.skipped += 1  # a deletion of a paper we never had
                    continue
                target, next_id = next_id, next_id + 1
                self.papers[target] = record
                self.owned[target] = set()
                self.new_ids.append(target)
                self.fresh[target] = keys.values
                record.ingested = ingested
                report.new += 1
            else:
                merge_into(self.papers[target], record)
                self.dirty.add(target)
                self.fresh.pop(target, None)
                report.merged += 1
            self._claim(target, keys)

    def _match(self, record: Paper, keys: Prepared) -> int | None:
        """The row id of the paper this record duplicates, or None for a new paper."""
        strong: list[int] = []
        for alias in keys.external:
            owner = self.alias_owner.get(alias)
            if owner is not None and owner not in strong and compatible(self.papers[owner], record):
                strong.append(owner)
        if strong:
            keep = strong[0]
            for other in strong[1:]:
                if compatible(self.papers[keep], self.papers[other]):
                    self._absorb(keep, other)
            return keep
        owner = self.alias_owner.get(keys.content_id) if keys.content_id else None
        if owner is not None and compatible(self.papers[owner], record):
            return owner
        for candidate in self.by_abstract_key.get(keys.abstract, []) if keys.abstract else []:
            paper = self.papers[candidate]
            if compatible(paper, record) and same_abstract(paper, record):
                return candidate
        return None

    def _claim(self, target: int, keys: Prepared) -> None:
        """Give the paper the record's aliases that no other paper owns yet."""
        for alias in keys.all_aliases():
            if alias not in self.alias_owner:
                self.alias_owner[alias] = target
                self.owned[target].add(alias)
                self.new_aliases.setdefault(target, set()).add(alias)
        key = keys.abstract
        if key and target not in self.by_abstract_key.setdefault(key, []):
            self.by_abstract_key[key].append(target)

    def _absorb(self, keep: int, drop: int) -> None:
        """Two stored papers turn out to be one: fold ``drop`` into ``keep``."""
        merge_into(self.papers[keep], self.papers.pop(drop))
        self.fresh.pop(keep, None)
        self.fresh.pop(drop, None)
        for alias in self.owned.pop(drop):
            self.alias_owner[alias] = keep
            self.owned[keep].add(alias)
        self.new_aliases.setdefault(keep, set()).update(self.new_aliases.pop(drop, set()))
        for ids in self.by_abstract_key.values():
            if drop in ids:
                ids[ids.index(drop)] = keep
        if drop in self.new_ids:
            self.new_ids.remove(drop)
        else:
            self.absorbed[drop] = keep
        self.dirty.discard(drop)
        self.dirty.add(keep)

    # -- the outcome --------------------------------------------------------------------------

    def new_rows(self, ingested: object) -> Iterator[tuple[Any, ...]]:
        """``(row id, ingested, pid, *values)`` of each new paper, in row id order."""
        return ((i, ingested, self.pid(i), *self.values(i)) for i in self.new_ids)

    def changed_rows(self) -> list[tuple[Any, ...]]:
        """``(pid, *values, row id)`` of each stored paper whose row the batch changed."""
        new = set(self.new_ids)
        changed = ((i, (self.pid(i), *paper_values(self.papers[i]))) for i in self.dirty - new)
        return [(*values, i) for i, values in changed if values != self.stored[i]]

    def alias_rows(self) -> Iterator[tuple[str, int]]:
        """``(alias, row id)`` of the aliases the batch gave papers."""
        return ((a, i) for i, aliases in self.new_aliases.items() for a in aliases)

    def sightings(self) -> Iterator[tuple[int, Sighting]]:
        """``(row id, sighting)`` of the new and merged papers (stored ones repeat: the
        store keeps each sighting once)."""
        new = set(self.new_ids)
        return (
            (i, s)
            for i in self.new_ids + sorted(self.dirty - new)
            for s in self.papers[i].sightings
        )

    def values(self, row_id: int) -> tuple[Any, ...]:
        fresh = self.fresh.get(row_id)
        return fresh if fresh is not None else paper_values(self.papers[row_id])

    def pid(self, row_id: int) -> str:
        """The canonical id: the best-ranked alias; a stored id stays unless a better scheme
        (say arXiv over a content id) has arrived."""
        owned = self.owned.get(row_id)
        if not owned:
            return f"row:{row_id}"
        best = identifiers.canonical_of(owned)
        stored = self.stored.get(row_id)
        current = stored[0] if stored else None
        if current in owned and identifiers.alias_scheme(current) == identifiers.alias_scheme(best):
            return str(current)
        return best
