"""Source cursors and checkpoints (sync) and scheduled runs (watch)."""

from __future__ import annotations

from typing import Protocol


class SchedulingRepo(Protocol):
    """Source cursors and checkpoints (sync) and scheduled runs (watch)."""
