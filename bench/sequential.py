"""Simulations of the sequential seed plan (pairstudy/stats/sequential.py): how often the `resolved` rule claims a
difference that is not there, for 3-6 looks; the seeds it uses under a true difference of the smallest effect
against the fixed design of equal power; how often the `precision` rule's intervals cover.

    python bench/sequential.py
    python bench/sequential.py --studies 2000 --seed 1    # a quick check of the script

Prints the command and its figures; tests/test_sequential.py asserts their thresholds on fewer studies.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import scipy.stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's pairstudy, installed or not

from pairstudy.stats.sequential import (  # noqa: E402
    FUTILE,
    RESOLVED,
    fixed_design_seeds,
    plan_power,
    planned_looks,
    precision_intervals,
    precision_stopping_looks,
    sequential_plan,
    stopping_looks,
)

ALPHA = 0.05
SMALLEST_EFFECT = 0.5  # in sds of the paired differences
PRECISION_CASES = ((1, 0.4), (1, 0.5), (1, 0.7), (1, 1.0), (1, 1.5), (3, 0.5), (3, 0.8), (3, 1.2))


def standard_error(rate: float, studies: int) -> float:
    return math.sqrt(rate * (1 - rate) / studies)


def false_claims(studies: int, rng: np.random.Generator) -> None:
    print(f"no true difference: share of studies the resolved rule claims one in (alpha {ALPHA}, two-sided)")
    plans = [planned_looks(5, 5, 5 * looks) for looks in (3, 4, 5, 6)] + [(3, 6, 10, 15), planned_looks(3, 3, 30)]
    for looks in plans:
        plan = sequential_plan(looks, ALPHA)
        differences = rng.standard_normal((studies, plan.max_seeds))
        _, decision = stopping_looks(plan, differences)
        stop, decision_with_futility = stopping_looks(plan, differences, SMALLEST_EFFECT)
        rate, rate_with_futility = (
            float(np.mean(decision == RESOLVED)),
            float(np.mean(decision_with_futility == RESOLVED)),
        )
        print(
            f"  {len(looks)} looks at {','.join(map(str, looks))} seeds: "
            f"{rate:.2%} ± {standard_error(rate, studies):.2%}"
            f" (with futility at {SMALLEST_EFFECT} sd: {rate_with_futility:.2%}, mean seeds "
            f"{np.mean(np.asarray(plan.looks)[stop]):.1f} of {plan.max_seeds})"
        )


def seeds_saved(studies: int, rng: np.random.Generator) -> None:
    plan = sequential_plan(planned_looks(5, 5, 30), ALPHA)
    print(f"a true difference of the smallest effect: looks at {','.join(map(str, plan.looks))} seeds")
    for effect in (0.5, 0.6, 0.8, 1.0):
        differences = rng.normal(effect, 1.0, size=(studies, plan.max_seeds))
        stop, decision = stopping_looks(plan, differences, effect)
        power = float(np.mean(decision == RESOLVED))
        seeds_used = float(np.mean(np.asarray(plan.looks)[stop]))
        fixed = fixed_design_seeds(power, effect, ALPHA)
        print(
            f"  {effect} sd: resolved {power:.1%} (z-scale plan {plan_power(plan, effect):.1%}), futile "
            f"{np.mean(decision == FUTILE):.1%}; mean seeds {seeds_used:.1f} against {fixed} for one test of equal "
            f"power ({1 - seeds_used / fixed:.0%} fewer)"
        )


def plain_t_coverage(values: np.ndarray, looks: tuple[int, ...], precision: float, confidence: float) -> float:
    """Coverage when the rule stopped on, and reported, plain t intervals: the selection the rule corrects for."""
    critical = {seeds: scipy.stats.t.isf((1 - confidence) / 2, seeds - 1) for seeds in looks}
    covered = np.zeros(values.shape[0], bool)
    running = np.ones(values.shape[0], bool)
    for seeds in looks:
        seen = values[..., :seeds]
        half_width = critical[seeds] * seen.std(-1, ddof=1) / math.sqrt(seeds)
        stops = running & (np.all(half_width <= precision, -1) | (seeds == looks[-1]))
        covered[stops] = np.all(np.abs(seen.mean(-1)) <= half_width, -1)[stops]
        running &= ~stops
    return float(covered.mean())


def precision_coverage(studies: int, rng: np.random.Generator) -> None:
    looks = planned_looks(5, 5, 30)
    print(f"precision rule: all intervals of a family cover (95% family-wise, Bonferroni), looks at {looks}")
    for intervals, precision in PRECISION_CASES:
        confidence = 1 - ALPHA / intervals
        values = rng.standard_normal((studies, intervals, looks[-1]))
        stop = precision_stopping_looks(looks, values, precision, confidence)
        covered = np.empty(studies, bool)
        for index, seeds in enumerate(looks):
            seen = values[stop == index, :, :seeds]
            low, high = precision_intervals(seen.mean(-1), seen.std(-1, ddof=1), seeds, confidence)
            covered[stop == index] = np.all((low <= 0) & (high >= 0), -1)
        coverage = float(covered.mean())
        print(
            f"  {intervals} interval(s), half-width <= {precision} sd: covers {coverage:.1%} ± "
            f"{standard_error(coverage, studies):.1%}, mean seeds {np.mean(np.asarray(looks)[stop]):.1f}, stopped "
            f"early {np.mean(stop < len(looks) - 1):.0%} (plain t intervals: "
            f"{plain_t_coverage(values, looks, precision, confidence):.1%})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=20_000, help="simulated studies per figure")
    parser.add_argument("--seed", type=int, default=31, help="seed of the numpy Generator")
    arguments = parser.parse_args()
    print("$ python " + " ".join(sys.argv))
    started = time.perf_counter()
    rng = np.random.default_rng(arguments.seed)
    false_claims(arguments.studies, rng)
    seeds_saved(arguments.studies, rng)
    precision_coverage(arguments.studies, rng)
    print(f"{arguments.studies} studies per figure, seed {arguments.seed}, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
