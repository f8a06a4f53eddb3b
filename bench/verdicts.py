"""Simulations behind the report's statistics: how often a follow-up with the planned seeds resolves a difference
of the declared size, and how often the best configuration's corrected interval covers its true mean.

    python bench/verdicts.py

Prints its figures; the tests assert their thresholds (tests/test_stats_power.py, tests/test_selection.py).
"""

import numpy as np
import scipy.stats

from pairstudy.stats import planned_seeds
from pairstudy.stats.selection import selection_interval

PILOTS = 2000
REPLICATIONS = 4000


def planned_follow_ups(rng: np.random.Generator) -> None:
    print("planned seeds: a follow-up with them resolves a true difference of the declared size (sd 1, alpha 0.05)")
    for smallest, needed in ((1.0, 10), (0.5, 34)):
        for pilot_seeds in (3, 5, 10):
            resolved, plans = [], []
            for _ in range(PILOTS):
                seeds = planned_seeds(rng.normal(rng.normal(0, 2), 1, pilot_seeds), smallest)
                plans.append(seeds)
                resolved.append(scipy.stats.ttest_1samp(rng.normal(smallest, 1, seeds), 0).pvalue < 0.05)
            print(
                f"  {needed} seeds truly needed, pilot of {pilot_seeds}: resolves {np.mean(resolved):.1%} "
                f"(median plan {np.median(plans):.0f} seeds)"
            )


def best_of_equal(rng: np.random.Generator, configs: int = 6) -> None:
    print(f"the best of {configs} equal configurations (sd 1): coverage of its interval")
    for seeds in (3, 5, 10):
        values = rng.normal(0, 1, (REPLICATIONS, configs, seeds))
        chosen = values.mean(axis=2).argmax(axis=1)
        corrected = plain = 0
        half = scipy.stats.t.ppf(0.975, seeds - 1)
        for replication, config in enumerate(chosen):
            own = values[replication, config]
            low, high = selection_interval(own, configs, 0.95, higher_is_better=True)
            corrected += low <= 0 <= high
            plain += abs(own.mean()) <= half * own.std(ddof=1) / np.sqrt(seeds)
        bias = values.mean(axis=2).max(axis=1).mean()
        print(
            f"  {seeds} seeds: corrected {corrected / REPLICATIONS:.1%}, plain 95% t {plain / REPLICATIONS:.1%}, "
            f"its mean too high by {bias:.2f} sd of a seed"
        )


if __name__ == "__main__":
    generator = np.random.default_rng(2026)
    planned_follow_ups(generator)
    best_of_equal(generator)
