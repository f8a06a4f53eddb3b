"""Confidence intervals of a mean over seeds: the t interval (default) or a BCa bootstrap.

The t interval keeps its nominal coverage for normal data at any n; bootstraps, BCa included,
cover far less than promised at the few seeds a study runs, so a BCa interval is refused below
BOOTSTRAP_MIN_SEEDS values. A mean of fewer than MIN_SEEDS values gets no t interval at all:
two seeds say almost nothing about the spread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .samples import has_spread, per_seed
from .words import MIN_SEEDS, TOO_FEW_SEEDS

INTERVALS = ("t", "bootstrap")
# 95% BCa coverage of a mean, normal/gamma(4)/1-gamma(4): n=30 .937/.930/.928, n=40 .936/.936/.936, n=50 .942/.939/.937
# (40,000 samples, 2,000 resamples: `python /tmp/calib/coverage.py 40000 2000 30,40,50`; tests/test_calibration.py)
BOOTSTRAP_MIN_SEEDS = 40
NO_SPREAD = "no spread across seeds"


class Interval(NamedTuple):
    """Bounds of one interval (NaN when there is none) and a note saying why not, or "" ."""

    low: float
    high: float
    note: str


def check_generator(rng: object) -> np.random.Generator:
    """Refuse anything but a numpy Generator, so no resampling ever falls back to the global RNG."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)), got {type(rng).__name__}"
        )
    return rng


def t_interval(mean: float, std: float, n: int, confidence: float = 0.95) -> Interval:
    """The t interval of a mean over n seeds from its sample std (n - 1 degrees of freedom): no interval below
    MIN_SEEDS seeds, the mean itself without spread. The one definition the tables and the preset verdicts use."""
    if n < MIN_SEEDS or np.isnan(mean):
        return Interval(float("nan"), float("nan"), TOO_FEW_SEEDS)
    if not std > 0:
        return Interval(float(mean), float(mean), NO_SPREAD)
    import scipy.stats  # a second of import, which a report with no interval to compute does without

    low, high = scipy.stats.t.interval(confidence, n - 1, loc=mean, scale=std / np.sqrt(n))
    return Interval(float(low), float(high), "")


def percent(confidence: float) -> str:
    """0.95 -> '95%', 0.975 -> '97.5%'."""
    return f"{confidence * 100:g}%"


@dataclass(frozen=True)
class IntervalChoice:
    """How a table's intervals are computed: interval "t" or "bootstrap" (BCa, drawn from rng only)."""

    interval: str = "t"
    confidence: float = 0.95
    rng: np.random.Generator | None = None
    n_resamples: int = 10_000

    def __post_init__(self):
        if self.interval not in INTERVALS:
            raise ValueError(f"interval must be one of {INTERVALS}, got {self.interval!r}")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must lie in (0, 1), got {self.confidence}")
        if self.interval == "bootstrap":
            if not isinstance(self.rng, np.random.Generator):
                raise TypeError(
                    "interval='bootstrap' resamples seeds and needs its own generator: pass "
                    f"rng=numpy.random.default_rng(seed) (got {type(self.rng).__name__})"
                )
            if self.n_resamples < 1:
                raise ValueError(f"n_resamples must be at least 1, got {self.n_resamples}")
        elif self.rng is not None:
            check_generator(self.rng)

    @property
    def method(self) -> str:
        """The ci_method text of every interval this choice computes."""
        if self.interval == "t":
            return f"t interval, {percent(self.confidence)}, n-1 degrees of freedom"
        return f"BCa bootstrap, {self.n_resamples:,} resamples, {percent(self.confidence)}"

    def of_mean(self, values) -> Interval:
        """The interval of the mean of `values` (1-D, one value per seed). A bootstrap on fewer than
        BOOTSTRAP_MIN_SEEDS values is a ValueError: its interval would cover far less than it says."""
        values = per_seed(values)
        if self.interval == "bootstrap" and len(values) < BOOTSTRAP_MIN_SEEDS:
            raise ValueError(
                f"interval='bootstrap' on {len(values)} seeds: a BCa interval covers its nominal "
                f"{percent(self.confidence)} only from BOOTSTRAP_MIN_SEEDS = {BOOTSTRAP_MIN_SEEDS} seeds on; "
                "use the t interval (interval='t')"
            )
        if len(values) < MIN_SEEDS:
            return Interval(float("nan"), float("nan"), TOO_FEW_SEEDS)
        if not has_spread(values):  # every resample and every t bound is the mean itself
            mean = float(values.mean())
            return Interval(mean, mean, NO_SPREAD)
        if self.interval == "t":
            std = float(np.std(values, ddof=1))
            return t_interval(float(values.mean()), std, len(values), self.confidence)
        low, high = self.bca_bounds(values)
        return Interval(float(low), float(high), "")

    def bca_bounds(self, samples) -> tuple[np.ndarray, np.ndarray]:
        """BCa bounds of the mean along the last axis of `samples` (one sample per row, each its own
        interval), without the seed-count checks: scipy.stats.bootstrap, drawn from rng."""
        import scipy.stats

        bounds = scipy.stats.bootstrap(
            (samples,),
            np.mean,
            n_resamples=self.n_resamples,
            confidence_level=self.confidence,
            method="BCa",
            axis=-1,
            rng=self.rng,
        ).confidence_interval
        return bounds.low, bounds.high


def mean_interval(
    values,
    interval: str = "t",
    confidence: float = 0.95,
    *,
    rng: np.random.Generator | None = None,
    n_resamples: int = 10_000,
) -> Interval:
    """Interval of the mean of `values` (1-D, one value per seed): (low, high, note).

    interval="t": Student t interval with n-1 degrees of freedom. interval="bootstrap": BCa
    bootstrap with `n_resamples` resamples drawn only from `rng` (a numpy Generator, required),
    refused (ValueError) below BOOTSTRAP_MIN_SEEDS values. Fewer than MIN_SEEDS values give
    (NaN, NaN, "too few seeds"); values without spread give the mean as both bounds and the note
    "no spread across seeds".
    """
    return IntervalChoice(interval, confidence, rng, n_resamples).of_mean(values)
