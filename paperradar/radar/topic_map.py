"""A profile's topic map: its papers and a day's candidates in two dimensions, clustered.

The points are the profile's own papers, the papers it liked, and the candidates listed on
one day (by default the newest listing day in the store; at most ``max_candidates`` of
them, spread evenly over the day's papers). Their stored vectors are projected onto the
plane of their two principal components (PCA) and grouped by k-means in the full vector
space, ``k = min(6, n // 10)`` (at least 1). Each cluster is labelled by the title terms most
frequent in it. Everything is deterministic: the same store gives the same map.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from paperradar.embedding import Embedder
from paperradar.embedding.backfill import ensure_vectors
from paperradar.models import Filters
from paperradar.radar.profiles import load_profile
from paperradar.radar.terms import tokens
from paperradar.store.api import Store

#: most candidates drawn on a map
MAX_CANDIDATES = 600
#: most clusters
MAX_CLUSTERS = 6
KINDS = ("own", "liked", "candidate")


@dataclass(frozen=True, slots=True)
class MapPoint:
    """One paper on the map: ``x`` and ``y`` are its principal-component coordinates."""

    row_id: int
    pid: str
    title: str
    kind: str  # "own", "liked" or "candidate"
    x: float
    y: float
    cluster: int


@dataclass(slots=True)
class TopicMap:
    """The map of a profile; ``points`` is empty (and ``missing`` says why) when there is
    nothing to draw."""

    profile: str
    day: dt.date | None
    points: list[MapPoint] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # one per cluster
    explained: tuple[float, float] = (0.0, 0.0)  # variance share of each axis
    counts: dict[str, int] = field(default_factory=dict)  # points per kind
    missing: str | None = None


def newest_listing_day(store: Store) -> dt.date | None:
    """The newest listing date a source printed in full (not one with an inferred year)."""
    return store.papers.newest_listing()


def topic_map(
    store: Store,
    profile_name: str,
    embedder: Embedder,
    day: dt.date | None = None,
    max_candidates: int = MAX_CANDIDATES,
) -> TopicMap:
    """The topic map of a profile (see the module doc); an unknown profile is a UsageError.
    Own and liked papers without a vector are embedded; candidates use stored vectors."""
    profile = load_profile(store, profile_name)
    own = list(dict.fromkeys(profile.papers))
    liked = [i for i in profile.liked() if i not in set(own)]
    day = day or newest_listing_day(store)
    mine = set(own) | set(liked)
    candidates: list[int] = []
    if day is not None:
        pool = [
            i for i in sorted(store.papers.matching(Filters(since=day, until=day))) if i not in mine
        ]
        candidates = _spread(pool, max_candidates)
    result = TopicMap(profile.name, day)
    if not own and not liked:
        result.missing = (
            f"profile {profile.name!r} has no papers yet: add your own papers to see the map"
        )
        return result
    ensure_vectors(store, embedder, own + liked)
    kinds = {**dict.fromkeys(candidates, "candidate"), **dict.fromkeys(liked, "liked")}
    kinds.update(dict.fromkeys(own, "own"))
    vectors = store.vectors.for_papers(embedder.model_id, list(kinds))
    ids = [i for i in kinds if i in vectors]
    if not ids:
        result.missing = f"no paper of profile {profile.name!r} has a vector yet"
        return result
    matrix = np.vstack([vectors[i] for i in ids]).astype(np.float64)
    coords, result.explained = project(matrix)
    clusters = cluster(matrix)
    titles = _titles(store, ids)
    result.points = [
        MapPoint(i, titles[i][0], titles[i][1], kinds[i], float(x), float(y), int(c))
        for i, (x, y), c in zip(ids, coords.tolist(), clusters.tolist(), strict=True)
    ]
    result.labels = cluster_labels(result.points, int(clusters.max()) + 1)
    result.counts = {k: sum(p.kind == k for p in result.points) for k in KINDS}
    return result


def _spread(ids: list[int], cap: int) -> list[int]:
    """At most ``cap`` of ``ids``, evenly spaced (all of them when they fit)."""
    if len(ids) <= cap:
        return ids
    if cap <= 0:
        return []
    picks = np.linspace(0, len(ids) - 1, cap).round().astype(int)
    return [ids[i] for i in dict.fromkeys(picks.tolist())]


def project(matrix: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], tuple[float, float]]:
    """Rows projected on their first two principal components (zeros where there are fewer)
    and the share of variance each component explains."""
    from sklearn.decomposition import PCA

    n, dim = matrix.shape
    out = np.zeros((n, 2), dtype=np.float64)
    components = min(2, n - 1, dim)
    centred = matrix - matrix.mean(axis=0)
    if components < 1 or not np.any(centred):
        return out, (0.0, 0.0)
    pca = PCA(n_components=components, svd_solver="full")
    out[:, :components] = pca.fit_transform(centred)
    ratios = [float(r) for r in pca.explained_variance_ratio_] + [0.0, 0.0]
    return out, (ratios[0], ratios[1])


def cluster(matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """K-means cluster of each row, ``k = min(6, n // 10)`` but at least 1 and never more
    than the distinct rows; clusters are numbered by size, largest first."""
    from sklearn.cluster import KMeans

    n = len(matrix)
    distinct = len(np.unique(matrix, axis=0)) if n else 0
    k = max(1, min(MAX_CLUSTERS, n // 10, distinct))
    if k == 1:
        return np.zeros(n, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes on tiny or tied data
        labels = KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(matrix)
    sizes = np.bincount(labels, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    renumber = np.empty(k, dtype=np.int64)
    renumber[order] = np.arange(k)
    out: npt.NDArray[np.int64] = renumber[labels]
    return out


def cluster_labels(points: list[MapPoint], k: int, words: int = 3) -> list[str]:
    """Each cluster's most frequent title terms (ties by first appearance)."""
    counts: list[Counter[str]] = [Counter() for _ in range(k)]
    for point in points:
        counts[point.cluster].update(dict.fromkeys(tokens(point.title), 1))
    return [", ".join(term for term, _ in c.most_common(words)) for c in counts]


def _titles(store: Store, ids: list[int]) -> dict[int, tuple[str, str]]:
    """``row id -> (pid, title)``; a paper without a title shows its abstract's start."""
    return {i: (h.pid, h.title or h.start or h.pid) for i, h in store.papers.headings(ids).items()}
