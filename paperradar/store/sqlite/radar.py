"""Profiles, profile papers, rules, feedback, digests and digest items in SQLite."""

from __future__ import annotations

from paperradar.store.sqlite.base import SqliteRepo


class SqliteRadar(SqliteRepo):
    """The SQLite RadarRepo."""
