"""Whether this home can email digests: what a subscription form tells the user.

A subscription only stores an address; mail goes out when ``paperradar watch`` (or a cron job
running ``watch --once``) reaches the profile's time, through the ``[email]`` settings. This
module names what stands in the way, so a page never says "saved" while nothing will come.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from paperradar.config import load_config
from paperradar.digest.mail import settings_from_config
from paperradar.errors import ConfigError
from paperradar.schedule.watch import last_slot_run
from paperradar.store.api import Store

#: a watch that has not finished a slot for this long is reported as not running
STALE_AFTER = dt.timedelta(days=8)  # a weekly [watch] schedule is not stale


def email_problems(store: Store, home: Path, now: dt.datetime | None = None) -> list[str]:
    """Why subscribed digests would not arrive now; empty when email and the watch are set."""
    problems: list[str] = []
    config_path = home / "config.toml"
    try:
        settings_from_config(load_config(home))
    except ConfigError as exc:
        problems.append(
            f"this server cannot send email yet: {exc} in {config_path} (see docs/config.md)"
        )
    last = last_slot_run(store)
    now = now or dt.datetime.now(dt.UTC)
    if last is None:
        problems.append(
            "digests are emailed by `paperradar watch`, which has never run on this server "
            "(see docs/deploy.md)"
        )
    elif now - _aware(last) > STALE_AFTER:
        problems.append(
            f"`paperradar watch` last ran at {_aware(last):%Y-%m-%d %H:%M} UTC: "
            "it does not seem to be running (see docs/deploy.md)"
        )
    return problems


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
