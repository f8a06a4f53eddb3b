"""Tests on per-seed differences, and the Holm-Bonferroni adjustment."""

from __future__ import annotations

import numpy as np
import scipy.stats


def one_sample_t(differences: np.ndarray) -> tuple[float, float]:
    """Two-sided one-sample t test of mean 0 on `differences` (1-D, one per seed): (t, p).

    On paired differences this is the paired t test. With no spread (sd = 0) t is undefined:
    all-zero differences give (0.0, 1.0), a constant non-zero difference gives (NaN, NaN).
    Fewer than two differences give (NaN, NaN).
    """
    differences = np.asarray(differences, dtype=float)
    n = len(differences)
    if n < 2:
        return float("nan"), float("nan")
    sd = float(np.std(differences, ddof=1))
    if sd == 0:
        return (0.0, 1.0) if not differences.any() else (float("nan"), float("nan"))
    t = float(differences.mean() / (sd / np.sqrt(n)))
    return t, float(2 * scipy.stats.t.sf(abs(t), df=n - 1))


def signed_rank(differences: np.ndarray) -> tuple[float, float]:
    """Two-sided Wilcoxon signed-rank test on `differences` (1-D, one per seed): (statistic, p).

    The statistic is scipy's: the smaller of the positive and negative rank sums.
    Differences are rounded to 12 decimals first: accuracies are ratios of counts, and
    float subtraction would otherwise split exact ties and zeros. All-zero differences
    give (0.0, 1.0); no differences give (NaN, NaN).
    """
    differences = np.round(np.asarray(differences, dtype=float), 12)
    if len(differences) == 0:
        return float("nan"), float("nan")
    if not differences.any():
        return 0.0, 1.0
    result = scipy.stats.wilcoxon(differences, alternative="two-sided")
    return float(result.statistic), float(result.pvalue)


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values of a 1-D array, in the input order.

    The family is the non-NaN entries; NaN stays NaN. The k-th smallest of m p-values is
    multiplied by (m - k + 1), made non-decreasing in that order, and capped at 1.
    """
    pvalues = np.asarray(pvalues, dtype=float)
    if pvalues.ndim != 1:
        raise ValueError(f"pvalues must be 1-D, got shape {pvalues.shape}")
    adjusted = np.full(pvalues.shape, np.nan)
    present = np.flatnonzero(~np.isnan(pvalues))
    order = present[np.argsort(pvalues[present], kind="stable")]
    m = len(order)
    scaled = pvalues[order] * (m - np.arange(m))
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted
