"""The SQLite store: one file in WAL mode holding papers, aliases, sightings and FTS5."""

from __future__ import annotations

import datetime as dt
import fcntl
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from paperradar import identifiers
from paperradar.errors import StoreError, UsageError
from paperradar.models import IngestReport, Paper
from paperradar.store.dedup import abstracts_match, compatible, merge_into
from paperradar.store.sqlite.migrate import migrate
from paperradar.store.sqlite.rows import PAPER_COLUMNS, paper_values, row_to_paper, row_to_sighting

DB_NAME = "paperradar.db"


def _from_json_rows(columns: tuple[str, ...]) -> str:
    """``SELECT`` of a JSON array of row arrays (one parameter): a whole batch is one
    statement, so SQLite holds no Python lock between rows and a reader thread runs freely."""
    picks = ", ".join(f"value ->> {i}" for i in range(len(columns)))
    return f"({', '.join(columns)}) SELECT {picks} FROM json_each(?)"


_INSERT_PAPER = "INSERT INTO papers " + _from_json_rows(("id", "ingested", "pid", *PAPER_COLUMNS))
_UPDATE_PAPER = (
    f"UPDATE papers SET pid = ?, {', '.join(f'{c} = ?' for c in PAPER_COLUMNS)} WHERE id = ?"
)
_INSERT_SIGHTING = "INSERT OR IGNORE INTO sightings " + _from_json_rows(
    (
        "paper_id",
        "source",
        "locator",
        "seen_on",
        "seen_on_inferred",
        "rank",
        "upvotes",
        "kind",
        "recorded",
    )
)
_INSERT_ALIAS = "INSERT OR IGNORE INTO aliases " + _from_json_rows(("alias", "paper_id"))


def _json_list(values: Iterable[object]) -> str:
    return orjson.dumps(list(values)).decode()


def _json_rows(rows: Iterable[tuple[Any, ...]]) -> str:
    return orjson.dumps(list(rows)).decode()


#: tables whose rows name a paper: re-pointed when two stored papers turn out to be one
_PAPER_REFERENCES = ("sightings", "profile_papers", "feedback", "digest_items")


@dataclass(slots=True)
class Prepared:
    """A record ready for :meth:`Store.upsert`: what it can be matched by (its ids, content
    id and abstract key) and its column values. Preparing needs no database, so a reader
    thread can do it while the writer stores the previous batch."""

    paper: Paper
    external: list[str]
    content_id: str | None
    abstract: str | None
    values: tuple[Any, ...]

    @classmethod
    def of(cls, record: Paper) -> Prepared:
        key = identifiers.abstract_key(record.abstract) if record.abstract else None
        return cls(
            record,
            record.external_aliases(),
            identifiers.content_id(record.title, record.abstract),
            key,
            paper_values(record, key),
        )

    def all_aliases(self) -> list[str]:
        return [*self.external, self.content_id] if self.content_id else self.external


@dataclass
class _Batch:
    """Working state while one batch of records is matched and merged in memory."""

    papers: dict[int, Paper] = field(default_factory=dict)  # row id -> paper
    owned: dict[int, set[str]] = field(default_factory=dict)  # row id -> its aliases
    alias_owner: dict[str, int] = field(default_factory=dict)
    by_abstract_key: dict[str, list[int]] = field(default_factory=dict)
    new_aliases: dict[int, set[str]] = field(default_factory=dict)
    new_ids: list[int] = field(default_factory=list)
    dirty: set[int] = field(default_factory=set)
    absorbed: dict[int, int] = field(default_factory=dict)  # dropped row id -> kept row id
    stored: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # values as loaded
    fresh: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # new, values as prepared


class SqliteStore:
    """A paperradar store in the SQLite file at ``path``; created and migrated on open.

    One object may be shared by threads: each thread gets its own connection (made on first
    use), so a web request never waits for another's connection. :meth:`version` reads a
    dedicated connection that never writes, so it sees every commit of every other
    connection, in this process or another.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.home = path.parent
        if sqlite3.sqlite_version_info < (3, 38, 0):
            raise StoreError(
                f"paperradar needs SQLite 3.38 or newer; this Python has {sqlite3.sqlite_version}"
            )
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            migrate(self.conn)
            self._watcher = self._connect()
            self._watcher_lock = threading.Lock()
        except (sqlite3.Error, OSError) as exc:
            self.close()
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        self._wire()

    def _wire(self) -> None:
        """Attach the repositories (each holds its own caches, validated by version())."""
        from paperradar.store.sqlite.accounts import SqliteAccounts
        from paperradar.store.sqlite.delivery import SqliteDelivery
        from paperradar.store.sqlite.keyword import SqliteKeyword
        from paperradar.store.sqlite.papers import SqlitePapers
        from paperradar.store.sqlite.radar import SqliteRadar
        from paperradar.store.sqlite.scheduling import SqliteScheduling
        from paperradar.store.sqlite.vectors import SqliteVectors

        self.papers = SqlitePapers(self)
        self.keyword = SqliteKeyword(self)
        self.vectors = SqliteVectors(self)
        self.radar = SqliteRadar(self)
        self.delivery = SqliteDelivery(self)
        self.scheduling = SqliteScheduling(self)
        self.accounts = SqliteAccounts(self)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA cache_size = -65536")
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (for the backend's repositories only)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StoreError(f"the store at {self.path} is closed")
            try:
                conn = self._connect()
            except (sqlite3.Error, OSError) as exc:
                raise StoreError(f"cannot open the store at {self.path}: {exc}") from exc
            self._local.conn = conn
        return conn

    @classmethod
    def open(cls, home: Path) -> SqliteStore:
        return cls(home / DB_NAME)

    def describe(self) -> str:
        return str(self.path)

    def version(self) -> tuple[int, int]:
        """Changes whenever anything is committed to the store, by any connection: the
        watcher connection's ``data_version`` (it never writes, so every commit is another
        connection's) and the store's own commit count (belt and braces within a thread)."""
        with self._watcher_lock:
            other = int(self._watcher.execute("PRAGMA data_version").fetchone()[0])
        return other, self.conn.total_changes

    @contextmanager
    def lock(self, name: str) -> Iterator[bool]:
        """Hold ``<db>.<name>.lock`` (an flock, dropped by the OS if the process dies);
        yields False when another process or thread holds it."""
        path = self.path.with_name(f"{self.path.name}.{name}.lock")
        try:
            handle = path.open("a+b")
        except OSError as exc:
            raise StoreError(f"cannot open the {name} lock {path}: {exc}") from exc
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True

    def close(self) -> None:
        self._closed = True
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction: committed whole or rolled back whole."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to the store at {self.path}: {exc}") from exc
        try:
            yield
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"writing to the store at {self.path} failed: {exc}") from exc
            raise

    # -- writing ------------------------------------------------------------------------

    def upsert(
        self, records: list[Paper] | list[Prepared], report: IngestReport | None = None
    ) -> IngestReport:
        """Store a batch of records, merging each into the paper it duplicates, if any.

        Duplicates are found by alias (arXiv id at any version, DOI, S2, HF), by content id
        (normalised title) and by abstract (one a truncated prefix of the other). Runs in
        the caller's transaction, or in its own.
        """
        report = report or IngestReport()
        with self.transaction():
            keyed = [r if isinstance(r, Prepared) else Prepared.of(r) for r in records]
            batch = self._prefetch(keyed)
            next_id = self._max_id() + 1
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            for keys in keyed:
                record = keys.paper
                target = self._match(record, keys, batch)
                if target is None:
                    if record.withdrawn and not (record.title or record.abstract):
                        report.skipped += 1  # a deletion of a paper we never had
                        continue
                    target, next_id = next_id, next_id + 1
                    batch.papers[target] = record
                    batch.owned[target] = set()
                    batch.new_ids.append(target)
                    batch.fresh[target] = keys.values
                    record.ingested = dt.datetime.fromisoformat(now)
                    report.new += 1
                else:
                    merge_into(batch.papers[target], record)
                    batch.dirty.add(target)
                    batch.fresh.pop(target, None)
                    report.merged += 1
                self._claim(target, keys, batch)
            self._write(batch, now)
        return report

    def _max_id(self) -> int:
        row = self.conn.execute(
            "SELECT max(ifnull((SELECT seq FROM sqlite_sequence WHERE name = 'papers'), 0), "
            "ifnull((SELECT max(id) FROM papers), 0))"
        ).fetchone()
        return int(row[0])

    def _prefetch(self, keyed: list[Prepared]) -> _Batch:
        """Load the stored papers any record of the batch could be a duplicate of."""
        batch = _Batch()
        aliases = {a for k in keyed for a in k.all_aliases()}
        keys = {k.abstract for k in keyed if k.abstract}
        ids: set[int] = set()
        for (pid,) in self.conn.execute(
            "SELECT paper_id FROM aliases WHERE alias IN (SELECT value FROM json_each(?))",
            (_json_list(aliases),),
        ):
            ids.add(pid)
        for pid, key in self.conn.execute(
            "SELECT id, abstract_key FROM papers "
            "WHERE abstract_key IN (SELECT value FROM json_each(?))",
            (_json_list(keys),),
        ):
            ids.add(pid)
            batch.by_abstract_key.setdefault(key, []).append(pid)
        if not ids:
            return batch
        id_list = _json_list(ids)
        for row in self.conn.execute(
            "SELECT * FROM papers WHERE id IN (SELECT value FROM json_each(?))", (id_list,)
        ):
            batch.papers[row["id"]] = row_to_paper(row)
            batch.owned[row["id"]] = set()
            batch.stored[row["id"]] = tuple(row[c] for c in ("pid", *PAPER_COLUMNS))
        for alias, pid in self.conn.execute(
            "SELECT alias, paper_id FROM aliases "
            "WHERE paper_id IN (SELECT value FROM json_each(?))",
            (id_list,),
        ):
            batch.owned[pid].add(alias)
            batch.alias_owner[alias] = pid
        return batch

    def _match(self, record: Paper, keys: Prepared, batch: _Batch) -> int | None:
        """The row id of the paper this record duplicates, or None for a new paper."""
        strong: list[int] = []
        for alias in keys.external:
            owner = batch.alias_owner.get(alias)
            if (
                owner is not None
                and owner not in strong
                and compatible(batch.papers[owner], record)
            ):
                strong.append(owner)
        if strong:
            keep = strong[0]
            for other in strong[1:]:
                if compatible(batch.papers[keep], batch.papers[other]):
                    self._absorb(keep, other, batch)
            return keep
        owner = batch.alias_owner.get(keys.content_id) if keys.content_id else None
        if owner is not None and compatible(batch.papers[owner], record):
            return owner
        for candidate in batch.by_abstract_key.get(keys.abstract, []) if keys.abstract else []:
            paper = batch.papers[candidate]
            if compatible(paper, record) and abstracts_match(paper.abstract, record.abstract):
                return candidate
        return None

    def _claim(self, target: int, keys: Prepared, batch: _Batch) -> None:
        """Give the paper the record's aliases that no other paper owns yet."""
        for alias in keys.all_aliases():
            if alias not in batch.alias_owner:
                batch.alias_owner[alias] = target
                batch.owned[target].add(alias)
                batch.new_aliases.setdefault(target, set()).add(alias)
        key = keys.abstract
        if key and target not in batch.by_abstract_key.setdefault(key, []):
            batch.by_abstract_key[key].append(target)

    def _absorb(self, keep: int, drop: int, batch: _Batch) -> None:
        """Two stored papers turn out to be one: fold ``drop`` into ``keep``."""
        merge_into(batch.papers[keep], batch.papers.pop(drop))
        batch.fresh.pop(keep, None)
        batch.fresh.pop(drop, None)
        for alias in batch.owned.pop(drop):
            batch.alias_owner[alias] = keep
            batch.owned[keep].add(alias)
        batch.new_aliases.setdefault(keep, set()).update(batch.new_aliases.pop(drop, set()))
        for ids in batch.by_abstract_key.values():
            if drop in ids:
                ids[ids.index(drop)] = keep
        if drop in batch.new_ids:
            batch.new_ids.remove(drop)
        else:
            batch.absorbed[drop] = keep
        batch.dirty.discard(drop)
        batch.dirty.add(keep)

    def _write(self, batch: _Batch, now: str) -> None:
        conn = self.conn
        for drop, keep in batch.absorbed.items():
            conn.execute("UPDATE aliases SET paper_id = ? WHERE paper_id = ?", (keep, drop))
            for table in _PAPER_REFERENCES:  # what a user did with the paper follows it
                conn.execute(
                    f"UPDATE OR IGNORE {table} SET paper_id = ? WHERE paper_id = ?", (keep, drop)
                )
            conn.execute("DELETE FROM papers WHERE id = ?", (drop,))
        new = set(batch.new_ids)
        conn.execute(
            _INSERT_PAPER,
            (
                _json_rows(
                    (i, now, self._pid(i, batch), *self._values(i, batch)) for i in batch.new_ids
                ),
            ),
        )
        if batch.new_ids:  # one pass over the batch's new rows: twice as fast as a row trigger
            conn.execute(
                "INSERT INTO papers_fts(rowid, title, abstract, authors) "
                "SELECT id, title, abstract, authors FROM papers WHERE id BETWEEN ? AND ?",
                (min(batch.new_ids), max(batch.new_ids)),
            )
        changed = (
            (i, (self._pid(i, batch), *paper_values(batch.papers[i]))) for i in batch.dirty - new
        )
        conn.executemany(
            _UPDATE_PAPER, [(*values, i) for i, values in changed if values != batch.stored[i]]
        )
        conn.execute(
            _INSERT_ALIAS,
            (_json_rows((a, i) for i, aliases in batch.new_aliases.items() for a in aliases),),
        )
        sightings = [
            (
                i,
                s.source,
                s.locator,
                s.seen_on.isoformat() if s.seen_on else None,
                int(s.seen_on_inferred),
                s.rank,
                s.upvotes,
                s.kind,
                now,
            )
            for i in batch.new_ids + sorted(batch.dirty - new)
            for s in batch.papers[i].sightings
        ]
        conn.execute(_INSERT_SIGHTING, (_json_rows(sightings),))

    @staticmethod
    def _values(row_id: int, batch: _Batch) -> tuple[Any, ...]:
        fresh = batch.fresh.get(row_id)
        return fresh if fresh is not None else paper_values(batch.papers[row_id])

    @staticmethod
    def _pid(row_id: int, batch: _Batch) -> str:
        """The canonical id: the best-ranked alias; a stored id stays unless a better scheme
        (say arXiv over a content id) has arrived."""
        owned = batch.owned.get(row_id)
        if not owned:
            return f"row:{row_id}"
        best = identifiers.canonical_of(owned)
        stored = batch.stored.get(row_id)
        current = stored[0] if stored else None
        if current in owned and identifiers.alias_scheme(current) == identifiers.alias_scheme(best):
            return str(current)
        return best

    # -- reading ------------------------------------------------------------------------

    def resolve(self, ref: str) -> int:
        """The row id of a paper given any of its ids (canonical id, alias, arXiv id...)."""
        ref = ref.strip()
        row = self.conn.execute("SELECT id FROM papers WHERE pid = ?", (ref,)).fetchone()
        if row:
            return int(row[0])
        alias = identifiers.normalise_alias(ref)
        if alias:
            row = self.conn.execute(
                "SELECT paper_id FROM aliases WHERE alias = ?", (alias,)
            ).fetchone()
            if row:
                return int(row[0])
        raise UsageError(f"no paper with id {ref!r} in the store")

    def get(self, ref: str) -> Paper:
        """A paper with its aliases and sightings, by any of its ids."""
        return self.load([self.resolve(ref)], with_sightings=True)[0]

    def load(self, row_ids: list[int], with_sightings: bool = False) -> list[Paper]:
        """Papers by row id, in the given order, with aliases (and sightings if asked)."""
        ids = _json_list(row_ids)
        papers: dict[int, Paper] = {
            row["id"]: row_to_paper(row)
            for row in self.conn.execute(
                "SELECT * FROM papers WHERE id IN (SELECT value FROM json_each(?))", (ids,)
            )
        }
        for alias, pid in self.conn.execute(
            "SELECT alias, paper_id FROM aliases "
            "WHERE paper_id IN (SELECT value FROM json_each(?)) ORDER BY alias",
            (ids,),
        ):
            papers[pid].aliases.append(alias)
        if with_sightings:
            for row in self.conn.execute(
                "SELECT * FROM sightings WHERE paper_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY seen_on, id",
                (ids,),
            ):
                papers[row["paper_id"]].sightings.append(row_to_sighting(row))
        return [papers[i] for i in row_ids if i in papers]

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM papers").fetchone()[0])

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Run a read-only query (for the library's own modules: stats, search)."""
        return list(self.conn.execute(sql, params))


#: the name the library used before the storage seam (kept for callers of Store(path))
Store = SqliteStore
