"""Copying a whole store to another (``paperradar store copy``): the tables copied, each
column's kind, and what a backend provides to read and write them.

Rows travel between backends in one **neutral form**, the SQLite store's own: ISO text for
days (``date``) and times (``time``, ISO 8601 with its UTC offset), 0/1 for flags (``bool``),
compact JSON text for lists and objects (``json``: as orjson writes it; ``jsontext``: the
text as stored, key order kept), little-endian float16 bytes for vectors (``vector``), a
scheduled slot as the ISO text of its local time (``slot``), and ints, floats, text and bytes
as they are. A backend converts its own types to and from that form, so a copy in either
direction gives back the same values, and a round trip the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

#: what a column holds, in the neutral form (the module's docstring)
Kind = Literal[
    "int", "real", "text", "bytes", "bool", "date", "time", "json", "jsontext", "vector", "slot"
]
#: one row of a table in the neutral form, its values in the table's column order
Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind


@dataclass(frozen=True, slots=True)
class Table:
    """A table copied row for row. ``key``: the columns that order and page it (unique; a
    chunk is read after the last key of the one before). ``whole``: small, read in one go.
    ``ids``: its ``id`` column is handed out by the store (never reused), so a copy keeps
    the source's high-water mark."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    whole: bool = False
    ids: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def key_of(self, row: Row) -> Row:
        """The key values of ``row``."""
        names = self.names
        return tuple(row[names.index(k)] for k in self.key)


def _table(name: str, columns: str, key: str, *, whole: bool = False, ids: bool = False) -> Table:
    """A table from ``"name:kind name:kind ..."`` (kind ``text`` when left out)."""
    parsed = []
    for spec in columns.split():
        column, _, kind = spec.partition(":")
        parsed.append(Column(column, kind or "text"))  # type: ignore[arg-type]
    return Table(name, tuple(parsed), tuple(key.split()), whole=whole, ids=ids)


#: every table a copy carries, parents before children. Not copied: what the destination
#: derives itself (``paper_categories``, SQLite's ``papers_fts``; their counts are checked),
#: transient state (SQLite's ``ingest_runs``/``ingest_undo``, failed logins) and the copy's
#: own progress (``store_copies``).
TABLES: tuple[Table, ...] = (
    _table(
        "papers",
        "id:int pid title abstract abstract_truncated:bool authors:json author_count:int "
        "categories:json primary_category arxiv_id arxiv_version:int doi s2_id hf_id "
        "links:jsontext organisation upvotes:int comment journal_ref keywords:json "
        "submitted:date submitted_year_inferred:bool updated:date listed:date "
        "listed_year_inferred:bool ingested:time withdrawn:bool abstract_key content_hash",
        "id",
        ids=True,
    ),
    _table("aliases", "alias paper_id:int", "alias"),
    _table(
        "sightings",
        "id:int paper_id:int source locator seen_on:date seen_on_inferred:bool rank:int "
        "upvotes:int kind recorded:time",
        "id",
        ids=True,
    ),
    _table("vectors", "model content_hash vector:vector", "model content_hash"),
    _table("profiles", "id:int name created:time", "id", ids=True),
    _table(
        "profile_papers", "profile_id:int paper_id:int origin added:time", "profile_id paper_id"
    ),
    _table("feedback", "id:int profile_id:int paper_id:int action at:time", "id", ids=True),
    _table("rules", "profile_id:int kind value key added:time", "profile_id kind key"),
    _table(
        "digests",
        "id:int profile_id:int created:time window_start:date window_end:date candidates:int",
        "id",
        ids=True,
    ),
    _table("digest_items", "digest_id:int rank:int paper_id:int score:real why", "digest_id rank"),
    _table(
        "outbox",
        "id:int digest_id:int recipient subject message_id message:bytes status attempts:int "
        "last_error created:time sent:time",
        "id",
        ids=True,
    ),
    _table("users", "id:int name password_hash created:time", "id", ids=True),
    _table("sessions", "token_hash user_id:int csrf created:time expires:time", "token_hash"),
    _table("profile_owners", "profile_id:int user_id:int", "profile_id"),
    _table("subscriptions", "profile_id:int email enabled:bool at updated:time", "profile_id"),
    _table(
        "source_state",
        "name kind cursor:jsontext checkpoint:jsontext started:time succeeded:time "
        "failures:int last_error",
        "name",
    ),
    _table(
        "schedule_runs",
        "job slot:slot started:time finished:time status detail",
        "job slot",
        whole=True,
    ),
)
#: tables the destination derives from the copied ones; their counts are compared too
DERIVED: tuple[str, ...] = ("paper_categories",)
#: the table name of the whole copy's own progress row (:meth:`CopyRepo.progress`)
WHOLE = "*"


@dataclass(frozen=True, slots=True)
class CopyProgress:
    """How far a copy from one origin has gone with one table (or, under :data:`WHOLE`,
    the copy as a whole: ``done`` when it finished and its counts matched)."""

    last_key: Row | None
    rows: int
    done: bool


class CopyRepo(Protocol):
    """A backend's side of ``store copy``: rows of :data:`TABLES` in the neutral form, read
    in key order and written as they are (ids included), the ids' high-water marks, counts,
    and the copy's progress, kept in the destination so that a copy stopped anywhere (a
    kill) resumes where it stopped."""

    def snapshot(self) -> AbstractContextManager[None]:
        """Reads of this thread inside the block see one consistent state of the store (a
        read transaction), whatever other connections commit meanwhile."""
        ...

    def read(self, table: Table, after: Row | None, limit: int | None) -> list[Row]:
        """Up to ``limit`` rows (None: all) of ``table`` whose key is above ``after`` (None:
        from the first), in key order."""
        ...

    def write(self, table: Table, rows: Sequence[Row]) -> None:
        """Insert ``rows`` into ``table``, keeping what the store derives from them (a
        paper's categories and keyword index) in step. Joins the caller's transaction."""
        ...

    def counts(self) -> dict[str, int]:
        """The rows of every table of :data:`TABLES` and :data:`DERIVED`."""
        ...

    def marks(self) -> dict[str, int]:
        """The largest id ever handed out in each table with ``ids`` (0: none yet)."""
        ...

    def raise_marks(self, marks: Mapping[str, int]) -> None:
        """Make the next id of each table above ``marks[table]`` (never lowers one)."""
        ...

    def progress(self, origin: str) -> dict[str, CopyProgress]:
        """The recorded progress of the copy from ``origin``, by table (empty: none)."""
        ...

    def record(self, origin: str, table: str, progress: CopyProgress) -> None:
        """Record ``progress`` (joins the caller's transaction: with the rows it counts)."""
        ...

    def forget(self, origin: str) -> None:
        """Delete the progress recorded for ``origin`` (a new copy starts)."""
        ...

    def finish(self) -> None:
        """After the last row: check what the store derives (a mismatch is a StoreError),
        build what it builds once it has enough rows (indexes), refresh its statistics."""
        ...
