"""The keyword index (FTS5 bm25 in SQLite; tsvector or pg_search in PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from paperradar.models import Filters


class KeywordIndex(Protocol):
    """The keyword index (FTS5 bm25 in SQLite; tsvector or pg_search in PostgreSQL).

    Query terms are double-quoted phrases, as :func:`paperradar.search.fts_terms` makes them
    (``'"graph"'``, ``'"large language models"'``); they are never other query syntax.
    """

    def rank(
        self,
        terms: Sequence[str],
        limit: int,
        filters: Filters | None = None,
        *,
        any_word: bool = False,
    ) -> list[tuple[int, float]]:
        """``(row id, bm25 score)`` of the papers holding every phrase of ``terms`` (any of
        them with ``any_word``) and passing ``filters``, best first; higher is better."""
        ...

    def rarest(self, terms: Sequence[str], budget: int) -> list[str]:
        """The rarest of ``terms`` whose document counts add up to at most ``budget`` (at
        least the rarest one), rarest first."""
        ...

    def papers_with_author_word(self, word: str) -> list[tuple[int, list[str]]]:
        """``(row id, author names)`` of the papers whose author list holds ``word``."""
        ...
