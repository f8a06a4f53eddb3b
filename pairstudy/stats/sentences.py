"""One readable sentence per effect, from a row of paired_comparisons, factorial_effects or the baseline tables."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from pairstudy.tasks.metrics import Metric

from .units import decimals, difference_unit, improves, scale
from .words import MIN_SEEDS

DIFFERENCE_DECIMALS = 1  # of a difference in percentage points
CONFIDENCE = re.compile(r"(\d+(?:\.\d+)?)%")  # the level a ci_method names: "t interval, 95%, ..."
NOT_CLEAR = "no clear difference"
NOT_CLEAR_ADJUSTED = "no clear difference once p is Holm-adjusted"  # the interval alone is not adjusted
NOT_CLEAR_P = "no clear difference by its p-value"


def format_pvalue(p: float, smallest: float = 0.001) -> str:
    """'p = 0.012', or 'p < 0.001' below `smallest`; 'p = n/a' for NaN."""
    if p is None or math.isnan(p):
        return "p = n/a"
    if p < smallest:
        return f"p < {smallest:g}"
    return f"p = {p:.3f}"


def format_number(number: float, decimals: int, signed: bool = False) -> str:
    text = f"{number:+.{decimals}f}" if signed else f"{number:.{decimals}f}"
    if float(text) == 0:  # no "-0.0"
        text = f"{0:+.{decimals}f}" if signed else f"{0:.{decimals}f}"
    return text


def level_text(level) -> str | None:
    """A factor level as the config spelled it (stored tables read 1 back as 1.0); None when missing."""
    if level is None or (isinstance(level, float) and math.isnan(level)):
        return None
    if isinstance(level, float) and level.is_integer():
        return str(int(level))
    return str(level)


def effect_label(row: Mapping, labels: Mapping[str, str]) -> str:
    if "effect" in row:
        effect = str(row["effect"])
        label = (
            labels[effect] if effect in labels else " x ".join(labels.get(part, part) for part in effect.split(" x "))
        )
        low, high = level_text(row.get("level_low")), level_text(row.get("level_high"))
        if low is None or high is None or {low, high} == {"False", "True"}:
            return label  # an interaction, or an on/off factor: the effect is of switching it on
        return f"{label} ({low} → {high})"
    if "factor" in row:
        factor = str(row["factor"])
        return f"{labels.get(factor, factor)} ({row['config_a']} → {row['config_b']})"
    return f"{row['config_b']} vs {row['config_a']}"


def interval_text(row: Mapping, scale: float, decimals: int) -> str:
    low, high = float(row["ci_low"]), float(row["ci_high"])
    if not (math.isnan(low) or math.isnan(high)):
        return f"[{format_number(low * scale, decimals)}, {format_number(high * scale, decimals)}]"
    return "(too few seeds for an interval)" if int(row["n"]) < MIN_SEEDS else "[no interval]"


def confidence_percent(ci_method) -> str | None:
    """'95' from a ci_method such as 't interval, 95%, n-1 degrees of freedom'; None where it names no level."""
    found = CONFIDENCE.search(str(ci_method or ""))
    return found.group(1) if found else None


def pvalue_column_of(row: Mapping) -> str:
    """The p-value a sentence reports: holm_t_pvalue where the row has it (adjusted within its table), else
    t_pvalue."""
    return "holm_t_pvalue" if "holm_t_pvalue" in row else "t_pvalue"


def verdict(row: Mapping, metric: Metric, pvalue_column: str | None = None) -> str | None:
    """ "helped"/"hurt" for a factor ("better"/"worse" for one configuration against another) where the interval
    lies on the metric's good/bad side of zero and the row's p-value (`pvalue_column`, pvalue_column_of by default)
    is below 1 - the interval's confidence (or n/a); NOT_CLEAR where the interval spans zero; NOT_CLEAR_ADJUSTED (or
    NOT_CLEAR_P for an unadjusted p) where the interval lies on one side but the p-value is not that small, so the
    words never contradict the p-value beside them; None without an interval."""
    low, high = float(row["ci_low"]), float(row["ci_high"])
    if math.isnan(low) or math.isnan(high):
        return None
    good, bad = ("better", "worse") if "kind" in row else ("helped", "hurt")
    side = good if improves(metric, low) and improves(metric, high) else None
    if improves(metric, -low) and improves(metric, -high):
        side = bad
    if side is None:
        return NOT_CLEAR
    column = pvalue_column or pvalue_column_of(row)
    confidence, p = confidence_percent(row.get("ci_method")), float(row[column])
    if confidence is not None and not math.isnan(p) and p >= round(1 - float(confidence) / 100, 12):
        return NOT_CLEAR_ADJUSTED if column.startswith("holm_") else NOT_CLEAR_P
    return side


def verdict_text(row: Mapping, metric: Metric, pvalue_column: str | None = None) -> str:
    """The verdict after a comma, or "" without an interval."""
    found = verdict(row, metric, pvalue_column)
    return "" if found is None else f", {found}"


def difference_text(difference: float, metric: Metric, decimals: int) -> str:
    """E.g. "7.6 points higher accuracy", "0.0120 lower mse", "no difference in mse"."""
    size = format_number(abs(difference) * scale(metric), decimals)
    if float(size) == 0:
        return f"no difference in {metric.title}"
    return f"{size}{difference_unit(metric)} {'higher' if difference > 0 else 'lower'} {metric.title}"


def effect_sentence(
    row: Mapping,
    metric: Metric,
    labels: Mapping[str, str] | None = None,
    pvalue_column: str | None = None,
) -> str:
    """E.g. "auxiliary loss: 7.6 points higher accuracy [6.1, 9.0], helped, p < 0.001 over 10 paired seeds".

    `row` is a row (Series or dict) of factorial_effects (labelled by its effect), of
    paired_comparisons (labelled by its factor and the two configs, a → b) or of the
    baseline tables ("b vs a"); its difference is of `metric`, whose unit and direction the sentence follows:
    a fraction in percentage points, a plain number as it is; "helped"/"better" when the interval lies on the
    metric's good side of zero and the p-value agrees (see verdict). Below 3 seeds the interval reads "(too few
    seeds for an interval)". `labels` maps factor names to readable names. The p-value is `pvalue_column`, by
    default pvalue_column_of(row): holm_t_pvalue where the row has it, else t_pvalue.
    """
    if not ("effect" in row or "factor" in row or "kind" in row):
        raise ValueError(
            "row must come from factorial_effects (has 'effect'), paired_comparisons (has 'factor') "
            "or a baseline table (has 'kind')"
        )
    estimate = float(row["estimate"] if "estimate" in row else row["mean_difference"])
    pvalue_column = pvalue_column or pvalue_column_of(row)
    places = DIFFERENCE_DECIMALS if metric.percent else decimals(metric, [estimate, row["ci_low"], row["ci_high"]])
    interval = interval_text(row, scale(metric), places)
    n = int(row["n"])
    return (
        f"{effect_label(row, labels or {})}: {difference_text(estimate, metric, places)} {interval}"
        f"{verdict_text(row, metric, pvalue_column)}, {format_pvalue(float(row[pvalue_column]))} "
        f"over {n} paired seed{'' if n == 1 else 's'}"
    )
