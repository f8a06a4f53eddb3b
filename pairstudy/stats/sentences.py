"""One readable sentence per effect, from a row of paired_comparisons, factorial_effects or the baseline tables."""

from __future__ import annotations

import math
from collections.abc import Mapping

from .words import MIN_SEEDS

UNITS = {"points": (100.0, " points"), "fraction": (1.0, "")}


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


def effect_sentence(
    row: Mapping,
    labels: Mapping[str, str] | None = None,
    unit: str = "points",
    pvalue_column: str | None = None,
    decimals: int = 1,
) -> str:
    """E.g. "auxiliary loss: +7.6 points [6.1, 9.0], p < 0.001 over 10 paired seeds".

    `row` is a row (Series or dict) of factorial_effects (labelled by its effect), of
    paired_comparisons (labelled by its factor and the two configs, a → b) or of the
    baseline tables ("b vs a"). Below 3 seeds the interval reads "(too few seeds for an
    interval)". `labels` maps factor names to readable names. unit="points" prints fractions
    as percentage points, unit="fraction" as they are. The p-value is `pvalue_column`, by default holm_t_pvalue
    where the row has it (paired and baseline comparisons) and t_pvalue otherwise.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {list(UNITS)}, got {unit!r}")
    if not ("effect" in row or "factor" in row or "kind" in row):
        raise ValueError(
            "row must come from factorial_effects (has 'effect'), paired_comparisons (has 'factor') "
            "or a baseline table (has 'kind')"
        )
    scale, unit_text = UNITS[unit]
    estimate = row["estimate"] if "estimate" in row else row["mean_difference"]
    if pvalue_column is None:
        pvalue_column = "holm_t_pvalue" if "holm_t_pvalue" in row else "t_pvalue"
    interval = interval_text(row, scale, decimals)
    n = int(row["n"])
    signed_estimate = format_number(float(estimate) * scale, decimals, signed=True)
    return (
        f"{effect_label(row, labels or {})}: {signed_estimate}{unit_text} "
        f"{interval}, {format_pvalue(float(row[pvalue_column]))} over {n} paired seed{'' if n == 1 else 's'}"
    )
