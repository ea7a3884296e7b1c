"""The search filters (:class:`~paperradar.models.Filters`) as ``AND`` clauses over
``papers p``, the same on every backend: each backend says how its driver marks a parameter
and how it stores a day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from paperradar.models import Filters


def category_params(category: str) -> list[object]:
    """The parameters of a category match for a category or archive name ("cs" covers
    "cs.CL"): the name itself, then the bounds of its sub-categories."""
    name = category.strip().lower()
    return [name, name + ".", name + "/"]  # "/" sorts right after "."


@dataclass(frozen=True, slots=True)
class Dialect:
    """How a backend writes a parameter (``?``, ``%s``) and a day (ISO text, a date)."""

    mark: str
    day: Callable[[dt.date], object]

    @property
    def category_match(self) -> str:
        """A row ``c`` of paper_categories in a category or in an archive's categories: an
        index range over the column, not a LIKE (:func:`category_params` gives its values)."""
        m = self.mark
        return f"(c.category = {m} OR (c.category > {m} AND c.category < {m}))"

    def filter_sql(self, filters: Filters) -> tuple[str, list[object]]:
        """`` AND ...`` clauses over ``papers p`` for ``filters``, and their parameters."""
        m = self.mark
        clauses: list[str] = []
        params: list[object] = []
        if filters.since or filters.until:
            # coalesce(listed, submitted) in range, written so each side can use its index
            low = self.day(filters.since or dt.date.min)
            high = self.day(filters.until or dt.date(9999, 12, 31))
            clauses.append(
                f"(p.listed BETWEEN {m} AND {m} OR "
                f"(p.listed IS NULL AND p.submitted BETWEEN {m} AND {m}))"
            )
            params.extend([low, high, low, high])
        if filters.category:
            clauses.append(
                "EXISTS (SELECT 1 FROM paper_categories c WHERE c.paper_id = p.id AND "
                f"{self.category_match})"
            )
            params.extend(category_params(filters.category))
        if filters.source:
            clauses.append(
                f"EXISTS (SELECT 1 FROM sightings s WHERE s.paper_id = p.id AND s.source = {m})"
            )
            params.append(filters.source)
        return "".join(f" AND {c}" for c in clauses), params
