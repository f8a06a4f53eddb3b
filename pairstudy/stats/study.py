"""A study's statistics, computed once and stored: intervals, paired comparisons, factor effects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pairstudy.aggregate.tables import factor_columns

from .factorial import factorial_effects
from .intervals import summarize_configs
from .paired import paired_comparisons

STATISTICS_SEED = 0  # fixed bootstrap generator: the same runs give the same numbers
RESAMPLES = 10_000
CI_METHOD = f"percentile bootstrap over seeds, {RESAMPLES:,} resamples, numpy generator seed {STATISTICS_SEED}"


def two_level_factors(finals: pd.DataFrame, factor_names) -> list[str]:
    return [name for name in factor_names if name != "architecture" and finals[name].dropna().nunique() == 2]


def study_statistics(
    finals: pd.DataFrame, factor_names: list[str], value: str = "final_test_accuracy"
) -> dict[str, pd.DataFrame]:
    """Statistics of the finished (status ok) runs of one study, keyed intervals / comparisons / effects."""
    ok = finals[finals["status"] == "ok"]
    if ok.empty:  # every run failed or diverged: nothing to estimate
        return {"intervals": pd.DataFrame(), "comparisons": pd.DataFrame(), "effects": pd.DataFrame()}
    generator = lambda: np.random.default_rng(STATISTICS_SEED)  # noqa: E731 - a fresh, equal stream per table
    intervals = summarize_configs(ok, value, rng=generator(), n_resamples=RESAMPLES)
    comparisons = pd.DataFrame()
    if ok["config"].nunique() > 1:
        comparisons = paired_comparisons(
            ok, factor_names, value, rng=generator(), n_resamples=RESAMPLES, on_mismatch="intersect"
        )
    effects = pd.DataFrame()
    candidates = two_level_factors(ok, factor_names)
    if len(candidates) >= 2:
        block_factors = [name for name in factor_names if name not in candidates[:2]]
        try:
            effects = factorial_effects(
                ok,
                candidates[:2],
                value,
                rng=generator(),
                block_factors=block_factors,
                n_resamples=RESAMPLES,
                on_mismatch="intersect",
            )
        except ValueError:  # no full 2 x 2 block in this study
            effects = pd.DataFrame()
    return {"intervals": intervals, "comparisons": comparisons, "effects": effects}


def write_study_statistics(finals_path, summary_path, outputs: dict) -> None:
    finals = pd.read_parquet(finals_path)
    factor_names = ["architecture", *factor_columns(pd.read_csv(summary_path))]
    for name, table in study_statistics(finals, factor_names).items():
        Path(outputs[name]).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(outputs[name], index=False)
