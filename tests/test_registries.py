"""The embedder and reranker registries: names chosen by config, defaults as before."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from paperradar.config import load_config
from paperradar.embedding import EMBEDDERS, FakeEmbedder, MiniLMEmbedder, default_embedder
from paperradar.errors import ConfigError
from paperradar.search.rerank import (
    RERANKERS,
    IdentityReranker,
    RerankQuery,
    apply_reranker,
    configured_reranker,
    get_reranker,
)


def test_the_embedder_comes_from_the_env_then_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERRADAR_EMBEDDER", raising=False)
    monkeypatch.delenv("PAPERRADAR_EMBEDDING_MODEL", raising=False)
    (tmp_path / "config.toml").write_text('[embedding]\nmodel = "fake"\n', encoding="utf-8")
    assert isinstance(default_embedder(load_config(tmp_path)), FakeEmbedder)
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    assert isinstance(default_embedder(), FakeEmbedder)
    assert set(EMBEDDERS) >= {"minilm", "fake"}


def test_minilm_is_the_default_and_unknown_names_are_config_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERRADAR_EMBEDDER", raising=False)
    monkeypatch.delenv("PAPERRADAR_EMBEDDING_MODEL", raising=False)
    monkeypatch.setitem(EMBEDDERS, "minilm", lambda: FakeEmbedder(dim=8))  # no model load
    assert default_embedder().model_id == "fake-8"
    (tmp_path / "config.toml").write_text('[embedding]\nmodel = "nope"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[embedding\] model: unknown model 'nope'"):
        default_embedder(load_config(tmp_path))
    assert MiniLMEmbedder.__name__ == "MiniLMEmbedder"


def test_the_identity_reranker_keeps_the_order_and_builds_no_texts(tmp_path: Path) -> None:
    reranker = configured_reranker(load_config(tmp_path))
    assert isinstance(reranker, IdentityReranker)

    def text_of(item: int) -> str:
        raise AssertionError("the identity needs no texts")

    assert apply_reranker(reranker, RerankQuery("q"), [3, 1, 2], text_of) == [3, 1, 2]


def test_a_registered_reranker_reorders(monkeypatch: pytest.MonkeyPatch) -> None:
    class Shortest:
        name = "shortest"

        def rerank(self, query: RerankQuery, candidates: list[str]) -> list[int]:
            return sorted(range(len(candidates)), key=lambda i: len(candidates[i]))

    monkeypatch.setitem(RERANKERS, "shortest", Shortest)
    reranker = get_reranker("shortest")
    assert apply_reranker(reranker, RerankQuery(), ["ccc", "a", "bb"], str) == ["a", "bb", "ccc"]


def test_a_reranker_that_drops_items_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Dropper:
        name = "dropper"

        def rerank(self, query: RerankQuery, candidates: Sequence[str]) -> list[int]:
            return [0]

    with pytest.raises(ConfigError, match="not return a permutation"):
        apply_reranker(Dropper(), RerankQuery(), ["a", "b"], str)
    with pytest.raises(ConfigError, match="unknown reranker 'nope'"):
        get_reranker("nope")
