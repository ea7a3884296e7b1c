"""Digest subscriptions: which profile's digest goes to which address, at what time.

One subscription per profile (the ``subscriptions`` table): an email address (checked by
:func:`paperradar.digest.mail.check_address`), an on/off switch and a local time of day,
``HH:MM`` on a 24-hour clock. The web settings page writes them; the scheduler reads
:func:`active_subscriptions`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from paperradar.digest.mail import check_address
from paperradar.errors import UsageError
from paperradar.radar.profiles import _profile_id
from paperradar.store.api import Store

DEFAULT_AT = "07:00"
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


@dataclass(frozen=True, slots=True)
class Subscription:
    """A profile's digest by email."""

    profile: str
    email: str
    enabled: bool
    at: str  # HH:MM, local time of day
    updated: dt.datetime


def check_time(text: str) -> str:
    """``HH:MM`` (24-hour clock, ``7:05`` is read as ``07:05``); a UsageError otherwise."""
    value = text.strip()
    if re.fullmatch(r"[0-9]:[0-5][0-9]", value):
        value = "0" + value
    if not _TIME.match(value):
        raise UsageError(f"bad time of day {text!r}: use HH:MM on a 24-hour clock, e.g. 07:30")
    return value


def get_subscription(store: Store, profile: str) -> Subscription | None:
    """The profile's subscription, if it has one (an unknown profile is a UsageError)."""
    pid = _profile_id(store, profile)
    stored = store.delivery.subscription(pid)
    if stored is None:
        return None
    return Subscription(profile, stored.email, stored.enabled, stored.at, stored.updated)


def set_subscription(
    store: Store, profile: str, email: str, *, enabled: bool = True, at: str = DEFAULT_AT
) -> Subscription:
    """Create or replace the profile's subscription; a bad address or time is a
    UsageError and changes nothing."""
    address = check_address(email)
    when = check_time(at)
    pid = _profile_id(store, profile)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    store.delivery.set_subscription(pid, address, enabled, when, now)
    return Subscription(profile, address, enabled, when, now)


def remove_subscription(store: Store, profile: str) -> bool:
    """Delete the profile's subscription; False if it had none."""
    pid = _profile_id(store, profile)
    return store.delivery.remove_subscription(pid)


def active_subscriptions(store: Store) -> list[tuple[str, str, str]]:
    """``(profile, email, HH:MM)`` of every subscription that is switched on, by profile."""
    return [(s.profile, s.email, s.at) for s in store.delivery.active_subscriptions()]
