"""Paired comparisons between configs that differ in exactly one factor."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .contrasts import comparison_table, contrast_statistics
from .intervals import IntervalChoice
from .pairing import config_levels, paired_matrix, seed_values
from .partners import one_factor_pairs

# the statistics of one paired difference, shared with the baseline comparisons
DIFFERENCE_COLUMNS = [
    "n",
    "mean_a",
    "mean_b",
    "mean_difference",
    "ci_low",
    "ci_high",
    "ci_method",
    "note",
    "t_statistic",
    "t_pvalue",
    "wilcoxon_statistic",
    "wilcoxon_pvalue",
    "holm_t_pvalue",
    "holm_wilcoxon_pvalue",
    "effect_size",
    "seeds_needed",
    "seeds_verdict",
]
COMPARISON_COLUMNS = ["config_a", "config_b", "factor", "level_a", "level_b", *DIFFERENCE_COLUMNS]


def paired_difference(values: np.ndarray, choice: IntervalChoice) -> dict[str, object]:
    """DIFFERENCE_COLUMNS but the Holm ones, for `values` of shape (n_seeds, 2): column 1 minus column 0."""
    n = len(values)
    statistics = contrast_statistics(values[:, 1] - values[:, 0], choice)
    return {
        "n": n,
        "mean_a": float(values[:, 0].mean()) if n else float("nan"),
        "mean_b": float(values[:, 1].mean()) if n else float("nan"),
        "mean_difference": statistics.pop("mean"),
        **statistics,
    }


def paired_comparisons(
    finals: pd.DataFrame,
    factors: Sequence[str],
    value: str,
    *,
    interval: str = "t",
    confidence: float = 0.95,
    rng: np.random.Generator | None = None,
    n_resamples: int = 10_000,
    on_mismatch: str = "error",
) -> pd.DataFrame:
    """Compare, paired by seed, every two configs whose levels differ in exactly one of `factors`.

    `finals`: one row per finished run, columns config, seed, `value` and each of `factors`.
    A factor left None/NaN for a config (it does not apply) is a level of its own, so configs
    of different architectures are compared only when nothing but one factor tells them apart.
    Configs with identical levels are not compared.

    One row per comparison, columns COMPARISON_COLUMNS: level_a is the lower level (missing
    first, False before True, smaller numbers first), differences are b - a per seed;
    mean_a/mean_b are means over the paired seeds; ci_low/ci_high the interval of the mean
    difference (interval "t" or "bootstrap", the latter BCa drawn from `rng`), NaN below 3
    paired seeds with note "too few seeds"; ci_method says how the intervals are computed;
    the paired t and Wilcoxon signed-rank tests are two-sided (p-values from 2 seeds on);
    holm_* adjust across all rows of this table; effect_size is Cohen's d_z (mean difference
    / sd of differences, NaN without spread); seeds_needed (nullable integer) and
    seeds_verdict say how many seeds resolve the difference at alpha = 1 - confidence with
    80% power (see power.seeds_needed).

    on_mismatch="error" raises PairingError when two compared configs ran different seeds;
    "intersect" pairs their common seeds and `n` says how many.
    """
    choice = IntervalChoice(interval, confidence, rng, n_resamples)
    by_config = seed_values(finals, value)
    levels = config_levels(finals, factors)
    rows = []
    for config_a, config_b, factor in one_factor_pairs(levels, factors):
        _, values = paired_matrix(by_config, [config_a, config_b], on_mismatch)
        rows.append(
            {
                "config_a": config_a,
                "config_b": config_b,
                "factor": factor,
                "level_a": levels[config_a][factor],
                "level_b": levels[config_b][factor],
                **paired_difference(values, choice),
            }
        )
    table = comparison_table(rows, COMPARISON_COLUMNS)
    for column in ("level_a", "level_b"):
        # object columns keep None (not applicable) and bool levels as they are
        table[column] = pd.Series([row[column] for row in rows], index=table.index, dtype=object)
    return table
