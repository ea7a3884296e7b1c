"""The SQLite backend of the store: one file in WAL mode (see docs/storage.md)."""
