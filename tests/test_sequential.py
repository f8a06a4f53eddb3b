"""The group-sequential seed plan: its boundaries against published values and an independent integration, and its
error rates, seeds and coverage by simulation with a fixed numpy Generator."""

import math

import numpy as np
import pytest
import scipy.stats

from pairstudy.stats.sequential import (
    BUDGET_REACHED,
    CONTINUE,
    FUTILE,
    PRECISE,
    REPEATED,
    RESOLVED,
    STAGEWISE,
    critical_t,
    crossing_probabilities,
    fixed_design_seeds,
    look_decisions,
    obrien_fleming_spending,
    plan_power,
    planned_looks,
    precision_half_widths,
    precision_intervals,
    precision_look,
    precision_stopping_looks,
    resolved_looks,
    sequential_plan,
    spending_boundaries,
    stopping_looks,
    z_from_t,
)

ALPHA = 0.05
STUDIES = 4000


def monte_carlo_ceiling(rate, studies):
    """The rate plus three standard errors of a proportion estimated from `studies` simulated studies."""
    return rate + 3 * math.sqrt(rate * (1 - rate) / studies)


# Lan-DeMets O'Brien-Fleming-type boundaries, two-sided alpha = 0.05 (0.025 a side), equally spaced looks, as R's
# ldbounds and gsDesign (sfLDOF) print them; the K = 5 row is DeMets & Lan 1994 (Stat Med 13:1341), table 1
PUBLISHED = {
    3: [3.7103, 2.5114, 1.9930],
    4: [4.3326, 2.9631, 2.3590, 2.0141],
    5: [4.8769, 3.3569, 2.6803, 2.2898, 2.0310],
}


@pytest.mark.parametrize("looks", sorted(PUBLISHED))
def test_boundaries_agree_with_published_values(looks):
    information = np.arange(1, looks + 1) / looks
    np.testing.assert_allclose(spending_boundaries(information, ALPHA), PUBLISHED[looks], atol=2e-4)


def test_alpha_spent_is_the_spending_function_by_an_independent_integration():
    # unequal looks; P(|Z_j| < c_j for all j <= k) from scipy's multivariate normal (Genz), corr(Z_i, Z_j) =
    # sqrt(t_i / t_j), which shares nothing with the recursion that made the boundaries
    looks = (4, 9, 13, 22, 30)
    plan = sequential_plan(looks, ALPHA)
    information = plan.information
    correlation = np.sqrt(np.minimum.outer(information, information) / np.maximum.outer(information, information))
    boundaries = np.asarray(plan.boundaries)
    spent = []
    for k in range(1, len(looks) + 1):
        normal = scipy.stats.multivariate_normal(np.zeros(k), correlation[:k, :k], abseps=1e-7, releps=1e-5)
        spent.append(1 - normal.cdf(boundaries[:k], lower_limit=-boundaries[:k], rng=np.random.default_rng(0)))
    np.testing.assert_allclose(spent, obrien_fleming_spending(information, ALPHA), atol=2e-6)
    np.testing.assert_allclose(plan.alpha_spent, obrien_fleming_spending(information, ALPHA))
    np.testing.assert_allclose(np.cumsum(crossing_probabilities(information, boundaries)), plan.alpha_spent, atol=1e-9)
    assert plan.alpha_spent[-1] == pytest.approx(ALPHA)


def test_spending_function_ends_at_alpha_and_starts_at_zero():
    assert obrien_fleming_spending([0.0, 1.0], 0.1) == pytest.approx([0.0, 0.1])
    assert np.all(np.diff(obrien_fleming_spending(np.linspace(0, 1, 11))) > 0)


def test_planned_looks():
    assert planned_looks(5, 5, 30) == (5, 10, 15, 20, 25, 30)
    assert planned_looks(5, 10, 22) == (5, 15, 22)
    assert planned_looks(10, 5, 10) == (10,)
    with pytest.raises(ValueError, match="initial"):
        planned_looks(2, 5, 30)
    with pytest.raises(ValueError, match="looks"):
        sequential_plan((5, 5, 10))


def test_t_and_z_scales_share_their_p_values():
    df = np.array([2, 4, 9, 29])
    t = np.array([-7.0, 3.0, 2.2, -0.5])
    z = z_from_t(t, df)
    np.testing.assert_allclose(scipy.stats.norm.sf(np.abs(z)), scipy.stats.t.sf(np.abs(t), df))
    assert np.all(np.sign(z) == np.sign(t))
    np.testing.assert_allclose(z_from_t(critical_t(2.5, df), df), 2.5)


def null_rates(plan, rng, smallest_effect):
    differences = rng.normal(0.0, 2.0, size=(STUDIES, plan.max_seeds))
    _, decision = stopping_looks(plan, differences, smallest_effect)
    return float(np.mean(decision == RESOLVED))


@pytest.mark.parametrize("looks", [(5, 10, 15), (5, 10, 15, 20), (5, 10, 15, 20, 25), (5, 10, 15, 20, 25, 30)])
def test_no_true_difference_is_claimed_at_most_alpha_of_the_time(looks):
    plan = sequential_plan(looks, ALPHA)
    rng = np.random.default_rng(31 + len(looks))
    with_futility, without_futility = null_rates(plan, rng, 1.0), null_rates(plan, rng, None)
    assert with_futility <= monte_carlo_ceiling(ALPHA, STUDIES)
    assert without_futility <= monte_carlo_ceiling(ALPHA, STUDIES)
    assert without_futility >= 2 * ALPHA - monte_carlo_ceiling(ALPHA, STUDIES)  # and it spends its alpha


def test_first_look_at_three_seeds_keeps_the_error_rate():
    plan = sequential_plan((3, 6, 10, 15), ALPHA)
    assert null_rates(plan, np.random.default_rng(3), None) <= monte_carlo_ceiling(ALPHA, STUDIES)


def test_a_true_difference_stops_earlier_than_the_fixed_design_of_equal_power():
    smallest_effect = 0.6  # in sds of the paired differences
    plan = sequential_plan(planned_looks(5, 5, 30), ALPHA)
    differences = np.random.default_rng(7).normal(smallest_effect, 1.0, size=(STUDIES, plan.max_seeds))
    stop, decision = stopping_looks(plan, differences, smallest_effect)
    power = float(np.mean(decision == RESOLVED))
    seeds_used = float(np.mean(np.asarray(plan.looks)[stop]))
    fixed_seeds = fixed_design_seeds(power, smallest_effect, ALPHA)
    assert power > 0.8
    assert power == pytest.approx(plan_power(plan, smallest_effect), abs=0.05)  # t statistics, futility: a bit less
    assert seeds_used < 0.85 * fixed_seeds
    assert fixed_seeds <= plan.max_seeds  # OBF boundaries lose little power against one test at max seeds


@pytest.mark.parametrize(("intervals", "precision"), [(1, 0.5), (1, 1.0), (3, 0.7)])
def test_precision_rule_intervals_cover_as_promised(intervals, precision):
    studies, looks = 20_000, planned_looks(5, 5, 30)
    confidence = 1 - ALPHA / intervals  # Bonferroni over the family
    values = np.random.default_rng(11 + intervals).normal(0.0, 1.0, size=(studies, intervals, looks[-1]))
    stop = precision_stopping_looks(looks, values, precision, confidence)
    covered = np.empty(studies, bool)
    for index, seeds in enumerate(looks):
        stopped_here = values[stop == index, :, :seeds]
        low, high = precision_intervals(stopped_here.mean(-1), stopped_here.std(-1, ddof=1), seeds, confidence)
        covered[stop == index] = np.all((low <= 0) & (high >= 0), axis=-1)
        if index < len(looks) - 1:
            assert np.all(high - low <= 2 * precision + 1e-12)
    assert 0.2 < np.mean(stop < len(looks) - 1)  # the rule does stop early, so its selection is exercised
    assert 0.93 <= covered.mean() <= 0.97


def test_precision_look_decisions():
    assert precision_look([1.0, 0.5], 10, 30, 1.0).decision == PRECISE
    assert precision_look([1.0, 0.5], 10, 30, 0.1).decision == CONTINUE
    assert precision_look([1.0, 0.5], 30, 30, 0.1).decision == BUDGET_REACHED
    look = precision_look([1.0, 0.5], 10, 30, 1.0, confidence=0.99)
    np.testing.assert_allclose(look.half_widths, precision_half_widths([1.0, 0.5], 10, 0.99))
    assert precision_half_widths(1.0, 10) > scipy.stats.t.isf(0.025, 9) / math.sqrt(10)  # wider than the plain t


def exact(mean, sd, n):
    """n differences whose every first 5k have exactly this mean and about this sample sd (5 values, repeated)."""
    spread = np.linspace(-1, 1, 5)
    return np.resize(mean + sd * spread / spread.std(ddof=1), n)


def test_a_clear_difference_is_resolved_with_a_stagewise_p_below_alpha():
    plan = sequential_plan(planned_looks(5, 5, 30), ALPHA)
    looks = resolved_looks(plan, exact(2.0, 1.0, 30), smallest_effect=0.5)
    assert [look.decision for look in looks] == [CONTINUE, RESOLVED]
    assert [look.p_ordering for look in looks] == [REPEATED, STAGEWISE]
    assert looks[0].p_value > ALPHA >= looks[1].p_value
    assert looks[-1].low > 0 and looks[0].low < 0
    assert looks[-1].seeds == 10 and "crossed the boundary" in looks[-1].reason


def test_a_negligible_difference_is_futile_and_a_middling_one_reaches_the_budget():
    plan = sequential_plan(planned_looks(5, 5, 30), ALPHA)
    futile = resolved_looks(plan, exact(0.0, 1.0, 30), smallest_effect=1.0)[-1]
    assert futile.decision == FUTILE and futile.seeds < 30 and futile.p_value > ALPHA
    assert -1.0 < futile.low and futile.high < 1.0 and "within" in futile.reason
    hopeless = resolved_looks(plan, exact(0.05, 1.0, 30), smallest_effect=0.1)[-1]
    assert hopeless.decision == FUTILE and "conditional power" in hopeless.reason
    budget = resolved_looks(plan, exact(0.3, 1.0, 30))
    assert [look.decision for look in budget] == [CONTINUE] * 5 + [BUDGET_REACHED]
    assert budget[-1].p_ordering == STAGEWISE and budget[-1].p_value > ALPHA
    assert budget[-1].low < 0 < budget[-1].high


def test_looks_stop_at_the_seeds_there_are():
    plan = sequential_plan(planned_looks(5, 5, 30), ALPHA)
    assert [look.seeds for look in resolved_looks(plan, exact(0.3, 1.0, 17))] == [5, 10, 15]


def test_one_comparison_decides_as_the_simulated_studies_do():
    plan = sequential_plan(planned_looks(5, 5, 20), ALPHA)
    differences = np.random.default_rng(5).normal(0.8, 1.0, size=(4, plan.max_seeds))
    stop, decision = stopping_looks(plan, differences, 0.8)
    for row, index, decided in zip(differences, stop, decision):
        looks = resolved_looks(plan, row, 0.8)
        assert (len(looks) - 1, looks[-1].decision) == (index, decided)
        assert (looks[-1].p_value <= ALPHA) == (decided == RESOLVED)


def test_no_spread_decides_by_the_mean():
    plan = sequential_plan(planned_looks(5, 5, 20), ALPHA)
    decided = look_decisions(plan, 1, [0.5, 0.0], [0.0, 0.0], smallest_effect=0.2)
    assert list(decided.decision) == [RESOLVED, FUTILE]
