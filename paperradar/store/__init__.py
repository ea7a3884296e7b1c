"""The store: the only package that speaks SQL (see docs/architecture.md, docs/storage.md).

:func:`open_store` opens the store of a paperradar home; :class:`~paperradar.store.api.Store`
is the protocol every backend implements. The embedded default is SQLite
(:class:`~paperradar.store.sqlite.store.SqliteStore`, one file in the home).
"""

from __future__ import annotations

from pathlib import Path

from paperradar.store.sqlite.store import DB_NAME, Prepared, SqliteStore, Store


def open_store(home: Path) -> SqliteStore:
    """The store of the paperradar home ``home`` (created and migrated on first use)."""
    return SqliteStore.open(home)


__all__ = ["DB_NAME", "Prepared", "SqliteStore", "Store", "open_store"]
