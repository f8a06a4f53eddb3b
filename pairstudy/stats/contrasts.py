"""Everything said about one per-seed contrast (a paired difference, a factorial effect)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .intervals import IntervalChoice
from .power import seeds_needed
from .samples import has_spread, per_seed
from .significance import holm, one_sample_t, signed_rank

SEEDS_NEEDED_DTYPE = "Int64"  # a count, missing where not computable


def contrast_statistics(per_seed_values, choice: IntervalChoice, wilcoxon: bool = True) -> dict[str, object]:
    """Statistics of the mean of `per_seed_values` (1-D, one contrast per seed).

    Keys: n, mean, ci_low, ci_high, ci_method, note, t_statistic, t_pvalue, (with `wilcoxon`)
    wilcoxon_statistic, wilcoxon_pvalue, effect_size (Cohen's d_z: mean / sd, NaN without
    spread), seeds_needed, seeds_verdict (see power.seeds_needed, at alpha = 1 - confidence).
    """
    values = per_seed(per_seed_values)
    n = len(values)
    mean = float(values.mean()) if n else float("nan")
    low, high, note = choice.of_mean(values)
    t_statistic, t_pvalue = one_sample_t(values)
    seeds, verdict = seeds_needed(values, alpha=round(1 - choice.confidence, 12))
    statistics = {
        "n": n,
        "mean": mean,
        "ci_low": low,
        "ci_high": high,
        "ci_method": choice.method,
        "note": note,
        "t_statistic": t_statistic,
        "t_pvalue": t_pvalue,
    }
    if wilcoxon:
        statistics["wilcoxon_statistic"], statistics["wilcoxon_pvalue"] = signed_rank(values)
    statistics["effect_size"] = mean / float(np.std(values, ddof=1)) if has_spread(values) else float("nan")
    statistics["seeds_needed"] = seeds
    statistics["seeds_verdict"] = verdict
    return statistics


def comparison_table(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """`rows` as a table of `columns`, with Holm-adjusted p-values across all its rows.

    Adds holm_t_pvalue and holm_wilcoxon_pvalue (when `columns` has them); seeds_needed
    becomes a nullable integer column.
    """
    table = pd.DataFrame(rows, columns=columns)
    for adjusted, raw in (("holm_t_pvalue", "t_pvalue"), ("holm_wilcoxon_pvalue", "wilcoxon_pvalue")):
        if adjusted in columns:
            table[adjusted] = holm(table[raw].to_numpy(dtype=float))
    table["seeds_needed"] = pd.array(
        [None if pd.isna(seeds) else int(seeds) for seeds in table["seeds_needed"]], dtype=SEEDS_NEEDED_DTYPE
    )
    return table
