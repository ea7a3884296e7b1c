"""Source cursors and checkpoints (sync) and scheduled runs (watch)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class SourceState:
    """A source's saved state (``source_state``); timestamps are ISO text (UTC)."""

    name: str
    kind: str
    #: where the next complete run starts
    cursor: dict[str, Any]
    #: where an interrupted run resumes (None when the last run completed)
    checkpoint: dict[str, Any] | None
    #: whether a checkpoint is stored
    interrupted: bool
    started: str | None
    succeeded: str | None
    failures: int
    last_error: str | None


class SchedulingRepo(Protocol):
    """Source cursors and checkpoints (sync) and scheduled runs (watch)."""

    # -- sources

    def source_position(self, name: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The saved cursor and (for an interrupted run) checkpoint of source ``name``;
        ``({}, None)`` for a source never run."""
        ...

    def source_states(self) -> list[SourceState]:
        """Every source's saved state, by name."""
        ...

    def source_started(
        self, name: str, kind: str, started: dt.datetime, checkpoint: dict[str, Any]
    ) -> None:
        """A run of the source starts at ``checkpoint``."""
        ...

    def source_progressed(self, name: str, kind: str, checkpoint: dict[str, Any]) -> None:
        """A page was stored: the run goes on at ``checkpoint``."""
        ...

    def source_completed(
        self, name: str, kind: str, cursor: dict[str, Any], succeeded: dt.datetime
    ) -> None:
        """A run completed: the next starts at ``cursor``; checkpoint, failures and last
        error are cleared."""
        ...

    def source_failed(self, name: str, kind: str, error: str) -> None:
        """A run failed: note the error and count the failure (the checkpoint stays)."""
        ...

    def reset_source(self, name: str) -> bool:
        """Forget the source's state; False if it had none."""
        ...

    # -- scheduled runs

    def claim_slot(self, job: str, slot: dt.datetime, started: dt.datetime) -> bool:
        """Atomically mark the slot ``running``: False (and no change) when it already
        finished (``done`` or ``failed``)."""
        ...

    def finish_slot(
        self, job: str, slot: dt.datetime, status: str, finished: dt.datetime, detail: str
    ) -> None:
        """Record how the slot's run ended."""
        ...

    def unfinished_slots(self, job: str) -> list[dt.datetime]:
        """Slots left ``running`` or ``interrupted``, oldest first."""
        ...

    def last_slot(self, job: str) -> dt.datetime | None:
        """The latest slot ever claimed, if any."""
        ...
