"""Ingest files into the store: read, validate, dedup, store -- all or nothing.

Reading runs in a worker thread that hands batches to the writer through a small queue:
SQLite releases the GIL while it inserts and indexes, so parsing the next batch overlaps
storing the last one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path

from paperradar.errors import FormatError
from paperradar.models import IngestReport, Paper
from paperradar.readers import OpenedFile, ReadContext, read_path
from paperradar.readers.base import BadRecord
from paperradar.store.api import Store
from paperradar.store.api.papers import PreparedPaper

BATCH_SIZE = 1000

#: Called as progress(opened_file, report) after every batch and at the end of each file.
Progress = Callable[[OpenedFile, IngestReport], None]
#: Makes a record ready for the store's upsert (the store's ``papers.prepare``).
Prepare = Callable[[Paper], PreparedPaper]


def ingest_files(
    store: Store,
    paths: Iterable[Path],
    fmt: str | None = None,
    skip_bad: bool = False,
    reference_date: dt.date | None = None,
    progress: Progress | None = None,
    origins: Sequence[str] | None = None,
) -> IngestReport:
    """Read every file and store its papers, all or nothing. ``origins`` (one per path)
    name the files in messages and sightings instead of their paths (a temporary copy of an
    upload, say).

    A bad record raises FormatError (``FILE:LINE: reason``) and leaves the store unchanged,
    unless ``skip_bad``: then good records are stored and bad ones listed in the report.
    The papers are stored batch by batch in one ingest run (:meth:`Store.ingest_run`): each
    batch commits on its own, so other writers wait for one batch at most, and the run undoes
    every batch if it does not complete. A process killed mid-way leaves the store as it was
    before once it is next opened; re-running completes it. An error while storing, or
    Ctrl-C, stops the reading thread within a second, undoes the run and re-raises.
    """
    report = IngestReport()  # read / skipped / bad: counted by the reading thread
    stored = IngestReport()  # new / merged / skipped: counted by the writer
    today = reference_date or dt.date.today()
    paths = list(paths)
    names = _origins(paths, origins)
    with store.ingest_run(", ".join(names)) as run:
        for path, origin in zip(paths, names, strict=True):
            opened = read_path(path, fmt, ReadContext(origin=origin, reference_date=today))
            batches = _batches_in_background(opened, report, skip_bad, store.papers.prepare)
            with contextlib.closing(batches):  # on an error or Ctrl-C the reader stops first
                for batch in batches:
                    with run.step():
                        store.papers.upsert(batch, stored)
                    if progress:
                        progress(opened, _combined(report, stored))
            if progress:
                progress(opened, _combined(report, stored))
    return _combined(report, stored)


def _origins(paths: Sequence[Path], origins: Sequence[str] | None) -> list[str]:
    """What each file is called: ``origins``, else its path."""
    if origins is None:
        return [str(p) for p in paths]
    if len(origins) != len(paths):
        raise ValueError(f"{len(origins)} origins for {len(paths)} files")
    return list(origins)


def _combined(read: IngestReport, stored: IngestReport) -> IngestReport:
    return IngestReport(
        read=read.read,
        new=stored.new,
        merged=stored.merged,
        skipped=read.skipped + stored.skipped,
        bad=list(read.bad),
    )


def _batches(
    opened: OpenedFile,
    report: IngestReport,
    skip_bad: bool,
    prepare: Prepare,
    stop: threading.Event | None = None,
) -> Iterator[list[PreparedPaper]]:
    """Batches of prepared records (ids, keys and column values computed here, off the
    writer's thread); bad records raise or are listed in the report. Ends early once
    ``stop`` is set."""
    batch: list[PreparedPaper] = []
    origin = str(opened.path)
    locator = str(opened.path.resolve())  # the same file by any path is one place
    try:
        for record in opened.records:
            if stop is not None and stop.is_set():
                return
            report.read += 1
            if isinstance(record, BadRecord):
                if not skip_bad:
                    raise FormatError(str(opened.path), record.line, record.reason)
                report.skipped += 1
                where = f"{opened.path}:{record.line}" if record.line else str(opened.path)
                report.bad.append(f"{where}: {record.reason}")
                continue
            for sighting in record.sightings:
                if sighting.locator == origin:
                    sighting.locator = locator
            batch.append(prepare(record))
            if len(batch) >= BATCH_SIZE:
                yield batch
                batch = []
        if batch:
            yield batch
    finally:  # the file is closed now, on an error too, not when the collector gets to it
        close = getattr(opened.records, "close", None)
        if close is not None:
            close()


_DONE = object()
#: how often a blocked hand-off looks at the stop signal, in seconds
_POLL = 0.05
#: how long the writer waits for the reading thread to stop after an error or Ctrl-C; a
#: thread still parsing one huge record then is left to end with the process (a daemon)
_JOIN_TIMEOUT = 1.0


def _batches_in_background(
    opened: OpenedFile, report: IngestReport, skip_bad: bool, prepare: Prepare
) -> Generator[list[PreparedPaper], None, None]:
    """The batches of :func:`_batches`, read ahead by a worker thread.

    Neither side can wait on the other forever: every hand-off gives up once the other side
    has stopped, and closing the iterator (the writer failed, or Ctrl-C) stops the reader.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=3)
    stop = threading.Event()

    def hand(item: object) -> bool:
        """Put ``item`` on the queue unless the writer stops first."""
        while not stop.is_set():
            try:
                handoff.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for batch in _batches(opened, report, skip_bad, prepare, stop):
                if not hand(batch):
                    return
            hand(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            hand(exc)

    worker = threading.Thread(target=work, name="paperradar-reader", daemon=True)
    worker.start()
    try:
        while True:
            try:
                item = handoff.get(timeout=_POLL)
            except queue.Empty:
                if worker.is_alive() or not handoff.empty():
                    continue
                raise RuntimeError("the reading thread ended without a result") from None
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        _drain(handoff)
        worker.join(timeout=_JOIN_TIMEOUT)


def _drain(handoff: queue.Queue[object]) -> None:
    """Empty the queue, so that nothing waits to put into it."""
    while True:
        try:
            handoff.get_nowait()
        except queue.Empty:
            return
