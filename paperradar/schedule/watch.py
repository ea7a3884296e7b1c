"""``paperradar watch``: sync, then each profile's digest (and email), on a schedule.

The schedule is ``[watch] at`` (local time, ``HH:MM`` or ``HH:MM:SS``) on ``[watch] days``
(``mon-fri``, ``daily``, ``mon,wed,fri``...), plus the time of each active digest
subscription (set in the web app): at each slot the sources are synced, and the digests built
are those of the profiles due then -- a subscribed profile at its own time, every other
profile at ``[watch] at``. Each slot is claimed in the store's
``schedule_runs`` table before it runs, so:

- a slot that finished (``done`` or ``failed``) never runs again, whatever restarts happen;
- a slot whose process died or was stopped (``running`` or ``interrupted``) runs again on the
  next start: the sync resumes from its checkpoints, a digest of the same window replaces the
  one recorded, and its email is queued once per digest;
- a slot missed while nothing was running is caught up at start if it is at most
  ``[watch] catch_up_hours`` (default 12) old; older ones are skipped.

One watch runs per store (the store's ``watch`` lock). SIGTERM or SIGINT stops it between two
steps: a sync stops after the page being stored, with its checkpoint saved.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import threading
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from paperradar.config import Config
from paperradar.errors import ConfigError, PaperRadarError
from paperradar.store.api import Store

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
JOB = "watch"
#: a slot is still due this long after its time, even with ``catch_up_hours = 0``
SLOT_GRACE = dt.timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Local times of day at which the watch runs, on some days of the week."""

    at: dt.time
    days: frozenset[int]  # Monday is 0
    #: more times of day (digest subscriptions set in the web app), on the same days
    also: frozenset[dt.time] = frozenset()

    @property
    def times(self) -> list[dt.time]:
        return sorted({self.at, *self.also})

    def slots_between(self, start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
        """Slots in ``(start, end]``, oldest first (aware local datetimes)."""
        day = start.date()
        while day <= end.date():
            if day.weekday() in self.days:
                for at in self.times:
                    slot = dt.datetime.combine(day, at, tzinfo=start.tzinfo)
                    if start < slot <= end:
                        yield slot
            day += dt.timedelta(days=1)

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first slot strictly after ``moment``."""
        return next(self.slots_between(moment, moment + dt.timedelta(days=8)))

    def last_at_or_before(self, moment: dt.datetime) -> dt.datetime:
        """The latest slot at or before ``moment``."""
        slots = list(self.slots_between(moment - dt.timedelta(days=8), moment))
        return slots[-1]

    def previous_day(self, slot: dt.datetime) -> dt.date:
        """The last scheduled day before the slot's day (a digest covers the days since)."""
        day = slot.date() - dt.timedelta(days=1)
        while day.weekday() not in self.days:
            day -= dt.timedelta(days=1)
        return day


def parse_days(text: str) -> frozenset[int]:
    """``mon-fri``, ``weekdays``, ``daily``, ``sat,sun`` or ``mon,wed-fri``."""
    value = text.strip().lower()
    if value in ("daily", "every day", "all"):
        return frozenset(range(7))
    if value == "weekdays":
        return frozenset(range(5))
    if value == "weekends":
        return frozenset({5, 6})
    days: set[int] = set()
    for part in value.split(","):
        first, _, last = part.strip().partition("-")
        if first[:3] not in _DAYS or (last and last[:3] not in _DAYS):
            raise ConfigError(
                f"[watch] days: expected days like mon-fri, daily or sat,sun, not {text!r}"
            )
        a = _DAYS.index(first[:3])
        b = _DAYS.index(last[:3]) if last else a
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(days)


def parse_time(text: str) -> dt.time:
    match = _TIME.match(text.strip())
    if match:
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        if hour < 24 and minute < 60 and second < 60:
            return dt.time(hour, minute, second)
    raise ConfigError(f"[watch] at: expected a local time like 07:00, not {text!r}")


@dataclass(slots=True)
class WatchSettings:
    schedule: Schedule
    #: profile name -> address its digest is emailed to (``[watch.email]``)
    email: dict[str, str] = field(default_factory=dict)
    #: the profiles to build digests for; empty means every profile
    profiles: list[str] = field(default_factory=list)
    top: int = 20
    embed: bool = True
    catch_up: dt.timedelta = dt.timedelta(hours=12)


def watch_settings(config: Config) -> WatchSettings:
    """The ``[watch]`` table, checked (one-line ConfigError naming the key)."""
    at = parse_time(str(config.get("watch", "at", "07:00")))
    days = parse_days(str(config.get("watch", "days", "mon-fri")))
    top = _integer(config.get("watch", "top", 20), "top")
    hours = _integer(config.get("watch", "catch_up_hours", 12), "catch_up_hours")
    embed = config.get("watch", "embed", True)
    if isinstance(embed, str):
        word = embed.strip().lower()
        if word not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ConfigError(f"[watch] embed must be true or false, not {embed!r}")
        embed = word in ("1", "true", "yes", "on")
    if not isinstance(embed, bool):
        raise ConfigError(f"[watch] embed must be true or false, not {embed!r}")
    profiles = config.get("watch", "profiles", [])
    if isinstance(profiles, str):
        profiles = [p.strip() for p in profiles.split(",") if p.strip()]
    if not isinstance(profiles, list) or not all(isinstance(p, str) for p in profiles):
        raise ConfigError("[watch] profiles must be a list of profile names")
    table = config.values.get("watch", {})
    email = table.get("email", {}) if isinstance(table, dict) else {}
    if not isinstance(email, dict) or not all(isinstance(v, str) for v in email.values()):
        raise ConfigError('[watch.email] must map profile names to addresses: name = "a@b.org"')
    return WatchSettings(
        Schedule(at, days), dict(email), list(profiles), top, embed, dt.timedelta(hours=hours)
    )


def _integer(value: object, key: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise ConfigError(f"[watch] {key} must be a whole number, not {value!r}") from None
    if number < 1 and key == "top":
        raise ConfigError(f"[watch] {key} must be at least 1, not {number}")
    if number < 0:
        raise ConfigError(f"[watch] {key} must not be negative, not {number}")
    return number


def local_zone() -> dt.tzinfo:
    """The machine's time zone with its daylight-saving rules (``$TZ``, else
    /etc/localtime), so that 07:00 stays 07:00 across a change; a fixed offset otherwise."""
    name = os.environ.get("TZ", "").lstrip(":")
    try:
        if name:
            return zoneinfo.ZoneInfo(name)
        with open("/etc/localtime", "rb") as handle:
            return zoneinfo.ZoneInfo.from_file(handle, key="localtime")
    except (OSError, ValueError, zoneinfo.ZoneInfoNotFoundError):
        zone = dt.datetime.now().astimezone().tzinfo
        return zone if zone is not None else dt.UTC


def local_now() -> dt.datetime:
    return dt.datetime.now(local_zone())


# -- slots --------------------------------------------------------------------------------


def claim_slot(store: Store, slot: dt.datetime) -> bool:
    """Take ``slot`` for this process: True for a new slot or one a dead or stopped run
    left unfinished; False for a slot that already finished."""
    return store.scheduling.claim_slot(JOB, slot, dt.datetime.now(dt.UTC))


def finish_slot(store: Store, slot: dt.datetime, status: str, detail: str) -> None:
    store.scheduling.finish_slot(JOB, slot, status, dt.datetime.now(dt.UTC), detail)


def unfinished_slots(store: Store) -> list[dt.datetime]:
    return store.scheduling.unfinished_slots(JOB)


def last_slot_run(store: Store) -> dt.datetime | None:
    return store.scheduling.last_slot(JOB)


@contextlib.contextmanager
def watch_lock(store: Store) -> Iterator[None]:
    """Hold the store's ``watch`` lock: one watch per store (the system drops it when the
    process dies)."""
    with store.lock("watch") as held:
        if not held:
            raise PaperRadarError(
                f"another `paperradar watch` is already running on {store.describe()}"
            )
        yield


# -- the loop -----------------------------------------------------------------------------

#: runs one slot: (slot, should_stop) -> (status, one-line detail)
SlotRunner = Callable[[dt.datetime, Callable[[], bool]], tuple[str, str]]


def due_slots(
    store: Store, settings: WatchSettings, now: dt.datetime, started: dt.datetime
) -> list[dt.datetime]:
    """Slots to run now: unfinished ones, then the slots not yet run that are at most the
    catch-up window old (they may be older than ``started``: missed slots)."""
    due = unfinished_slots(store)
    done_up_to = last_slot_run(store)
    since = now - settings.catch_up - SLOT_GRACE  # the loop wakes a moment after a slot
    if done_up_to is not None:
        since = max(since, done_up_to)
    due.extend(s for s in settings.schedule.slots_between(since, now) if s not in due)
    return due


def run_watch(
    store: Store,
    settings: WatchSettings,
    run_slot: SlotRunner,
    stop: threading.Event,
    *,
    clock: Callable[[], dt.datetime] = local_now,
    log: Callable[[str], None] = print,
    once: bool = False,
    refresh: Callable[[], Schedule] | None = None,
) -> int:
    """Run due slots, then sleep until the next, until ``stop`` is set (with ``once``: until
    at least one slot ran, waiting for the next slot if none is due). Returns the number of
    slots run. ``refresh`` re-reads the schedule before each round (subscription times
    change while the watch runs)."""
    ran = 0
    started = clock()
    with watch_lock(store):
        while not stop.is_set():
            if refresh is not None:
                settings.schedule = refresh()
            for slot in due_slots(store, settings, clock(), started):
                if stop.is_set() or not claim_slot(store, slot):
                    continue
                log(f"slot {slot.isoformat(timespec='minutes')}: running")
                status, detail = _guarded(run_slot, slot, stop)
                if stop.is_set() and status != "done":
                    status = "interrupted"
                finish_slot(store, slot, status, detail)
                log(f"slot {slot.isoformat(timespec='minutes')}: {status}: {detail}")
                ran += 1
            if stop.is_set() or (once and ran):
                break
            upcoming = settings.schedule.next_after(clock())
            log(f"next run {upcoming.isoformat(timespec='minutes')}")
            while not stop.is_set():
                remaining = (upcoming - clock()).total_seconds()
                if remaining <= 0:
                    break
                stop.wait(min(remaining, 60.0))  # re-read the clock: suspends, clock changes
                if refresh is not None and refresh() != settings.schedule:
                    break  # a subscription time changed: recompute the next slot
    return ran


def _guarded(run_slot: SlotRunner, slot: dt.datetime, stop: threading.Event) -> tuple[str, str]:
    try:
        return run_slot(slot, stop.is_set)
    except PaperRadarError as exc:
        return "failed", str(exc)
