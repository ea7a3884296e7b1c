"""What one scheduled run of ``paperradar watch`` does, as a library call.

1. sync every enabled source (``paperradar.sync``);
2. embed the papers that have no vector yet (``[watch] embed``, default on);
3. build each profile's digest for the days since the previous slot, and email it where
   ``[watch.email]`` names an address (through the outbox: at most once per digest).

A source that fails does not stop the rest: the run is ``done`` and its detail names the
failure (the source resumes from its checkpoint next time). A problem that stops the run
(a bad config, a broken store) makes it ``failed``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from paperradar.config import load_config
from paperradar.digest import DigestOptions, make_digest
from paperradar.embedding import Embedder, default_embedder
from paperradar.indexer import embed_missing
from paperradar.profile import profile_names, seed_ids
from paperradar.sources import configured_sources
from paperradar.sources.http import PoliteClient, http_settings, open_client
from paperradar.store import Store
from paperradar.sync import Progress, SyncReport, sync_sources
from paperradar.watch import WatchSettings


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
    with Store.open(home) as store:
        report = sync_home(store, home, today=slot.date(), should_stop=should_stop)
        new = sum(run.report.new for run in report.runs)
        parts.append(f"synced {len(report.runs)} sources, {new} new papers")
        parts.extend(f"{run.name} failed: {run.error}" for run in report.failed)
        if should_stop():
            return "interrupted", "; ".join(parts)
        model = embedder or default_embedder()
        if settings.embed:
            parts.append(f"embedded {embed_missing(store, model).embedded}")
        start = settings.schedule.last_at_or_before(slot - dt.timedelta(seconds=1)).date()
        smtp = mail.smtp_settings(home) if settings.email else None
        for name in settings.profiles or profile_names(store):
            if should_stop():
                return "interrupted", "; ".join(parts)
            digest = make_digest(
                store, name, model, DigestOptions(start=start, end=slot.date(), top=settings.top)
            )
            parts.append(f"{name}: {len(digest.entries)} papers")
            address = settings.email.get(name)
            if address and smtp is not None:
                outcome = mail.send_digest(store, digest, address, smtp)
                parts.append(f"email to {address}: {outcome.status}")
    return "done", "; ".join(parts)
