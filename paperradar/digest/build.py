"""Build a profile's digest: candidates of a window, ranked, diversified, recorded.

Candidates are the papers listed (or, without a listing date, submitted) within the window's
dates, inclusive. Papers an earlier digest of the same profile showed are left out, so a
daily digest never repeats itself; building the digest of a window again replaces that
window's earlier digest in place (a re-run shows the same papers, not the next ones, and
keeps the digest's id, so an email queued for it is not queued twice).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field

import numpy as np
import numpy.typing as npt

from paperradar.embedding import Embedder, paper_text
from paperradar.errors import UsageError
from paperradar.models import Digest, Filters, Ranked
from paperradar.radar.profiles import load_profile
from paperradar.radar.ranking import (
    Pick,
    RankingConfig,
    RankingInputs,
    diversify,
    load_inputs,
    rank_pool,
    with_papers,
)
from paperradar.search.rerank import IdentityReranker, Reranker, RerankQuery, apply_reranker
from paperradar.store.api import Store
from paperradar.store.api.radar import DigestItem

#: diversity picks from the best POOL x top papers (see ranking.diversify)
POOL = 4


@dataclass(frozen=True, slots=True)
class DigestOptions:
    """What to put in a digest."""

    start: dt.date
    end: dt.date
    top: int = 20
    record: bool = True  # remember what was shown, so later digests do not repeat it
    diversity: float = 0.75  # MMR balance: 1 = by score alone
    config: RankingConfig = field(default_factory=RankingConfig)
    #: a second look at the ranked pool before diversity picks from it (None: as ranked;
    #: the CLI, the web app and watch pass the one ``[search] rerank`` names)
    reranker: Reranker | None = None


def candidate_ids(store: Store, start: dt.date, end: dt.date) -> list[int]:
    """Row ids of the papers listed (or submitted, without a listing date) in the window."""
    return store.papers.matching(Filters(since=start, until=end))


def shown_before(store: Store, profile_id: int, start: dt.date, end: dt.date) -> set[int]:
    """Papers shown by the profile's digests of other windows."""
    return store.radar.shown_before(profile_id, start, end)


def make_digest(
    store: Store, profile_name: str, embedder: Embedder, options: DigestOptions
) -> Digest:
    """Rank the window's candidates for the profile and keep the diversified top.

    The store is read first (the profile, the candidates, what ranking them needs); the
    ranking and the diversity picks work on those values alone; then the chosen papers
    get their full explanation (shared phrases and sentences: the rest of the pool is not
    shown, so it keeps the cheap one), are loaded, and the digest is recorded."""
    if options.start > options.end:
        raise UsageError(f"the window starts after it ends: {options.start} > {options.end}")
    if options.top < 1:
        raise UsageError("--top must be at least 1")
    profile = load_profile(store, profile_name)
    seen = shown_before(store, profile.id, options.start, options.end)
    candidates = [i for i in candidate_ids(store, options.start, options.end) if i not in seen]
    inputs = load_inputs(store, profile, embedder, candidates, options.config)
    # the pool's explanations are cheap (place, papers, rule): only the chosen get phrases
    # and sentences, exactly as ranking them all in full would give (ranking.Pool)
    pool = rank_pool(inputs, options.config, keep=POOL * options.top)
    picks, vectors = pool.picks, pool.vectors
    relevance = None
    if options.reranker is not None and not isinstance(options.reranker, IdentityReranker):
        picks, vectors = _reranked(options.reranker, inputs, picks, vectors)
        relevance = [float(len(picks) - i) for i in range(len(picks))]  # the reranker's order
    chosen = pool.explained(diversify(picks, vectors, options.top, options.diversity, relevance))
    entries = with_papers(store, chosen, with_sightings=True)
    digest = Digest(
        profile=profile.name,
        created=dt.datetime.now(dt.UTC).replace(microsecond=0),
        start=options.start,
        end=options.end,
        candidates=len(candidates),
        entries=entries,
    )
    if options.record and entries:  # an empty digest is not worth a row in the archive
        digest.id = _record(store, profile.id, digest)
    return digest


def _reranked(
    reranker: Reranker, inputs: RankingInputs, picks: list[Pick], vectors: npt.NDArray[np.float32]
) -> tuple[list[Pick], npt.NDArray[np.float32]]:
    """The pool in the reranker's order, its vectors' rows with it. The query is the
    profile's papers (own and liked), as the ranking's anchors."""
    anchors = tuple(paper_text(t.title, t.abstract) for t in inputs.profile.texts.values())
    texts = inputs.candidates.texts

    def text_of(index: int) -> str:
        text = texts[picks[index].row_id]
        return paper_text(text.title, text.abstract)

    order = apply_reranker(reranker, RerankQuery(anchors=anchors), range(len(picks)), text_of)
    return [picks[i] for i in order], vectors[order] if len(order) else vectors


def _record(store: Store, profile_id: int, digest: Digest) -> int:
    """Store the digest and what it showed; the same window's digest is updated in place
    (same id, so an email already queued for it is not queued again)."""
    return store.radar.record_digest(
        profile_id,
        digest.start,
        digest.end,
        digest.created,
        digest.candidates,
        [DigestItem(entry.row_id, entry.score, _why_json(entry)) for entry in digest.entries],
    )


def _why_json(entry: Ranked) -> str:
    return json.dumps({"why": asdict(entry.why), "parts": entry.parts}, ensure_ascii=False)


def past_digests(store: Store, profile_name: str, limit: int = 50) -> list[dict[str, object]]:
    """The profile's recorded digests, newest first: id, created, window, candidates, size."""
    profile = load_profile(store, profile_name)
    return [
        {
            "id": d.id,
            "created": d.created,
            "window_start": d.window_start,
            "window_end": d.window_end,
            "candidates": d.candidates,
            "size": d.size,
        }
        for d in store.radar.digests(profile.id, limit)
    ]
