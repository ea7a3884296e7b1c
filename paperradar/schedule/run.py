"""What one scheduled run of ``paperradar watch`` does, as a library call.

1. sync every enabled source (``paperradar.sources.sync``);
2. embed the papers that have no vector yet (``[watch] embed``, default on);
3. build the digest of each profile due at this slot -- a profile with an active
   subscription at its subscription time, every other profile at ``[watch] at`` -- for the
   days since the previous scheduled day, and email it to the subscription's address and
   the one ``[watch.email]`` names (through the outbox: at most once per digest).

A source that fails does not stop the rest: the run is ``done`` and its detail names the
failure (the source resumes from its checkpoint next time). A problem that stops the run
(a bad config, a broken store) makes it ``failed``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from paperradar.config import load_config
from paperradar.digest import DigestOptions, make_digest
from paperradar.digest.subscriptions import active_subscriptions
from paperradar.embedding import Embedder, default_embedder
from paperradar.embedding.backfill import embed_missing
from paperradar.errors import PaperRadarError
from paperradar.radar.profiles import profile_names, seed_ids
from paperradar.schedule.watch import Schedule, WatchSettings
from paperradar.search.rerank import configured_reranker
from paperradar.sources import configured_sources
from paperradar.sources.http import PoliteClient, http_settings, open_client
from paperradar.sources.sync import Progress, SyncReport, sync_sources
from paperradar.store import open_store
from paperradar.store.api import Store


def sync_home(
    store: Store,
    home: Path,
    *,
    only: tuple[str, ...] = (),
    today: dt.date | None = None,
    dry_run: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
    progress: Progress | None = None,
) -> SyncReport:
    """Sync the home's configured sources with its ``[http]`` settings."""
    config = load_config(home)
    sources = configured_sources(config, only, lambda name: seed_ids(store, name))
    settings = http_settings(config)
    with open_client(settings) as raw:
        client = PoliteClient(raw, settings)
        return sync_sources(
            store,
            sources,
            client,
            today=today,
            dry_run=dry_run,
            progress=progress,
            should_stop=should_stop,
        )


def run_slot(
    home: Path,
    settings: WatchSettings,
    slot: dt.datetime,
    should_stop: Callable[[], bool],
    embedder: Embedder | None = None,
) -> tuple[str, str]:
    """One scheduled run for ``slot``; ``(status, one-line detail)``."""
    from paperradar.digest import mail

    parts: list[str] = []
    with open_store(home) as store:
        # today's date, not the slot's: a slot rerun days later must not move cursors back
        report = sync_home(store, home, should_stop=should_stop)
        new = sum(run.report.new for run in report.runs)
        parts.append(f"synced {len(report.runs)} sources, {new} new papers")
        parts.extend(f"{run.name} failed: {run.error}" for run in report.failed)
        if should_stop():
            return "interrupted", "; ".join(parts)
        config = load_config(home)
        model = embedder or default_embedder(config)
        reranker = configured_reranker(config)
        if settings.embed:
            parts.append(f"embedded {embed_missing(store, model).embedded}")
        start = settings.schedule.previous_day(slot)
        subscribed = {sub[0]: sub for sub in active_subscriptions(store)}
        smtp = None
        for name in settings.profiles or profile_names(store):
            if should_stop():
                return "interrupted", "; ".join(parts)
            sub = subscribed.get(name)
            due = dt.time.fromisoformat(sub[2]) if sub else settings.schedule.at
            if due != slot.time().replace(tzinfo=None):
                continue  # this profile's digest is built at its own time
            try:
                digest = make_digest(
                    store,
                    name,
                    model,
                    DigestOptions(
                        start=start, end=slot.date(), top=settings.top, reranker=reranker
                    ),
                )
            except PaperRadarError as exc:  # one profile's problem does not stop the others
                parts.append(f"{name}: error: {exc}")
                continue
            parts.append(f"{name}: {len(digest.entries)} papers")
            addresses = [a for a in (settings.email.get(name), sub[1] if sub else None) if a]
            for address in dict.fromkeys(addresses):
                smtp = smtp or mail.smtp_settings(home)
                outcome = mail.send_digest(store, digest, address, smtp)
                parts.append(f"email to {address}: {outcome.status}")
    return "done", "; ".join(parts)


def schedule_with_subscriptions(home: Path, settings: WatchSettings) -> Schedule:
    """The ``[watch]`` schedule plus the times of the active subscriptions."""
    with open_store(home) as store:
        times = {dt.time.fromisoformat(sub[2]) for sub in active_subscriptions(store)}
    return replace(settings.schedule, also=frozenset(times))
