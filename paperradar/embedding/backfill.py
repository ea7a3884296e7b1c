"""Embed the store's papers that have no vector yet, resumably.

Texts are taken in content-hash order in chunks; each chunk's vectors are committed before
the next is embedded, so an interrupted run (Ctrl-C, a kill) keeps what it finished and the
next run carries on from there. Papers with the same title and abstract share one vector.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from paperradar.embedding import Embedder, paper_text
from paperradar.store.api import Store

CHUNK = 256


@dataclass(slots=True)
class EmbedReport:
    """What an embed run did: texts embedded now, texts still waiting, the model."""

    model: str
    embedded: int = 0
    pending: int = 0


#: Called as progress(done_so_far, total) after each chunk.
EmbedProgress = Callable[[int, int], None]


def embed_missing(
    store: Store,
    embedder: Embedder,
    chunk: int = CHUNK,
    progress: EmbedProgress | None = None,
    limit: int | None = None,
) -> EmbedReport:
    """Embed every text of the store that has no vector for this embedder's model."""
    report = EmbedReport(model=embedder.model_id)
    total = store.vectors.count_pending(embedder.model_id)
    if limit is not None:
        total = min(total, limit)
    after = ""
    if progress:
        progress(0, total)
    while report.embedded < total:
        batch = store.vectors.pending(embedder.model_id, min(chunk, total - report.embedded), after)
        if not batch:
            break
        texts = [paper_text(title, abstract) for _, title, abstract in batch]
        done = report.embedded

        def step(n: int, _done: list[int] = [done]) -> None:  # noqa: B006 - per-chunk counter
            _done[0] += n
            if progress:
                progress(_done[0], total)

        vectors = embedder.embed(texts, progress=step)
        store.vectors.save(embedder.model_id, [h for h, _, _ in batch], vectors)
        report.embedded += len(batch)
        after = batch[-1][0]
        if progress:
            progress(report.embedded, total)
    report.pending = store.vectors.count_pending(embedder.model_id)
    return report


def ensure_vectors(store: Store, embedder: Embedder, row_ids: list[int]) -> int:
    """Embed those of these papers whose text has no vector yet; how many texts were
    embedded. (Ranking calls this so a profile's papers need no separate `embed` run.)"""
    if not row_ids:
        return 0
    rows = store.vectors.pending_for_papers(embedder.model_id, row_ids)
    if not rows:
        return 0
    vectors = embedder.embed([paper_text(title, abstract) for _, title, abstract in rows])
    store.vectors.save(embedder.model_id, [h for h, _, _ in rows], vectors)
    return len(rows)
