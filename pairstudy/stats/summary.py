"""The per-configuration table: mean, spread and the interval of the mean over seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .intervals import IntervalChoice
from .pairing import seed_values

SUMMARY_COLUMNS = ["config", "n", "mean", "std", "sem", "ci_low", "ci_high", "ci_method", "note"]


def summarize_configs(
    finals: pd.DataFrame,
    value: str,
    *,
    interval: str = "t",
    confidence: float = 0.95,
    rng: np.random.Generator | None = None,
    n_resamples: int = 10_000,
) -> pd.DataFrame:
    """One row per config, in order of first appearance.

    `finals` has one row per finished run with columns `config`, `seed` and `value`.
    Columns SUMMARY_COLUMNS: config, n, mean, std (sample, ddof=1; NaN for n=1), sem,
    ci_low, ci_high (interval of the mean, see IntervalChoice; NaN below 3 seeds), ci_method
    (how this table's intervals are computed, the same text on every row), note ("too few
    seeds" where a row has no interval, "no spread across seeds" where its bounds are the
    mean itself, "" otherwise). interval="bootstrap" needs `rng`, a numpy Generator.
    """
    choice = IntervalChoice(interval, confidence, rng, n_resamples)
    rows = []
    for config, by_seed in seed_values(finals, value).items():
        values = by_seed.to_numpy(dtype=float)
        n = len(values)
        std = float(np.std(values, ddof=1)) if n > 1 else float("nan")
        low, high, note = choice.of_mean(values)
        rows.append(
            {
                "config": config,
                "n": n,
                "mean": float(values.mean()),
                "std": std,
                "sem": std / np.sqrt(n),
                "ci_low": low,
                "ci_high": high,
                "ci_method": choice.method,
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
