"""Summaries that count failed runs: the median with its order-statistic interval, and the share of seeds won."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from pairstudy.stats.robust import beats_share, median_interval, scores_by_seed


@pytest.mark.parametrize("n", [6, 10, 20])
def test_the_median_interval_covers_at_least_95_percent_at_any_number_of_runs(n):
    rng = np.random.default_rng(n)
    samples = rng.gamma(4.0, 1.0, (3000, n))  # skewed: the true median is not the mean
    truth = scipy.stats.gamma(4.0).median()
    covered = [low <= truth <= high for _, low, high in map(median_interval, samples)]
    assert 0.95 <= np.mean(covered) <= 0.985  # the order statistics' binomial steps: at least, never far above


def test_too_few_runs_give_a_median_without_an_interval_and_half_failed_no_median():
    assert math.isnan(median_interval([0.8, 0.81, 0.82, 0.83, 0.84])[1])  # 5 runs: P(all on one side) > 2.5%
    runs = [0.8, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87]
    # 10 runs: the interval runs from the 2nd smallest to the 2nd largest; one failure moves the median down
    assert median_interval([-math.inf, *runs, 0.88]) == pytest.approx((0.835, 0.8, 0.87))
    median, low, high = median_interval([-math.inf, -math.inf, *runs])
    assert median == pytest.approx(0.825) and math.isnan(low) and high == 0.86  # a failure is the lower bound
    assert math.isnan(median_interval([-math.inf] * 5 + [0.8] * 5)[0])


def finals(rows):
    return pd.DataFrame(rows, columns=["config", "seed", "status", "value"])


def test_a_failed_run_is_the_worst_outcome_and_loses_every_seed_it_is_paired_on():
    table = finals(
        [
            ("a", 0, "ok", 0.80),
            ("a", 1, "failed", np.nan),
            ("a", 2, "ok", 0.82),
            ("a", 3, "diverged", np.nan),
            ("b", 0, "ok", 0.79),
            ("b", 1, "ok", 0.70),
            ("b", 2, "ok", 0.83),
            ("b", 3, "failed", np.nan),
        ]
    )
    a = scores_by_seed(table, "a", "value", higher_is_better=True)
    assert a.tolist() == [0.80, -math.inf, 0.82, -math.inf]
    b = scores_by_seed(table, "b", "value", higher_is_better=True)
    share = beats_share(a, b, higher_is_better=True)
    # seed 0: a wins; seed 1: b wins (a failed); seed 2: b wins; seed 3: both failed, a tie left out
    assert (share.wins, share.decided) == (2, 3)
    exact = scipy.stats.binomtest(2, 3).proportion_ci(method="exact")
    assert (share.low, share.high) == pytest.approx((exact.low, exact.high))
    lower = scores_by_seed(table, "a", "value", higher_is_better=False)
    assert lower.tolist() == [0.80, math.inf, 0.82, math.inf]  # lower is better: a failure is the highest
