"""``paperradar watch``: the schedule, slots that never run twice, and the real command.

The end-to-end test runs the real command against a local HTTP server (the source) and a
local SMTP server (aiosmtpd), stops it with SIGTERM, and restarts it to show that a finished
slot is not run again. The tests that keep slots run on both storage backends (SQLite, and a
PostgreSQL database named by the home's config.toml: tests/helpers/backends.py).
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from helpers import backends
from helpers.backends import on_both_backends
from helpers.cli import popen_cli, run_cli
from helpers.httpserver import LocalServer, Reply
from helpers.paths import REPO
from helpers.smtp import Recorder, free_port

from paperradar.config import Config
from paperradar.errors import ConfigError, PaperRadarError
from paperradar.schedule.watch import (
    Schedule,
    WatchSettings,
    claim_slot,
    due_slots,
    finish_slot,
    parse_days,
    parse_time,
    run_watch,
    watch_lock,
    watch_settings,
)
from paperradar.store.api import Store

UTC = dt.UTC
MON = dt.datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # a Monday
WEEKDAYS = Schedule(dt.time(7, 0), frozenset(range(5)))


def test_days_and_times_are_read_as_written() -> None:
    assert parse_days("mon-fri") == frozenset(range(5)) == parse_days("weekdays")
    assert parse_days("daily") == frozenset(range(7))
    assert parse_days("sat,sun") == frozenset({5, 6}) == parse_days("weekends")
    assert parse_days("Mon,Wed-Fri") == frozenset({0, 2, 3, 4})
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    assert parse_time("7:05") == dt.time(7, 5)
    assert parse_time("23:59:30") == dt.time(23, 59, 30)
    for bad in ("25:00", "7", "07:60", "noon"):
        with pytest.raises(ConfigError, match=r"^\[watch\] at: expected a local time"):
            parse_time(bad)
    with pytest.raises(ConfigError, match=r"^\[watch\] days: expected days like mon-fri"):
        parse_days("mon-funday")


def test_slots_skip_the_weekend() -> None:
    friday_evening = dt.datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert WEEKDAYS.next_after(friday_evening) == dt.datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert WEEKDAYS.next_after(MON - dt.timedelta(minutes=1)) == MON
    assert WEEKDAYS.next_after(MON) == MON + dt.timedelta(days=1)  # strictly after
    sunday = dt.datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert WEEKDAYS.last_at_or_before(sunday) == dt.datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    assert WEEKDAYS.last_at_or_before(MON) == MON


def test_watch_settings_from_config(tmp_path: Path) -> None:
    values = {
        "watch": {
            "at": "06:30",
            "days": "mon,thu",
            "top": 5,
            "profiles": ["me"],
            "email": {"me": "me@example.org"},
        }
    }
    settings = watch_settings(Config(tmp_path, values))
    assert settings.schedule == Schedule(dt.time(6, 30), frozenset({0, 3}))
    assert settings.top == 5 and settings.profiles == ["me"]
    assert settings.email == {"me": "me@example.org"} and settings.embed
    with pytest.raises(ConfigError, match=r"^\[watch\] top must be at least 1"):
        watch_settings(Config(tmp_path, {"watch": {"top": 0}}))
    with pytest.raises(ConfigError, match=r"^\[watch\.email\] must map profile names"):
        watch_settings(Config(tmp_path, {"watch": {"email": {"me": 3}}}))


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    """The store of the test's home, on its backend."""
    with backends.open_home(home) as opened:
        yield opened


@on_both_backends
def test_a_finished_slot_is_never_claimed_again(store: Store) -> None:
    assert claim_slot(store, MON)
    finish_slot(store, MON, "done", "ok")
    assert not claim_slot(store, MON)
    failed = MON + dt.timedelta(days=1)
    assert claim_slot(store, failed)
    finish_slot(store, failed, "failed", "bad config")
    assert not claim_slot(store, failed)


@on_both_backends
def test_due_slots_resume_unfinished_and_catch_up_a_recent_miss(store: Store) -> None:
    settings = WatchSettings(WEEKDAYS)
    # nothing ran yet: the slot 2 hours ago is caught up, one 13 hours ago is not
    assert due_slots(store, settings, MON + dt.timedelta(hours=2), MON) == [MON]
    assert due_slots(store, settings, MON + dt.timedelta(hours=13), MON) == []
    # a slot left "running" by a dead process comes back first
    assert claim_slot(store, MON)
    later = MON + dt.timedelta(days=1, hours=1)
    assert due_slots(store, settings, later, later) == [MON, MON + dt.timedelta(days=1)]
    finish_slot(store, MON, "done", "")
    assert due_slots(store, settings, MON + dt.timedelta(hours=3), MON) == []


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@on_both_backends
def test_a_slot_stopped_midway_runs_again_on_the_next_start(store: Store) -> None:
    settings = WatchSettings(WEEKDAYS)
    clock = Clock(MON + dt.timedelta(minutes=5))
    calls: list[dt.datetime] = []
    slots = store.scheduling

    def stopped_midway(slot: dt.datetime, should_stop: object) -> tuple[str, str]:
        calls.append(slot)
        stop.set()  # SIGTERM arrives during the run
        return "done", "synced 0 sources"

    stop = threading.Event()
    run_watch(store, settings, stopped_midway, stop, clock=clock, log=lambda _: None)
    # it finished before seeing the stop: done, so never claimed again
    assert slots.last_slot("watch") == MON and slots.unfinished_slots("watch") == []

    def interrupted(slot: dt.datetime, should_stop: object) -> tuple[str, str]:
        calls.append(slot)
        stop.set()
        return "interrupted", "stopped after 1 of 3 sources"

    tuesday = MON + dt.timedelta(days=1)
    clock.now = tuesday + dt.timedelta(minutes=1)
    stop = threading.Event()
    run_watch(store, settings, interrupted, stop, clock=clock, log=lambda _: None)
    assert calls == [MON, tuesday]
    assert slots.unfinished_slots("watch") == [tuesday]

    def finishes(slot: dt.datetime, should_stop: object) -> tuple[str, str]:
        calls.append(slot)
        return "done", "ok"

    clock.now = tuesday + dt.timedelta(minutes=30)  # restarted: Tuesday runs again, Monday not
    run_watch(store, settings, finishes, threading.Event(), clock=clock, once=True, log=print)
    assert calls == [MON, tuesday, tuesday]
    assert slots.unfinished_slots("watch") == []
    # both done: neither can be claimed again
    assert not claim_slot(store, MON) and not claim_slot(store, tuesday)


@pytest.mark.serial
@on_both_backends
def test_one_watch_per_store(store: Store) -> None:
    with (
        watch_lock(store),
        pytest.raises(PaperRadarError, match="already running"),
        watch_lock(store),
    ):
        pass


def hf_day(day: dt.date) -> str:
    """The recorded HF listing, moved to ``day``."""
    items = json.loads(
        (REPO / "tests/fixtures/sources/web/hf_daily_2026-11-20_p0.json").read_text("utf-8")
    )
    for item in items:
        item["paper"]["submittedOnDailyAt"] = f"{day.isoformat()}T03:00:00.000Z"
        item["publishedAt"] = f"{day.isoformat()}T03:00:00.000Z"
    return json.dumps(items)


def wait_for(condition: object, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


@pytest.mark.slow
@pytest.mark.serial
@on_both_backends
def test_watch_runs_its_slot_emails_the_digest_and_never_runs_it_twice(
    home: Path, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    recorder = Recorder()
    port = free_port()
    smtp = Controller(recorder, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        now = dt.datetime.now().astimezone()
        today = now.date()
        http_server.route("/api/daily_papers", [Reply(body="[]")])
        http_server.route(
            "/api/daily_papers", [Reply(body=hf_day(today))], match={"date": today.isoformat()}
        )
        slot = (now + dt.timedelta(seconds=4)).replace(microsecond=0)
        backends.write_config(
            home,
            f"""
[http.intervals]
"127.0.0.1" = 0.01

[sources.hf]
kind = "hf-daily"
base_url = "{http_server.url}"
since = "{today.isoformat()}"

[watch]
at = "{slot.time().isoformat()}"
days = "daily"
top = 5

[watch.email]
me = "me@example.org"

[email]
host = "127.0.0.1"
port = {port}
security = "none"
from = "Paper Radar <radar@example.org>"
""",
        )
        assert run_cli(home, "profile", "create", "me").code == 0
        own = REPO / "tests/fixtures/radar/own.bib"
        assert run_cli(home, "profile", "add", "me", own).code == 0

        proc = popen_cli(home, "watch")

        def slot_status() -> str | None:
            found = backends.rows(home, "SELECT status FROM schedule_runs")
            return str(found[0][0]) if found else None

        wait_for(lambda: slot_status() in ("done", "failed"))
        assert slot_status() == "done"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 0, stderr
        assert b"SIGTERM: stopping after the current step" in stderr and b"stopped" in stderr
        assert len(recorder.messages) == 1
        assert "papers for me" in recorder.messages[0]["Subject"]
        requests = len(http_server.requests())
        assert requests >= 1

        # restarted within the catch-up window: the finished slot does not run again
        again = popen_cli(home, "watch")
        time.sleep(4)
        again.send_signal(signal.SIGTERM)
        _, stderr = again.communicate(timeout=30)
        assert again.returncode == 0, stderr
        assert b"next run" in stderr
        assert len(http_server.requests()) == requests
        assert len(recorder.messages) == 1
        assert backends.count(home, "schedule_runs") == 1
    finally:
        smtp.stop()


@on_both_backends
def test_a_subscribed_profile_gets_its_digest_at_its_own_time(home: Path) -> None:
    from paperradar import ingest_files
    from paperradar.config import load_config
    from paperradar.digest.subscriptions import set_subscription
    from paperradar.embedding import FakeEmbedder
    from paperradar.radar.profiles import add_files, create_profile
    from paperradar.schedule.run import run_slot, schedule_with_subscriptions

    recorder = Recorder()
    port = free_port()
    smtp = Controller(recorder, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        backends.write_config(
            home,
            f'[watch]\nat = "07:00"\ndays = "daily"\nembed = false\n\n[email]\n'
            f'host = "127.0.0.1"\nport = {port}\nsecurity = "none"\nfrom = "r@example.org"\n',
        )
        fixtures = REPO / "tests" / "fixtures" / "radar"
        with backends.open_home(home) as store:
            ingest_files(store, [fixtures / "listings.jsonl"])
            for name in ("me", "other"):
                create_profile(store, name)
                add_files(store, name, [fixtures / "own.bib"])
            set_subscription(store, "me", "sub@example.org", at="09:00")
        settings = watch_settings(load_config(home))
        settings.schedule = schedule_with_subscriptions(home, settings)
        assert settings.schedule.times == [dt.time(7, 0), dt.time(9, 0)]
        tz = dt.datetime.now().astimezone().tzinfo
        seven = dt.datetime(2026, 7, 1, 7, 0, tzinfo=tz)
        status, detail = run_slot(home, settings, seven, lambda: False, FakeEmbedder())
        assert status == "done" and "other:" in detail and "me:" not in detail
        assert recorder.messages == []
        nine = seven.replace(hour=9)
        status, detail = run_slot(home, settings, nine, lambda: False, FakeEmbedder())
        assert "me:" in detail and "other:" not in detail
        assert "email to sub@example.org: sent" in detail
        (message,) = recorder.messages
        assert message["To"] == "sub@example.org"
    finally:
        smtp.stop()
