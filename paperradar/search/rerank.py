"""Rerankers: a second look at a ranked list before it is shown.

A :class:`Reranker` gets what the list was ranked for -- a search query's text, or a profile's
papers for a digest -- and the candidates' texts in their ranked order, and returns the order
to show them in. Search reranks the fused list; a digest reranks its pool of the best
``POOL x top`` papers before diversity picks from it. The registry maps a name to a factory,
chosen by ``[search] rerank`` in config.toml; the default, ``none``, keeps the order (and the
output) exactly as it was. A new reranker is one class and one registry line; measure it with
``paperradar eval`` before making it a default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from paperradar.config import Config
from paperradar.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RerankQuery:
    """What a list was ranked for: a search's text, or a profile's papers' texts."""

    text: str | None = None
    anchors: tuple[str, ...] = ()


class Reranker(Protocol):
    """Reorders candidates; returns a permutation of ``range(len(candidates))``."""

    name: str

    def rerank(self, query: RerankQuery, candidates: Sequence[str]) -> list[int]: ...


class IdentityReranker:
    """The default: the order stays as ranked."""

    name = "none"

    def rerank(self, query: RerankQuery, candidates: Sequence[str]) -> list[int]:
        return list(range(len(candidates)))


#: name -> factory; ``[search] rerank`` picks one
RERANKERS: dict[str, Callable[[], Reranker]] = {"none": IdentityReranker}


def get_reranker(name: str = "none") -> Reranker:
    """The reranker registered as ``name``."""
    factory = RERANKERS.get(name.strip().lower())
    if factory is None:
        known = ", ".join(sorted(RERANKERS))
        raise ConfigError(f"[search] rerank: unknown reranker {name!r}; choose from {known}")
    return factory()


def configured_reranker(config: Config) -> Reranker:
    """The reranker ``[search] rerank`` names (``PAPERRADAR_SEARCH_RERANK``), default none."""
    value = config.get("search", "rerank", "none")
    if not isinstance(value, str):
        raise ConfigError(f"[search] rerank must be a name, not {value!r}")
    return get_reranker(value)


def apply_reranker(
    reranker: Reranker, query: RerankQuery, items: Sequence[T], text_of: Callable[[T], str]
) -> list[T]:
    """``items`` in the reranker's order (the identity costs nothing: no texts are built)."""
    if isinstance(reranker, IdentityReranker):
        return list(items)
    order = reranker.rerank(query, [text_of(item) for item in items])
    if sorted(order) != list(range(len(items))):
        raise ConfigError(f"reranker {reranker.name!r} did not return a permutation of its input")
    return [items[i] for i in order]
