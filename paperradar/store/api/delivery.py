"""The email outbox and the digest subscriptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An outbox row still to send (``pending``, or ``sending`` when a run was interrupted)."""

    id: int
    recipient: str
    status: str
    attempts: int


@dataclass(frozen=True, slots=True)
class StoredSubscription:
    """A profile's subscription as stored."""

    email: str
    enabled: bool
    at: str  # HH:MM, local time of day
    updated: dt.datetime


@dataclass(frozen=True, slots=True)
class ActiveSubscription:
    """A subscription that is switched on, with its profile's name."""

    profile: str
    email: str
    at: str


class DeliveryRepo(Protocol):
    """The email outbox and the digest subscriptions."""

    # -- outbox

    def digest_exists(self, digest_id: int) -> bool:
        """Whether digest ``digest_id`` is stored (an email may name only a stored digest)."""
        ...

    def queued_email(self, digest_id: int, recipient: str) -> int | None:
        """The newest outbox row of the digest for the recipient (any case) that did not
        fail, if any."""
        ...

    def add_email(
        self,
        *,
        digest_id: int | None,
        recipient: str,
        subject: str,
        message_id: str,
        message: bytes,
        created: dt.datetime,
    ) -> int:
        """Store a ``pending`` message; its row id."""
        ...

    def waiting_count(self) -> int:
        """How many rows are ``pending`` or ``sending``."""
        ...

    def unsent(self) -> list[OutboxEntry]:
        """The ``pending`` and ``sending`` rows, oldest first."""
        ...

    def claim_email(self, row_id: int, status: str, resent_note: str) -> int | None:
        """Atomically mark the row ``sending`` and count an attempt, if it still has
        ``status``; its attempt number, or None when the row changed. Claiming a ``sending``
        row sets ``last_error`` to ``resent_note``."""
        ...

    def message(self, row_id: int) -> bytes:
        """The stored MIME message of a row."""
        ...

    def mark_sent(self, row_id: int, sent: dt.datetime, note: str | None = None) -> None:
        """Mark a ``sending`` row ``sent`` at ``sent``; a ``note`` goes in ``last_error``."""
        ...

    def finish_email(self, row_id: int, was: str, status: str, error: str) -> None:
        """Move a row from ``was`` to ``status`` with ``last_error``; no-op if it moved."""
        ...

    def note_untried(self, row_ids: Sequence[int], error: str) -> None:
        """Set ``last_error`` of those rows still ``pending``, without counting an attempt."""
        ...

    def email_status(self, row_id: int) -> str:
        """The status of an outbox row."""
        ...

    # -- subscriptions

    def subscription(self, profile_id: int) -> StoredSubscription | None:
        """The profile's subscription, if it has one."""
        ...

    def set_subscription(
        self, profile_id: int, email: str, enabled: bool, at: str, updated: dt.datetime
    ) -> None:
        """Create or replace the profile's subscription."""
        ...

    def remove_subscription(self, profile_id: int) -> bool:
        """Delete the profile's subscription; False if it had none."""
        ...

    def active_subscriptions(self) -> list[ActiveSubscription]:
        """Every subscription that is switched on, by profile name."""
        ...
