"""Papers, aliases, sightings and categories in SQLite."""

from __future__ import annotations

from paperradar.store.sqlite.base import SqliteRepo


class SqlitePapers(SqliteRepo):
    """The SQLite PaperRepo."""
