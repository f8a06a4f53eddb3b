"""Paired comparisons between configs that differ in exactly one factor."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .contrasts import comparison_table, contrast_statistics
from .families import Families, Family, family_of, own_family
from .pairing import config_levels, paired_matrix, seed_values
from .partners import one_factor_pairs
from .words import ONE_FACTOR

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
    "family",
    "family_size",
    "t_statistic",
    "t_pvalue",
    "adjusted_t_pvalue",
    "wilcoxon_statistic",
    "wilcoxon_pvalue",
    "adjusted_wilcoxon_pvalue",
    "wilcoxon_can_reject",
    "effect_size",
    "smallest_effect",
    "verdict",
    "seeds_needed",
]
COMPARISON_COLUMNS = ["config_a", "config_b", "factor", "level_a", "level_b", *DIFFERENCE_COLUMNS]


def paired_difference(
    values: np.ndarray, confidence: float, family: Family, smallest_effect: float | None = None
) -> dict[str, object]:
    """DIFFERENCE_COLUMNS for `values` of shape (n_seeds, 2): column 1 minus column 0, tested in `family`."""
    n = len(values)
    statistics = contrast_statistics(values[:, 1] - values[:, 0], confidence, family, smallest_effect)
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
    confidence: float = 0.95,
    on_mismatch: str = "error",
    families: Families | None = None,
    smallest_effect: float | None = None,
) -> pd.DataFrame:
    """Compare, paired by seed, every two configs whose levels differ in exactly one of `factors`.

    `finals`: one row per finished run, columns config, seed, `value` and each of `factors`.
    A factor left None/NaN for a config (it does not apply) is a level of its own, so configs
    of different architectures are compared only when nothing but one factor tells them apart.
    Configs with identical levels are not compared.

    One row per comparison, columns COMPARISON_COLUMNS: level_a is the lower level (missing
    first, False before True, smaller numbers first), differences are b - a per seed;
    mean_a/mean_b are means over the paired seeds; ci_low/ci_high the family's t interval of
    the mean difference, NaN below 3 paired seeds with note "too few seeds"; ci_method says
    how the intervals are computed;
    the paired t and Wilcoxon signed-rank tests are two-sided (p-values from 2 seeds on);
    each comparison is tested in its family of `families` (without them the table is one
    family), which sets its interval's confidence and its adjusted_* p-values (families);
    effect_size is Cohen's d_z (mean difference / sd of differences, NaN without spread);
    verdict says what the interval shows against `smallest_effect` (the smallest difference
    worth finding, None for none) and seeds_needed (nullable integer) how many seeds would
    find that difference with 80% power (power.planned_seeds).

    on_mismatch="error" raises PairingError when two compared configs ran different seeds;
    "intersect" pairs their common seeds and `n` says how many.
    """
    by_config = seed_values(finals, value)
    levels = config_levels(finals, factors)
    pairs = one_factor_pairs(levels, factors)
    table_family = own_family(ONE_FACTOR, len(pairs))
    rows = []
    for config_a, config_b, factor in pairs:
        _, values = paired_matrix(by_config, [config_a, config_b], on_mismatch)
        family = family_of(families, config_a, config_b, table_family)
        rows.append(
            {
                "config_a": config_a,
                "config_b": config_b,
                "factor": factor,
                "level_a": levels[config_a][factor],
                "level_b": levels[config_b][factor],
                **paired_difference(values, confidence, family, smallest_effect),
            }
        )
    table = comparison_table(rows, COMPARISON_COLUMNS)
    for column in ("level_a", "level_b"):
        # object columns keep None (not applicable) and bool levels as they are
        table[column] = pd.Series([row[column] for row in rows], index=table.index, dtype=object)
    return table
