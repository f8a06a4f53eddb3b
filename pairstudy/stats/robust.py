"""Summaries that count failed and diverged runs instead of leaving them out: each such run is the worst outcome
(below every finished run where higher is better), so a configuration that fails one seed in ten cannot read as
clean. Both summaries have distribution-free intervals whose coverage is at least the one they claim at any number
of seeds:

- the median over all runs, with the order-statistic interval (the binomial sign-test inversion); it exists while
  fewer than half the runs failed, and its interval needs 6 runs or more at 95%;
- the share of seeds on which one configuration beats another (a probability of improvement, paired by seed as
  everything here is; a tie, two failures included, counts for neither), with the exact Clopper-Pearson interval.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

OK = "ok"


class Share(NamedTuple):
    """Seeds won out of the seeds that were not ties, and the interval of the share won (NaN without seeds)."""

    wins: int
    decided: int
    low: float
    high: float


def scores_by_seed(finals: pd.DataFrame, config: object, value: str, higher_is_better: bool) -> pd.Series:
    """Every run of `config` by seed: its `value` where it finished, the worst possible outcome (-inf where higher
    is better, +inf where lower is) where it failed or diverged."""
    runs = finals[finals["config"] == config].drop_duplicates("seed").set_index("seed")
    worst = -math.inf if higher_is_better else math.inf
    return runs[value].astype(float).where(runs["status"] == OK, worst).sort_index()


def median_interval(scores, confidence: float = 0.95) -> tuple[float, float, float]:
    """The median of `scores` (failures at +/-inf) and its distribution-free interval: the k-th smallest and k-th
    largest scores, k the largest with P(Binomial(n, 1/2) < k) <= (1 - confidence) / 2. NaN bounds where n is too
    small for one; a NaN median where half the runs or more failed (an infinite median says only that)."""
    import scipy.stats

    scores = np.sort(np.asarray(scores, dtype=float))
    n = len(scores)
    if n == 0:
        return math.nan, math.nan, math.nan
    median = float(np.median(scores))
    median = median if math.isfinite(median) else math.nan
    k = int(scipy.stats.binom.ppf((1 - confidence) / 2, n, 0.5))  # P(B <= k - 1) <= alpha / 2 < P(B <= k)
    if scipy.stats.binom.cdf(k, n, 0.5) <= (1 - confidence) / 2:
        k += 1
    if k < 1:
        return median, math.nan, math.nan
    low, high = float(scores[k - 1]), float(scores[n - k])
    return median, low if math.isfinite(low) else math.nan, high if math.isfinite(high) else math.nan


def beats_share(first: pd.Series, second: pd.Series, higher_is_better: bool, confidence: float = 0.95) -> Share:
    """How often `second` beats `first` on the seeds both ran (scores_by_seed of each), with the exact
    Clopper-Pearson interval of that share."""
    import scipy.stats

    common = first.index.intersection(second.index)
    a, b = first.loc[common].to_numpy(dtype=float), second.loc[common].to_numpy(dtype=float)
    better = b > a if higher_is_better else b < a
    decided = int(np.sum(a != b))
    wins = int(np.sum(better & (a != b)))
    if decided == 0:
        return Share(0, 0, math.nan, math.nan)
    interval = scipy.stats.binomtest(wins, decided).proportion_ci(confidence_level=confidence, method="exact")
    return Share(wins, decided, float(interval.low), float(interval.high))
