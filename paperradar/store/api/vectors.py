"""The vector cache (one vector per model and content hash) and nearest-neighbour search."""

from __future__ import annotations

from typing import Protocol


class VectorRepo(Protocol):
    """The vector cache (one vector per model and content hash) and nearest-neighbour search."""
