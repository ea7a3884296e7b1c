"""Figures about a store: how many papers, from where, of which kind and when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from paperradar.store.api import Store


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def store_stats(store: Store) -> dict[str, Any]:
    """A JSON-ready summary of the store."""
    figures = store.papers.stats()
    return {
        "store": store.describe(),
        "size_bytes": figures.size_bytes,
        "papers": figures.papers,
        "with_abstract": figures.with_abstract,
        "truncated_abstracts": figures.truncated_abstracts,
        "with_arxiv_id": figures.with_arxiv_id,
        "without_title": figures.without_title,
        "withdrawn": figures.withdrawn,
        "aliases": figures.aliases,
        "sightings": figures.sightings,
        "first_date": _iso(figures.first_date),
        "last_date": _iso(figures.last_date),
        "last_ingest": _iso(figures.last_ingest),
        "sources": [
            {"source": s.source, "sightings": s.sightings, "papers": s.papers}
            for s in figures.sources
        ],
        "top_categories": [
            {"category": c.category, "papers": c.papers} for c in figures.top_categories
        ],
        "latest_listing_days": [
            {"day": d.day.isoformat(), "papers": d.papers} for d in figures.latest_listing_days
        ],
    }
