"""Embed the store's papers that have no vector yet, resumably.

Texts are taken in content-hash order in chunks; each chunk's vectors are committed before
the next is embedded, so an interrupted run (Ctrl-C, a kill) keeps what it finished and the
next run carries on from there. Papers with the same title and abstract share one vector.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from paperradar.embedding import Embedder, paper_text
from paperradar.store import Store
from paperradar.store.sqlite.vectors import count_pending, pending_texts, save_vectors

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
    total = count_pending(store, embedder.model_id)
    if limit is not None:
        total = min(total, limit)
    after = ""
    if progress:
        progress(0, total)
    while report.embedded < total:
        batch = pending_texts(store, embedder.model_id, min(chunk, total - report.embedded), after)
        if not batch:
            break
        texts = [paper_text(title, abstract) for _, title, abstract in batch]
        done = report.embedded

        def step(n: int, _done: list[int] = [done]) -> None:  # noqa: B006 - per-chunk counter
            _done[0] += n
            if progress:
                progress(_done[0], total)

        vectors = embedder.embed(texts, progress=step)
        save_vectors(store, embedder.model_id, [h for h, _, _ in batch], vectors)
        report.embedded += len(batch)
        after = batch[-1][0]
        if progress:
            progress(report.embedded, total)
    report.pending = count_pending(store, embedder.model_id)
    return report


def ensure_vectors(store: Store, embedder: Embedder, row_ids: list[int]) -> int:
    """Embed those of these papers whose text has no vector yet; how many texts were
    embedded. (Ranking calls this so a profile's papers need no separate `embed` run.)"""
    if not row_ids:
        return 0
    rows = store.query(
        "SELECT p.content_hash, min(p.title) AS title, min(p.abstract) AS abstract "
        "FROM papers p WHERE p.id IN (SELECT value FROM json_each(?)) AND NOT EXISTS ("
        "  SELECT 1 FROM vectors v WHERE v.model = ? AND v.content_hash = p.content_hash) "
        "GROUP BY p.content_hash",
        ("[" + ",".join(str(int(i)) for i in row_ids) + "]", embedder.model_id),
    )
    if not rows:
        return 0
    vectors = embedder.embed([paper_text(r["title"], r["abstract"]) for r in rows])
    save_vectors(store, embedder.model_id, [r["content_hash"] for r in rows], vectors)
    return len(rows)
