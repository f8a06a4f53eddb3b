"""One readable sentence per effect, from a row of paired_comparisons, factorial_effects or the baseline tables."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from pairstudy.tasks.metrics import Metric

from .pairing import is_missing
from .units import decimals, difference_unit, improves, scale
from .words import EQUIVALENT, HIGHER, INCONCLUSIVE, LOWER, MIN_SEEDS, PLANNED_POWER

DIFFERENCE_DECIMALS = 1  # of a difference in percentage points
CONFIDENCE = re.compile(r"(\d+(?:\.\d+)?)%")  # the level a ci_method names: "t interval, 95%, ..."
INCONCLUSIVE_WORD = "inconclusive"


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
    """The p-value a sentence reports: adjusted_t_pvalue (adjusted within its family) where the row has it."""
    return "adjusted_t_pvalue" if "adjusted_t_pvalue" in row else "t_pvalue"


def smallest_text(row: Mapping, metric: Metric) -> str:
    """The row's smallest difference worth finding as shown: "1.0 point", "1.5 points", "0.05"."""
    size = float(row["smallest_effect"]) * scale(metric)
    shown = format_number(size, DIFFERENCE_DECIMALS if metric.percent else decimals(metric, [size]))
    unit = difference_unit(metric)
    return f"{shown}{unit[:-1] if unit and float(shown) == 1 else unit}"


def verdict(row: Mapping, metric: Metric) -> str | None:
    """The stored verdict (stats.families.verdict_of) in words: "helped"/"hurt" for a factor ("better"/"worse" for
    one configuration against another) where the family-wise interval lies on the metric's good/bad side of zero
    and the adjusted p agrees; "no difference larger than 1.0 point" where it lies within the smallest difference
    worth finding; INCONCLUSIVE_WORD otherwise; None without an interval."""
    stored = row.get("verdict")
    if stored in (HIGHER, LOWER):
        good, bad = ("better", "worse") if "kind" in row else ("helped", "hurt")
        return good if improves(metric, 1.0 if stored == HIGHER else -1.0) else bad
    if stored == EQUIVALENT:
        return f"no difference larger than {smallest_text(row, metric)}"
    if stored == INCONCLUSIVE:
        return INCONCLUSIVE_WORD
    return None


def verdict_text(row: Mapping, metric: Metric) -> str:
    """The verdict after a comma, or "" without an interval."""
    found = verdict(row, metric)
    return "" if found is None else f", {found}"


def seeds_text(row: Mapping, metric: Metric) -> str:
    """What the seeds run settle, or how many would settle what they do not: "resolved with the 10 seeds run";
    "about 40 seeds would find a difference of 1.0 point with 80% power (10 run)"; or why no plan is made."""
    n, stored, seeds = int(row["n"]), row.get("verdict"), row.get("seeds_needed")
    if not is_missing(row.get("seeds_decision")):  # a sequential study: the plan decided its seeds
        return str(row["seeds_decision"])
    if stored in (HIGHER, LOWER, EQUIVALENT):
        return f"resolved with the {n} seeds run"
    if stored != INCONCLUSIVE:
        return "too few seeds to plan more"
    if is_missing(row.get("smallest_effect")):
        return "declare report.smallest_effect to plan the seeds that would resolve it"
    if is_missing(seeds):
        return f"no practical number of seeds would find a difference of {smallest_text(row, metric)}"
    return (
        f"about {int(seeds):,} seeds would find a difference of {smallest_text(row, metric)} with "
        f"{PLANNED_POWER:.0%} power ({n} run)"
    )


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
) -> str:
    """E.g. "auxiliary loss: 7.6 points higher accuracy [6.1, 9.0], helped, p < 0.001 over 10 paired seeds".

    `row` is a row (Series or dict) of factorial_effects (labelled by its effect), of
    paired_comparisons (labelled by its factor and the two configs, a → b) or of the
    baseline tables ("b vs a"); its difference is of `metric`, whose unit and direction the sentence follows:
    a fraction in percentage points, a plain number as it is; then the stored verdict in words (see verdict).
    Below 3 seeds the interval reads "(too few seeds for an interval)". `labels` maps factor names to readable
    names. The interval and the p-value (pvalue_column_of) are those of the row's family.
    """
    if not ("effect" in row or "factor" in row or "kind" in row):
        raise ValueError(
            "row must come from factorial_effects (has 'effect'), paired_comparisons (has 'factor') "
            "or a baseline table (has 'kind')"
        )
    estimate = float(row["estimate"] if "estimate" in row else row["mean_difference"])
    pvalue_column = pvalue_column_of(row)
    places = DIFFERENCE_DECIMALS if metric.percent else decimals(metric, [estimate, row["ci_low"], row["ci_high"]])
    interval = interval_text(row, scale(metric), places)
    n = int(row["n"])
    return (
        f"{effect_label(row, labels or {})}: {difference_text(estimate, metric, places)} {interval}"
        f"{verdict_text(row, metric)}, {format_pvalue(float(row[pvalue_column]))} "
        f"over {n} paired seed{'' if n == 1 else 's'}"
    )
