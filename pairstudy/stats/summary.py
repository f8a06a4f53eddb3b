"""The per-configuration table: mean, spread and the interval of the mean over seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .intervals import BOOTSTRAP_MIN_SEEDS, IntervalChoice
from .pairing import seed_values

# a bootstrap table's row whose failed runs left it short of BOOTSTRAP_MIN_SEEDS finished seeds
BOOTSTRAP_FELL_BACK = f"t interval: fewer than {BOOTSTRAP_MIN_SEEDS} finished seeds for a BCa one"


def row_choice(choice: IntervalChoice, n: int) -> IntervalChoice:
    """`choice`, or the t interval where a bootstrap has fewer than BOOTSTRAP_MIN_SEEDS seeds to draw from."""
    if choice.interval == "bootstrap" and n < BOOTSTRAP_MIN_SEEDS:
        return IntervalChoice("t", choice.confidence)
    return choice


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
    (how the row's interval is computed: a bootstrap table's row with fewer than BOOTSTRAP_MIN_SEEDS
    seeds has a t interval, and the note BOOTSTRAP_FELL_BACK where it has one), note ("too few
    seeds" where a row has no interval, "no spread across seeds" where its bounds are the
    mean itself, "" otherwise). interval="bootstrap" needs `rng`, a numpy Generator.
    """
    choice = IntervalChoice(interval, confidence, rng, n_resamples)
    rows = []
    for config, by_seed in seed_values(finals, value).items():
        values = by_seed.to_numpy(dtype=float)
        n = len(values)
        std = float(np.std(values, ddof=1)) if n > 1 else float("nan")
        used = row_choice(choice, n)
        low, high, note = used.of_mean(values)
        if used is not choice and not note:  # an interval was drawn, but not the one the table's method names
            note = BOOTSTRAP_FELL_BACK
        rows.append(
            {
                "config": config,
                "n": n,
                "mean": float(values.mean()),
                "std": std,
                "sem": std / np.sqrt(n),
                "ci_low": low,
                "ci_high": high,
                "ci_method": used.method,
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
