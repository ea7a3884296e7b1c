"""The SQLite store (see docs/storage.md)."""

from paperradar.store.store import DB_NAME, Store

__all__ = ["DB_NAME", "Store"]
