"""How a metric's values and differences read: a fraction in percent (differences in percentage points), a plain
number as it is, with as many decimals as its size needs. The one place the tables, sentences and charts take
their scale and unit text from."""

from __future__ import annotations

import math

from pairstudy.tasks.metrics import Metric

PERCENT_DECIMALS = 2
SIGNIFICANT_DIGITS = 3  # of a plain number: 0.0123, 0.312, 12.3 (never fewer than two decimals below 100)


def scale(metric: Metric) -> float:
    """What a stored value is multiplied by to be shown: 100 for a fraction (percent), 1 for a plain number."""
    return 100.0 if metric.percent else 1.0


def value_unit(metric: Metric) -> str:
    """The unit after a shown value: " %" for a fraction, nothing for a plain number."""
    return " %" if metric.percent else ""


def difference_unit(metric: Metric) -> str:
    """The unit after a shown difference: " points" (percentage points) for a fraction, nothing for a number."""
    return " points" if metric.percent else ""


def heading_unit(metric: Metric, difference: bool = False) -> str:
    """A table heading's unit: " (%)" or " (points)" for a fraction, nothing for a plain number."""
    if not metric.percent:
        return ""
    return " (points)" if difference else " (%)"


def decimals(metric: Metric, values=()) -> int:
    """Decimals to show: two for a percent, else SIGNIFICANT_DIGITS of the largest of `values` (shown scale)."""
    if metric.percent:
        return PERCENT_DECIMALS
    sizes = [abs(float(value)) for value in values if value is not None and not math.isnan(float(value))]
    largest = max((size for size in sizes if size > 0), default=1.0)
    return max(2, SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(largest)))


def direction_text(metric: Metric) -> str:
    return "higher is better" if metric.higher_is_better else "lower is better"


def improves(metric: Metric, difference: float) -> bool:
    """Whether a difference (second minus first) is an improvement on this metric."""
    return difference > 0 if metric.higher_is_better else difference < 0


DEFAULT_SMALLEST_POINTS = 1.0  # percentage points: why, in config.schema.yaml's report.smallest_effect


def smallest_effect_of(declared: float | None, metric: Metric) -> float | None:
    """The smallest difference worth finding in `metric`'s stored unit, from the config's report.smallest_effect
    (in the unit shown: points for a fraction); undeclared, DEFAULT_SMALLEST_POINTS for a fraction, else None."""
    if declared is None:
        return DEFAULT_SMALLEST_POINTS / scale(metric) if metric.percent else None
    return float(declared) / scale(metric)
