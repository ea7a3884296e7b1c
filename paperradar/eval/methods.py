"""The recommendation methods the evaluations compare, behind one small interface.

A dataset module builds, once, the :class:`Items` of its corpus (every item's text, its
normalised embedding, optionally its date and a users x items matrix of other users'
libraries); then, for each user (or query), a :class:`Profile` (the user's own items, as
indices into the items, plus optional likes, dislikes and the dates the own items were added)
and the :class:`Candidates` to rank (the items minus the profile's). Every method answers

    method.rank(profile, candidates, k) -> the indices of the k best candidates, best first

(the :class:`Method` protocol). The methods here are all :class:`ScoreMethod`: they also give
``scores(profile, candidates)``, one float per candidate, from which ``rank`` takes the top
``k`` (ties: the lower item index first), and which a :class:`Blend` combines. Structures
that depend on the items only (a TF-IDF matrix, a BM25 index) are built on first use and kept
in ``Items.cache``, so they are built once per corpus, not once per user.

The methods (``make_method(name)``; :data:`METHODS` lists the names):

- ``arxiv-sanity``: arxiv-sanity-lite's recommender. Its ``compute.py`` builds TF-IDF vectors
  with scikit-learn's ``TfidfVectorizer(strip_accents="unicode", lowercase=True,
  analyzer="word", stop_words="english", token_pattern=r"(?u)\\b[a-zA-Z_][a-zA-Z0-9_]+\\b",
  ngram_range=(1, 2), max_features=10000, norm="l2", use_idf=True, smooth_idf=True,
  sublinear_tf=True, max_df=0.5, min_df=5)`` fitted on every paper; its ``send_emails.py``
  (and ``serve.py``'s ``svm_rank``) fits, per user, ``svm.LinearSVC(class_weight="balanced",
  max_iter=10000, tol=1e-6, C=0.01)`` on all papers with the user's tagged papers as
  positives and every other paper as a negative, and ranks by ``decision_function``
  (karpathy/arxiv-sanity-lite, compute.py and send_emails.py; serve.py at some commits uses
  C=0.1 for its interactive ranking, the e-mailed recommendations use C=0.01). scikit-learn
  now picks the primal or dual solver itself; both reach the same optimum (on CiteULike-a the
  decision values agree to 3e-7). Here the
  texts are the items' texts (arxiv-sanity joins title, abstract and authors); ``min_df`` is
  lowered to 1 on corpora under 1,000 items, where 5 would drop most words. Liked items are
  positives too; dislikes are negatives like every other item (it has no dislikes).
- ``zotero``: zotero-arxiv-daily's reranker (TideDra/zotero-arxiv-daily, recommender.py
  ``rerank_paper``): the library sorted newest first by date added, item ``r`` (1-based)
  weighted ``1 / (1 + log10(r))``, the weights normalised to sum 1, and a candidate scored by
  the weighted sum of its cosines to the library (its ``* 10`` does not change the order).
  Dates: ``Profile.added``, else ``Items.dates``; with neither, the own items are taken as
  listed, the last one newest; liked items count as added after every own item (the last
  liked newest). Dislikes are ignored.
- ``max-cosine`` / ``mean-cosine``: the largest / mean cosine between the candidate and the
  profile's own and liked items.
- ``bm25``: Okapi BM25 (k1 = 1.2, b = 0.75, idf = ln(1 + (N - n + 0.5) / (n + 0.5)) as in
  Lucene) over the items' terms (``paperradar.radar.terms.tokens``: lower-cased words, stop words
  out, plurals folded), the query being the profile's own and liked texts together, each
  query term weighted by its count there.
- ``paperradar``: the product's :class:`paperradar.radar.ranking.Scorer` with its default
  :class:`~paperradar.radar.ranking.RankingConfig`: mean of the top-2 cosines to the own and liked
  items, blended with the TF-IDF keyword score (weight 0.4, on the 2,000 most similar
  candidates), plus the feedback classifier when the profile has likes or dislikes
  (positives: own and liked items; negatives: dislikes and ``config.background`` random
  items, drawn with ``Profile.seed``), exactly as ``scorer_for`` builds it from a store.
  ``paperradar-no-keywords`` sets the keyword weight to 0; ``paperradar-no-feedback`` keeps
  likes as anchors but never trains the classifier.
- ``co-occurrence``: item-based collaborative filtering on ``Items.libraries`` (users x
  items, 1 = the user holds the item), the row ``Profile.user`` (the user's own, when the
  matrix holds it) left out: cosine between item columns, ``|U_i & U_c| / sqrt(|U_i| |U_c|)``,
  summed over the profile's own and liked items ``i``. Candidates no other user shares an
  item with follow in order of popularity (how many users hold them: a 1e-9 tie-break).
- ``paperradar+co-occurrence``: a :class:`Blend` of the two, ``(1 - w) * z(paperradar) +
  w * z(co-occurrence)`` with ``z`` standardising a method's scores over the candidates.
  ``w`` is a parameter (``blend_weight``); dataset runs choose it on one half of the users
  and report it on the other (:data:`BLEND_WEIGHTS` is the grid they try).
"""

from __future__ import annotations

import abc
import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]

from paperradar.errors import UsageError
from paperradar.radar.ranking import Anchor, RankingConfig, Scorer, Text
from paperradar.radar.terms import tokens

Matrix = npt.NDArray[np.float32]
Scores = npt.NDArray[np.float64]
Ids = npt.NDArray[np.int64]
T = TypeVar("T")

METHODS = (
    "arxiv-sanity",
    "zotero",
    "max-cosine",
    "mean-cosine",
    "bm25",
    "paperradar",
    "paperradar-no-keywords",
    "paperradar-no-feedback",
    "co-occurrence",
    "paperradar+co-occurrence",
)
#: methods that read other users' libraries (``Items.libraries``)
COLLABORATIVE = frozenset({"co-occurrence", "paperradar+co-occurrence"})
#: the blend weights a dataset run tries on its TUNE users
BLEND_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0)
DEFAULT_BLEND_WEIGHT = 0.3


# --------------------------------------------------------------------------- the interface


@dataclass(eq=False)
class Items:
    """Every item of a corpus; an item's index is its position here.

    ``texts``: what a paper reads as (title and abstract, ``paper_text``); ``vectors``: their
    embeddings, one L2-normalised float32 row per item; ``dates``: publication (or any) date
    per item, or None; ``libraries``: a users x items matrix (anything scipy.sparse accepts;
    non-zero = the user holds the item) for the collaborative methods, or None. ``cache``
    holds what methods derive from the items alone (built once per corpus)."""

    texts: Sequence[str]
    vectors: Matrix
    dates: Sequence[dt.date | None] | None = None
    libraries: Any = None
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)
        n = len(self.texts)
        if self.vectors.ndim != 2 or self.vectors.shape[0] != n:
            raise UsageError(f"items: {n} texts but vectors of shape {tuple(self.vectors.shape)}")
        if self.dates is not None and len(self.dates) != n:
            raise UsageError(f"items: {n} texts but {len(self.dates)} dates")
        if self.libraries is not None:
            matrix = sp.csr_matrix(self.libraries)
            if matrix.shape[1] != n:
                raise UsageError(f"items: {n} texts but libraries of {matrix.shape[1]} columns")
            matrix = (matrix != 0).astype(np.float64).tocsr()
            matrix.sort_indices()
            self.libraries = matrix

    def __len__(self) -> int:
        return len(self.texts)

    def derived(self, key: str, build: Callable[[], T]) -> T:
        """``build()``, computed on first use and kept in :attr:`cache` under ``key``."""
        if key not in self.cache:
            self.cache[key] = build()
        value: T = self.cache[key]
        return value


@dataclass(eq=False)
class Candidates:
    """The items to rank: indices ``ids`` into ``items`` (the rest of the items are the
    background some methods learn from: the SVM's negatives, BM25's collection)."""

    items: Items
    ids: Ids

    def __post_init__(self) -> None:
        self.ids = np.asarray(self.ids, dtype=np.int64).reshape(-1)
        if len(self.ids) and (self.ids.min() < 0 or self.ids.max() >= len(self.items)):
            raise UsageError(f"candidates: an index outside the {len(self.items)} items")

    @classmethod
    def all_but(cls, items: Items, exclude: Iterable[int]) -> Candidates:
        """Every item except ``exclude`` (a profile's own items, usually)."""
        keep = np.ones(len(items), dtype=bool)
        keep[_indices(exclude, len(items), "excluded item")] = False
        return cls(items, np.flatnonzero(keep).astype(np.int64))

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(slots=True)
class Profile:
    """A user: ``own`` items (their library, or a split's training items), optional
    ``liked`` and ``disliked`` items (feedback), all as item indices; ``added``, when known,
    the date each own item entered the library (aligned with ``own``); ``user``, the user's
    row in ``Items.libraries`` if the matrix has one (collaborative methods leave it out);
    ``seed`` for methods that draw random samples."""

    own: Sequence[int]
    liked: Sequence[int] = ()
    disliked: Sequence[int] = ()
    added: Sequence[dt.date | None] | None = None
    user: int | None = None
    seed: int = 0

    def anchors(self) -> list[int]:
        """Own and liked items, each once, own first: what most methods compare with."""
        anchors = list(dict.fromkeys([*map(int, self.own), *map(int, self.liked)]))
        if not anchors:
            raise UsageError("a profile needs at least one own or liked item")
        return anchors


class Method(Protocol):
    """A recommendation method: ``rank`` returns the indices (into ``candidates.items``) of
    the ``k`` best of ``candidates.ids`` for the profile, best first (fewer when there are
    fewer candidates)."""

    name: str

    def rank(self, profile: Profile, candidates: Candidates, k: int) -> list[int]: ...


def top_k(scores: npt.NDArray[np.floating[Any]], ids: Ids, k: int) -> list[int]:
    """The ids of the ``k`` highest scores, best first; ties go to the lower id."""
    k = min(k, len(scores))
    if k <= 0:
        return []
    values = np.asarray(scores, dtype=np.float64)
    part = np.argpartition(-values, k - 1)[:k] if k < len(values) else np.arange(len(values))
    # argpartition may cut through a tie: widen to every candidate tied with the k-th
    cut = values[part].min()
    part = np.flatnonzero(values >= cut)
    order = part[np.lexsort((ids[part], -values[part]))][:k]
    return [int(i) for i in ids[order]]


class ScoreMethod(abc.ABC):
    """A method that scores every candidate; ``rank`` keeps the best ``k``."""

    name = ""

    @abc.abstractmethod
    def scores(self, profile: Profile, candidates: Candidates) -> Scores:
        """One score per candidate (aligned with ``candidates.ids``), higher is better."""

    def rank(self, profile: Profile, candidates: Candidates, k: int) -> list[int]:
        if not len(candidates) or k <= 0:
            return []
        return top_k(self.scores(profile, candidates), candidates.ids, k)


# --------------------------------------------------------------------------- embeddings


def _indices(values: Iterable[int], n: int, what: str) -> Ids:
    out = np.fromiter((int(v) for v in values), dtype=np.int64)
    if len(out) and (out.min() < 0 or out.max() >= n):
        raise UsageError(f"{what} outside the {n} items")
    return out


def _cosines(profile: Profile, candidates: Candidates, anchors: Sequence[int]) -> Matrix:
    """(candidates x anchors) cosines."""
    vectors = candidates.items.vectors
    every = vectors @ vectors[_indices(anchors, len(vectors), "item")].T  # cheaper than a copy
    sims: Matrix = every[candidates.ids]
    return sims


class MaxCosine(ScoreMethod):
    name = "max-cosine"

    def scores(self, profile: Profile, candidates: Candidates) -> Scores:
        sims = _cosines(profile, candidates, profile.anchors())
        out: Scores = sims.max(axis=1).astype(np.float64)
        return out


class MeanCosine(ScoreMethod):
    name = "mean-cosine"

    def scores(self, profile: Profile, candidates: Candidates) -> Scores:
        sims = _cosines(profile, candidates, profile.anchors())
        out: Scores = np.asarray(sims.mean(axis=1, dtype=np.float64))
        return out


def zotero_weights(n: int) -> Scores:
    """zotero-arxiv-daily's weights of a library of ``n`` items, newest first:
    ``1 / (1 + log10(r))`` for r = 1..n, normalised to sum 1."""
    raw = 1.0 / (1.0 + np.log10(np.arange(1, n + 1, dtype=np.float64)))
    weights: Scores = raw / raw.sum()
    return weights


def library_newest_first(profile: Profile, items: Items) -> list[int]:
    """The profile's library (own and liked items) from the newest addition to the oldest
    (see the module doc for the dates used)."""
    if profile.added is not None and len(profile.added) != len(profile.own):
        raise UsageError(
            f"a profile with {len(profile.own)} own items has {len(profile.added)} dates"
        )
    dated: dict[int, dt.date | None] = {}
    for pos, item in enumerate(map(int, profile.own)):
        if item not in dated:
            if profile.added is not None:
                dated[item] = profile.added[pos]
            else:
                dated[item] = items.dates[item] if items.dates is not None else None
    own = list(dated)

    def newest_first(pos: int) -> tuple[int, int, int]:
        date = dated[own[pos]]
        if date is None:  # undated: after the dated ones, the last listed first
            return (1, 0, -pos)
        return (0, -date.toordinal(), pos)  # same day: as listed (a stable sort)

    ordered = [own[p] for p in sorted(range(len(own)), key=newest_first)]
    liked = [i for i in dict.fromkeys(map(int, profile.liked)) if i not in dated]
    library = liked[::-1] + ordered
    if not library:
        raise UsageError("a profile needs at least one own or liked item")
    return library


class Zotero(ScoreMethod):
    name = "zotero"

    def scores(self, profile: Profile, candidates: Candidates) -> Scores:
        library = library_newest_first(profile, candidates.items)
        sims = _cosines(profile, candidates, library).astype(np.float64)
        weighted: Scores = sims @ zotero_weights(len(library))
        return weighted


# --------------------------------------------------------------------------- words


@dataclass(slots=True)
class _Bm25Index:
    weights: Any  # csr (items x terms): each term's BM25 contribution to each item's score
    counts: Any  # csr (items x terms): term counts, the rows of a query


class BM25(ScoreMethod):
    name = "bm25"

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b

    def index(self, items: Items) -> _Bm25Index:
        return items.derived(f"bm25:{self.k1}:{self.b}", lambda: self._build(items))

    def _build(self, items: Items) -> _Bm25Index:
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for row, text in enumerate(items.texts):
            for term in tokens(text):
                rows.append(row)
                cols.append(vocab.setdefault(term, len(vocab)))
        shape = (len(items), max(len(vocab), 1))
        data = np.ones(len(rows), dtype=np.float64)
        counts = sp.csr_matrix((data, (rows, cols)), shape=shape)  # duplicates summed
        counts.sum_duplicates()
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        average = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0
        df = np.bincount(counts.indices, minlength=shape[1]).astype(np.float64)
        n = float(len(items))
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        tf = counts.data
        norm = np.repeat(
            self.k1 * (1.0 - self.b + self.b * lengths / average), np.diff(counts.indptr)
        )
        weights = counts.copy()
        weights.data = idf[counts.indices] * tf * (self.k1 + 1.0) / (tf + norm)
        return _Bm25Index(weights.tocsr(), counts)

    def scores(self, profile: Profile, candidates: Candidates) -> Scores:
        index = self.index(candidates.items)
        query = np.asarray(index.counts[profile.anchors()].sum(axis=0)).ravel()
        every = np.asarray(index.weights @ query).ravel()
        out: Scores = every[candidates.ids].astype(np.float64)
        return out


class ArxivSanity(ScoreMethod):
    """TF-IDF of word 1-2-grams and a per-user linear SVM (see the module doc)."""

    name = "arxiv-sanity"

    def __init__(
        self, c: float = 0.01, max_features: int = 10_000, min_df: int = 5, max_df: float = 0.5
    ) -> None:
        self.c = c
        self.max_features = max_features
        self.min_df = min_df
        self.max_df = max_df

    def vectorizer(self, n_items: int) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            input="content",
            encoding="utf-8",
            decode_error="replace",
            strip_accents="unicode",
            lowercase=True,
            analyzer="word",
            stop_words="english",
            token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
            ngram_range=(1, 2),
            max_features=self.max_features,
            norm="l2",
            use_idf=True,
            smooth_idf=True,
            sublinear_tf=True,
            max_df=self.max_df,
            min_df=self.min_df if n_items >= 1000 else 1,
        )

    def features(self, items: Items) -> Any:
        """The items' TF-IDF matrix (csr, float32), or None when no word survives."""
        key = f"tfidf:{self.max_features}:{self.min_df}:{self.max_df}"

        def build() -> Any:
            try:
                matrix = self.vectorizer(len(items)).fit_transform(list(items.texts))
            except ValueError:  # an empty vocabulary: no word passes min_df/max_df
                return None
            return sp.csr_matrix(matrix, dtype=np.float32)

        return items.derived(key, build)

    def classifier(self) -> Any:
        from sklearn.svm import LinearSVC

        return LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=self.c)

    def scores(self, profile: Profile, candidates: Candidates) -> Scores:
        x = self.features(candidates.items)
        if x is None:
            return np.zeros(len(candidates))
        y = np.zeros(x.shape[0], dtype=np.float64)
        y[profile.anchors()] = 1.0
        if y.all():  # every item is a positive: nothing to tell apart
            return np.zeros(len(candidates))
        model = self.classifier()
        model.fit(x, y)
        out: Scores = np.asarray(model.decision_function(x[candidates.ids]), dtype=np.float64)
        return out


# --------------------------------------------------------------------------- the product


class PaperRadar(ScoreMethod):
    """paperradar's own Scorer (``feedback=False``: likes are anchors, no classifier)."""

    def __init__(
        self,
        name: str = "paperradar",
        config: RankingConfig | None = None,
        feedback: bool = True,
    ) -> None:
        self.name = name
        self.config = config or RankingConfig()
        self.feedback = feedback

    @staticmethod
    def texts(items: Items) -> list[Text]:
        return items.derived("ranking-texts", lambda: [Text(t, "") for t in items.texts])

    def scorer(self, profile: Profile, items: Items) -> Scorer:
        anchors = profile.anchors()
        liked = set(map(int, profile.liked)) - set(map(int, profile.own))
        disliked = [i for i in dict.fromkeys(map(int, profile.disliked)) if i not in anchors]
        texts = self.texts(items)
        vectors = items.vectors[anchors]
        n_feedback = len(liked) + len(disliked) if self.feedback else 0
        negatives = None
        if n_feedback:
            allowed = np.ones(len(items), dtype=bool)
            allowed[anchors] = False
            allowed[disliked] = False
            pool = np.flatnonzero(allowed)
            rng = np.random.default_rng(profile.seed)
            size = min(self.config.background, len(pool))
            background = np.sort(rng.choice(pool, size=size, replace=False))
            negatives = np.vstack([items.vectors[disliked], items.vectors[background]])
        return Scorer(
            [
                Anchor(i, f"item:{i}", texts[i].title, "liked" if i in liked else "own")
                for i in anchors
            ],
            vectors,
            [texts[i].body for i in anchors],
            self.config,
            positives=vectors if n_feedback else None,
            negatives=negatives,
            n_feedback=n_feedback,
        )

    def scores(self, profile: Profile, candidates: Candidates) -> Scores:
        items = candidates.items
        texts = self.texts(items)
        scorer = self.scorer(profile, items)
        scored = scorer.score(items.vectors[candidates.ids], [texts[i] for i in candidates.ids])
        return scored.score


# --------------------------------------------------------------------------- other users


class CoOccurrence(ScoreMethod):
    """Item-item cosine on the users x items matrix (see the module doc)."""

    name = "co-occurrence"

    #: the popularity tie-break's scale: far below any difference of summed cosines
    TIE_BREAK = 1e-9

    @staticmethod
    def matrices(items: Items) -> tuple[Any, Any, Scores]:
        """The libraries as csr and csc, and each item's number of holders."""
        if items.libraries is None:
            raise UsageError("co-occurrence needs other users' libraries (Items.libraries)")
        lib = items.libraries

        def build() -> tuple[Any, Any, Scores]:
            degree = np.asarray(lib.sum(axis=0), dtype=np.float64).ravel()
            return lib, lib.tocsc(), degree

        return items.derived("libraries", build)

    def scores(self, profile: Profile, candidates: Candidates) -> Scores:
        csr, csc, degree = self.matrices(candidates.items)
        anchors = profile.anchors()
        co = np.asarray((csc[:, anchors].T @ csr).toarray(), dtype=np.float64)  # anchors x items
        degree = degree.copy()
        if profile.user is not None:
            if not 0 <= profile.user < csr.shape[0]:
                raise UsageError(f"profile user {profile.user} is not a row of the libraries")
            own_row = np.asarray(csr[profile.user].toarray(), dtype=np.float64).ravel()
            co -= np.outer(own_row[anchors], own_row)
            degree -= own_row
        ids = candidates.ids
        denominator = np.sqrt(np.outer(degree[anchors], degree[ids]))
        shared = co[:, ids]
        cosine = np.divide(shared, denominator, out=np.zeros_like(shared), where=denominator > 0)
        top = float(degree.max()) if len(degree) else 0.0
        popularity = degree[ids] / top if top > 0 else np.zeros(len(ids))
        out: Scores = cosine.sum(axis=0) + self.TIE_BREAK * popularity
        return out


def standardise(values: Scores) -> Scores:
    """(values - mean) / standard deviation; all zeros when the values are all equal."""
    spread = float(values.std())
    if not len(values) or spread == 0.0 or not math.isfinite(spread):
        return np.zeros(len(values))
    out: Scores = (values - values.mean()) / spread
    return out


class Blend(ScoreMethod):
    """``(1 - weight) * z(first) + weight * z(second)``, z standardising over candidates."""

    def __init__(self, name: str, first: ScoreMethod, second: ScoreMethod, weight: float) -> None:
        if not 0.0 <= weight <= 1.0:
            raise UsageError(f"a blend weight is between 0 and 1: {weight}")
        self.name = name
        self.first = first
        self.second = second
        self.weight = weight

    @staticmethod
    def combine(first: Scores, second: Scores, weight: float) -> Scores:
        """The blend of two methods' raw scores of the same candidates."""
        out: Scores = (1.0 - weight) * standardise(first) + weight * standardise(second)
        return out

    def scores(self, profile: Profile, candidates: Candidates) -> Scores:
        return self.combine(
            self.first.scores(profile, candidates),
            self.second.scores(profile, candidates),
            self.weight,
        )


# --------------------------------------------------------------------------- by name


def make_method(
    name: str,
    *,
    config: RankingConfig | None = None,
    blend_weight: float = DEFAULT_BLEND_WEIGHT,
) -> ScoreMethod:
    """The method called ``name`` (one of :data:`METHODS`); ``config`` is the paperradar
    methods' RankingConfig (default: the product's defaults)."""
    base = config or RankingConfig()
    if name == "arxiv-sanity":
        return ArxivSanity()
    if name == "zotero":
        return Zotero()
    if name == "max-cosine":
        return MaxCosine()
    if name == "mean-cosine":
        return MeanCosine()
    if name == "bm25":
        return BM25()
    if name == "paperradar":
        return PaperRadar(name, base)
    if name == "paperradar-no-keywords":
        return PaperRadar(name, _replace(base, keyword_weight=0.0))
    if name == "paperradar-no-feedback":
        return PaperRadar(name, base, feedback=False)
    if name == "co-occurrence":
        return CoOccurrence()
    if name == "paperradar+co-occurrence":
        return Blend(name, PaperRadar("paperradar", base), CoOccurrence(), blend_weight)
    raise UsageError(f"unknown method {name!r}; the methods are: {', '.join(METHODS)}")


def make_methods(names: Sequence[str] | None = None) -> list[ScoreMethod]:
    """The methods called ``names`` (default: all of :data:`METHODS`), in that order."""
    wanted = list(dict.fromkeys(names if names is not None else METHODS))
    unknown = [n for n in wanted if n not in METHODS]
    if unknown:
        raise UsageError(
            f"unknown method(s) {', '.join(map(repr, unknown))}; "
            f"the methods are: {', '.join(METHODS)}"
        )
    return [make_method(n) for n in wanted]


def _replace(config: RankingConfig, **changes: Any) -> RankingConfig:
    from dataclasses import replace

    return replace(config, **changes)
