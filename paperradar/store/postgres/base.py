"""What every PostgreSQL repository shares: the store it belongs to and this thread's
connection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import psycopg

if TYPE_CHECKING:
    from paperradar.store.postgres.store import PgStore


class PgRepo:
    """A repository over one :class:`PgStore`; its SQL runs on the calling thread's
    connection (autocommit, rows as dicts), inside the caller's transaction when there is
    one (``with self._db.transaction():`` joins it, else begins one)."""

    def __init__(self, db: PgStore) -> None:
        self._db = db

    @property
    def conn(self) -> psycopg.Connection[dict[str, Any]]:
        return self._db.conn
