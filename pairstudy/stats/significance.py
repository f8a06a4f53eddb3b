"""Tests on per-seed differences (scipy), and the Holm-Bonferroni adjustment (statsmodels).

P-values are given from two seeds on (a t test with one degree of freedom, a signed-rank
test whose smallest p is 0.5): weak but valid, unlike an interval from two seeds.
"""

from __future__ import annotations

import numpy as np
import scipy.stats
from statsmodels.stats.multitest import multipletests

from .samples import has_spread, per_seed, without_float_noise

# scipy's signed-rank test enumerates every sign flip when ties or zeros leave its exact null distribution wrong,
# up to this many differences (2**13 flips, within its default 9999 resamples)
EXACT_SIGN_FLIPS = 13


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

    The statistic is scipy's: the smaller of the positive and negative rank sums.
    Differences are rounded to 12 decimals first, so float subtraction does not split exact
    ties and zeros. All-zero differences give (0.0, 1.0); no differences give (NaN, NaN).
    """
    differences = without_float_noise(per_seed(differences))
    if len(differences) == 0:
        return float("nan"), float("nan")
    if not differences.any():
        return 0.0, 1.0
    if len(differences) <= EXACT_SIGN_FLIPS and has_ties_or_zeros(differences):
        # the statistic does not depend on the method; the p-value comes from the flips, as scipy's would
        result = scipy.stats.wilcoxon(differences, alternative="two-sided", method="asymptotic")
        return float(result.statistic), sign_flip_pvalue(differences)
    result = scipy.stats.wilcoxon(differences, alternative="two-sided")
    return float(result.statistic), float(result.pvalue)


def has_ties_or_zeros(differences: np.ndarray) -> bool:
    magnitudes = np.abs(differences)
    return bool((magnitudes == 0).any() or len(np.unique(magnitudes)) < len(magnitudes))


def sign_flip_pvalue(differences: np.ndarray) -> float:
    """The two-sided p of the signed-rank statistic over every sign flip of the differences, as
    scipy.stats.wilcoxon computes it for few tied differences, but with the statistic vectorised over the flips
    (scipy's own call evaluates it once per flip: a third of a second for 10 seeds)."""
    nonzero = differences != 0
    ranks = np.zeros(len(differences))  # a zero difference counts for neither sign, whichever way it is flipped
    ranks[nonzero] = scipy.stats.rankdata(np.abs(differences[nonzero]))

    def positive_rank_sum(flipped, axis):
        return np.sum(ranks * (np.moveaxis(flipped, axis, -1) > 0), axis=-1)

    result = scipy.stats.permutation_test(
        (differences,),
        positive_rank_sum,
        permutation_type="samples",
        vectorized=True,
        n_resamples=np.inf,
        alternative="two-sided",
    )
    return float(result.pvalue)


def holm(pvalues) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values of a 1-D array, in the input order.

    The family is the non-NaN entries; NaN stays NaN.
    """
    pvalues = np.asarray(pvalues, dtype=float)
    if pvalues.ndim != 1:
        raise ValueError(f"pvalues must be 1-D, got shape {pvalues.shape}")
    adjusted = np.full(pvalues.shape, np.nan)
    present = ~np.isnan(pvalues)
    if present.any():
        adjusted[present] = multipletests(pvalues[present], method="holm")[1]
    return adjusted
