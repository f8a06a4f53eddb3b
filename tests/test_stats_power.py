import math

import numpy as np
import pytest
import scipy.stats
from statsmodels.stats.power import TTestPower

from pairstudy.stats import paired_t_power, planned_seeds
from pairstudy.stats.power import SPREAD_BOUND


def brute_force_seeds(effect_size, alpha=0.05, power=0.8):
    """Smallest n >= 2 whose two-sided one-sample t test reaches `power`, n by n from 2."""
    n = 2
    while True:
        critical = scipy.stats.t.ppf(1 - alpha / 2, n - 1)
        noncentrality = effect_size * math.sqrt(n)
        reached = scipy.stats.nct.sf(critical, n - 1, noncentrality) + scipy.stats.nct.sf(
            critical, n - 1, -noncentrality
        )
        if reached >= power:
            return n
        n += 1


def differences_with(mean, sd, n=5):
    """n differences with exactly this mean and sample sd."""
    spread = np.linspace(-1, 1, n)
    return mean + sd * spread / spread.std(ddof=1)


def planned_for(effect_size, n=5):
    """The seeds planned for a smallest effect of `effect_size` pilot sds, as planned_seeds plans them: the sd at
    its upper bound."""
    pilot = differences_with(0.0, 1.0, n)
    return planned_seeds(pilot, effect_size * float(np.std(pilot, ddof=1)) * upper_factor(n))


def upper_factor(n):
    return math.sqrt((n - 1) / scipy.stats.chi2.ppf(1 - SPREAD_BOUND, n - 1))


@pytest.mark.parametrize("effect_size", [0.15, 0.4, 0.8, 1.3, 2.5, 6.0, 30.0])
def test_planned_seeds_match_a_brute_force_power_search(effect_size):
    assert planned_for(effect_size) == brute_force_seeds(effect_size)


def test_planned_seeds_agree_with_statsmodels_where_its_solver_is_free():
    for effect_size in (0.3, 0.7, 1.5):
        solved = TTestPower().solve_power(effect_size=effect_size, alpha=0.05, power=0.8, alternative="two-sided")
        assert planned_for(effect_size, n=10) == math.ceil(solved)


def test_power_matches_statsmodels():
    for n in (2, 3, 5, 10, 40):
        for effect_size in (0.2, 0.9, 2.0, -1.1):
            reference = TTestPower().power(effect_size=effect_size, nobs=n, alpha=0.05, alternative="two-sided")
            assert paired_t_power(n, effect_size) == pytest.approx(reference, abs=1e-9)


def test_a_large_effect_needs_three_seeds_not_two():
    # two seeds leave one degree of freedom: d_z = 10 has only 73% power there
    assert paired_t_power(2, 10.0) == pytest.approx(0.733, abs=0.001)
    assert paired_t_power(3, 10.0) > 0.8
    assert planned_for(10.0) == 3


def test_the_plan_depends_on_the_spread_and_the_smallest_effect_never_on_the_difference_seen():
    spread = differences_with(0.0, 0.01, n=10)
    for shift in (-0.05, 0.0, 0.003, 0.2):
        assert planned_seeds(spread + shift, 0.01) == planned_seeds(spread, 0.01)
    assert planned_seeds(spread, 0.02) < planned_seeds(spread, 0.01) < planned_seeds(spread * 2, 0.01)
    assert planned_seeds(spread, 0.01, alpha=0.01) > planned_seeds(spread, 0.01)
    assert math.isnan(planned_seeds([0.01, 0.02], 0.01))  # two seeds say nothing of the spread
    assert math.isnan(planned_seeds(spread, None))  # nothing declared worth finding: no plan
    assert planned_seeds([0.03, 0.03, 0.03, 0.03], 0.01) == 2


@pytest.mark.parametrize("pilot_seeds", [3, 5, 10])
@pytest.mark.parametrize("smallest", [1.0, 0.5])  # 10 and 34 seeds truly needed at a spread of 1
def test_a_follow_up_with_the_planned_seeds_resolves_a_difference_of_the_declared_size(pilot_seeds, smallest):
    """Pilots of normal differences (spread 1); each plans seeds for `smallest`; a follow-up study of that many
    seeds whose true difference is `smallest` resolves it (paired t at 0.05) at least 75% of the time."""
    rng = np.random.default_rng(pilot_seeds)
    resolved = []
    for _ in range(300):
        pilot = rng.normal(rng.normal(0, 2), 1.0, pilot_seeds)  # whatever the pilot's own difference
        seeds = planned_seeds(pilot, smallest)
        follow_up = rng.normal(smallest, 1.0, seeds)
        resolved.append(scipy.stats.ttest_1samp(follow_up, 0.0).pvalue < 0.05)
    assert np.mean(resolved) >= 0.75
