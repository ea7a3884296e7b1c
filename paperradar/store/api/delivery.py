"""The email outbox and the digest subscriptions."""

from __future__ import annotations

from typing import Protocol


class DeliveryRepo(Protocol):
    """The email outbox and the digest subscriptions."""
