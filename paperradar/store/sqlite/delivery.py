"""The outbox and the subscriptions in SQLite."""

from __future__ import annotations

from paperradar.store.sqlite.base import SqliteRepo


class SqliteDelivery(SqliteRepo):
    """The SQLite DeliveryRepo."""
