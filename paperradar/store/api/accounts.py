"""Web users, login sessions and profile ownership."""

from __future__ import annotations

from typing import Protocol


class AccountRepo(Protocol):
    """Web users, login sessions and profile ownership."""
