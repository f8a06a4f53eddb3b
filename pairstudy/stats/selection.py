"""The best configuration, chosen without the winner's curse going unsaid.

The best is chosen on the validation metric where every finished run has one (judged on the test metric, so the
choice does not pick the luckiest test runs), else on the test metric itself. Either way its interval is corrected
for the choice: on the side the choice favours, the bound is the one-sided t bound at 1 - alpha / k over the k
candidates (Bonferroni), so the chance that the chosen configuration's interval misses on that side is at most
alpha whichever configuration is chosen; on the other side it is the usual 1 - alpha / 2 bound (with k <= 2, the
plain interval). With k equal configurations chosen on their test means it covers about 95%, with one clearly
best about 1 - alpha / k - alpha / 2 (tests/test_selection.py simulates both).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from .pairing import ordered_configs, seed_values
from .samples import per_seed
from .words import CHOSEN_ON_TEST, CHOSEN_ON_VALIDATION, MIN_SEEDS


class Best(NamedTuple):
    """The chosen configuration, what it was chosen on, among how many, and its corrected interval (NaN bounds
    below MIN_SEEDS seeds)."""

    config: object
    chosen_on: str
    candidates: int
    low: float
    high: float


def selection_column(finished: pd.DataFrame, value: str, validation: str | None) -> str:
    """`validation` where every finished run has it, else `value`."""
    if validation and validation in finished and len(finished) and finished[validation].notna().all():
        return validation
    return value


def selection_interval(values, candidates: int, confidence: float, higher_is_better: bool) -> tuple[float, float]:
    """The interval of the mean of `values` (1-D, one per seed) of a configuration chosen as the best of
    `candidates`: the bound on the favoured side (the lower one where higher is better) one-sided at
    1 - alpha / candidates, the other at 1 - alpha / 2 (with one or two candidates, the plain interval)."""
    values = per_seed(values)
    n = len(values)
    if n < MIN_SEEDS:
        return float("nan"), float("nan")
    import scipy.stats

    alpha = 1 - confidence
    mean, sem = float(values.mean()), float(np.std(values, ddof=1)) / math.sqrt(n)
    favoured = scipy.stats.t.ppf(1 - alpha / max(2, candidates), n - 1) * sem
    other = scipy.stats.t.ppf(1 - alpha / 2, n - 1) * sem
    return (mean - favoured, mean + other) if higher_is_better else (mean - other, mean + favoured)


def ranked_configs(
    by_config: dict[object, pd.Series], order: Sequence[object] | None, higher_is_better: bool
) -> list[object]:
    """Configs from the best mean over all their seeds to the worst (the highest first, or the lowest first where
    lower is better); ties keep `order`."""
    configs = ordered_configs(list(by_config), order)
    sign = -1.0 if higher_is_better else 1.0
    return sorted(configs, key=lambda config: sign * by_config[config].mean())


def best_of(
    finished: pd.DataFrame,
    value: str,
    select_on: str,
    *,
    higher_is_better: bool,
    confidence: float = 0.95,
    order=None,
) -> Best | None:
    """The configuration with the best mean `select_on` over its finished runs (ties keep `order`), judged on
    `value`; None without finished runs."""
    ranking = seed_values(finished, select_on)
    if not ranking:
        return None
    best = ranked_configs(ranking, order, higher_is_better)[0]
    low, high = selection_interval(seed_values(finished, value)[best], len(ranking), confidence, higher_is_better)
    chosen_on = CHOSEN_ON_TEST if select_on == value else CHOSEN_ON_VALIDATION
    return Best(best, chosen_on, len(ranking), low, high)
