"""Percentile-bootstrap intervals and the per-configuration summary table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .pairing import seed_values

DEFAULT_VALUE = "final_test_accuracy"
SUMMARY_COLUMNS = ["config", "n", "mean", "std", "sem", "ci_low", "ci_high", "ci_method"]


def check_generator(rng: object) -> np.random.Generator:
    """Refuse anything but a numpy Generator, so no resampling ever falls back to the global RNG."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)), got {type(rng).__name__}"
        )
    return rng


def bootstrap_method(n_resamples: int, confidence: float) -> str:
    return f"percentile bootstrap of the mean, {n_resamples} resamples, {confidence:.0%}"


def bootstrap_mean_ci(
    values: np.ndarray, rng: np.random.Generator, n_resamples: int = 10_000, confidence: float = 0.95
) -> tuple[float, float]:
    """Percentile-bootstrap interval of the mean of `values` (1-D, one value per seed).

    Resamples the seeds with replacement `n_resamples` times, drawing only from `rng`.
    Returns (NaN, NaN) for fewer than two values: one seed says nothing about spread.
    """
    check_generator(rng)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values must be 1-D (one value per seed), got shape {values.shape}")
    if len(values) < 2:
        return float("nan"), float("nan")
    index = rng.integers(0, len(values), size=(n_resamples, len(values)))
    means = values[index].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high)


def summarize_configs(
    finals: pd.DataFrame,
    value: str = DEFAULT_VALUE,
    *,
    rng: np.random.Generator,
    n_resamples: int = 10_000,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """One row per config, in order of first appearance.

    `finals` has one row per finished run with columns `config`, `seed` and `value`.
    Columns SUMMARY_COLUMNS: config, n, mean, std (sample, ddof=1; NaN for n=1), sem,
    ci_low, ci_high (percentile bootstrap of the mean drawn from `rng`; NaN for n=1), ci_method.
    """
    check_generator(rng)
    rows = []
    for config, by_seed in seed_values(finals, value).items():
        values = by_seed.to_numpy(dtype=float)
        n = len(values)
        std = float(np.std(values, ddof=1)) if n > 1 else float("nan")
        low, high = bootstrap_mean_ci(values, rng, n_resamples, confidence)
        rows.append(
            {
                "config": config,
                "n": n,
                "mean": float(values.mean()),
                "std": std,
                "sem": std / np.sqrt(n),
                "ci_low": low,
                "ci_high": high,
                "ci_method": bootstrap_method(n_resamples, confidence),
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
