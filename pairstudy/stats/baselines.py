"""How far configurations are ahead of the baselines, and the leader ahead of the rest.

Each pair is compared on the seeds both configurations finished (differences are
configuration - baseline, or leader - other, per seed), and each function's rows form one
Holm family.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .contrasts import comparison_table
from .intervals import IntervalChoice
from .paired import DIFFERENCE_COLUMNS, paired_difference
from .pairing import ordered_configs, paired_matrix, seed_values
from .words import BASELINE, LEADER_VS_BASELINE, LEADER_VS_RUNNER_UP

BASELINE_COLUMNS = ["kind", "config_a", "config_b", *DIFFERENCE_COLUMNS]


def check_baselines(configs: Sequence[object], baselines: Sequence[object]) -> None:
    unknown = [baseline for baseline in baselines if baseline not in configs]
    if unknown:
        raise ValueError(f"baselines {unknown} have no runs; the configs are {list(configs)}")
    if len(set(baselines)) != len(baselines):
        raise ValueError(f"baselines {list(baselines)} name a config twice")


def compare_pairs(
    by_config: dict[object, pd.Series], pairs: list[tuple[str, object, object]], choice: IntervalChoice
) -> pd.DataFrame:
    """BASELINE_COLUMNS for (kind, config_a, config_b) pairs, each paired on its common seeds."""
    rows = []
    for kind, config_a, config_b in pairs:
        _, values = paired_matrix(by_config, [config_a, config_b], on_mismatch="intersect")
        rows.append({"kind": kind, "config_a": config_a, "config_b": config_b, **paired_difference(values, choice)})
    return comparison_table(rows, BASELINE_COLUMNS)


def baseline_comparisons(
    finals: pd.DataFrame,
    baselines: Sequence[str],
    value: str,
    *,
    interval: str = "t",
    confidence: float = 0.95,
    rng: np.random.Generator | None = None,
    n_resamples: int = 10_000,
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every config that is not a baseline against each baseline, paired on their common seeds.

    `finals`: one row per finished run, columns config, seed and `value`. Rows: for each
    baseline in the given order, every other config in `order` (configs it does not list
    follow in order of first appearance). Columns BASELINE_COLUMNS: kind ("baseline"),
    config_a (the baseline), config_b (the config), then the statistics of
    paired_comparisons for the per-seed difference config - baseline, Holm-adjusted across
    all rows of this table.
    """
    choice = IntervalChoice(interval, confidence, rng, n_resamples)
    by_config = seed_values(finals, value)
    check_baselines(list(by_config), baselines)
    others = [config for config in ordered_configs(list(by_config), order) if config not in baselines]
    pairs = [(BASELINE, baseline, config) for baseline in baselines for config in others]
    return compare_pairs(by_config, pairs, choice)


def ranked_configs(
    by_config: dict[object, pd.Series], order: Sequence[str] | None, higher_is_better: bool
) -> list[object]:
    """Configs from the best mean over all their seeds to the worst (the highest first, or the lowest first where
    lower is better); ties keep `order`."""
    configs = ordered_configs(list(by_config), order)
    sign = -1.0 if higher_is_better else 1.0
    return sorted(configs, key=lambda config: sign * by_config[config].mean())


def leader_comparisons(
    finals: pd.DataFrame,
    baselines: Sequence[str],
    value: str,
    *,
    higher_is_better: bool,
    interval: str = "t",
    confidence: float = 0.95,
    rng: np.random.Generator | None = None,
    n_resamples: int = 10_000,
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The leader (best mean `value` over its seeds: the highest, or with `higher_is_better` False the lowest)
    against each baseline and the runner-up.

    Rows: kind "leader vs baseline" for each baseline in the given order, then kind "leader
    vs runner-up" against the config with the second-best mean (a runner-up that is a
    baseline appears once, as the runner-up). A leader that is itself a baseline is compared
    with the runner-up only. config_a is the other config, config_b the leader; the other
    columns are those of baseline_comparisons, Holm-adjusted across the rows of this table.
    The leader is chosen on the same data, so its lead over the runner-up is biased upward.
    """
    choice = IntervalChoice(interval, confidence, rng, n_resamples)
    by_config = seed_values(finals, value)
    check_baselines(list(by_config), baselines)
    ranked = ranked_configs(by_config, order, higher_is_better)
    leader, runner_up = ranked[0], ranked[1] if len(ranked) > 1 else None
    pairs = []
    if leader not in baselines:
        pairs += [(LEADER_VS_BASELINE, baseline, leader) for baseline in baselines if baseline != runner_up]
    if runner_up is not None:
        pairs.append((LEADER_VS_RUNNER_UP, runner_up, leader))
    return compare_pairs(by_config, pairs, choice)
