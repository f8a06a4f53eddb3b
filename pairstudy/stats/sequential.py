"""Seeds on demand: a group-sequential plan for the paired differences of one comparison, looked at after each stage
of seeds, whose false-positive rate stays near alpha however many looks the study takes.

A plan names its looks by cumulative paired seeds (5, 10, ..., 30); the information fraction of look k is
t_k = n_k / n_max. The `resolved` rule stops a comparison when its statistic crosses the look's boundary, from the
Lan-DeMets alpha-spending function of O'Brien-Fleming type (Lan & DeMets 1983, Biometrika 70:659-663; Jennison &
Turnbull 2000, Group Sequential Methods with Applications to Clinical Trials, ch. 7). The boundaries come from the
recursive numerical integration of the joint distribution of the sequential z statistics, which have independent
increments (Armitage, McPherson & Rowe 1969; Jennison & Turnbull 2000, ch. 19), on Simpson grids.

Seeds are few, so each look's statistic is a paired t with n_k - 1 degrees of freedom. It is mapped to the z scale
through its p-value (Jennison & Turnbull 2000, section 3.8, the "significance level approach"): a look crosses
when its t statistic's two-sided p is below that of the z boundary, so each look spends its own alpha exactly and
only the joint law of the looks is borrowed from the normal case. Simulated, the rule claims a difference that is
not there in 5.0-5.3% of studies at alpha = 0.05 (3-10 looks from 3 or 5 seeds; bench/sequential.py).

A look also stops a comparison as FUTILE when the repeated confidence interval already lies within +/- the smallest
difference worth finding (equivalent), or when the conditional power of resolving that difference at the last look
(for either sign, from the sd seen so far) is below FUTILITY_POWER; the last look without a crossing is
BUDGET_REACHED. Futility stops never raise the false-positive rate: they only ever stop a comparison without a
claim. The `precision` rule stops once every interval's half-width is at most the precision asked for (see
SPREAD_QUANTILE for the intervals it reports).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.special
import scipy.stats

from .power import smallest_n
from .words import MIN_SEEDS

CONTINUE = "continue"
RESOLVED = "resolved"
FUTILE = "futile"
BUDGET_REACHED = "budget reached"
PRECISE = "precise"
DECISIONS = (CONTINUE, RESOLVED, FUTILE, BUDGET_REACHED, PRECISE)

STAGEWISE = "stage-wise"
REPEATED = "repeated"

FUTILITY_POWER = 0.1  # below this conditional power of resolving the smallest difference by max seeds: futile
# Simpson nodes per sd of the smallest increment between looks, within these bounds: the boundaries of 3-10
# equally spaced looks then agree with a grid four times as fine to 1e-8
NODES_PER_INCREMENT_SD = 24
MIN_NODES, MAX_NODES = 401, 2001
HIGHEST_BOUNDARY = 40.0  # a z boundary that spends nothing in double precision
P_FLOOR = 1e-12  # repeated p-values are searched down to here
# The precision rule stops on a small spread, and an interval from the spread it stopped on covers less than promised
# (the selection of fixed-width sequential intervals, Chow & Robbins 1965): one 95% t interval covers 92.6-93.6%
# with looks every 5 seeds from 5. The rule therefore takes each sd at its one-sided 55% upper confidence bound
# s sqrt((n - 1) / chi2_{n-1}(0.45)), which widens the intervals most at the few seeds where that selection bites:
# then one interval covers 93.9-96.4% and families of 3-10 (Bonferroni) 95.7-97.0%, with looks every 1-5 seeds
# from 5 (bench/sequential.py); with a first look at 3 seeds one interval covers down to 92.7%
SPREAD_QUANTILE = 0.45


@dataclass(frozen=True)
class SequentialPlan:
    """When a comparison is looked at and where its z statistic must reach to resolve it."""

    looks: tuple[int, ...]  # cumulative paired seeds at each look; the last is the budget, max seeds
    alpha: float  # two-sided false-positive rate over all looks
    boundaries: tuple[float, ...]  # z-scale boundary of each look: |z| >= boundary resolves
    alpha_spent: tuple[float, ...]  # cumulative two-sided alpha spent through each look

    @property
    def max_seeds(self) -> int:
        return self.looks[-1]

    @property
    def information(self) -> np.ndarray:
        """Information fractions t_k = n_k / n_max, shape (K,)."""
        return np.asarray(self.looks, float) / self.max_seeds


@dataclass(frozen=True)
class Look:
    """One look at one comparison under the `resolved` rule: what it saw and what it decided."""

    look: int  # 1 for the first look
    seeds: int  # paired seeds seen
    mean: float  # mean paired difference
    sd: float  # sample sd of the paired differences
    t: float  # paired t statistic
    z: float  # t mapped to the z scale through its p-value
    boundary: float  # z-scale boundary of this look
    critical_t: float  # the boundary on the t scale at seeds - 1 degrees of freedom
    low: float  # repeated confidence interval of the mean difference: it excludes 0 exactly when resolved,
    high: float  # and all looks' intervals hold the true difference together with probability 1 - alpha
    p_value: float  # adjusted p-value; below alpha exactly when resolved
    p_ordering: str  # STAGEWISE where the comparison stops by crossing or at max seeds, else REPEATED
    conditional_power: float  # of resolving the smallest difference by max seeds; NaN at the last look or without one
    decision: str  # CONTINUE, RESOLVED, FUTILE or BUDGET_REACHED
    reason: str  # why, in words a report can print


@dataclass(frozen=True)
class PrecisionLook:
    """One look under the `precision` rule: the half-widths of every interval and what they decide."""

    seeds: int
    half_widths: tuple[float, ...]  # of each interval, in the order of the sds given
    precision: float  # the largest half-width allowed
    decision: str  # PRECISE, CONTINUE or BUDGET_REACHED
    reason: str


def planned_looks(initial: int, step: int, max_seeds: int) -> tuple[int, ...]:
    """Cumulative seeds at each look: initial, initial + step, ..., ending at max_seeds (5, 5, 30 -> 5, 10, ..., 30;
    5, 10, 22 -> 5, 15, 22)."""
    if not MIN_SEEDS <= initial <= max_seeds or step < 1:
        raise ValueError(
            f"a sequential plan needs {MIN_SEEDS} <= initial <= max and step >= 1, "
            f"got initial={initial}, step={step}, max={max_seeds}"
        )
    return (*range(initial, max_seeds, step), max_seeds)


def obrien_fleming_spending(information, alpha: float = 0.05) -> np.ndarray:
    """Two-sided alpha spent by information fractions `information` (any shape, in [0, 1]): each side spends the
    Lan-DeMets O'Brien-Fleming-type f(t; a) = 2 - 2 Phi(z_{1 - a/2} / sqrt(t)) of its own a = alpha / 2, as ldbounds,
    gsDesign and rpact do for a symmetric two-sided design; 0 at t = 0, alpha at t = 1."""
    information = np.asarray(information, float)
    with np.errstate(divide="ignore"):
        return 4 * scipy.stats.norm.sf(scipy.stats.norm.isf(alpha / 4) / np.sqrt(information))


def sequential_plan(looks, alpha: float = 0.05) -> SequentialPlan:
    """The plan with looks at these cumulative seeds (strictly increasing, the first at least MIN_SEEDS, the last
    the budget) and O'Brien-Fleming-type boundaries at two-sided level `alpha`."""
    looks = tuple(int(seeds) for seeds in looks)
    if not looks or looks[0] < MIN_SEEDS or any(later <= earlier for earlier, later in zip(looks, looks[1:])):
        raise ValueError(f"looks must be strictly increasing seed counts from at least {MIN_SEEDS}, got {looks}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    information = np.asarray(looks, float) / looks[-1]
    boundaries = spending_boundaries(information, alpha)
    spent = obrien_fleming_spending(information, alpha)
    return SequentialPlan(looks, alpha, tuple(map(float, boundaries)), tuple(map(float, spent)))


# The recursion works on the Brownian scale B(t_k) = Z_k sqrt(t_k): B has independent normal increments of variance
# t_k - t_{k-1} and mean drift * (t_k - t_{k-1}). The sub-density of B at a look, given no crossing so far, is held
# as Simpson nodes and node masses (node weight times density), so a point mass (the start) is one node of mass 1.


@dataclass(frozen=True)
class _Continuing:
    nodes: np.ndarray  # values of B at the last look, shape (G,)
    masses: np.ndarray  # probability mass of no crossing so far at each node, shape (G,)
    information: float  # t of the last look


_START = _Continuing(np.zeros(1), np.ones(1), 0.0)


def _crossing(state: _Continuing, bound: float, increment: float, drift: float) -> float:
    """P(no crossing before, |B| >= bound at the next look `increment` of information later)."""
    shifted = state.nodes + drift * increment
    sd = math.sqrt(increment)
    beyond = scipy.special.ndtr((shifted - bound) / sd) + scipy.special.ndtr(-(bound + shifted) / sd)
    return float(state.masses @ beyond)


def _simpson(half_width: float, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    points = np.linspace(-half_width, half_width, nodes)
    weights = np.ones(nodes)
    weights[1:-1:2], weights[2:-1:2] = 4.0, 2.0
    return points, weights * (points[1] - points[0]) / 3


def _node_count(bound: float, smallest_increment: float) -> int:
    nodes = math.ceil(2 * bound * NODES_PER_INCREMENT_SD / math.sqrt(smallest_increment))
    return min(max(nodes, MIN_NODES), MAX_NODES) | 1  # Simpson's rule needs an odd count


def _continue(state: _Continuing, bound: float, information: float, drift: float, nodes: int) -> _Continuing:
    """The sub-density of B at the next look on |B| < bound, from the one at the last look."""
    increment = information - state.information
    points, weights = _simpson(bound, nodes)
    moved = (points[:, None] - state.nodes[None, :] - drift * increment) / math.sqrt(increment)
    density = np.exp(-0.5 * moved**2) @ state.masses / math.sqrt(2 * math.pi * increment)
    return _Continuing(points, weights * density, information)


def _check_information(information) -> np.ndarray:
    information = np.asarray(information, float)
    if information.ndim != 1 or not information.size or information[0] <= 0 or np.any(np.diff(information) <= 0):
        raise ValueError(f"information fractions must be strictly increasing and positive, got {information}")
    return information


def _smallest_increment(information: np.ndarray) -> float:
    return float(np.min(np.diff(information, prepend=0.0)))


def spending_boundaries(information, alpha: float = 0.05) -> np.ndarray:
    """z-scale boundaries at information fractions `information` (shape (K,), strictly increasing in (0, 1]) that
    spend the O'Brien-Fleming-type function's alpha at each look, two-sided: P(first |Z_j| >= c_j at j <= k) under
    no difference equals the spent alpha at t_k. Shape (K,)."""
    information = _check_information(information)
    increments = np.diff(obrien_fleming_spending(information, alpha), prepend=0.0)
    smallest = _smallest_increment(information)
    state, boundaries = _START, []
    for t, alpha_increment in zip(information, increments):
        step = t - state.information

        def excess(boundary, state=state, t=t, step=step, alpha_increment=alpha_increment):
            return _crossing(state, boundary * math.sqrt(t), step, 0.0) - alpha_increment

        boundary = (
            HIGHEST_BOUNDARY
            if excess(HIGHEST_BOUNDARY) >= 0
            else scipy.optimize.brentq(excess, 0.0, HIGHEST_BOUNDARY, xtol=1e-12, rtol=1e-14)
        )
        boundaries.append(boundary)
        bound = boundary * math.sqrt(t)
        state = _continue(state, bound, t, 0.0, _node_count(bound, smallest))
    return np.asarray(boundaries)


def crossing_probabilities(information, boundaries, drift: float = 0.0) -> np.ndarray:
    """P(the first crossing is at look k), shape (K,), when Z_k = B(t_k) / sqrt(t_k) and B has `drift` per unit of
    information: drift = effect_size * sqrt(n_max) for a true difference of effect_size sds."""
    information = _check_information(information)
    smallest = _smallest_increment(information)
    state, crossings = _START, []
    for t, boundary in zip(information, boundaries):
        bound = boundary * math.sqrt(t)
        crossings.append(_crossing(state, bound, t - state.information, drift))
        state = _continue(state, bound, t, drift, _node_count(bound, smallest))
    return np.asarray(crossings)


def plan_power(plan: SequentialPlan, effect_size: float) -> float:
    """P(resolved at some look) for a true difference of `effect_size` sds of the paired differences, on the z
    scale (known sd) and without the futility rule."""
    return float(
        crossing_probabilities(plan.information, plan.boundaries, effect_size * math.sqrt(plan.max_seeds)).sum()
    )


def fixed_design_seeds(power: float, effect_size: float, alpha: float = 0.05) -> int | float:
    """Seeds a fixed design (one paired t test at `alpha`) needs for `power` at a true difference of `effect_size`
    sds: what a sequential study's seeds are compared with."""
    return smallest_n(effect_size, alpha, power)


def z_from_t(t, df) -> np.ndarray:
    """The z with the same two-sided p-value and sign as t at `df` degrees of freedom (arrays broadcast)."""
    t = np.asarray(t, float)
    return np.sign(t) * scipy.stats.norm.isf(scipy.stats.t.sf(np.abs(t), df))


def critical_t(boundary, df) -> np.ndarray:
    """The t-scale boundary at `df` degrees of freedom with the same two-sided p-value as the z-scale `boundary`."""
    return scipy.stats.t.isf(scipy.stats.norm.sf(boundary), df)


def conditional_power(information, z, drift, final_boundary: float) -> np.ndarray:
    """P(|Z| >= final_boundary at the last look | Z = z at information fraction `information` < 1), when B has
    `drift` per unit of information (arrays broadcast): the stochastic curtailment of Jennison & Turnbull ch. 10."""
    information, z, drift = (np.asarray(value, float) for value in (information, z, drift))
    remaining = 1 - information
    with np.errstate(invalid="ignore"):
        expected = z * np.sqrt(information) + drift * remaining
    sd = np.sqrt(remaining)
    return scipy.stats.norm.sf((final_boundary - expected) / sd) + scipy.stats.norm.sf((final_boundary + expected) / sd)


def stagewise_p(plan: SequentialPlan, look_index: int, z: float) -> float:
    """Two-sided p-value of a comparison that stops at look `look_index` (0 for the first) with statistic z, under
    the stage-wise ordering (Fairbanks & Madsen 1982; Jennison & Turnbull 2000, section 8.4): the alpha spent before
    this look plus P(no crossing before, |Z| >= |z| at this look) under no difference."""
    information = plan.information[: look_index + 1]
    smallest = _smallest_increment(information)
    state = _START
    for t, boundary in zip(information[:-1], plan.boundaries[:look_index]):
        bound = boundary * math.sqrt(t)
        state = _continue(state, bound, t, 0.0, _node_count(bound, smallest))
    spent_before = plan.alpha_spent[look_index - 1] if look_index else 0.0
    t = information[-1]
    return min(1.0, spent_before + _crossing(state, abs(z) * math.sqrt(t), t - state.information, 0.0))


def repeated_p(plan: SequentialPlan, look_index: int, z: float) -> float:
    """The repeated p-value at look `look_index`: the smallest two-sided alpha whose O'Brien-Fleming-type
    boundary at this look |z| reaches, so the repeated interval at that alpha just excludes 0 (Jennison & Turnbull
    2000, section 9.1). Valid whenever the study stops, for any reason; floored at P_FLOOR."""
    if not np.isfinite(z):
        return P_FLOOR if np.isinf(z) else float("nan")
    information = plan.information[: look_index + 1]

    def margin(log_alpha: float) -> float:
        return abs(z) - spending_boundaries(information, math.exp(log_alpha))[-1]

    highest = math.log1p(-1e-9)
    if margin(math.log(P_FLOOR)) >= 0:
        return P_FLOOR
    if margin(highest) < 0:
        return 1.0
    return math.exp(scipy.optimize.brentq(margin, math.log(P_FLOOR), highest, xtol=1e-6))


@dataclass(frozen=True)
class LookDecisions:
    """One look at m comparisons at once; every field has shape (m,)."""

    t: np.ndarray  # paired t statistics
    z: np.ndarray  # t mapped to the z scale through its p-value
    low: np.ndarray  # repeated confidence intervals
    high: np.ndarray
    conditional_power: np.ndarray  # NaN at the last look or without a smallest effect
    decision: np.ndarray  # of str: CONTINUE, RESOLVED, FUTILE or BUDGET_REACHED
    equivalent: np.ndarray  # of bool: the repeated interval lies within +/- the smallest effect


def look_decisions(
    plan: SequentialPlan,
    look_index: int,
    means,
    sds,
    smallest_effect: float | None = None,
    futility_power: float = FUTILITY_POWER,
) -> LookDecisions:
    """The `resolved` rule at look `look_index` (0 for the first) for m comparisons at once, from the mean and sd
    of each one's paired differences over the look's seeds (both shape (m,)). Without a smallest effect there is no
    futility stop."""
    means, sds = np.asarray(means, float), np.asarray(sds, float)
    seeds, last = plan.looks[look_index], look_index == len(plan.looks) - 1
    df = seeds - 1
    standard_error = sds / math.sqrt(seeds)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(means == 0, 0.0, means / standard_error)
    z = z_from_t(t, df)
    half_width = critical_t(plan.boundaries[look_index], df) * standard_error
    low, high = means - half_width, means + half_width
    resolved = (low > 0) | (high < 0)
    decision = np.where(resolved, RESOLVED, BUDGET_REACHED if last else CONTINUE).astype(object)
    power = np.full(means.shape, np.nan)
    equivalent = np.zeros(means.shape, bool)
    if smallest_effect is not None and smallest_effect > 0:
        equivalent = (low > -smallest_effect) & (high < smallest_effect)
        if not last:
            with np.errstate(divide="ignore"):
                drift = smallest_effect * math.sqrt(plan.max_seeds) / sds
            information = plan.information[look_index]
            # either sign of the smallest difference: futile only when neither would likely be resolved
            power = np.maximum(
                conditional_power(information, z, drift, plan.boundaries[-1]),
                conditional_power(information, z, -drift, plan.boundaries[-1]),
            )
            futile = ~resolved & (equivalent | (power < futility_power))
            decision[futile] = FUTILE
    return LookDecisions(t, z, low, high, power, decision, equivalent)


def _reason(plan: SequentialPlan, look: int, decided: LookDecisions, smallest_effect, futility_power) -> str:
    decision, seeds = decided.decision[0], plan.looks[look]
    versus = f"|z| = {abs(decided.z[0]):.2f} {'>=' if decision == RESOLVED else '<'} {plan.boundaries[look]:.2f}"
    if decision == RESOLVED:
        return f"crossed the boundary at {seeds} seeds: {versus}"
    if decision == BUDGET_REACHED:
        within = f"; the repeated interval lies within +/- {smallest_effect:g}" if decided.equivalent[0] else ""
        return f"max seeds ({seeds}) reached without crossing the boundary: {versus}{within}"
    if decision == FUTILE and decided.equivalent[0]:
        return (
            f"the repeated interval at {seeds} seeds lies within +/- {smallest_effect:g}, the smallest difference "
            "worth finding"
        )
    if decision == FUTILE:
        return (
            f"conditional power {decided.conditional_power[0]:.2f} < {futility_power:g} at {seeds} seeds to resolve "
            f"a difference of {smallest_effect:g} by {plan.max_seeds} seeds"
        )
    return f"boundary not crossed at {seeds} seeds: {versus}"


def resolved_looks(
    plan: SequentialPlan,
    differences,
    smallest_effect: float | None = None,
    futility_power: float = FUTILITY_POWER,
) -> tuple[Look, ...]:
    """Every look of `plan` that the paired differences (shape (n,), one per seed in the order seeds are added)
    reach, up to the first that stops the comparison: the last one says where the comparison stands."""
    differences = np.asarray(differences, float).ravel()
    looks = []
    for index, seeds in enumerate(plan.looks):
        if seeds > differences.size:
            break
        seen = differences[:seeds]
        mean, sd = float(seen.mean()), float(seen.std(ddof=1))
        decided = look_decisions(plan, index, [mean], [sd], smallest_effect, futility_power)
        decision = decided.decision[0]
        stagewise = decision in (RESOLVED, BUDGET_REACHED)
        z = float(decided.z[0])
        looks.append(
            Look(
                look=index + 1,
                seeds=seeds,
                mean=mean,
                sd=sd,
                t=float(decided.t[0]),
                z=z,
                boundary=plan.boundaries[index],
                critical_t=float(critical_t(plan.boundaries[index], seeds - 1)),
                low=float(decided.low[0]),
                high=float(decided.high[0]),
                p_value=stagewise_p(plan, index, z) if stagewise else repeated_p(plan, index, z),
                p_ordering=STAGEWISE if stagewise else REPEATED,
                conditional_power=float(decided.conditional_power[0]),
                decision=decision,
                reason=_reason(plan, index, decided, smallest_effect, futility_power),
            )
        )
        if decision != CONTINUE:
            break
    return tuple(looks)


def _look_statistics(differences: np.ndarray, seeds: int) -> tuple[np.ndarray, np.ndarray]:
    seen = differences[..., :seeds]
    return seen.mean(axis=-1), seen.std(axis=-1, ddof=1)


def stopping_looks(
    plan: SequentialPlan,
    differences,
    smallest_effect: float | None = None,
    futility_power: float = FUTILITY_POWER,
) -> tuple[np.ndarray, np.ndarray]:
    """The `resolved` rule over S studies of one comparison each (differences shape (S, max_seeds), seeds in the
    order they are added): the index of the look each study stops at (S,) and its decision (S,) of str."""
    differences = np.asarray(differences, float)
    stop = np.full(differences.shape[0], len(plan.looks) - 1)
    decision = np.full(differences.shape[0], BUDGET_REACHED, dtype=object)
    running = np.ones(differences.shape[0], bool)
    for index, seeds in enumerate(plan.looks):
        means, sds = _look_statistics(differences[running], seeds)
        decided = look_decisions(plan, index, means, sds, smallest_effect, futility_power).decision
        stopped = np.flatnonzero(running)[decided != CONTINUE]
        stop[stopped], decision[stopped] = index, decided[decided != CONTINUE]
        running[stopped] = False
    return stop, decision


def precision_half_widths(sds, seeds: int, confidence: float = 0.95) -> np.ndarray:
    """Half-widths of the intervals the `precision` rule decides on and reports, for means over `seeds` seeds with
    sample sds `sds` (any shape): t intervals at `confidence` each (pass the family-wise one, e.g. 1 - alpha / m for
    Bonferroni over m), each sd taken at its upper confidence bound s sqrt((n - 1) / chi2_{n-1}(SPREAD_QUANTILE))."""
    spread_bound = math.sqrt((seeds - 1) / scipy.stats.chi2.ppf(SPREAD_QUANTILE, seeds - 1))
    critical = scipy.stats.t.isf((1 - confidence) / 2, seeds - 1)
    return critical * spread_bound * np.asarray(sds, float) / math.sqrt(seeds)


def precision_intervals(means, sds, seeds: int, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """The intervals (low, high, each shaped like `means`) a study stopped by the `precision` rule reports."""
    half_width = precision_half_widths(sds, seeds, confidence)
    means = np.asarray(means, float)
    return means - half_width, means + half_width


def precision_look(sds, seeds: int, max_seeds: int, precision: float, confidence: float = 0.95) -> PrecisionLook:
    """The `precision` rule at a look of `seeds` seeds: PRECISE once every interval (sds shape (m,)) has a
    half-width of at most `precision`, BUDGET_REACHED at max_seeds otherwise, else CONTINUE."""
    widths = precision_half_widths(sds, seeds, confidence)
    widest = float(np.max(widths)) if widths.size else 0.0
    if np.all(widths <= precision):
        decision, reason = PRECISE, f"every half-width <= {precision:g} at {seeds} seeds (widest {widest:.3g})"
    elif seeds >= max_seeds:
        decision, reason = BUDGET_REACHED, f"max seeds ({max_seeds}) reached; widest half-width {widest:.3g}"
    else:
        decision, reason = CONTINUE, f"widest half-width {widest:.3g} > {precision:g} at {seeds} seeds"
    return PrecisionLook(seeds, tuple(map(float, widths)), precision, decision, reason)


def precision_stopping_looks(looks, values, precision: float, confidence: float = 0.95) -> np.ndarray:
    """The `precision` rule over S studies of m intervals each (values shape (S, m, max_seeds), seeds in the order
    they are added): the index of the look each study stops at, shape (S,); the last look where no earlier one was
    precise enough."""
    values = np.asarray(values, float)
    stop = np.full(values.shape[0], len(looks) - 1)
    running = np.ones(values.shape[0], bool)
    for index, seeds in enumerate(looks[:-1]):
        _, sds = _look_statistics(values, seeds)
        precise = running & np.all(precision_half_widths(sds, seeds, confidence) <= precision, axis=-1)
        stop[precise], running[precise] = index, False
    return stop
