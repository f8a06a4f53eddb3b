"""Everything said about one per-seed contrast (a paired difference, a factorial effect), within its family."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .families import Family, adjusted_pvalue, family_choice, family_method, verdict_of
from .intervals import IntervalChoice
from .power import planned_seeds
from .samples import has_spread, per_seed, without_float_noise
from .significance import one_sample_t, signed_rank, smallest_signed_rank_pvalue

SEEDS_NEEDED_DTYPE = "Int64"  # a count, missing where not computable


def contrast_statistics(
    per_seed_values,
    confidence: float,
    family: Family,
    smallest_effect: float | None = None,
    wilcoxon: bool = True,
) -> dict[str, object]:
    """Statistics of the mean of `per_seed_values` (1-D, one contrast per seed), tested in `family` at family-wise
    `confidence`.

    Keys: n, mean, ci_low, ci_high (the family's t interval, see families: always a t interval, the one that
    excludes zero exactly where the adjusted t test rejects, so no bootstrap can say one thing and the p beside
    it another), ci_method, note,
    family, family_size, t_statistic, t_pvalue, adjusted_t_pvalue, (with `wilcoxon`) wilcoxon_statistic,
    wilcoxon_pvalue, adjusted_wilcoxon_pvalue, effect_size (Cohen's d_z: mean / sd, NaN without spread),
    smallest_effect (NaN when none is declared), verdict (families.verdict_of) and seeds_needed (power.planned_seeds
    for `smallest_effect` at the family's level).
    """
    values = per_seed(per_seed_values)
    n = len(values)
    mean = float(values.mean()) if n else float("nan")
    choice = IntervalChoice("t", confidence)
    each = family_choice(choice, family)
    low, high, note = each.of_mean(values)
    t_statistic, t_pvalue = one_sample_t(values)
    alpha = round(1 - choice.confidence, 12)
    statistics = {
        "n": n,
        "mean": mean,
        "ci_low": low,
        "ci_high": high,
        "ci_method": family_method(choice, family),
        "note": note,
        "family": family.name,
        "family_size": family.size,
        "t_statistic": t_statistic,
        "t_pvalue": t_pvalue,
        "adjusted_t_pvalue": adjusted_pvalue(t_pvalue, family),
    }
    if wilcoxon:
        statistics["wilcoxon_statistic"], statistics["wilcoxon_pvalue"] = signed_rank(values)
        statistics["adjusted_wilcoxon_pvalue"] = adjusted_pvalue(statistics["wilcoxon_pvalue"], family)
        # with few seeds no outcome is extreme enough: say so rather than print a p that could never be small
        smallest = smallest_signed_rank_pvalue(int(np.count_nonzero(without_float_noise(values))))
        statistics["wilcoxon_can_reject"] = adjusted_pvalue(smallest, family) < alpha
    statistics["effect_size"] = mean / float(np.std(values, ddof=1)) if has_spread(values) else float("nan")
    statistics["smallest_effect"] = float("nan") if smallest_effect is None else float(smallest_effect)
    statistics["verdict"] = verdict_of(low, high, statistics["adjusted_t_pvalue"], alpha, smallest_effect)
    statistics["seeds_needed"] = planned_seeds(values, smallest_effect, alpha=round(1 - each.confidence, 12))
    return statistics


def comparison_table(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """`rows` as a table of `columns`; seeds_needed becomes a nullable integer column."""
    table = pd.DataFrame(rows, columns=columns)
    table["seeds_needed"] = pd.array(
        [None if pd.isna(seeds) else int(seeds) for seeds in table["seeds_needed"]], dtype=SEEDS_NEEDED_DTYPE
    )
    return table
