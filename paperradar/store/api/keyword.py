"""The keyword index (FTS5 bm25 in SQLite; tsvector or pg_search in PostgreSQL)."""

from __future__ import annotations

from typing import Protocol


class KeywordIndex(Protocol):
    """The keyword index (FTS5 bm25 in SQLite; tsvector or pg_search in PostgreSQL)."""
