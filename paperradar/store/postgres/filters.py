"""The search filters (:class:`~paperradar.models.Filters`) as PostgreSQL over ``papers p``:
the shared clauses of :mod:`paperradar.store.filter_clauses`, with ``%s`` marks and dates."""

from __future__ import annotations

import datetime as dt

from paperradar.store.filter_clauses import Dialect, category_params


def _day(day: dt.date) -> dt.date:
    return day


POSTGRES = Dialect(mark="%s", day=_day)
#: a row ``c`` of paper_categories in a category or an archive's categories (an index range
#: over the column's "C" collation)
CATEGORY_MATCH = POSTGRES.category_match
filter_sql = POSTGRES.filter_sql

__all__ = ["CATEGORY_MATCH", "category_params", "filter_sql", "named"]


def named(where: str, params: list[object], prefix: str = "f") -> tuple[str, dict[str, object]]:
    """:func:`filter_sql`'s clauses and parameters with named marks (``%(f0)s``, ``%(f1)s``
    and so on), to join a statement whose other parameters are named."""
    parts = where.split("%s")
    names = [f"{prefix}{i}" for i in range(len(parts) - 1)]
    text = parts[0] + "".join(
        f"%({name})s{part}" for name, part in zip(names, parts[1:], strict=True)
    )
    return text, dict(zip(names, params, strict=True))
