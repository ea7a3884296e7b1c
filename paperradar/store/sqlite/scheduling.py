"""source_state and schedule_runs in SQLite."""

from __future__ import annotations

from paperradar.store.sqlite.base import SqliteRepo


class SqliteScheduling(SqliteRepo):
    """The SQLite SchedulingRepo."""
