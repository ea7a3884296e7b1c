"""Figures about a store: how many papers, from where, of which kind and when."""

from __future__ import annotations

import os
from typing import Any

from paperradar.store import Store


def store_stats(store: Store) -> dict[str, Any]:
    """A JSON-ready summary of the store."""
    one = store.query(
        "SELECT count(*) AS papers, "
        "sum(abstract != '') AS with_abstract, "
        "sum(abstract_truncated) AS truncated, "
        "sum(arxiv_id IS NOT NULL) AS with_arxiv_id, "
        "sum(title = '') AS without_title, "
        "sum(withdrawn) AS withdrawn, "
        "min(coalesce(listed, submitted)) AS first_date, "
        "max(coalesce(listed, submitted)) AS last_date, "
        "max(ingested) AS last_ingest "
        "FROM papers"
    )[0]
    sources = store.query(
        "SELECT source, count(*) AS sightings, count(DISTINCT paper_id) AS papers "
        "FROM sightings GROUP BY source ORDER BY papers DESC"
    )
    categories = store.query(
        "SELECT primary_category AS category, count(*) AS papers FROM papers "
        "WHERE primary_category IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"
    )
    days = store.query(
        "SELECT listed AS day, count(*) AS papers FROM papers WHERE listed IS NOT NULL "
        "GROUP BY 1 ORDER BY 1 DESC LIMIT 5"
    )
    size = sum(
        os.path.getsize(p)
        for p in (store.path, store.path.with_name(store.path.name + "-wal"))
        if p.exists()
    )
    return {
        "store": str(store.path),
        "size_bytes": size,
        "papers": one["papers"],
        "with_abstract": one["with_abstract"] or 0,
        "truncated_abstracts": one["truncated"] or 0,
        "with_arxiv_id": one["with_arxiv_id"] or 0,
        "without_title": one["without_title"] or 0,
        "withdrawn": one["withdrawn"] or 0,
        "aliases": store.query("SELECT count(*) AS n FROM aliases")[0]["n"],
        "sightings": store.query("SELECT count(*) AS n FROM sightings")[0]["n"],
        "first_date": one["first_date"],
        "last_date": one["last_date"],
        "last_ingest": one["last_ingest"],
        "sources": [dict(r) for r in sources],
        "top_categories": [dict(r) for r in categories],
        "latest_listing_days": [dict(r) for r in days],
    }
