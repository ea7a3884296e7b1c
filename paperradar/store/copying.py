"""``paperradar store copy``: a whole store copied into an empty one of either backend.

Every table of :data:`~paperradar.store.api.copying.TABLES`, parents first, in chunks read in
key order from one snapshot of the source (a read transaction: writers of the source go on,
unseen) and written to the destination, each chunk in one transaction of the destination
with the record of how far the copy has gone (its last key). A copy stopped
anywhere (an error, Ctrl-C, a kill) has committed whole chunks and their records only, so
running it again from the same source resumes after the last one: nothing is copied twice.
When every table is copied the ids' high-water marks are carried over (ids are never reused),
the row counts of every table, derived ones included, are compared, and the copy is recorded
as finished. The destination must be empty, or hold an unfinished copy from this source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from paperradar.errors import StoreBusyError, StoreError, UsageError
from paperradar.store.api import Store
from paperradar.store.api.copying import DERIVED, TABLES, WHOLE, CopyProgress

#: rows copied per transaction, unless told
DEFAULT_CHUNK = 2_000
#: the store lock a copy holds on its destination
LOCK = "store-copy"

#: progress(table, rows copied of it so far, its rows in the source)
Progress = Callable[[str, int, int], None]


def open_end(where: str, role: str, home: Path) -> Store:
    """The store a copy's SRC or DST (``role``, for messages) names: a postgresql:// URL (with
    ``home`` for its config.toml and caches), or a paperradar home directory: its SQLite file,
    whatever its config.toml says. A source must exist; a destination home is created."""
    from paperradar.store import is_postgres_url, open_postgres
    from paperradar.store.sqlite.store import DB_NAME, SqliteStore

    if "://" in where:
        if not is_postgres_url(where):
            scheme = where.split("://", 1)[0]
            raise UsageError(
                f"{role}: expected a postgresql:// URL or a paperradar home directory, "
                f"not a {scheme}:// URL"
            )
        return open_postgres(where, home)
    path = Path(where).expanduser().resolve()  # the origin a resumed copy is matched by
    if role == "SRC" and not (path / DB_NAME).is_file():
        missing = "no such directory" if not path.is_dir() else f"it has no {DB_NAME}"
        raise UsageError(f"SRC: {path} is not a paperradar home ({missing})")
    if path.exists() and not path.is_dir():
        raise UsageError(f"{role}: {path} is not a directory")
    return SqliteStore.open(path)


@dataclass(slots=True)
class CopyReport:
    """What a copy did: every table's rows (source = destination), what this run copied,
    and whether it resumed an earlier, unfinished copy."""

    source: str
    destination: str
    counts: dict[str, int] = field(default_factory=dict)
    copied: dict[str, int] = field(default_factory=dict)
    resumed: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "destination": self.destination,
            "resumed": self.resumed,
            "counts": self.counts,
            "copied": self.copied,
        }


def copy_store(
    src: Store, dst: Store, *, chunk: int = DEFAULT_CHUNK, progress: Progress | None = None
) -> CopyReport:
    """Copy every row of ``src`` into ``dst`` (empty, or holding an unfinished copy from
    ``src``: then it resumes). Raises UsageError for a destination that is not empty,
    StoreBusyError when another copy into it is running, StoreError when the counts differ
    at the end (the source was written to during the copy)."""
    if chunk < 1:
        raise UsageError(f"--chunk must be at least 1, not {chunk}")
    origin, where = src.describe(), dst.describe()
    if origin == where:
        raise UsageError(f"the source and the destination are the same store ({origin})")
    with dst.lock(LOCK) as held:
        if not held:
            raise StoreBusyError(f"another store copy is writing to {where}; wait for it to end")
        with src.copying.snapshot():
            return _copy(src, dst, origin, where, chunk, progress)


def _copy(
    src: Store, dst: Store, origin: str, where: str, chunk: int, progress: Progress | None
) -> CopyReport:
    report = CopyReport(origin, where)
    state = dst.copying.progress(origin)
    whole = state.get(WHOLE)
    if whole is not None and whole.done:
        raise UsageError(
            f"the destination {where} is not empty: it holds a finished copy of {origin}"
        )
    if whole is None:
        filled = {t: n for t, n in dst.copying.counts().items() if n}
        if filled:
            listed = ", ".join(f"{n:,} {t}" for t, n in list(filled.items())[:3])
            raise UsageError(
                f"the destination {where} is not empty ({listed}): store copy fills an empty "
                "store, or resumes an unfinished copy from the same source"
            )
        state = {}
        with dst.transaction():
            dst.copying.forget(origin)
            dst.copying.record(origin, WHOLE, CopyProgress(None, 0, False))
    else:
        report.resumed = True
    totals = src.copying.counts()
    for table in TABLES:
        mark = state.get(table.name, CopyProgress(None, 0, False))
        copied = 0
        if progress is not None:
            progress(table.name, mark.rows, totals[table.name])
        while not mark.done:
            rows = src.copying.read(table, mark.last_key, None if table.whole else chunk)
            done = table.whole or len(rows) < chunk
            last = table.key_of(rows[-1]) if rows else mark.last_key
            mark = CopyProgress(last, mark.rows + len(rows), done)
            try:
                with dst.transaction(papers=True):
                    if rows:
                        dst.copying.write(table, rows)
                    dst.copying.record(origin, table.name, mark)
            except StoreError as exc:
                if not report.resumed or isinstance(exc, StoreBusyError):
                    raise
                raise StoreError(
                    f"{exc} (has the source changed since this copy began? Copy it again "
                    "into an empty store)"
                ) from exc
            copied += len(rows)
            if progress is not None:
                progress(table.name, mark.rows, totals[table.name])
        report.copied[table.name] = copied
    with dst.transaction(papers=True):
        dst.copying.raise_marks(src.copying.marks())
    dst.copying.finish()
    source, copy = src.copying.counts(), dst.copying.counts()
    for name in (*(t.name for t in TABLES), *DERIVED):
        if source[name] != copy[name]:
            raise StoreError(
                f"the copy's {name} has {copy[name]:,} rows but the source's has "
                f"{source[name]:,}: was the source written to during the copy? Copy it "
                "again into an empty store"
            )
    with dst.transaction():
        dst.copying.record(origin, WHOLE, CopyProgress(None, source["papers"], True))
    report.counts = source
    return report
