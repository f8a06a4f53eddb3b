"""How many seeds resolve an observed per-seed difference: the power of the paired t test.

A difference is resolved when the two-sided paired t test at level alpha rejects "no
difference", which is the same as the (1 - alpha) t interval excluding zero. The number of
seeds needed is the smallest n >= 2 at which that test has the wanted power, taking the
observed mean difference over the observed sd of the differences (Cohen's d_z) as the truth.
The power comes from scipy's noncentral t, searched over whole n (statsmodels' solver
stops at n = 2 and answers 2 for large effects whose power there is below the target).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import scipy.stats

from .intervals import MIN_SEEDS
from .samples import has_spread, is_zero, per_seed
from .significance import one_sample_t

PRACTICAL_SEEDS = 1_000
SEARCH_LIMIT = 10**9
TOO_FEW_TO_ESTIMATE = "too few seeds to estimate"
TOO_SMALL = f"too small to resolve with any practical number of seeds (over {PRACTICAL_SEEDS:,})"


class SeedsNeeded(NamedTuple):
    """Seeds a study needs (int, NaN when not computable) and a plain-text verdict."""

    seeds: int | float
    verdict: str


def paired_t_power(n: int, effect_size: float, alpha: float = 0.05) -> float:
    """Power of the two-sided one-sample t test at level `alpha` on n values whose true d_z is `effect_size`."""
    df = n - 1
    critical = scipy.stats.t.ppf(1 - alpha / 2, df)
    noncentrality = effect_size * math.sqrt(n)
    # the lower tail as the upper tail of the mirrored distribution: nct.cdf far in its tail can return NaN
    return float(scipy.stats.nct.sf(critical, df, noncentrality) + scipy.stats.nct.sf(critical, df, -noncentrality))


def smallest_n(effect_size: float, alpha: float = 0.05, power: float = 0.8) -> int | float:
    """Smallest n >= 2 at which paired_t_power reaches `power`; NaN for d_z = 0 or n beyond SEARCH_LIMIT."""
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError(f"alpha and power must lie in (0, 1), got alpha={alpha}, power={power}")
    effect_size = abs(effect_size)
    if effect_size == 0 or math.isnan(effect_size):
        return float("nan")

    def enough(n: int) -> bool:
        return paired_t_power(n, effect_size, alpha) >= power

    # the normal approximation lands within a seed or two; walk from there, power grows with n
    guess = (scipy.stats.norm.ppf(1 - alpha / 2) + scipy.stats.norm.ppf(power)) ** 2 / effect_size**2
    n = min(max(2, math.ceil(guess)), SEARCH_LIMIT)
    while n > 2 and enough(n - 1):
        n -= 1
    while not enough(n):
        if n >= SEARCH_LIMIT:
            return float("nan")
        n += 1
    return n


def seeds_needed(differences, alpha: float = 0.05, power: float = 0.8) -> SeedsNeeded:
    """Seeds needed to resolve the mean of `differences` (1-D, one per seed), and a verdict.

    Verdicts: "too few seeds to estimate" below 3 seeds; "resolved with the N seeds run"
    when the test rejects at the N seeds run and N reaches the seeds needed (with a remark
    on the power when it does not); "needs about M seeds (N run)"; TOO_SMALL when more than
    1,000 seeds are needed or the mean difference is zero. Differences without spread and
    not zero are resolved by any 2 seeds.
    """
    differences = per_seed(differences)
    n = len(differences)
    if n < MIN_SEEDS:
        return SeedsNeeded(float("nan"), TOO_FEW_TO_ESTIMATE)
    mean = float(differences.mean())
    if is_zero(mean):
        return SeedsNeeded(float("nan"), TOO_SMALL)
    if not has_spread(differences):
        return SeedsNeeded(2, f"resolved with the {n} seeds run (every seed differs by the same amount)")
    needed = smallest_n(mean / float(np.std(differences, ddof=1)), alpha, power)
    _, pvalue = one_sample_t(differences)
    if pvalue < alpha:
        if n >= needed:
            return SeedsNeeded(needed, f"resolved with the {n} seeds run")
        return SeedsNeeded(needed, f"resolved with the {n} seeds run, though {power:.0%} power needs about {needed:,}")
    if math.isnan(needed) or needed > PRACTICAL_SEEDS:
        return SeedsNeeded(needed, TOO_SMALL)
    return SeedsNeeded(needed, f"needs about {needed:,} seeds ({n} run)")
