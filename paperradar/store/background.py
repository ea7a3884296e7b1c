"""The feedback classifier's background sample, the same on every backend: the vectors of
papers drawn at random by row id (a seeded draw, so the same seed and newest id give the same
papers), kept for the last few questions."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from paperradar.store.api import Store

Vectors = Mapping[int, npt.NDArray[np.float32]]

#: the background samples kept (model, seed, newest id, size)
KEPT = 16


class BackgroundSamples:
    """``sample(model, n, seed)`` over ``store``: its newest row id (``papers.max_id``) and the
    stored vectors of the papers drawn (``vectors.for_papers``; papers without one are left
    out), both asked when a sample is made."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._kept: dict[tuple[str, int, int, int], Vectors] = {}
        self._lock = threading.Lock()

    def sample(self, model: str, n: int, seed: int) -> Vectors:
        top = self._store.papers.max_id()
        if top == 0 or n <= 0:
            return {}
        key = (model, seed, top, n)
        with self._lock:
            found = self._kept.get(key)
        if found is None:
            rng = np.random.default_rng(seed)
            picks = sorted({int(i) for i in rng.integers(1, top + 1, size=n * 3)})
            found = self._store.vectors.for_papers(model, picks)
            with self._lock:
                if key not in self._kept and len(self._kept) >= KEPT:
                    self._kept.pop(next(iter(self._kept)))
                self._kept[key] = found
        return found
