"""The vector cache (one vector per model and content hash) and nearest-neighbour search."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from paperradar.models import Filters

#: the precision vectors are stored at (little-endian float16), by every backend
VECTOR_DTYPE = np.dtype("<f2")

#: ``(content hash, title, abstract)`` of a text that has no vector yet
PendingText = tuple[str, str, str]


class VectorRepo(Protocol):
    """The vector cache (one vector per model and content hash) and nearest-neighbour search.

    A paper's vector is the vector of its content hash (papers with the same title and
    abstract share one). Vectors are kept at :data:`VECTOR_DTYPE` precision.
    """

    def has_any(self, model: str) -> bool:
        """Whether any text has a vector for ``model``."""
        ...

    def count_pending(self, model: str) -> int:
        """How many distinct texts of stored papers have no vector for ``model``."""
        ...

    def pending(self, model: str, limit: int, after: str = "") -> list[PendingText]:
        """Up to ``limit`` texts with no vector for ``model``, in content-hash order after
        ``after`` (one per distinct text)."""
        ...

    def pending_for_papers(self, model: str, ids: Sequence[int]) -> list[PendingText]:
        """The texts of these papers that have no vector for ``model`` (one per text)."""
        ...

    def save(self, model: str, hashes: Sequence[str], matrix: npt.NDArray[np.float32]) -> None:
        """Store one vector (a row of ``matrix``) per content hash, in one transaction."""
        ...

    def for_papers(self, model: str, ids: Sequence[int]) -> dict[int, npt.NDArray[np.float32]]:
        """The vectors of some papers, by row id (those that have one)."""
        ...

    def by_hash(self, model: str, hashes: Sequence[str]) -> dict[str, npt.NDArray[np.float16]]:
        """The stored vectors of these content hashes, as stored (those that have one)."""
        ...

    def matrix(
        self, model: str, dtype: npt.DTypeLike = np.float32
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.floating]]:
        """Every paper's row id and vector for ``model``, ordered by row id."""
        ...

    def nearest(
        self,
        model: str,
        query: npt.NDArray[np.float32],
        k: int,
        filters: Filters | None = None,
        exclude: Collection[int] = (),
    ) -> list[tuple[int, float]]:
        """``(row id, cosine)`` of the ``k`` papers nearest to ``query`` that pass
        ``filters`` and are not in ``exclude``, best first; a UsageError when no paper has
        a vector for ``model``."""
        ...

    def duplicates_of(self, ids: Sequence[int]) -> set[int]:
        """These papers plus any with the same text, the same content id, or the same
        abstract (one a prefix of the other): what a similar-papers search leaves out."""
        ...
