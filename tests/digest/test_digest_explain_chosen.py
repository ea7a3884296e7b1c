"""A digest explains in full only the papers it shows, and shows exactly what explaining its
whole pool in full showed: the same entries, order, scores, parts, explanations and JSON.

The reference is the earlier way, written out: every pick of the pool explained in full
(``score_candidates`` without ``explain``), then diversity. On the shipped arXiv slice
(2,518 papers, the fake embedder) for a profile of two seed researchers' papers: plain,
with likes and dislikes (the feedback classifier), with follow and mute rules (followed
papers are appended past the top, and must be explained too), and through a reranker.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence

import pytest
from helpers import paths

from paperradar import Store, ingest_files
from paperradar.cli.digests import _digest_json
from paperradar.digest import DigestOptions, candidate_ids, make_digest
from paperradar.digest.build import POOL, _reranked, _why_json, shown_before
from paperradar.embedding import FakeEmbedder
from paperradar.embedding.backfill import embed_missing
from paperradar.models import Digest, Filters, Ranked
from paperradar.radar.explain import ProfilePhrases, phrase_keys, profile_keys_in
from paperradar.radar.profiles import (
    add_files,
    add_rule,
    create_profile,
    load_profile,
    record_feedback,
)
from paperradar.radar.ranking import (
    build_scorer,
    diversify,
    load_inputs,
    rank_pool,
    score_candidates,
    with_papers,
)
from paperradar.search.rerank import RerankQuery

SEEDS = [p for p in paths.SEED_FILES if p.name.startswith(("000_", "001_"))]
DAY = dt.date(2026, 6, 30)  # 530 papers
WEEK = (dt.date(2026, 6, 26), dt.date(2026, 7, 1))  # 1,257 papers over four listing days
SMALL = dt.date(2026, 6, 25)  # 26 papers: fewer than a pool, too few to judge rarity


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, FakeEmbedder]:
    store = Store.open(tmp_path_factory.mktemp("explain-chosen") / "home")
    ingest_files(store, [paths.ARXIV_SLICE])
    embedder = FakeEmbedder(dim=256)
    embed_missing(store, embedder)
    for name in ("plain", "fed", "rules", "recorded"):
        create_profile(store, name)
        add_files(store, name, SEEDS)
    day = candidate_ids(store, DAY, DAY)
    pids = list(store.papers.pids(day[::25]).values())
    record_feedback(store, "fed", pids[:8], "like")
    record_feedback(store, "fed", pids[8:16], "dislike")
    add_rule(store, "rules", "follow-keyword", "graph")
    add_rule(store, "rules", "follow-author", "Wang")
    add_rule(store, "rules", "mute-keyword", "robot")
    add_rule(store, "rules", "mute-category", "cs.CR")
    return store, embedder


def _reference(store: Store, name: str, embedder: FakeEmbedder, options: DigestOptions) -> list:  # type: ignore[type-arg]
    """The chosen entries as make_digest chose and explained them before: every pick of
    the pool explained in full, then diversity."""
    profile = load_profile(store, name)
    seen = shown_before(store, profile.id, options.start, options.end)
    ids = [i for i in candidate_ids(store, options.start, options.end) if i not in seen]
    inputs = load_inputs(store, profile, embedder, ids, options.config)
    scorer = build_scorer(inputs.profile, options.config)
    picks, vectors = score_candidates(scorer, inputs.candidates, keep=POOL * options.top)
    relevance = None
    if options.reranker is not None:
        picks, vectors = _reranked(options.reranker, inputs, picks, vectors)
        relevance = [float(len(picks) - i) for i in range(len(picks))]
    chosen = diversify(picks, vectors, options.top, options.diversity, relevance)
    return with_papers(store, chosen, with_sightings=True)


def _json(digest: Digest) -> str:
    return json.dumps({**_digest_json(digest), "created": None}, ensure_ascii=False)


def _same(made: Digest, expected: list[Ranked]) -> None:
    assert [e.row_id for e in made.entries] == [e.row_id for e in expected]
    assert [e.score for e in made.entries] == [e.score for e in expected]
    assert [e.parts for e in made.entries] == [e.parts for e in expected]
    assert [e.why for e in made.entries] == [e.why for e in expected]
    assert [e.paper for e in made.entries] == [e.paper for e in expected]
    assert [_why_json(e) for e in made.entries] == [_why_json(e) for e in expected]
    assert _json(made) == _json(dataclasses.replace(made, entries=expected))


class _WordFirst:
    """A reranker that puts the papers with a word first, keeping the order otherwise."""

    name = "word-first"

    def __init__(self, word: str) -> None:
        self.word = word

    def rerank(self, query: RerankQuery, candidates: Sequence[str]) -> list[int]:
        return sorted(range(len(candidates)), key=lambda i: self.word not in candidates[i])


CASES = [
    ("plain", DAY, DAY, 20, None),
    ("plain", *WEEK, 20, None),
    ("plain", SMALL, SMALL, 10, None),
    ("plain", DAY, DAY, 3, None),
    ("fed", DAY, DAY, 20, None),
    ("fed", *WEEK, 10, None),
    ("rules", DAY, DAY, 20, None),
    ("rules", *WEEK, 5, None),
    ("plain", DAY, DAY, 20, "language"),
    ("rules", *WEEK, 10, "speech"),
]


@pytest.mark.parametrize(("name", "start", "end", "top", "word"), CASES)
def test_the_digest_is_what_explaining_the_whole_pool_gave(
    home: tuple[Store, FakeEmbedder],
    name: str,
    start: dt.date,
    end: dt.date,
    top: int,
    word: str | None,
) -> None:
    store, embedder = home
    reranker = _WordFirst(word) if word else None
    options = DigestOptions(start=start, end=end, top=top, record=False, reranker=reranker)
    expected = _reference(store, name, embedder, options)
    made = make_digest(store, name, embedder, options)
    assert len(made.entries) >= min(top, made.candidates) > 0
    _same(made, expected)
    if name == "rules" and top == 5:  # followed papers past the top are shown, explained
        assert len(made.entries) > top and all(e.why.rule for e in made.entries[top:])
    if start != SMALL:  # the comparison means something: shown papers have phrases
        assert sum(bool(e.why.phrases) for e in made.entries) >= len(made.entries) // 4
        assert any(e.why.sentences for e in made.entries)


def test_the_recorded_digest_is_what_explaining_the_whole_pool_recorded(
    home: tuple[Store, FakeEmbedder],
) -> None:
    store, embedder = home
    options = DigestOptions(start=WEEK[0], end=WEEK[1], top=20)
    expected = _reference(store, "recorded", embedder, options)  # before it is recorded
    made = make_digest(store, "recorded", embedder, options)
    assert made.id is not None
    _same(made, expected)
    shown = store.radar.shown(made.id)
    assert [s.why for s in shown] == [_why_json(e) for e in expected]
    assert [s.score for s in shown] == [e.score for e in expected]


def test_only_the_chosen_are_explained_in_full(home: tuple[Store, FakeEmbedder]) -> None:
    store, embedder = home
    profile = load_profile(store, "plain")
    inputs = load_inputs(store, profile, embedder, candidate_ids(store, DAY, DAY))
    pool = rank_pool(inputs, keep=POOL * 20)
    full, _ = score_candidates(build_scorer(inputs.profile), inputs.candidates, keep=POOL * 20)
    assert len(pool.picks) == len(full) == POOL * 20
    assert all(not p.why.phrases and not p.why.sentences for p in pool.picks)  # the cheap one
    assert sum(bool(p.why.phrases) for p in full) > len(full) // 2  # what it saves
    cheap = [dataclasses.replace(p.why, phrases=[], sentences=[]) for p in full]
    assert [p.why for p in pool.picks] == cheap  # the rest of the explanation is the same
    assert [(p.row_id, p.score, p.parts) for p in pool.picks] == [
        (p.row_id, p.score, p.parts) for p in full
    ]
    some = [pool.picks[i] for i in (5, 0, 79, 31)]
    assert pool.explained(some) == [full[i] for i in (5, 0, 79, 31)]
    assert pool.explained([]) == []


def test_a_pool_refuses_to_explain_after_its_scorer_scored_others(
    home: tuple[Store, FakeEmbedder],
) -> None:
    store, embedder = home
    profile = load_profile(store, "plain")
    inputs = load_inputs(store, profile, embedder, candidate_ids(store, DAY, DAY))
    scorer = build_scorer(inputs.profile)
    pool = rank_pool(inputs, keep=10, scorer=scorer)
    other = load_inputs(store, profile, embedder, candidate_ids(store, SMALL, SMALL))
    score_candidates(scorer, other.candidates, keep=10)
    with pytest.raises(RuntimeError, match="scored other candidates"):
        pool.explained(pool.picks[:1])


def test_a_window_without_candidates_is_an_empty_digest(home: tuple[Store, FakeEmbedder]) -> None:
    store, embedder = home
    empty = dt.date(2026, 6, 20)  # a Saturday: nothing listed
    made = make_digest(store, "plain", embedder, DigestOptions(start=empty, end=empty))
    assert made.entries == [] and made.candidates == 0 and made.id is None


def test_the_background_counts_the_profiles_phrases_as_phrase_keys_does(
    home: tuple[Store, FakeEmbedder],
) -> None:
    """The explainer's background counts (explain.profile_keys_in, one loop) are what
    ``phrase_keys(text, prefixes) & keys`` gives, on every paper of the slice."""
    store, _ = home
    for name in ("plain", "fed"):
        profile = load_profile(store, name)
        anchors = store.papers.texts(profile.papers + profile.liked())
        phrases = ProfilePhrases(f"{t.title}\n{t.abstract}" for t in anchors.values())
        assert len(phrases.keys) > 500
        texts = store.papers.texts(store.papers.matching(Filters()))
        assert len(texts) >= 2518  # the slice and the seed papers
        found = 0
        for text in texts.values():
            body = f"{text.title}\n{text.abstract}"
            fast = profile_keys_in(body, phrases)
            assert fast == phrase_keys(body, phrases.prefixes) & phrases.keys
            found += len(fast)
        assert found > 10 * len(texts)
