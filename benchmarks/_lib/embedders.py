"""Embedders for timing and replaying searches without the model at query time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:  # the embedding package is not loaded where it is not used
    from paperradar.embedding import Embedder

Matrix = npt.NDArray[np.float32]


class KnownTexts:
    """An embedder that answers known texts with vectors computed beforehand (row i of
    ``vectors`` for ``texts[i]``): a search that embeds its query costs a lookup, not the
    model. Any other text is a KeyError."""

    def __init__(self, model_id: str, texts: Sequence[str], vectors: Matrix) -> None:
        self.model_id = model_id
        self.dim = int(vectors.shape[1])
        self.vectors = {t: vectors[i] for i, t in enumerate(texts)}

    @classmethod
    def embedded(cls, embedder: Embedder, texts: Sequence[str]) -> KnownTexts:
        """The texts embedded now, once each, by ``embedder``."""
        unique = list(dict.fromkeys(texts))
        return cls(embedder.model_id, unique, np.asarray(embedder.embed(unique)))

    def embed(self, texts: Sequence[str], progress: Any = None) -> Matrix:
        return np.stack([self.vectors[t] for t in texts]).astype(np.float32)
