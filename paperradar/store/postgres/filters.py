"""The search filters (:class:`~paperradar.models.Filters`) as PostgreSQL over ``papers p``
(``%s`` placeholders), as :mod:`paperradar.store.sqlite.filters` does for SQLite."""

from __future__ import annotations

import datetime as dt

from paperradar.models import Filters
from paperradar.store.sqlite.filters import category_params

#: a row ``c`` of paper_categories in a category, or in an archive's categories ("cs" covers
#: "cs.CL"): an index range over the column's "C" collation, not a LIKE
CATEGORY_MATCH = "(c.category = %s OR (c.category > %s AND c.category < %s))"

__all__ = ["CATEGORY_MATCH", "category_params", "filter_sql"]


def filter_sql(filters: Filters) -> tuple[str, list[object]]:
    """`` AND ...`` clauses over ``papers p`` for ``filters``, and their parameters."""
    clauses: list[str] = []
    params: list[object] = []
    if filters.since or filters.until:
        # coalesce(listed, submitted) in range, written so each side can use its index
        low = filters.since or dt.date.min
        high = filters.until or dt.date(9999, 12, 31)
        clauses.append(
            "(p.listed BETWEEN %s AND %s OR (p.listed IS NULL AND p.submitted BETWEEN %s AND %s))"
        )
        params.extend([low, high, low, high])
    if filters.category:
        clauses.append(
            "EXISTS (SELECT 1 FROM paper_categories c WHERE c.paper_id = p.id AND "
            f"{CATEGORY_MATCH})"
        )
        params.extend(category_params(filters.category))
    if filters.source:
        clauses.append(
            "EXISTS (SELECT 1 FROM sightings s WHERE s.paper_id = p.id AND s.source = %s)"
        )
        params.append(filters.source)
    return "".join(f" AND {c}" for c in clauses), params


def named(where: str, params: list[object], prefix: str = "f") -> tuple[str, dict[str, object]]:
    """:func:`filter_sql`'s clauses and parameters with named placeholders (``%(f0)s``...),
    to join a statement whose other parameters are named."""
    parts = where.split("%s")
    names = [f"{prefix}{i}" for i in range(len(parts) - 1)]
    text = parts[0] + "".join(
        f"%({name})s{part}" for name, part in zip(names, parts[1:], strict=True)
    )
    return text, dict(zip(names, params, strict=True))
