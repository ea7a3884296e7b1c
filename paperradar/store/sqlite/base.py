"""What every SQLite repository shares: the store it belongs to and this thread's connection."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paperradar.store.sqlite.store import SqliteStore


class SqliteRepo:
    """A repository over one :class:`SqliteStore`; its SQL runs on the calling thread's
    connection, inside the caller's transaction when there is one."""

    def __init__(self, db: SqliteStore) -> None:
        self._db = db

    @property
    def conn(self) -> sqlite3.Connection:
        return self._db.conn
