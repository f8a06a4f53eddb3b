"""Paired differences with their stored intervals, one row each: one-factor comparisons, factor effects,
configurations against the baselines."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pairstudy.stats.sentences import effect_label
from pairstudy.stats.units import direction_text, heading_unit, scale
from pairstudy.tasks.metrics import MetricSpec

from .accuracy import scaled
from .layout import LINE_HEIGHT, Layout, axis_title, label_lines, multiline_axis, styled, title, wrapped

# readable names of the built-in factors; any other factor is shown under its own name
FACTOR_LABELS = {"aux": "auxiliary loss", "sharing": "weight sharing", "architecture": "architecture"}
ARROW = "→"


def difference_title(spec: MetricSpec) -> str:
    """E.g. "difference in final test accuracy (points), higher is better"."""
    metric = spec.headline_metric
    return f"difference in final test {metric.title}{heading_unit(metric, difference=True)}, {direction_text(metric)}"


def comparison_rows(comparisons: pd.DataFrame) -> pd.DataFrame:
    """One-factor comparisons (comparisons.csv) labelled "factor: a → b"; the difference is b - a."""
    labels = [
        f"{FACTOR_LABELS.get(factor, factor)}: {a} {ARROW} {b}"
        for factor, a, b in zip(comparisons["factor"], comparisons["config_a"], comparisons["config_b"])
    ]
    return comparisons.assign(label=labels)


def effect_rows(effects: pd.DataFrame) -> pd.DataFrame:
    """Factor effects (effects.csv) labelled by effect and block; the estimate is the difference drawn."""
    labels = [f"{effect_label(row, FACTOR_LABELS)} [{row['block']}]" for _, row in effects.iterrows()]
    return effects.assign(label=labels, mean_difference=effects["estimate"])


def baseline_rows(baselines: pd.DataFrame) -> pd.DataFrame:
    """Every configuration against each baseline and the best against the runner-up (baselines.csv), labelled
    "b − a": the difference is the configuration minus the one it is compared with."""
    labels = [f"{b} − {a}" for a, b in zip(baselines["config_a"], baselines["config_b"])]
    return baselines.assign(label=labels)


def forest_plot(rows: pd.DataFrame, layout: Layout, caption: str, spec: MetricSpec):
    """Given differences of the headline and their intervals, one row each (label, mean_difference, ci_low,
    ci_high, n; stored values), drawn in the given order with a dashed rule at zero: a fraction metric in
    percentage points, a plain number as it is. A row without an interval (too few seeds) shows its mean alone."""
    metric = spec.headline_metric
    data = scaled(
        rows[["label", "mean_difference", "ci_low", "ci_high", "n"]],
        ["mean_difference", "ci_low", "ci_high"],
        scale(metric),
    )
    data["label"] = [wrapped(label, layout.label_chars) for label in data["label"]]
    data["full_label"] = rows["label"].tolist()
    labels = list(dict.fromkeys(data["label"]))
    step = max(30, LINE_HEIGHT * label_lines(labels) + 12)
    y = alt.Y(
        "label:N",
        sort=labels,
        title=None,
        axis=multiline_axis(),
        scale=alt.Scale(domain=labels),
    )
    x_title = axis_title(difference_title(spec), layout)
    number = "+.2f" if metric.percent else "+.3~g"
    tooltip = [
        alt.Tooltip("full_label:N", title="difference"),
        alt.Tooltip("mean_difference:Q", title=f"difference{heading_unit(metric, difference=True)}", format=number),
        alt.Tooltip("ci_low:Q", title="interval low", format=number),
        alt.Tooltip("ci_high:Q", title="interval high", format=number),
        alt.Tooltip("n:Q", title="paired seeds"),
    ]
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(strokeDash=[4, 4], color="grey").encode(x="zero:Q")
    bars = (
        alt.Chart(data.dropna(subset=["ci_low", "ci_high"]))
        .mark_rule(strokeWidth=2)
        .encode(x=alt.X("ci_low:Q", title=x_title), x2="ci_high:Q", y=y, tooltip=tooltip)
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=70, color="black")
        .encode(x=alt.X("mean_difference:Q", title=x_title), y=y, tooltip=tooltip)
    )
    if data["ci_low"].isna().any():
        caption += "; a row without a bar has too few seeds for an interval"
    chart = (zero + bars + points).properties(
        width=layout.width,
        height=alt.Step(step),
        title=title(caption, layout),
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
    )
    return styled(chart, layout)
