"""Paired comparisons between configs that differ in exactly one factor."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from .intervals import DEFAULT_VALUE, bootstrap_mean_ci, check_generator
from .pairing import config_levels, level_key, level_order, paired_matrix, seed_values
from .significance import holm, one_sample_t, signed_rank

COMPARISON_COLUMNS = [
    "config_a",
    "config_b",
    "factor",
    "level_a",
    "level_b",
    "n",
    "mean_a",
    "mean_b",
    "mean_difference",
    "ci_low",
    "ci_high",
    "t_statistic",
    "t_pvalue",
    "wilcoxon_statistic",
    "wilcoxon_pvalue",
    "holm_t_pvalue",
    "holm_wilcoxon_pvalue",
    "effect_size",
]


def one_factor_pairs(
    levels: dict[object, dict[str, object]], factors: Sequence[str]
) -> list[tuple[object, object, str]]:
    """(config_a, config_b, factor) for every two configs whose levels differ in exactly one factor.

    config_a holds the lower level (level_order), so b - a reads as turning the factor on or up.
    Pairs come grouped by factor, in the order of `factors`, then by config order.
    """
    found = {factor: [] for factor in factors}
    for first, second in combinations(levels, 2):
        differing = [f for f in factors if level_key(levels[first][f]) != level_key(levels[second][f])]
        if len(differing) != 1:
            continue
        factor = differing[0]
        if level_order(levels[second][factor]) < level_order(levels[first][factor]):
            first, second = second, first
        found[factor].append((first, second, factor))
    return [pair for factor in factors for pair in found[factor]]


def paired_comparisons(
    finals: pd.DataFrame,
    factors: Sequence[str],
    value: str = DEFAULT_VALUE,
    *,
    rng: np.random.Generator,
    n_resamples: int = 10_000,
    confidence: float = 0.95,
    on_mismatch: str = "error",
) -> pd.DataFrame:
    """Compare, paired by seed, every two configs whose levels differ in exactly one of `factors`.

    `finals`: one row per finished run, columns config, seed, `value` and each of `factors`.
    A factor left None/NaN for a config (it does not apply) is a level of its own, so configs
    of different architectures are compared only when nothing but one factor tells them apart.
    Configs with identical levels are not compared.

    One row per comparison, columns COMPARISON_COLUMNS: level_a is the lower level (missing
    first, False before True, smaller numbers first), differences are b - a per seed;
    mean_a/mean_b are means over the paired seeds; ci_low/ci_high a percentile bootstrap of
    the mean difference drawn from `rng`; the paired t and Wilcoxon signed-rank tests are
    two-sided; holm_* adjust across all rows of this table; effect_size is Cohen's d_z
    (mean difference / sd of differences, NaN when sd = 0).

    on_mismatch="error" raises PairingError when two compared configs ran different seeds;
    "intersect" pairs their common seeds and `n` says how many.
    """
    check_generator(rng)
    by_config = seed_values(finals, value)
    levels = config_levels(finals, factors)
    rows = []
    for config_a, config_b, factor in one_factor_pairs(levels, factors):
        seeds, values = paired_matrix(by_config, [config_a, config_b], on_mismatch)
        differences = values[:, 1] - values[:, 0]
        n = len(seeds)
        sd = float(np.std(differences, ddof=1)) if n > 1 else float("nan")
        low, high = bootstrap_mean_ci(differences, rng, n_resamples, confidence)
        t_statistic, t_pvalue = one_sample_t(differences)
        wilcoxon_statistic, wilcoxon_pvalue = signed_rank(differences)
        mean = float(differences.mean()) if n else float("nan")
        rows.append(
            {
                "config_a": config_a,
                "config_b": config_b,
                "factor": factor,
                "level_a": levels[config_a][factor],
                "level_b": levels[config_b][factor],
                "n": n,
                "mean_a": float(values[:, 0].mean()) if n else float("nan"),
                "mean_b": float(values[:, 1].mean()) if n else float("nan"),
                "mean_difference": mean,
                "ci_low": low,
                "ci_high": high,
                "t_statistic": t_statistic,
                "t_pvalue": t_pvalue,
                "wilcoxon_statistic": wilcoxon_statistic,
                "wilcoxon_pvalue": wilcoxon_pvalue,
                "effect_size": mean / sd if sd > 0 else float("nan"),
            }
        )
    table = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    table["holm_t_pvalue"] = holm(table["t_pvalue"].to_numpy(dtype=float))
    table["holm_wilcoxon_pvalue"] = holm(table["wilcoxon_pvalue"].to_numpy(dtype=float))
    for column in ("level_a", "level_b"):
        # object columns keep None (not applicable) and bool levels as they are
        table[column] = pd.Series([row[column] for row in rows], index=table.index, dtype=object)
    return table
