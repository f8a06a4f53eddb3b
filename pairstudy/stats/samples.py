"""One value per seed: the 1-D float array every statistic here starts from."""

from __future__ import annotations

import numpy as np

# Accuracies are ratios of counts; subtracting them leaves float noise far below this many
# decimals, which would otherwise split exact ties or fake a spread between equal values.
DECIMALS = 12


def per_seed(values) -> np.ndarray:
    """`values` as a 1-D float array (one value per seed); anything else is a ValueError."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values must be 1-D (one value per seed), got shape {values.shape}")
    return values


def without_float_noise(values: np.ndarray) -> np.ndarray:
    """`values` rounded to DECIMALS decimals."""
    return np.round(values, DECIMALS)


def has_spread(values: np.ndarray) -> bool:
    """Whether the values differ beyond float noise (False for fewer than two values)."""
    rounded = without_float_noise(values)
    return len(rounded) > 1 and bool(np.ptp(rounded) > 0)


def is_zero(number: float) -> bool:
    """Whether `number` is zero up to float noise."""
    return bool(without_float_noise(np.float64(number)) == 0)
