"""The radar's first pages, kept per process while what they were ranked from is unchanged.

Ranking a day for a profile (``make_digest``: scores, diversity, an explanation per card) is
most of a radar page's time, and a reload, the back button or another tab asks for the same
page again. :class:`FirstPages` keeps the digest of each (profile, day) with two marks taken
before it was made:

- the store's ``version()``, which any commit by any connection or process changes: while it
  is the same, nothing changed, and the kept page is what ranking again would give;
- a fingerprint of what the page is ranked from (the caller's: the profile with its papers,
  rules and feedback, the day's candidates, the papers its other digests showed): when the
  store changed but not these -- another user's like, a login, an ingest of other days -- the
  kept page is used for :data:`MAX_AGE_S` seconds after it was made, then ranked again (a
  paper's text merged by an ingest, or the word counts of the whole store, reach the page by
  then at the latest).

So with many users each one's like re-ranks only their own pages. Each process keeps its own.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from paperradar.models import Digest
from paperradar.store.api import Store

#: first pages kept at most (the least recently used goes first)
KEEP = 256
#: seconds a page is kept across commits that leave its fingerprint unchanged
MAX_AGE_S = 60.0


@dataclass(frozen=True, slots=True)
class _Kept:
    version: Hashable
    fingerprint: Hashable
    made: float  # time.monotonic()
    digest: Digest


class FirstPages:
    """The first page of each (profile, day) radar (see the module). Pages are shared by the
    threads that ask: read them, never change them."""

    def __init__(
        self,
        store: Store,
        keep: int = KEEP,
        max_age: float = MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._keep = keep
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._pages: OrderedDict[tuple[str, dt.date], _Kept] = OrderedDict()

    def get(
        self,
        profile: str,
        day: dt.date,
        fingerprint: Callable[[], Hashable],
        make: Callable[[], Digest],
    ) -> Digest:
        """The kept page of ``profile`` on ``day`` when the store is unchanged since it was
        made, or when ``fingerprint()`` is and the page is under the maximum age; else
        ``make()`` (kept for next time; its errors are raised, never kept)."""
        version = self._store.version()  # before the work: a commit during it is a miss next
        key = (profile, day)
        with self._lock:
            kept = self._pages.get(key)
        if kept is not None and kept.version == version:
            return self._touch(key, kept)
        mark = fingerprint()
        if (
            kept is not None
            and kept.fingerprint == mark
            and self._clock() - kept.made < self._max_age
        ):  # its version stays the old one: the age bounds what the fingerprint misses
            return self._touch(key, kept)
        made = self._clock()
        digest = make()
        with self._lock:
            self._pages[key] = _Kept(version, mark, made, digest)
            self._pages.move_to_end(key)
            while len(self._pages) > self._keep:
                self._pages.popitem(last=False)
        return digest

    def _touch(self, key: tuple[str, dt.date], kept: _Kept) -> Digest:
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
        return kept.digest
