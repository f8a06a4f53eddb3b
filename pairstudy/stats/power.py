"""How many seeds would resolve the smallest difference worth finding: the power of the paired t test, planned
from a pilot's spread, never from its observed difference.

A difference is resolved when the two-sided paired t test at level alpha rejects "no difference", which is the
same as the (1 - alpha) t interval excluding zero. The seeds a study plans are the smallest n >= 2 at which that
test has the wanted power against the declared smallest difference, taking as the spread of the per-seed
differences an upper confidence bound on the pilot's (SPREAD_BOUND, from the chi-square distribution of the
sample variance): a pilot of few seeds underestimates its spread often, and a plan from the point estimate falls
short of its power about as often. The power comes from scipy's noncentral t, searched over whole n
(statsmodels' solver stops at n = 2 and answers 2 for large effects whose power there is below the target).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.stats

from .intervals import MIN_SEEDS
from .samples import has_spread, per_seed
from .words import PLANNED_POWER

SEARCH_LIMIT = 10**9
# the pilot's spread is taken at its one-sided 80% upper confidence bound: a follow-up with the planned seeds then
# resolves a difference of the declared size in 88-90% of pilots of 3, 5 and 10 seeds, where the pilot's own sd
# gives 73-81% (tests/test_stats_power.py simulates it)
SPREAD_BOUND = 0.8


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


def spread_upper_bound(differences) -> float:
    """The one-sided SPREAD_BOUND upper confidence bound of the sd of `differences` (1-D, at least 2)."""
    n = len(differences)
    return float(np.std(differences, ddof=1)) * math.sqrt((n - 1) / scipy.stats.chi2.ppf(1 - SPREAD_BOUND, n - 1))


def planned_seeds(differences, smallest_effect: float | None, alpha: float = 0.05, power: float = PLANNED_POWER):
    """Seeds (int) a study needs for the paired t test at level `alpha` to resolve a true difference of
    `smallest_effect` with probability `power`, planned from the spread of `differences` (1-D, one per seed) at its
    upper confidence bound; NaN below MIN_SEEDS seeds, without a smallest effect, or beyond SEARCH_LIMIT.
    Differences without spread need 2 seeds."""
    differences = per_seed(differences)
    if len(differences) < MIN_SEEDS or smallest_effect is None or not smallest_effect > 0:
        return float("nan")
    if not has_spread(differences):
        return 2
    return smallest_n(smallest_effect / spread_upper_bound(differences), alpha, power)
