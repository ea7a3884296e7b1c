"""Rank candidate papers for a profile; every score carries its explanation.

The model (docs/ranking.md has the measurements behind the defaults):

- **similarity**: cosine between the candidate's embedding and each of the profile's papers
  (its own papers and the ones it liked), aggregated as the mean of the ``k`` largest
  (``k_nearest``, default 2): a researcher with several topics is matched on the topic the
  candidate belongs to (a plain mean blurs topics together), and one stray paper cannot lift
  a candidate alone (as a plain max lets it);
- **keywords**: cosine between the candidate's TF-IDF vector and the profile's most
  distinctive terms (terms.py), weighted ``keyword_weight`` against similarity; with more
  than ``keyword_shortlist`` candidates, only that many (the most similar, and any followed)
  are tokenised and scored, the rest get 0 (tokenising is the ranking's costliest step);
- **feedback**: with likes or dislikes, a logistic regression on embeddings (positives: own
  and liked papers; negatives: disliked papers and a random background sample of the store)
  whose standardised decision value is added in units of the content score's spread, with a
  weight ``n / (n + feedback_half)`` that grows with the number ``n`` of likes and dislikes;
- **follows**: a candidate by a followed author or with a followed keyword gets
  ``follow_boost`` and is always included in a digest; a muted keyword or category removes it.

``score = (1 - keyword_weight) * similarity + keyword_weight * keywords + feedback + follow``.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from paperradar.embedding import Embedder
from paperradar.embedding.backfill import ensure_vectors
from paperradar.errors import UsageError
from paperradar.models import Neighbour, Profile, Ranked, Why
from paperradar.radar.explain import Explainer, Phrase, closeness, percentile
from paperradar.radar.profiles import author_matches, rule_key
from paperradar.radar.terms import Candidates, TermProfile, tokens
from paperradar.store.api import Store

Matrix = npt.NDArray[np.float32]
Vector = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class RankingConfig:
    """The ranking's knobs. k_nearest, keyword_weight and feedback_half were chosen by
    ``paperradar eval tune`` on TUNE units of three benchmarks and reported on held-out
    ones (docs/ranking.md, docs/evaluation.md)."""

    k_nearest: int = 2
    keyword_weight: float = 0.4
    feedback_half: float = 10.0
    follow_boost: float = 0.25
    background: int = 500
    neighbours: int = 3
    terms: int = 4
    keyword_shortlist: int = 2000


@dataclass(slots=True)
class Text:
    """What the ranking reads of a paper: its title, abstract, authors and categories."""

    title: str
    abstract: str
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    _terms: list[str] | None = field(default=None, repr=False, compare=False)

    @property
    def body(self) -> str:
        return f"{self.title}\n{self.abstract}"

    def terms(self) -> list[str]:
        """The body's terms (terms.tokens), tokenised on first use and kept: a text scored
        again (an evaluation ranking the same items for many users) is not tokenised again."""
        if self._terms is None:
            self._terms = tokens(self.body)
        return self._terms


@dataclass(slots=True)
class Anchor:
    """One of the profile's papers the candidates are compared with."""

    row_id: int
    pid: str
    title: str
    kind: str  # "own" or "liked"


@dataclass(slots=True)
class Scored:
    """Scores of candidates (arrays aligned with the candidates), before papers are loaded."""

    score: npt.NDArray[np.float64]
    similarity: npt.NDArray[np.float64]
    keywords: npt.NDArray[np.float64]
    feedback: npt.NDArray[np.float64]
    follow: npt.NDArray[np.float64]
    rule: list[str | None]
    nearest: npt.NDArray[np.int64]  # (n, neighbours) anchor positions, best first
    nearest_sim: npt.NDArray[np.float32]


class Scorer:
    """A profile made ready to score candidates: anchor vectors, term profile, classifier.

    Used by the digest (candidates from the store) and by reviewer affinity (candidates are
    submissions): both score exactly the same way."""

    def __init__(
        self,
        anchors: list[Anchor],
        anchor_vectors: Matrix,
        anchor_texts: Sequence[str],
        config: RankingConfig | None = None,
        *,
        follow_authors: Sequence[str] = (),
        follow_keywords: Sequence[str] = (),
        mute_keywords: Sequence[str] = (),
        mute_categories: Sequence[str] = (),
        positives: Matrix | None = None,
        negatives: Matrix | None = None,
        n_feedback: int = 0,
        seed: int = 0,
    ) -> None:
        if len(anchors) == 0:
            raise UsageError("the profile has no papers yet: add some with `profile add`")
        self.config = config or RankingConfig()
        self.anchors = anchors
        self.vectors = np.ascontiguousarray(anchor_vectors, dtype=np.float32)
        self.anchor_texts = list(anchor_texts)
        self.follow_authors = list(follow_authors)
        self.follow_keywords = [_Phrase(k) for k in follow_keywords]
        self.mute_keywords = [_Phrase(k) for k in mute_keywords]
        self.mute_categories = {c.strip().lower() for c in mute_categories}
        self.n_feedback = n_feedback
        self.classifier = None
        if n_feedback and positives is not None and negatives is not None and len(negatives):
            from sklearn.linear_model import LogisticRegression

            x = np.vstack([positives, negatives])
            y = np.r_[np.ones(len(positives)), np.zeros(len(negatives))]
            model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=500)
            model.fit(x, y)
            self.classifier = model
        self._seed = seed
        self._texts: Sequence[Text] = ()
        self._explain: tuple[Sequence[Text], Explainer] | None = None

    # -- filters

    def muted(self, text: Text) -> bool:
        """Whether a muted keyword or category excludes the paper."""
        if self.mute_categories and any(
            c.lower() in self.mute_categories or c.lower().split(".")[0] in self.mute_categories
            for c in text.categories
        ):
            return True
        if self.mute_keywords:
            body = _haystack(text)
            return any(k.search(body) for k in self.mute_keywords)
        return False

    def followed(self, text: Text) -> str | None:
        """The follow rule a paper matches, described, or None."""
        for wanted in self.follow_authors:
            if any(author_matches(wanted, name) for name in text.authors):
                return f"follows author {wanted}"
        if self.follow_keywords:
            body = _haystack(text)
            for pattern in self.follow_keywords:
                if pattern.search(body):
                    return f"follows keyword {pattern.pattern_text}"
        return None

    # -- scoring

    def score(
        self, vectors: Matrix, texts: Sequence[Text], candidates: Candidates | None = None
    ) -> Scored:
        """Score candidates given their (normalised) vectors and texts; ``candidates``, when
        given, are their terms (``Candidates(tokens(t.body) for t in texts)``), so callers
        scoring the same texts for many profiles tokenise and count them once."""
        cfg = self.config
        n = len(texts)
        if n == 0:
            empty = np.zeros(0)
            return Scored(
                empty,
                empty,
                empty,
                empty,
                empty,
                [],
                np.zeros((0, 0), np.int64),
                np.zeros((0, 0), np.float32),
            )
        sims = np.asarray(vectors, dtype=np.float32) @ self.vectors.T  # (n, anchors)
        k = min(cfg.k_nearest, sims.shape[1])
        top = -np.partition(-sims, k - 1, axis=1)[:, :k]
        similarity = top.mean(axis=1).astype(np.float64)
        m = min(cfg.neighbours, sims.shape[1])
        part = np.argpartition(-sims, m - 1, axis=1)[:, :m]
        picked = np.take_along_axis(sims, part, axis=1)
        order = np.argsort(-picked, axis=1, kind="stable")
        nearest = np.take_along_axis(part, order, axis=1).astype(np.int64)
        nearest_sim = np.take_along_axis(picked, order, axis=1)
        rules = [self.followed(t) for t in texts]
        follow = np.array([cfg.follow_boost if r else 0.0 for r in rules])
        keywords = np.zeros(n)
        if candidates is None:
            short = np.arange(n)
            if n > cfg.keyword_shortlist:  # keywords re-rank the most similar (and followed)
                short = np.sort(
                    np.argpartition(-(similarity + follow), cfg.keyword_shortlist - 1)[
                        : cfg.keyword_shortlist
                    ]
                )
            candidates = Candidates(texts[i].terms() for i in short.tolist())
            self.terms = TermProfile(self.anchor_texts, candidates)
            keywords[short] = self.terms.score_all()
            self._terms_of = dict(zip(short.tolist(), candidates.terms, strict=True))
        else:
            self.terms = TermProfile(self.anchor_texts, candidates)
            keywords = self.terms.score_all()
            self._terms_of = dict(enumerate(candidates.terms))
        self._texts = texts
        base = (1.0 - cfg.keyword_weight) * similarity + cfg.keyword_weight * keywords
        feedback = np.zeros(n)
        if self.classifier is not None and n > 1:
            decision = self.classifier.decision_function(np.asarray(vectors, dtype=np.float32))
            spread = float(decision.std())
            if spread > 0:
                weight = self.n_feedback / (self.n_feedback + cfg.feedback_half)
                feedback = weight * float(base.std()) * (decision - decision.mean()) / spread
        return Scored(
            base + feedback + follow,
            similarity,
            keywords,
            feedback,
            follow,
            rules,
            nearest,
            nearest_sim,
        )

    def why(self, scored: Scored, i: int, phrases: bool = True) -> Why:
        """The explanation of candidate ``i`` of the last :meth:`score` call; without
        ``phrases``, no shared phrases and no sentences (they cost about a millisecond)."""
        neighbours = [
            Neighbour(
                self.anchors[int(a)].row_id,
                self.anchors[int(a)].pid,
                self.anchors[int(a)].title,
                round(float(s), 4),
                self.anchors[int(a)].kind,
            )
            for a, s in zip(scored.nearest[i], scored.nearest_sim[i], strict=True)
        ]
        own = self._terms_of.get(i)
        terms = self.terms.shared(
            own if own is not None else self._texts[i].terms(), self.config.terms
        )
        text = self._texts[i]
        shown: list[Phrase] = []
        sentences: list[str] = []
        if phrases:
            explainer = self._explainer()
            shown, sentences = explainer.explain(text.title, text.abstract, self.config.terms)
        among = len(scored.score)
        place = 1 + int(np.count_nonzero(scored.score > scored.score[i]))
        top = percentile(place, among)
        return Why(
            neighbours=neighbours,
            terms=terms,
            rule=scored.rule[i],
            phrases=[p.text for p in shown],
            sentences=sentences,
            percentile=top,
            among=among,
            closeness=closeness(top),
        )

    @property
    def scored_texts(self) -> Sequence[Text]:
        """The texts of the last :meth:`score` call, which :meth:`why` explains."""
        return self._texts

    def _explainer(self) -> Explainer:
        """The explainer of the last :meth:`score` call's candidates, made on first use:
        the anchors' phrases counted against the candidates (explain.py)."""
        if self._explain is None or self._explain[0] is not self._texts:
            background = [t.body for t in self._texts]
            self._explain = (
                self._texts,
                Explainer(self.anchor_texts, background, self.terms.vector),
            )
        return self._explain[1]


class _Phrase:
    """A keyword or phrase matched on word boundaries, case-insensitively."""

    def __init__(self, text: str) -> None:
        self.pattern_text = " ".join(text.split())
        words = [re.escape(w) for w in rule_key("follow-keyword", text).split()]
        self._re = re.compile(r"(?<![\w-])" + r"[\s-]+".join(words) + r"(?![\w-])")

    def search(self, text: str) -> bool:
        return bool(self._re.search(text))


def _haystack(text: Text) -> str:
    return f"{text.title}\n{text.abstract}".lower()


# --------------------------------------------------------------------------- plain inputs


@dataclass(frozen=True, slots=True)
class ProfileInputs:
    """What a profile's :class:`Scorer` is built from, read from the store: the profile,
    its anchors' texts and canonical ids, the vectors of its anchors and disliked papers,
    and the background sample (row id -> vector; empty without likes or dislikes)."""

    profile: Profile
    texts: Mapping[int, Text]
    pids: Mapping[int, str]
    vectors: Mapping[int, Vector]
    background: Mapping[int, Vector]


@dataclass(frozen=True, slots=True)
class CandidateInputs:
    """The candidates to rank, read from the store: their row ids (deduplicated, the
    profile's own, liked and disliked papers left out), texts and vectors."""

    ids: list[int]
    texts: Mapping[int, Text]
    vectors: Mapping[int, Vector]


@dataclass(frozen=True, slots=True)
class RankingInputs:
    """Everything ranking candidates for a profile reads from the store."""

    profile: ProfileInputs
    candidates: CandidateInputs


@dataclass(slots=True)
class Pick:
    """A ranked candidate before its paper is loaded: row id, score, explanation, parts."""

    row_id: int
    score: float
    why: Why
    parts: dict[str, float]


def _matrix(vectors: Mapping[int, Vector], row_ids: Sequence[int]) -> Matrix:
    if not row_ids:
        return np.zeros((0, 1), dtype=np.float32)
    out = np.vstack([vectors[i] for i in row_ids]).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Matrix = out / norms
    return normalised


def _anchor_ids(profile: Profile) -> tuple[list[int], list[int], list[int]]:
    """The profile's anchors (own papers, then liked ones), its liked papers that are not
    its own, and its disliked papers; an error when it has no anchor."""
    liked = [i for i in profile.liked() if i not in set(profile.papers)]
    disliked = profile.disliked()
    anchor_ids = list(dict.fromkeys(profile.papers + liked))
    if not anchor_ids:
        raise UsageError(
            f"profile {profile.name!r} has no papers yet: add some with "
            f"`paperradar profile add {profile.name} FILE` (or --author, or ids)"
        )
    return anchor_ids, liked, disliked


def _n_feedback(profile: Profile) -> int:
    return len(profile.liked()) + len(profile.disliked())


def _background_seed(profile: Profile) -> int:
    return profile.id * 1_000_003  # the same sample after every like: cached


def _background(sample: Mapping[int, Vector], exclude: set[int], n: int) -> Matrix:
    """Vectors of up to ``n`` papers of the background sample, those in ``exclude`` left
    out."""
    ids = [i for i in sample if i not in exclude][:n] if n > 0 else []
    return _matrix(sample, ids)


def build_scorer(inputs: ProfileInputs, config: RankingConfig | None = None) -> Scorer:
    """A :class:`Scorer` for a profile from its loaded inputs: its own and liked papers as
    anchors, its rules, and a feedback classifier when it has likes or dislikes."""
    config = config or RankingConfig()
    profile = inputs.profile
    anchor_ids, liked, disliked = _anchor_ids(profile)
    vectors, texts, pids = inputs.vectors, inputs.texts, inputs.pids
    anchor_ids = [i for i in anchor_ids if i in vectors]
    liked_set = set(liked)
    anchors = [
        Anchor(i, pids[i], _label(texts[i]), "liked" if i in liked_set else "own")
        for i in anchor_ids
    ]
    anchor_vectors = _matrix(vectors, anchor_ids)
    n_feedback = _n_feedback(profile)
    negatives = None
    if n_feedback:
        background = _background(
            inputs.background, set(anchor_ids) | set(disliked), config.background
        )
        own_negatives = _matrix(vectors, [i for i in disliked if i in vectors])
        parts = [m for m in (own_negatives, background) if len(m) and m.shape[1] > 1]
        negatives = np.vstack(parts) if parts else None
    return Scorer(
        anchors,
        anchor_vectors,
        [texts[i].body for i in anchor_ids],
        config,
        follow_authors=profile.rules_of("follow-author"),
        follow_keywords=profile.rules_of("follow-keyword"),
        mute_keywords=profile.rules_of("mute-keyword"),
        mute_categories=profile.rules_of("mute-category"),
        positives=anchor_vectors,
        negatives=negatives,
        n_feedback=n_feedback,
    )


def _scored_pool(
    scorer: Scorer, candidates: CandidateInputs, keep: int | None
) -> tuple[list[int], list[Text], Scored, list[int], Matrix]:
    """The candidates that are not muted (row ids, texts), their scores, the positions of
    the best first (with ``keep``, the best ``keep`` and the followed ones) and the vectors
    of those, in that order."""
    texts, vectors = candidates.texts, candidates.vectors
    ids = [i for i in candidates.ids if i in vectors and i in texts and not scorer.muted(texts[i])]
    matrix = _matrix(vectors, ids)
    scored_texts = [texts[i] for i in ids]
    scored = scorer.score(matrix, scored_texts)
    order = np.argsort(-scored.score, kind="stable")
    if keep is not None:
        followed = scored.follow[order] > 0
        followed[:keep] = True
        order = order[followed]
    return ids, scored_texts, scored, order.tolist(), matrix[order] if len(order) else matrix


def _pick(scorer: Scorer, scored: Scored, i: int, row_id: int, phrases: bool) -> Pick:
    return Pick(
        row_id=row_id,
        score=round(float(scored.score[i]), 4),
        why=scorer.why(scored, i, phrases),
        parts={
            "similarity": round(float(scored.similarity[i]), 4),
            "keywords": round(float(scored.keywords[i]), 4),
            "feedback": round(float(scored.feedback[i]), 4),
            "follow": round(float(scored.follow[i]), 4),
        },
    )


def score_candidates(
    scorer: Scorer,
    candidates: CandidateInputs,
    keep: int | None = None,
    explain: Container[int] | None = None,
) -> tuple[list[Pick], Matrix]:
    """Every candidate that is not muted, scored and explained, best first; and their
    vectors (rows aligned with the result) for diversity. With ``keep``, only the best
    ``keep`` and the followed candidates. With ``explain`` (row ids), only those get shared
    phrases and sentences in their explanation (the others: place, papers, rule)."""
    ids, _, scored, order, matrix = _scored_pool(scorer, candidates, keep)
    picks = [_pick(scorer, scored, i, ids[i], explain is None or ids[i] in explain) for i in order]
    return picks, matrix


class Pool:
    """Ranked candidates whose explanations are given in full only to those shown.

    ``picks`` and ``vectors`` are what :func:`score_candidates` returns with ``explain=()``
    (place, papers, rule; no shared phrases nor sentences). :meth:`explained` gives picks
    of the pool their full explanation: exactly the picks :func:`score_candidates` makes
    without ``explain``, at the cost of those picks alone (a digest shows ``top`` of its
    pool of ``4 * top``). Diversity reads scores, vectors and follow rules, never phrases,
    so it picks the same from either."""

    def __init__(self, scorer: Scorer, candidates: CandidateInputs, keep: int | None) -> None:
        ids, texts, scored, order, matrix = _scored_pool(scorer, candidates, keep)
        self._scorer = scorer
        self._scored = scored
        self._texts = texts
        self._at = {ids[i]: i for i in order}
        self.picks = [_pick(scorer, scored, i, ids[i], False) for i in order]
        self.vectors = matrix

    def explained(self, picks: Sequence[Pick]) -> list[Pick]:
        """The picks (of this pool), in the same order, with their full explanations."""
        if picks and self._scorer.scored_texts is not self._texts:  # why() reads the last score()
            raise RuntimeError("the pool's scorer has scored other candidates since")
        return [
            _pick(self._scorer, self._scored, self._at[p.row_id], p.row_id, True) for p in picks
        ]


def rank_pool(
    inputs: RankingInputs,
    config: RankingConfig | None = None,
    keep: int | None = None,
    scorer: Scorer | None = None,
) -> Pool:
    """:class:`Pool` of the candidates with the profile's scorer built from the same
    inputs (unless one is given): :func:`rank_inputs`, explaining only the picks shown."""
    return Pool(scorer or build_scorer(inputs.profile, config), inputs.candidates, keep)


def rank_inputs(
    inputs: RankingInputs,
    config: RankingConfig | None = None,
    keep: int | None = None,
    scorer: Scorer | None = None,
) -> tuple[list[Pick], Matrix]:
    """:func:`score_candidates` with the profile's scorer built from the same inputs
    (unless one is given)."""
    scorer = scorer or build_scorer(inputs.profile, config)
    return score_candidates(scorer, inputs.candidates, keep)


# --------------------------------------------------------------------------- from the store


def _texts(store: Store, row_ids: Sequence[int]) -> dict[int, Text]:
    return {
        i: Text(t.title, t.abstract, list(t.authors), list(t.categories))
        for i, t in store.papers.texts(list(row_ids)).items()
    }


def load_profile_inputs(
    store: Store, profile: Profile, embedder: Embedder, config: RankingConfig | None = None
) -> ProfileInputs:
    """Read what :func:`build_scorer` needs (embedding the papers that have no vector)."""
    config = config or RankingConfig()
    anchor_ids, _, disliked = _anchor_ids(profile)
    ensure_vectors(store, embedder, anchor_ids + disliked)
    vectors = store.vectors.for_papers(embedder.model_id, anchor_ids + disliked)
    texts = _texts(store, anchor_ids)
    pids = store.papers.pids([i for i in anchor_ids if i in vectors])
    background: Mapping[int, Vector] = {}
    if _n_feedback(profile):
        background = store.radar.background(
            embedder.model_id, config.background, _background_seed(profile)
        )
    return ProfileInputs(profile, texts, pids, vectors, background)


def load_candidates(
    store: Store, profile: Profile, embedder: Embedder, candidates: Sequence[int]
) -> CandidateInputs:
    """Read the candidates' texts and vectors (embedding those that have none), the
    profile's own, liked and disliked papers left out."""
    skip = set(profile.papers) | set(profile.liked()) | set(profile.disliked())
    ids = [i for i in dict.fromkeys(candidates) if i not in skip]
    ensure_vectors(store, embedder, ids)
    vectors = store.vectors.for_papers(embedder.model_id, ids)
    texts = _texts(store, ids)
    return CandidateInputs(ids, texts, vectors)


def load_inputs(
    store: Store,
    profile: Profile,
    embedder: Embedder,
    candidates: Sequence[int],
    config: RankingConfig | None = None,
) -> RankingInputs:
    """Read everything ranking ``candidates`` for the profile needs, once."""
    return RankingInputs(
        load_profile_inputs(store, profile, embedder, config),
        load_candidates(store, profile, embedder, candidates),
    )


def with_papers(store: Store, picks: Sequence[Pick], with_sightings: bool) -> list[Ranked]:
    """The picks with their papers loaded, in the same order."""
    ids = [p.row_id for p in picks]
    papers = store.papers.load(ids, with_sightings=with_sightings)
    if len(papers) != len(ids):  # pragma: no cover - rows vanished mid-ranking
        raise UsageError("papers changed while ranking; run again")
    return [
        Ranked(paper=paper, row_id=p.row_id, score=p.score, why=p.why, parts=p.parts)
        for p, paper in zip(picks, papers, strict=True)
    ]


def scorer_for(
    store: Store, profile: Profile, embedder: Embedder, config: RankingConfig | None = None
) -> Scorer:
    """A :class:`Scorer` for a stored profile: its own and liked papers as anchors, its
    rules, and a feedback classifier when it has likes or dislikes."""
    return build_scorer(load_profile_inputs(store, profile, embedder, config), config)


def rank(
    store: Store,
    profile: Profile,
    embedder: Embedder,
    candidates: Sequence[int],
    config: RankingConfig | None = None,
    scorer: Scorer | None = None,
    keep: int | None = None,
    explain: Container[int] | None = None,
) -> tuple[list[Ranked], Matrix]:
    """Every candidate (store row ids) that is not muted, not one of the profile's own
    papers and neither liked nor disliked already, scored and explained, best first; and
    their vectors (rows aligned with the result) for diversity. With ``keep``, only the
    best ``keep`` and the followed papers are loaded, explained and returned (a digest
    needs no more). With ``explain`` (row ids), only those papers' explanations get shared
    phrases and sentences (a page showing one paper's place among its day needs no more)."""
    scorer = scorer or scorer_for(store, profile, embedder, config)
    loaded = load_candidates(store, profile, embedder, candidates)
    picks, matrix = score_candidates(scorer, loaded, keep, explain)
    return with_papers(store, picks, with_sightings=keep is not None), matrix


class _Ranked(Protocol):
    """What :func:`diversify` reads of a ranked entry."""

    @property
    def score(self) -> float: ...

    @property
    def why(self) -> Why: ...


R = TypeVar("R", bound=_Ranked)


def diversify(
    ranked: Sequence[R],
    vectors: Matrix,
    top: int,
    balance: float = 0.75,
    relevance: Sequence[float] | None = None,
) -> list[R]:
    """The ``top`` entries by maximal marginal relevance (Carbonell & Goldstein 1998) over
    the best ``4 * top``: each pick maximises ``balance * relevance - (1 - balance) *
    (max cosine to the papers already picked)``, relevance being the score rescaled to
    [0, 1] over that pool -- or, when a reranker reordered the entries, the given
    ``relevance`` (higher first), which then also orders the picks. Followed papers are
    always kept, first among equals."""
    if top <= 0 or not ranked:
        return []
    pool = min(len(ranked), 4 * top)
    given = relevance is not None
    values_in = relevance if relevance is not None else [r.score for r in ranked]
    scores = np.array(values_in[:pool], dtype=np.float64)
    span = float(scores.max() - scores.min()) or 1.0
    relevance_ = (scores - scores.min()) / span
    sims = vectors[:pool] @ vectors[:pool].T
    picked: list[int] = []
    left = list(range(pool))
    closest = np.full(pool, -np.inf)
    while left and len(picked) < top:
        values = balance * relevance_[left] - (1 - balance) * np.maximum(closest[left], 0.0)
        best = left[int(np.argmax(values))] if picked else left[0]
        picked.append(best)
        left.remove(best)
        closest = np.maximum(closest, sims[best])
    order = sorted(picked) if given else sorted(picked, key=lambda i: -ranked[i].score)
    chosen = [ranked[i] for i in order]
    followed = [r for r in ranked if r.why.rule and r not in chosen]
    return chosen + followed


def _label(text: Text, words: int = 10) -> str:
    """How to name a paper in an explanation: its title, or its abstract's first words."""
    if text.title.strip():
        return " ".join(text.title.split())
    head = text.abstract.split()
    return " ".join(head[:words]) + (" …" if len(head) > words else "") if head else ""
