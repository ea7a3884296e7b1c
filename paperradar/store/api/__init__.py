"""The storage protocol: what every backend of the store provides.

A :class:`Store` is one open store (the SQLite file today; a PostgreSQL server next). It hands
out repositories by aggregate -- :attr:`~Store.papers`, :attr:`~Store.keyword`,
:attr:`~Store.vectors`, :attr:`~Store.radar`, :attr:`~Store.delivery`,
:attr:`~Store.scheduling`, :attr:`~Store.accounts`, :attr:`~Store.copying` -- whose methods
take and return plain values and the dataclasses defined beside them, never cursors, rows or
SQL.

The contract, for every backend (docs/architecture.md):

- **Threads.** A store object may be shared by threads; each thread gets its own connection
  (SQLite) or a pooled one (PostgreSQL). Nothing assumes one connection per process.
- **Transactions.** :meth:`Store.transaction` is one unit of work, committed whole or rolled
  back whole; a repository method that writes runs in the caller's transaction when there is
  one, else in its own. Nesting joins the outer transaction.
- **Change detection.** :meth:`Store.version` changes whenever anything is committed, by any
  thread or process; caches compare it and never look at backend internals.
- **Bulk ingests.** :meth:`Store.ingest_run` commits a long ingest in bounded steps, so other
  writers never wait for the whole of it, and undoes every step if the run fails, is
  stopped, or its process dies: all or nothing, as one transaction would be. Writers of
  papers (``transaction(papers=True)``) wait for a run in progress to end.
- **Named locks.** :meth:`Store.lock` is held by at most one process at a time across the
  store (``"watch"``, ``"outbox"``) and released if the process dies.
"""

from __future__ import annotations

from collections.abc import Hashable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, Self

from paperradar.store.api.accounts import AccountRepo
from paperradar.store.api.copying import CopyRepo
from paperradar.store.api.delivery import DeliveryRepo
from paperradar.store.api.keyword import KeywordIndex
from paperradar.store.api.papers import PaperRepo
from paperradar.store.api.radar import RadarRepo
from paperradar.store.api.scheduling import SchedulingRepo
from paperradar.store.api.vectors import VectorRepo


class IngestRun(Protocol):
    """A bulk ingest in progress (:meth:`Store.ingest_run`)."""

    def step(self) -> AbstractContextManager[None]:
        """One bounded transaction of the run: committed at the end of the block, and
        undone with the rest of the run if the run does not complete."""
        ...


class Store(Protocol):
    """One open store: its repositories, transactions, change detection and named locks."""

    @property
    def home(self) -> Path:
        """The paperradar home: config.toml, file caches (index/), lock files."""
        ...

    @property
    def papers(self) -> PaperRepo: ...

    @property
    def keyword(self) -> KeywordIndex: ...

    @property
    def vectors(self) -> VectorRepo: ...

    @property
    def radar(self) -> RadarRepo: ...

    @property
    def delivery(self) -> DeliveryRepo: ...

    @property
    def scheduling(self) -> SchedulingRepo: ...

    @property
    def accounts(self) -> AccountRepo: ...

    @property
    def copying(self) -> CopyRepo:
        """Rows in the neutral form, for ``store copy`` (:mod:`paperradar.store.copying`)."""
        ...

    def transaction(self, papers: bool = False) -> AbstractContextManager[None]:
        """One unit of work: committed whole, or rolled back whole on any exception.
        ``papers``: it writes papers, so it waits for a bulk ingest in progress to end
        (inside another transaction it cannot wait: then StoreBusyError)."""
        ...

    def ingest_run(self, origin: str) -> AbstractContextManager[IngestRun]:
        """A bulk ingest of ``origin`` (for messages): all or nothing, committed step by
        step. Undone at once if the block raises, and by the next opening of the store if
        the process dies. Waits for another run in progress to end."""
        ...

    def version(self) -> Hashable:
        """A value that changes whenever anything is committed to the store, by anyone."""
        ...

    def lock(self, name: str) -> AbstractContextManager[bool]:
        """Try to hold the store-wide lock ``name`` without waiting; yields whether it is
        held. The lock is released on exit, and by the system if the process dies."""
        ...

    def describe(self) -> str:
        """Where the store is, for messages (a path, or a URL without its password)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


__all__ = [
    "AccountRepo",
    "CopyRepo",
    "DeliveryRepo",
    "KeywordIndex",
    "PaperRepo",
    "RadarRepo",
    "SchedulingRepo",
    "Store",
    "VectorRepo",
]
