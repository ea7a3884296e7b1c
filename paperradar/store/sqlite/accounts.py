"""users, sessions and profile_owners in SQLite."""

from __future__ import annotations

from paperradar.store.sqlite.base import SqliteRepo


class SqliteAccounts(SqliteRepo):
    """The SQLite AccountRepo."""
