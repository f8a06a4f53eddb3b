import math

import numpy as np
import pytest
import scipy.stats
from statsmodels.stats.power import TTestPower

from pairstudy.stats import paired_t_power, seeds_needed


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


@pytest.mark.parametrize("effect_size", [0.15, 0.4, 0.8, 1.3, 2.5, 6.0, 30.0])
def test_seeds_needed_matches_a_brute_force_power_search(effect_size):
    seeds, _ = seeds_needed(differences_with(0.01 * effect_size, 0.01))
    assert seeds == brute_force_seeds(effect_size)


def test_seeds_needed_agrees_with_statsmodels_where_its_solver_is_free():
    for effect_size in (0.3, 0.7, 1.5):
        seeds, _ = seeds_needed(differences_with(-0.02 * effect_size, 0.02))
        solved = TTestPower().solve_power(effect_size=effect_size, alpha=0.05, power=0.8, alternative="two-sided")
        assert seeds == math.ceil(solved)


def test_power_matches_statsmodels():
    for n in (2, 3, 5, 10, 40):
        for effect_size in (0.2, 0.9, 2.0, -1.1):
            reference = TTestPower().power(effect_size=effect_size, nobs=n, alpha=0.05, alternative="two-sided")
            assert paired_t_power(n, effect_size) == pytest.approx(reference, abs=1e-9)


def test_a_large_effect_needs_three_seeds_not_two():
    # two seeds leave one degree of freedom: d_z = 10 has only 73% power there
    assert paired_t_power(2, 10.0) == pytest.approx(0.733, abs=0.001)
    assert paired_t_power(3, 10.0) > 0.8
    assert seeds_needed(differences_with(0.1, 0.01)).seeds == 3


def test_verdicts():
    assert seeds_needed([0.01, 0.02]) == (pytest.approx(math.nan, nan_ok=True), "too few seeds to estimate")

    seeds, verdict = seeds_needed(differences_with(0.0005, 0.01, n=10))  # d_z = 0.05
    solved = TTestPower().solve_power(effect_size=0.05, alpha=0.05, power=0.8, alternative="two-sided")
    assert seeds == math.ceil(solved) > 1000
    assert verdict == "too small to resolve with any practical number of seeds (over 1,000)"

    seeds, verdict = seeds_needed(differences_with(0.0, 0.01, n=10))
    assert math.isnan(seeds) and verdict.startswith("too small to resolve")

    seeds, verdict = seeds_needed(differences_with(0.005, 0.01, n=10))  # d_z = 0.5: 34 seeds
    assert (seeds, verdict) == (34, "needs about 34 seeds (10 run)")

    seeds, verdict = seeds_needed(differences_with(0.02, 0.01, n=10))  # d_z = 2: 5 seeds
    assert (seeds, verdict) == (5, "resolved with the 10 seeds run")

    # t = 0.8 * sqrt(10) = 2.53 > 2.26 rejects at 10 seeds, but 80% power needs 15
    seeds, verdict = seeds_needed(differences_with(0.008, 0.01, n=10))
    assert seeds == brute_force_seeds(0.8) == 15
    assert verdict == "resolved with the 10 seeds run, though 80% power needs about 15"

    seeds, verdict = seeds_needed([0.03, 0.03, 0.03, 0.03])
    assert (seeds, verdict) == (2, "resolved with the 4 seeds run (every seed differs by the same amount)")


def test_seeds_needed_follows_alpha_and_power():
    differences = differences_with(0.005, 0.01, n=10)
    assert seeds_needed(differences, alpha=0.01, power=0.9).seeds == brute_force_seeds(0.5, alpha=0.01, power=0.9)
