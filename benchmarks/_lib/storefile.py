"""The benchmark's own access to the SQLite file of a paperradar home: preparing copies and
looking inside for the benchmark's setup. What is timed always goes through the library."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from paperradar.store import DB_NAME


def db_path(home: Path) -> Path:
    """The store file of the home."""
    return home / DB_NAME


@contextlib.contextmanager
def read_only(home: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the home's store file, closed on exit."""
    conn = sqlite3.connect(f"file:{db_path(home)}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def store_bytes(home: Path) -> int:
    """The size of the store's files (the database, its WAL and shared memory)."""
    return sum(f.stat().st_size for f in home.glob(f"{DB_NAME}*"))


def clear(home: Path) -> None:
    """The home without a store: created if need be, its store files removed."""
    home.mkdir(parents=True, exist_ok=True)
    for stale in home.glob(f"{DB_NAME}*"):
        stale.unlink()


def copy(source: Path, target: Path) -> None:
    """The store of the home ``source`` copied into the home ``target`` (SQLite's backup:
    consistent even while the source is open and has a WAL), replacing any store there."""
    clear(target)
    with (
        contextlib.closing(sqlite3.connect(db_path(source))) as src,
        contextlib.closing(sqlite3.connect(db_path(target))) as dst,
        dst,  # committed
    ):
        src.backup(dst)


def listing_days(home: Path) -> list[tuple[str, int]]:
    """``(listing day, papers listed that day)`` of every day with papers, newest first."""
    with read_only(home) as conn:
        rows = conn.execute(
            "SELECT listed, count(*) FROM papers WHERE listed IS NOT NULL "
            "GROUP BY listed ORDER BY listed DESC"
        ).fetchall()
    return [(str(day), int(n)) for day, n in rows]
