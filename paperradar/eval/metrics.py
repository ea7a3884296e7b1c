"""Ranking metrics: pure functions over one ranked list, and a mean with its 95% interval.

Conventions. A ranking is best first; rank 1 is the first item. *Gains* are graded relevance
values (CSFCube: 0-3) in rank order; *relevance* is binary in rank order (any non-zero value
counts as relevant). Where a metric needs the number of relevant items and the ranking may
not hold them all (a truncated list), pass ``n_relevant``; by default it is the number of
relevant items in the list, which is right when the whole pool is ranked.

Two discounts are offered for DCG, because published figures use both:

- ``"log2"`` (the standard one, Järvelin & Kekäläinen 2002 as in TREC and most libraries):
  ``DCG@k = sum_{i=1..k} g_i / log2(i + 1)``;
- ``"rank_metrics"``: ``DCG@k = g_1 + sum_{i=2..k} g_i / log2(i)`` (the first two ranks
  undiscounted): method 0 of the ``rank_metrics.py`` that CSFCube's ``eval_scripts`` use.
  CSFCube's published figures (SPECTER NDCG%20 0.533) are reproduced only with this one.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Sequence
from typing import Literal

Discount = Literal["log2", "rank_metrics"]
#: 1.96 standard errors: the half-width of a normal 95% interval of a mean
Z95 = 1.96


def _check_k(k: int) -> None:
    if k < 0:
        raise ValueError(f"the cutoff must not be negative: {k}")


def dcg_at_k(gains_in_rank_order: Sequence[float], k: int, discount: Discount = "log2") -> float:
    """Discounted cumulative gain of the first ``k`` items (see the module doc for the two
    discounts). Items beyond the list's end add nothing; ``k = 0`` gives 0."""
    _check_k(k)
    total = 0.0
    for i, gain in enumerate(gains_in_rank_order[:k], start=1):
        if discount == "log2":
            total += gain / math.log2(i + 1)
        elif discount == "rank_metrics":
            total += gain if i == 1 else gain / math.log2(i)
        else:
            raise ValueError(f"unknown discount {discount!r}")
    return total


def ndcg_at_k(
    gains_in_rank_order: Sequence[float],
    k: int,
    ideal_gains: Sequence[float] | None = None,
    discount: Discount = "log2",
) -> float:
    """Normalised DCG at ``k``: ``DCG@k(ranking) / DCG@k(ideal)``, where the ideal ranking
    orders ``ideal_gains`` (every judged item's gain; default: the ranking's own gains) from
    highest to lowest. Standard log2 discount by default: ``DCG@k = sum_{i<=k} g_i /
    log2(i + 1)``. 0.0 when the ideal DCG is 0 (nothing relevant, or ``k = 0``)."""
    ideal = sorted(gains_in_rank_order if ideal_gains is None else ideal_gains, reverse=True)
    best = dcg_at_k(ideal, k, discount)
    return dcg_at_k(gains_in_rank_order, k, discount) / best if best > 0 else 0.0


def percent_cutoff(pool_size: int, percent: int = 20) -> int:
    """``floor(pool_size * percent / 100)``: CSFCube's ``int(0.20 * len(pool))``."""
    if pool_size < 0 or not 0 <= percent <= 100:
        raise ValueError(f"bad pool size or percent: {pool_size}, {percent}")
    return pool_size * percent // 100


def ndcg_percent(
    gains: Sequence[float],
    ideal: Sequence[float] | None,
    percent: int = 20,
    discount: Discount = "rank_metrics",
) -> float:
    """CSFCube's NDCG%20 (with ``percent=20``): NDCG at a cutoff of ``percent`` percent of
    the pool, ``k = floor(pool size * percent / 100)``, where the pool size is
    ``len(ideal)`` (all judged candidates) or, when ``ideal`` is None, ``len(gains)`` (the
    whole pool is ranked). As in the dataset's ``ranking_eval.py`` (``ndcg_at_k(grades,
    int(0.20 * len(grades)))``) the ideal is the pool's gains sorted, and the discount is
    by default ``rank_metrics``' (first two ranks undiscounted; see the module doc). A pool of
    fewer than ``100 / percent`` candidates has ``k = 0`` and scores 0.0."""
    pool = gains if ideal is None else ideal
    return ndcg_at_k(gains, percent_cutoff(len(pool), percent), pool, discount)


def _binary(relevance: Sequence[float]) -> list[bool]:
    return [bool(r) for r in relevance]


def precision_at_k(relevance_in_rank_order: Sequence[float], k: int) -> float:
    """(relevant items among the first ``k``) / ``k``; a list shorter than ``k`` counts its
    missing places as not relevant (CSFCube's P@20 divides by 20). ``k`` must be >= 1."""
    if k < 1:
        raise ValueError(f"precision needs k >= 1, not {k}")
    return sum(_binary(relevance_in_rank_order[:k])) / k


def recall_at(ranked_ids: Sequence[str], relevant_ids: Collection[str], m: int) -> float:
    """Recall@M: ``|top M of ranked_ids ∩ relevant_ids| / |relevant_ids|`` (Wang & Blei's
    recall@M for CiteULike, CSFCube's R@20). 0.0 when nothing is relevant."""
    _check_k(m)
    relevant = set(relevant_ids)
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked_ids[:m])) / len(relevant)


def average_precision(
    relevance_in_rank_order: Sequence[float], n_relevant: int | None = None
) -> float:
    """AP: the sum of precision@i over the ranks i of relevant items, divided by the number
    of relevant items (``n_relevant``, default: those in the list). 0.0 with none."""
    hits = 0
    total = 0.0
    for i, rel in enumerate(_binary(relevance_in_rank_order), start=1):
        if rel:
            hits += 1
            total += hits / i
    denominator = hits if n_relevant is None else n_relevant
    return total / denominator if denominator else 0.0


def r_precision(relevance_in_rank_order: Sequence[float], n_relevant: int | None = None) -> float:
    """R-precision (TREC): precision at rank R, R = the number of relevant items
    (``n_relevant``, default: those in the list). 0.0 with none."""
    relevant = _binary(relevance_in_rank_order)
    r = sum(relevant) if n_relevant is None else n_relevant
    return sum(relevant[:r]) / r if r else 0.0


def precision_at_last_relevant(relevance_in_rank_order: Sequence[float]) -> float:
    """Precision down to the last relevant item: (relevant items) / (rank of the last one).
    This is ``r_precision`` of ``rank_metrics.py``, which CSFCube's README reports as
    "R-Prec" (not TREC's R-precision: see :func:`r_precision`). 0.0 with none."""
    relevant = _binary(relevance_in_rank_order)
    last = max((i for i, rel in enumerate(relevant, start=1) if rel), default=0)
    return sum(relevant) / last if last else 0.0


def reciprocal_rank(relevance_in_rank_order: Sequence[float]) -> float:
    """1 / (rank of the first relevant item); 0.0 when none is relevant."""
    for i, rel in enumerate(_binary(relevance_in_rank_order), start=1):
        if rel:
            return 1.0 / i
    return 0.0


def mean_ci95(values: Sequence[float]) -> tuple[float, float]:
    """``(mean, half-width)`` of a normal 95% interval of the mean: ``1.96 * s / sqrt(n)``
    with ``s`` the sample standard deviation (n - 1). The half-width is NaN for one value;
    no values is a ValueError."""
    return fold_mean_ci95([values])


def fold_mean_ci95(folds: Sequence[Sequence[float]]) -> tuple[float, float]:
    """``(mean of the folds' means, half-width)`` for a protocol that averages per-fold
    means (CSFCube's test figure: the mean of two folds' test halves). With F folds of
    sizes n_f and sample variances s_f², the estimate's standard error is
    ``sqrt(sum_f s_f² / n_f) / F``; the half-width is 1.96 of those. NaN when a fold has
    fewer than two values; an empty fold is a ValueError."""
    if not folds or any(len(fold) == 0 for fold in folds):
        raise ValueError("every fold needs at least one value")
    mean = statistics.fmean(statistics.fmean(fold) for fold in folds)
    if any(len(fold) < 2 for fold in folds):
        return mean, math.nan
    variance = sum(statistics.variance(fold) / len(fold) for fold in folds)
    return mean, Z95 * math.sqrt(variance) / len(folds)
