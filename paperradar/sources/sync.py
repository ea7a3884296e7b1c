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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from paperradar.errors import SourceError
from paperradar.models import IngestReport, Paper
from paperradar.readers.base import BadRecord
from paperradar.sources.base import Checkpoint, Cursor, Page, Source
from paperradar.sources.http import PoliteClient
from paperradar.store import Store


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


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def source_state(store: Store, name: str) -> tuple[Cursor, Checkpoint | None]:
    """The saved cursor and (for an interrupted run) checkpoint of source ``name``."""
    rows = store.query("SELECT cursor, checkpoint FROM source_state WHERE name = ?", (name,))
    if not rows:
        return {}, None
    cursor = orjson.loads(rows[0]["cursor"])
    checkpoint = orjson.loads(rows[0]["checkpoint"]) if rows[0]["checkpoint"] else None
    return cursor, checkpoint


def _save(store: Store, name: str, kind: str, **values: Any) -> None:
    store.conn.execute(
        "INSERT INTO source_state(name, kind) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
        (name, kind),
    )
    columns = ", ".join(f"{key} = ?" for key in values)
    store.conn.execute(
        f"UPDATE source_state SET kind = ?, {columns} WHERE name = ?",
        (kind, *values.values(), name),
    )


def _dump(value: dict[str, Any] | None) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


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
                with store.transaction():
                    _save(store, source.name, kind, last_error=run.error)
                    store.conn.execute(
                        "UPDATE source_state SET failures = failures + 1 WHERE name = ?",
                        (source.name,),
                    )
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
    with store.transaction():
        _save(store, source.name, kind, started=_now(), checkpoint=_dump(checkpoint))
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
    with store.transaction():
        if papers:
            store.upsert(papers, stored)
        if page.next is None:
            run.cursor = page.cursor or {}
            _save(
                store,
                source.name,
                kind,
                cursor=_dump(run.cursor),
                checkpoint=None,
                succeeded=_now(),
                failures=0,
                last_error=None,
            )
        else:
            _save(store, source.name, kind, checkpoint=_dump(page.next))
    run.report.read += len(page.records)
    run.report.new += stored.new
    run.report.merged += stored.merged
    run.report.skipped += stored.skipped + len(page.records) - len(papers)
    for key, value in page.notes.items():
        run.notes[key] = run.notes.get(key, 0) + value


def reset_source(store: Store, name: str) -> bool:
    """Forget a source's cursor and checkpoint (its next run starts afresh)."""
    with store.transaction():
        found = store.conn.execute("DELETE FROM source_state WHERE name = ?", (name,)).rowcount
    return bool(found)


def source_states(store: Store) -> list[dict[str, Any]]:
    """Every source's saved state, for ``sync --status``."""
    return [
        {
            "name": row["name"],
            "kind": row["kind"],
            "cursor": orjson.loads(row["cursor"]),
            "interrupted": row["checkpoint"] is not None,
            "started": row["started"],
            "succeeded": row["succeeded"],
            "failures": row["failures"],
            "last_error": row["last_error"],
        }
        for row in store.query("SELECT * FROM source_state ORDER BY name")
    ]
