"""``paperradar sync``: pull every configured live source into the store, resumably.

Each ``[sources.NAME]`` table of config.toml is one source (``paperradar.sources``). For
each, a run starts where the last one stopped: from the saved checkpoint of an interrupted
run, else from the cursor a complete run left (``source_state``). Every page is stored in
one transaction together with the checkpoint of the request after it, so a run killed at
any point resumes with the first request whose papers were not stored, and repeats none
that were. A source that fails (after the HTTP client's retries) is reported, keeps its
checkpoint for the next run, and the other sources still run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from paperradar.errors import SourceError
from paperradar.models import IngestReport, Paper
from paperradar.readers.base import BadRecord
from paperradar.sources.base import Checkpoint, Cursor, Page, Source
from paperradar.sources.http import PoliteClient
from paperradar.store.api import Store


@dataclass(slots=True)
class SourceRun:
    """What one source did in one sync."""

    name: str
    kind: str
    #: "checkpoint" when an interrupted run was resumed, "cursor" otherwise
    resumed: bool = False
    #: no request was due (say, today's listing was already stored)
    up_to_date: bool = False
    complete: bool = False
    pages: int = 0
    requests: list[str] = field(default_factory=list)
    report: IngestReport = field(default_factory=IngestReport)
    notes: dict[str, int] = field(default_factory=dict)
    bad: list[str] = field(default_factory=list)
    error: str | None = None
    cursor: Cursor | None = None


@dataclass(slots=True)
class SyncReport:
    runs: list[SourceRun] = field(default_factory=list)

    @property
    def failed(self) -> list[SourceRun]:
        return [run for run in self.runs if run.error]


#: called after every stored page
Progress = Callable[[SourceRun], None]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def source_state(store: Store, name: str) -> tuple[Cursor, Checkpoint | None]:
    """The saved cursor and (for an interrupted run) checkpoint of source ``name``."""
    return store.scheduling.source_position(name)


def sync_sources(
    store: Store,
    sources: Sequence[tuple[Source, str]],
    client: PoliteClient,
    *,
    today: dt.date | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> SyncReport:
    """Run each ``(source, kind)`` in turn; see the module docstring.

    ``dry_run`` makes no request and changes nothing: each run lists the request it would
    start with. ``should_stop`` is asked between pages (a scheduler's shutdown): the run
    stops there with its checkpoint saved.
    """
    day = today or dt.date.today()
    report = SyncReport()
    for source, kind in sources:
        if should_stop():
            break
        run = SourceRun(source.name, kind)
        report.runs.append(run)
        try:
            _run_one(store, source, kind, client, day, run, dry_run, progress, should_stop)
        except SourceError as exc:
            run.error = str(exc)
            if not dry_run:
                store.scheduling.source_failed(source.name, kind, run.error)
    return report


def _run_one(
    store: Store,
    source: Source,
    kind: str,
    client: PoliteClient,
    today: dt.date,
    run: SourceRun,
    dry_run: bool,
    progress: Progress | None,
    should_stop: Callable[[], bool],
) -> None:
    cursor, checkpoint = source_state(store, source.name)
    run.resumed = checkpoint is not None
    if checkpoint is None:
        checkpoint = source.start(cursor, today)
    if checkpoint is None:
        run.up_to_date = run.complete = True
        run.cursor = cursor
        return
    if dry_run:
        run.requests.append(source.describe(checkpoint))
        return
    store.scheduling.source_started(source.name, kind, _now(), checkpoint)
    while checkpoint is not None:
        if should_stop():
            return
        page = source.fetch(client, checkpoint)
        _store_page(store, source, kind, page, run)
        run.pages += 1
        run.requests.append(page.request or source.describe(checkpoint))
        if progress:
            progress(run)
        checkpoint = page.next
    run.complete = True


def _store_page(store: Store, source: Source, kind: str, page: Page, run: SourceRun) -> None:
    """The page's papers and the run's next step, in one transaction."""
    papers = [r for r in page.records if isinstance(r, Paper)]
    for record in page.records:
        if isinstance(record, BadRecord):
            where = f"{page.request}:{record.line}" if record.line else page.request
            run.bad.append(f"{where}: {record.reason}")
    stored = IngestReport()
    with store.transaction(papers=True):
        if papers:
            store.papers.upsert(papers, stored)
        if page.next is None:
            run.cursor = page.cursor or {}
            store.scheduling.source_completed(source.name, kind, run.cursor, _now())
        else:
            store.scheduling.source_progressed(source.name, kind, page.next)
    run.report.read += len(page.records)
    run.report.new += stored.new
    run.report.merged += stored.merged
    run.report.skipped += stored.skipped + len(page.records) - len(papers)
    for key, value in page.notes.items():
        run.notes[key] = run.notes.get(key, 0) + value


def reset_source(store: Store, name: str) -> bool:
    """Forget a source's cursor and checkpoint (its next run starts afresh)."""
    return store.scheduling.reset_source(name)


def source_states(
    store: Store, configured: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every source's saved state, for ``sync --status``.

    ``configured`` maps the names of config.toml's sources to their kinds: each one that
    never ran is listed too (``synced`` false), and a saved state whose source is no longer
    configured says so (``configured`` false).
    """
    configured = configured or {}
    states = [
        {
            "name": state.name,
            "kind": state.kind,
            "cursor": state.cursor,
            "interrupted": state.interrupted,
            "started": state.started,
            "succeeded": state.succeeded,
            "failures": state.failures,
            "last_error": state.last_error,
            "synced": True,
            "configured": state.name in configured,
        }
        for state in store.scheduling.source_states()
    ]
    saved = {state["name"] for state in states}
    never = [
        {
            "name": name,
            "kind": kind,
            "cursor": None,
            "interrupted": False,
            "started": None,
            "succeeded": None,
            "failures": 0,
            "last_error": None,
            "synced": False,
            "configured": True,
        }
        for name, kind in configured.items()
        if name not in saved
    ]
    return states + never
