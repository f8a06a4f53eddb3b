"""Tests on per-seed differences (scipy).

P-values are given from two seeds on (a t test with one degree of freedom, a signed-rank
test whose smallest p is 0.5): weak but valid, unlike an interval from two seeds.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.stats

from .samples import has_spread, per_seed, without_float_noise

# scipy's exact signed-rank null distribution holds without ties or zeros up to this many differences; above it
# scipy falls back to a normal approximation, so there, and with ties or zeros, the null distribution is built here
SCIPY_EXACT_MAX = 50


def one_sample_t(differences) -> tuple[float, float]:
    """Two-sided one-sample t test of mean 0 on `differences` (1-D, one per seed): (t, p).

    On paired differences this is the paired t test. With no spread t is undefined: all-zero
    differences give (0.0, 1.0), a constant non-zero difference gives (NaN, NaN). Fewer than
    two differences give (NaN, NaN).
    """
    differences = per_seed(differences)
    if len(differences) < 2:
        return float("nan"), float("nan")
    if not has_spread(differences):
        return (0.0, 1.0) if not without_float_noise(differences).any() else (float("nan"), float("nan"))
    result = scipy.stats.ttest_1samp(differences, 0.0)
    return float(result.statistic), float(result.pvalue)


def signed_rank(differences) -> tuple[float, float]:
    """Two-sided Wilcoxon signed-rank test on `differences` (1-D, one per seed): (statistic, p).

    The statistic is scipy's: the smaller of the positive and negative rank sums. The p-value is
    exact at any n: scipy's own without ties or zeros up to SCIPY_EXACT_MAX differences, else
    signed_rank_pvalue's. Differences are rounded to 12 decimals first, so float subtraction does
    not split exact ties and zeros. All-zero differences give (0.0, 1.0); none give (NaN, NaN).
    """
    differences = without_float_noise(per_seed(differences))
    if len(differences) == 0:
        return float("nan"), float("nan")
    if not differences.any():
        return 0.0, 1.0
    if len(differences) <= SCIPY_EXACT_MAX and not has_ties_or_zeros(differences):
        result = scipy.stats.wilcoxon(differences, alternative="two-sided", method="exact")
        return float(result.statistic), float(result.pvalue)
    nonzero = differences[differences != 0]  # a zero difference counts for neither sign
    ranks = scipy.stats.rankdata(np.abs(nonzero))
    positive = float(ranks[nonzero > 0].sum())
    return min(positive, float(ranks.sum()) - positive), signed_rank_pvalue(ranks, positive)


def has_ties_or_zeros(differences: np.ndarray) -> bool:
    magnitudes = np.abs(differences)
    return bool((magnitudes == 0).any() or len(np.unique(magnitudes)) < len(magnitudes))


def signed_rank_pvalue(ranks, positive_rank_sum: float) -> float:
    """The exact two-sided p of a positive rank sum, given the ranks (average ranks for ties) of the
    non-zero |differences|: each sign a fair coin under the null, as scipy's permutation_test flips them,
    p = min(1, 2 * min(P(S <= s), P(S >= s))).

    Doubled ranks are integers, so the null distribution of S is a polynomial product over integer
    sums (O(n * sum)); exact in float64 up to 53 ranks, within rounding above.
    """
    doubled = np.rint(2 * np.asarray(ranks, dtype=float)).astype(np.int64)
    distribution = np.zeros(int(doubled.sum()) + 1)
    distribution[0] = 1.0
    top = 0
    for rank in doubled:  # S' = S or S + rank, with probability 1/2 each
        distribution[rank : top + rank + 1] += distribution[: top + 1].copy()
        distribution[: top + rank + 1] *= 0.5
        top += rank
    observed = int(round(2 * positive_rank_sum))
    at_most, at_least = distribution[: observed + 1].sum(), distribution[observed:].sum()
    return float(min(1.0, 2 * min(at_most, at_least)))


def smallest_signed_rank_pvalue(n_nonzero: int) -> float:
    """The smallest two-sided p the signed-rank test can give on n_nonzero non-zero differences:
    2 / 2**n_nonzero, capped at 1 (all signs alike)."""
    if n_nonzero < 0:
        raise ValueError(f"n_nonzero must be at least 0, got {n_nonzero}")
    return min(1.0, math.ldexp(1.0, 1 - n_nonzero))
