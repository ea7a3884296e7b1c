"""paperradar.eval.metrics against values computed by hand (the arithmetic is in comments).

log2 values used below: log2(3) = 1.5849625, log2(5) = 2.3219281, log2(6) = 2.5849625,
log2(7) = 2.8073549.
"""

from __future__ import annotations

import math

import pytest

from paperradar.eval.metrics import (
    average_precision,
    dcg_at_k,
    fold_mean_ci95,
    mean_ci95,
    ndcg_at_k,
    ndcg_percent,
    percent_cutoff,
    precision_at_k,
    precision_at_last_relevant,
    r_precision,
    recall_at,
    reciprocal_rank,
)

GAINS = [3, 2, 3, 0, 1, 2]  # the textbook example (Wikipedia, "Discounted cumulative gain")


def test_dcg_log2_discount() -> None:
    # 3/log2(2) + 2/log2(3) + 3/log2(4) + 0/log2(5) + 1/log2(6) + 2/log2(7)
    # = 3 + 1.2618595 + 1.5 + 0 + 0.3868528 + 0.7124144 = 6.8611267
    assert dcg_at_k(GAINS, 6) == pytest.approx(6.8611267, abs=1e-6)
    # first three only: 3 + 1.2618595 + 1.5
    assert dcg_at_k(GAINS, 3) == pytest.approx(5.7618595, abs=1e-6)
    assert dcg_at_k(GAINS, 0) == 0.0
    assert dcg_at_k(GAINS, 100) == dcg_at_k(GAINS, 6)  # nothing beyond the list


def test_ndcg_log2_ideal_from_the_ranking() -> None:
    # ideal = [3, 3, 2, 2, 1, 0]:
    # 3 + 3/1.5849625 + 2/2 + 2/2.3219281 + 1/2.5849625 + 0
    # = 3 + 1.8927893 + 1 + 0.8613531 + 0.3868528 = 7.1409952
    # NDCG@6 = 6.8611267 / 7.1409952 = 0.9608082
    assert ndcg_at_k(GAINS, 6) == pytest.approx(0.9608082, abs=1e-6)


def test_ndcg_log2_with_judged_items_outside_the_ranking() -> None:
    # Wikipedia's example: three more judged documents (3, 2, 0) were not retrieved, so the
    # ideal is [3, 3, 3, 2, 2, 2, 1, 0, 0] and IDCG@6 = 3 + 1.8927893 + 1.5 + 0.8613531
    # + 2/2.5849625 (0.7737056) + 2/2.8073549 (0.7124144) = 8.7402624
    # NDCG@6 = 6.8611267 / 8.7402624 = 0.7850024
    ideal = [*GAINS, 3, 2, 0]
    assert ndcg_at_k(GAINS, 6, ideal_gains=ideal) == pytest.approx(0.7850024, abs=1e-6)


def test_ndcg_rank_metrics_discount() -> None:
    # DCG = 3 + 2/log2(2) + 3/log2(3) + 0 + 1/log2(5) + 2/log2(6)
    #     = 3 + 2 + 1.8927893 + 0 + 0.4306766 + 0.7737056 = 8.0971715
    # ideal [3, 3, 2, 2, 1, 0]: 3 + 3 + 2/1.5849625 + 2/2 + 1/2.3219281 + 0
    #     = 3 + 3 + 1.2618595 + 1 + 0.4306766 = 8.6925361
    # NDCG = 8.0971715 / 8.6925361 = 0.9315085
    assert ndcg_at_k(GAINS, 6, discount="rank_metrics") == pytest.approx(0.9315085, abs=1e-6)


def test_ndcg_degenerate_cases() -> None:
    assert ndcg_at_k([0, 0, 0], 3) == 0.0  # nothing relevant: ideal DCG 0
    assert ndcg_at_k([1, 2], 0) == 0.0
    assert ndcg_at_k([2, 1], 5) == 1.0  # already ideal
    with pytest.raises(ValueError):
        ndcg_at_k([1], -1)
    with pytest.raises(ValueError):
        dcg_at_k([1], 1, discount="ln")  # type: ignore[arg-type]


def test_percent_cutoff_is_csfcubes_int_of_a_fifth() -> None:
    # int(0.2 * n): 12 -> 2, 9 -> 1, 4 -> 0, 115 -> 23, 250 -> 50
    assert [percent_cutoff(n) for n in (12, 9, 4, 115, 250)] == [2, 1, 0, 23, 50]
    assert percent_cutoff(10, percent=50) == 5


def test_ndcg_percent() -> None:
    gains = [1, 3, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]  # a pool of 12 -> cutoff 2
    # rank_metrics discount at k = 2: DCG = 1 + 3/log2(2) = 4; ideal [3, 2]: 3 + 2 = 5
    assert ndcg_percent(gains, None) == pytest.approx(4 / 5)
    # the standard discount: (1 + 3/1.5849625) / (3 + 2/1.5849625) = 2.8927893 / 4.2618595
    assert ndcg_percent(gains, None, discount="log2") == pytest.approx(0.6787622, abs=1e-6)
    # judged pool of 15 (three more, one of grade 3, not ranked): cutoff 3, ideal [3, 3, 2]
    # DCG@3 = 1 + 3 + 0/log2(3) = 4; IDCG@3 = 3 + 3 + 2/1.5849625 = 7.2618595
    ideal = [*gains, 3, 0, 0]
    assert ndcg_percent(gains, ideal) == pytest.approx(4 / 7.2618595, abs=1e-6)
    assert ndcg_percent([3, 2, 1, 0], None) == 0.0  # 4 candidates: cutoff 0


def test_precision_at_k() -> None:
    ranked = [1, 0, 1, 0, 0, 1]
    assert precision_at_k(ranked, 4) == pytest.approx(2 / 4)  # ranks 1 and 3
    assert precision_at_k(ranked, 10) == pytest.approx(3 / 10)  # missing places count as 0
    assert precision_at_k([3, 0, 2], 2) == pytest.approx(1 / 2)  # non-zero is relevant
    with pytest.raises(ValueError):
        precision_at_k(ranked, 0)


def test_recall_at() -> None:
    ranked = ["a", "b", "c", "d"]
    relevant = {"b", "d", "z"}  # "z" was never ranked
    assert recall_at(ranked, relevant, 2) == pytest.approx(1 / 3)  # {b} of 3
    assert recall_at(ranked, relevant, 4) == pytest.approx(2 / 3)  # {b, d} of 3
    assert recall_at(ranked, relevant, 0) == 0.0
    assert recall_at(ranked, set(), 3) == 0.0


def test_average_precision() -> None:
    ranked = [1, 0, 1, 0, 0, 1]
    # relevant at ranks 1, 3, 6: (1/1 + 2/3 + 3/6) / 3 = 2.1666667 / 3 = 0.7222222
    assert average_precision(ranked) == pytest.approx(0.7222222, abs=1e-6)
    # a fourth relevant item never ranked: 2.1666667 / 4 = 0.5416667
    assert average_precision(ranked, n_relevant=4) == pytest.approx(0.5416667, abs=1e-6)
    assert average_precision([0, 0]) == 0.0


def test_r_precision() -> None:
    ranked = [1, 0, 1, 0, 0, 1]
    assert r_precision(ranked) == pytest.approx(2 / 3)  # R = 3: P@3 = 2/3
    assert r_precision(ranked, n_relevant=4) == pytest.approx(2 / 4)  # R = 4: P@4
    assert r_precision([0, 0]) == 0.0


def test_precision_at_last_relevant_is_rank_metrics_r_precision() -> None:
    # 3 relevant, the last at rank 6: 3 / 6
    assert precision_at_last_relevant([1, 0, 1, 0, 0, 1, 0]) == pytest.approx(0.5)
    assert precision_at_last_relevant([0, 2, 0]) == pytest.approx(1 / 2)
    assert precision_at_last_relevant([0, 0]) == 0.0


def test_reciprocal_rank() -> None:
    assert reciprocal_rank([0, 0, 1, 1]) == pytest.approx(1 / 3)
    assert reciprocal_rank([1]) == 1.0
    assert reciprocal_rank([0, 0]) == 0.0


def test_mean_ci95() -> None:
    # [1, 2, 3, 4]: mean 2.5; s² = (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3, s = 1.2909944
    # se = s / sqrt(4) = 0.6454972; half-width = 1.96 * se = 1.2651745
    mean, half = mean_ci95([1, 2, 3, 4])
    assert mean == pytest.approx(2.5)
    assert half == pytest.approx(1.2651745, abs=1e-6)
    mean, half = mean_ci95([0.7])
    assert mean == pytest.approx(0.7) and math.isnan(half)
    with pytest.raises(ValueError):
        mean_ci95([])


def test_fold_mean_ci95() -> None:
    # folds [1, 2, 3] (mean 2, s² 1) and [4, 6] (mean 5, s² 2): mean (2 + 5) / 2 = 3.5
    # se = sqrt(1/3 + 2/2) / 2 = sqrt(4/3) / 2 = 0.5773503; half-width 1.96 * se = 1.1316065
    mean, half = fold_mean_ci95([[1, 2, 3], [4, 6]])
    assert mean == pytest.approx(3.5)
    assert half == pytest.approx(1.1316065, abs=1e-6)
    # one fold is the plain mean
    assert fold_mean_ci95([[1, 2, 3, 4]]) == mean_ci95([1, 2, 3, 4])
