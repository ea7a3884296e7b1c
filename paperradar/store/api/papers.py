"""Papers, their aliases, sightings and categories: upsert with dedup, loads, lookups,
windows, filters, trend evidence, figures."""

from __future__ import annotations

from typing import Protocol


class PaperRepo(Protocol):
    """Papers, their aliases, sightings and categories: upsert with dedup, loads, lookups,"""
