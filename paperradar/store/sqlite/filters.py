"""The search filters (:class:`~paperradar.models.Filters`) as SQLite SQL over ``papers p``:
the shared clauses of :mod:`paperradar.store.filter_clauses`, with ``?`` and ISO-text days."""

from __future__ import annotations

import datetime as dt

from paperradar.store.filter_clauses import Dialect, category_params


def _day(day: dt.date) -> str:
    return "" if day == dt.date.min else day.isoformat()  # "": before every stored day


SQLITE = Dialect(mark="?", day=_day)
#: a row ``c`` of paper_categories in a category or an archive's categories
CATEGORY_MATCH = SQLITE.category_match
filter_sql = SQLITE.filter_sql

__all__ = ["CATEGORY_MATCH", "category_params", "filter_sql"]
