"""MiniLM's NumPy forward pass: the same vectors as sentence-transformers, without torch.

The integration tests run the real all-MiniLM-L6-v2 of the bundled package on real abstracts
from the arXiv slice in data/; the routing tests replace the torch path with a recorder.
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from helpers import paths

import paperradar.embedding as embedding
from paperradar.embedding import (
    SMALL_TOKENS,
    WARM_SMALL_TOKENS,
    MiniLMEmbedder,
    Progress,
    paper_text,
)
from paperradar.embedding.minilm_numpy import _one_blas_thread, erf, gelu, load_numpy_minilm
from paperradar.errors import ConfigError
from paperradar.models import Paper
from paperradar.readers import read_path

#: real abstracts compared with the reference (a forward pass costs about 0.1 s each)
REAL = 24
QUERY = "why do reasoning models fail on harder puzzles"


# --- pieces (no model) --------------------------------------------------------------------


def test_erf_and_gelu_match_the_exact_functions() -> None:
    grid = np.linspace(-8, 8, 4001, dtype=np.float32)
    want = np.array([math.erf(float(v)) for v in grid])
    assert np.abs(erf(grid.copy()) - want).max() < 5e-7  # 1.5e-7 and float32 rounding
    gelu_want = np.array([float(v) * 0.5 * (1 + math.erf(float(v) / math.sqrt(2))) for v in grid])
    assert np.abs(gelu(grid) - gelu_want).max() < 2e-6


def blas_threads() -> int:
    from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

    counts = {int(lib["num_threads"]) for lib in threadpool_info() if lib["user_api"] == "blas"}
    assert len(counts) == 1, counts
    return counts.pop()


def test_short_requests_hold_blas_to_one_thread_until_the_last_one_leaves() -> None:
    before = blas_threads()
    with _one_blas_thread():
        assert blas_threads() == 1
        with _one_blas_thread():  # a second request at the same time
            assert blas_threads() == 1
        assert blas_threads() == 1  # the first is still inside
    assert blas_threads() == before


class TorchRecorder:
    """Stands in for the torch model: records what it is asked to embed."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(
        self, texts: Sequence[str], batch_size: int, progress: Progress | None = None
    ) -> np.ndarray:
        self.calls.append(len(texts))
        return np.zeros((len(texts), 384), dtype=np.float32)


@pytest.fixture
def torch_path(monkeypatch: pytest.MonkeyPatch) -> TorchRecorder:
    recorder = TorchRecorder()
    monkeypatch.setattr(embedding, "_load_minilm", lambda precision: recorder)
    monkeypatch.setattr(embedding, "_minilm_loaded", lambda precision: False)
    return recorder


def test_minilm_rejects_an_unknown_small_path() -> None:
    with pytest.raises(ConfigError, match="PAPERRADAR_EMBED_SMALL"):
        MiniLMEmbedder(small="gpu")


def test_the_environment_picks_the_small_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERRADAR_EMBEDDER", raising=False)
    monkeypatch.setenv("PAPERRADAR_EMBED_SMALL", "torch")
    assert embedding.get_embedder("minilm").small == "torch"  # type: ignore[attr-defined]
    monkeypatch.delenv("PAPERRADAR_EMBED_SMALL")
    assert embedding.get_embedder("minilm").small == "numpy"  # type: ignore[attr-defined]


# --- the real model (integration) ---------------------------------------------------------


@pytest.fixture(scope="module")
def real_texts() -> list[str]:
    """REAL papers of the shipped arXiv slice, then a query, two tiny texts and one too long."""
    records = read_path(paths.ARXIV_SLICE).records
    papers = [r for r in itertools.islice(records, REAL) if isinstance(r, Paper)]
    assert len(papers) == REAL
    return [paper_text(p.title, p.abstract) for p in papers] + [QUERY, "", "x", "A title. " * 300]


@pytest.fixture(scope="module")
def sentence_transformer() -> Any:
    return embedding.load_sentence_transformer()


@pytest.mark.integration
def test_numpy_matches_sentence_transformers_on_real_abstracts(
    real_texts: list[str], sentence_transformer: Any
) -> None:
    model = load_numpy_minilm()
    want = np.asarray(
        sentence_transformer.encode(real_texts, batch_size=16, normalize_embeddings=True),
        dtype=np.float32,
    )
    got = model.encode(real_texts)
    assert got.shape == (len(real_texts), 384) and got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, rtol=1e-5)
    cosines = (got * want).sum(axis=1)
    assert cosines.min() >= 0.999, cosines.min()
    assert np.abs(got - want).max() < 1e-4  # fp32 both: the same vectors, not just close
    # the same tokens, the long text cut at the same place
    ids = sentence_transformer.tokenizer(real_texts, truncation=True, max_length=256)
    assert model.tokenize(real_texts) == [list(s) for s in ids["input_ids"]]
    assert len(model.tokenize(real_texts[-1:])[0]) == model.max_length == 256


@pytest.mark.integration
def test_numpy_matches_the_torch_paths(real_texts: list[str], sentence_transformer: Any) -> None:
    import torch

    texts = real_texts[:12] + real_texts[-4:]
    got = load_numpy_minilm().encode(texts)
    for dtype in (torch.float32, torch.bfloat16):
        packed = embedding._PackedMiniLM(sentence_transformer, dtype, workers=1)
        cosines = (got * packed.encode(texts, batch_size=4)).sum(axis=1)
        assert cosines.min() >= (0.99999 if dtype == torch.float32 else 0.999), (dtype, cosines)


@pytest.mark.integration
def test_small_requests_take_the_numpy_path_and_bulk_the_torch_one(
    real_texts: list[str], torch_path: TorchRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert SMALL_TOKENS == 8192
    limit = 1024  # the real limit is some 32 abstracts: a smaller one keeps the test quick
    monkeypatch.setattr(embedding, "SMALL_TOKENS", limit)
    embedder = MiniLMEmbedder()
    seen: list[int] = []
    query = embedder.embed([QUERY], progress=seen.append)
    np.testing.assert_allclose(query, load_numpy_minilm().encode([QUERY]))
    assert seen == [1] and torch_path.calls == []
    small = real_texts[:2]
    assert sum(len(s) for s in load_numpy_minilm().tokenize(small)) <= limit
    assert np.abs(embedder.embed(small)).sum() > 0 and torch_path.calls == []
    bulk = real_texts[:8]
    assert sum(len(s) for s in load_numpy_minilm().tokenize(bulk)) > limit
    embedder.embed(bulk)
    assert torch_path.calls == [8]
    embedder.embed([QUERY] * (limit // 2 + 1))  # too many texts: not even tokenized
    assert torch_path.calls == [8, limit // 2 + 1]
    MiniLMEmbedder(small="torch").embed([QUERY])  # today's behaviour, when asked for
    assert torch_path.calls[-1] == 1


@pytest.mark.integration
def test_once_torch_is_loaded_only_short_texts_stay_on_numpy(
    real_texts: list[str], torch_path: TorchRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedding, "_minilm_loaded", lambda precision: True)
    embedder = MiniLMEmbedder()
    embedder.embed([QUERY, "graph neural networks"])
    assert torch_path.calls == []
    texts = real_texts[:8]
    assert sum(len(s) for s in load_numpy_minilm().tokenize(texts)) > WARM_SMALL_TOKENS
    embedder.embed(texts)
    assert torch_path.calls == [8]


@pytest.mark.integration
def test_the_model_is_loaded_once_by_many_threads() -> None:
    models: list[object] = []
    threads = [
        threading.Thread(target=lambda: models.append(load_numpy_minilm())) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(models) == 8 and all(m is models[0] for m in models)


CHECK_IMPORTS = """
import sys
from paperradar.embedding import MiniLMEmbedder
vector = MiniLMEmbedder().embed([sys.argv[1]])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print(vector.shape, heavy)
"""


@pytest.mark.integration
def test_a_query_is_embedded_without_torch_or_sentence_transformers() -> None:
    heavy = {"torch", "transformers", "sentence_transformers", "sklearn", "scipy"}
    script = CHECK_IMPORTS.replace("{heavy!r}", repr(heavy))
    done = subprocess.run(
        [sys.executable, "-c", script, QUERY],
        capture_output=True,
        text=True,
        cwd=paths.REPO,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(paths.REPO)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(1, 384) []"
