"""The search filters (:class:`~paperradar.models.Filters`) as SQL over ``papers p``."""

from __future__ import annotations

from paperradar.models import Filters

#: a row ``c`` of paper_categories in a category, or in an archive's categories ("cs" covers
#: "cs.CL"): an index range, not a LIKE
CATEGORY_MATCH = "(c.category = ? OR (c.category > ? AND c.category < ?))"


def category_params(category: str) -> list[object]:
    """The parameters of :data:`CATEGORY_MATCH` for a category or archive name."""
    name = category.strip().lower()
    return [name, name + ".", name + "/"]  # "/" sorts right after "."


def filter_sql(filters: Filters) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if filters.since or filters.until:
        # coalesce(listed, submitted) in range, written so each side can use its index
        low = filters.since.isoformat() if filters.since else ""
        high = filters.until.isoformat() if filters.until else "9999-12-31"
        clauses.append(
            "(p.listed BETWEEN ? AND ? OR (p.listed IS NULL AND p.submitted BETWEEN ? AND ?))"
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
            "EXISTS (SELECT 1 FROM sightings s WHERE s.paper_id = p.id AND s.source = ?)"
        )
        params.append(filters.source)
    return "".join(f" AND {c}" for c in clauses), params
