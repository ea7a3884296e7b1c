"""The SQLite store (see docs/storage.md)."""

from paperradar.store.sqlite.store import DB_NAME, Prepared, Store

__all__ = ["DB_NAME", "Prepared", "Store"]
