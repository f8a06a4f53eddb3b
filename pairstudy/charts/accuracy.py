"""The task's headline (its final test value) per configuration: every seed with the mean and its spread or
interval, and against size. The chart names (final_accuracy, ...) are the config's; the metric is the task's.

Nothing here aggregates: means, spreads and intervals come in as stored columns. Fraction metrics arrive as
fractions and are drawn in percent; plain numbers as they are.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from pairstudy.stats.units import direction_text, heading_unit, scale
from pairstudy.tasks.metrics import MetricSpec

from .layout import (
    LINE_HEIGHT,
    Layout,
    axis_title,
    label_lines,
    legend_columns,
    multiline_axis,
    styled,
    title,
    wrapped,
)

MIN_ROW_HEIGHT = 44


def config_order(frame: pd.DataFrame) -> list[str]:
    """Configurations in the order they first appear (the summary's order is the study's order)."""
    return list(dict.fromkeys(frame["config"].tolist()))


def scaled(frame: pd.DataFrame, columns, factor: float) -> pd.DataFrame:
    """A copy with the given columns multiplied by `factor` (100: fractions drawn in percent or points)."""
    frame = frame.copy()
    for column in columns:
        frame[column] = frame[column].astype(float) * factor
    return frame


def headline_title(spec: MetricSpec) -> str:
    """The headline run metric's title, e.g. "test accuracy (%) (final)"."""
    return spec.run_metrics()[spec.headline_run_metric][1]


def config_colour(order: list[str], legend: bool = True, symbol: str = "stroke") -> alt.Color:
    """Colour by configuration in the study's order, the same colour in every chart; legend symbols are lines
    (learning curves) or the chart's own marks."""
    shown = alt.Legend(symbolType=symbol, symbolStrokeWidth=3, symbolOpacity=1) if legend else None
    scheme = "tableau10" if len(order) <= 10 else "tableau20"
    return alt.Color("config:N", sort=order, title="configuration", legend=shown, scale=alt.Scale(scheme=scheme))


def labelled(frame: pd.DataFrame, layout: Layout) -> pd.DataFrame:
    """A copy with `label`: the configuration name wrapped to the layout (the axis shows it, tooltips the name)."""
    return frame.assign(label=[wrapped(config, layout.label_chars) for config in frame["config"]])


def seed_dots(
    finals: pd.DataFrame,
    stats: pd.DataFrame,
    order: list[str],
    bar: str,
    layout: Layout,
    spec: MetricSpec,
    note: str = "",
):
    """Every finished seed's final headline as a dot; `stats` gives per config mean, low, high (stored values,
    NaN low/high: no bar). In each configuration's row the seeds form a strip above the mean and its bar (what
    `bar` says it is; `note` follows in the title)."""
    column, factor, metric_title = spec.headline_run_metric, scale(spec.headline_metric), headline_title(spec)
    runs = finals.loc[finals["status"] == "ok", ["config", "seed", column]]
    runs = labelled(scaled(runs, [column], factor), layout).sort_values(["config", "seed"])
    # vertical place within the row (0 top, 1 bottom): seeds spread evenly so equal values stay visible
    rank = runs.groupby("config")["seed"].rank(method="first")
    count = runs.groupby("config")["seed"].transform("count")
    runs["row_position"] = 0.12 + 0.38 * (rank - 0.5) / count
    stats = labelled(scaled(stats[["config", "mean", "low", "high"]], ["mean", "low", "high"], factor), layout)
    stats = stats.assign(row_position=0.75)
    labels = [wrapped(config, layout.label_chars) for config in order]
    row_height = max(MIN_ROW_HEIGHT, LINE_HEIGHT * label_lines(labels) + 18)
    y = alt.Y(
        "label:N",
        sort=labels,
        title=None,
        axis=multiline_axis(),
        scale=alt.Scale(domain=labels, paddingInner=0, paddingOuter=0),
    )
    y_offset = alt.YOffset("row_position:Q", scale=alt.Scale(domain=[0, 1], range=[0, row_height]))
    dots = (
        alt.Chart(runs)
        .mark_circle(size=45, opacity=0.75)
        .encode(
            x=alt.X(
                f"{column}:Q",
                title=axis_title(metric_title, layout),
                scale=alt.Scale(zero=False, padding=10),
            ),
            y=y,
            yOffset=y_offset,
            color=config_colour(order, legend=False),
            tooltip=["config", "seed", alt.Tooltip(f"{column}:Q", title=metric_title, format=number_format(spec))],
        )
    )
    tooltip = [
        "config",
        alt.Tooltip("mean:Q", format=number_format(spec)),
        alt.Tooltip("low:Q", format=number_format(spec)),
        alt.Tooltip("high:Q", format=number_format(spec)),
    ]
    bars = (
        alt.Chart(stats.dropna(subset=["low", "high"]))
        .mark_rule(strokeWidth=2, color="black")
        .encode(x="low:Q", x2="high:Q", y=y, yOffset=y_offset, tooltip=tooltip)
    )
    means = (
        alt.Chart(stats.dropna(subset=["mean"]))
        .mark_tick(color="black", thickness=3, size=0.3 * row_height)
        .encode(x="mean:Q", y=y, yOffset=y_offset, tooltip=tooltip)
    )
    chart = (dots + bars + means).properties(
        width=layout.width,
        height=row_height * len(order),
        title=title(
            f"{metric_title}, {direction_text(spec.headline_metric)}: every seed (dots), the mean (tick) and "
            f"{bar} (bar){note}",
            layout,
        ),
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
    )
    return styled(chart, layout)


def number_format(spec: MetricSpec) -> str:
    """The tooltip format of a shown headline value: two decimals of a percent, three significant digits else."""
    return ".2f" if spec.headline_metric.percent else ".3~g"


def final_accuracy(finals: pd.DataFrame, summary: pd.DataFrame, layout: Layout, spec: MetricSpec):
    """Every seed as a dot, with the mean and a ± 1 sample std bar per configuration (from the summary)."""
    mean = summary[f"{spec.headline_run_metric}_mean"].astype(float)
    std = summary[f"{spec.headline_run_metric}_std"].astype(float).fillna(0.0)  # one seed: no spread to draw
    stats = pd.DataFrame({"config": summary["config"], "mean": mean, "low": mean - std, "high": mean + std})
    return seed_dots(finals, stats, config_order(summary), "± 1 sample std", layout, spec)


def final_accuracy_ci(
    finals: pd.DataFrame,
    intervals: pd.DataFrame,
    layout: Layout,
    spec: MetricSpec,
    order: list[str] | None = None,
):
    """Every seed as a dot, with the mean and its stored interval (intervals: config, mean, ci_low, ci_high,
    ci_method); a configuration with too few seeds for an interval gets no bar, and the title says so."""
    stats = pd.DataFrame(
        {
            "config": intervals["config"],
            "mean": intervals["mean"],
            "low": intervals["ci_low"],
            "high": intervals["ci_high"],
        }
    )
    methods = "; ".join(intervals["ci_method"].dropna().unique().tolist()) or "no interval"
    note = "; no bar: too few seeds for an interval" if stats["low"].isna().any() else ""
    return seed_dots(finals, stats, order or config_order(intervals), f"its {methods}", layout, spec, note)


def log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks between low and high, for a log axis that labels a few round numbers."""
    ticks = []
    for power in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        ticks += [step * 10**power for step in (1, 2, 5) if low <= step * 10**power <= high]
    return ticks


def accuracy_vs_parameters(summary: pd.DataFrame, layout: Layout, spec: MetricSpec):
    """Mean final headline (± 1 std bar) against trainable parameters on a log axis, a colour per
    configuration named in the legend (labels beside the points would overlap where sizes are equal)."""
    mean_column, std_column = f"{spec.headline_run_metric}_mean", f"{spec.headline_run_metric}_std"
    data = summary[["config", "parameter_count", "n_seeds", mean_column, std_column]].copy()
    data = data.dropna(subset=["parameter_count", mean_column])
    mean, std = data[mean_column].astype(float), data[std_column].astype(float).fillna(0.0)
    data["low"], data["high"] = mean - std, mean + std
    data = scaled(data, [mean_column, std_column, "low", "high"], scale(spec.headline_metric))
    order = config_order(summary)
    smallest, largest = float(data["parameter_count"].min()), float(data["parameter_count"].max())
    domain = [smallest / 1.6, largest * 1.6]
    x = alt.X(
        "parameter_count:Q",
        title=axis_title("trainable parameters (log scale)", layout),
        scale=alt.Scale(type="log", domain=domain, nice=False),
        axis=alt.Axis(values=log_ticks(*domain), format="~s"),
    )
    y_scale = alt.Scale(zero=False, padding=12)
    tooltip = [
        "config",
        alt.Tooltip("parameter_count:Q", format=","),
        "n_seeds",
        alt.Tooltip(f"{mean_column}:Q", title=f"mean{heading_unit(spec.headline_metric)}", format=number_format(spec)),
        alt.Tooltip(f"{std_column}:Q", title=f"std{heading_unit(spec.headline_metric)}", format=number_format(spec)),
    ]
    base = alt.Chart(data).encode(x=x, color=config_colour(order, symbol="circle"))
    y_title = axis_title(headline_title(spec), layout)
    bars = base.mark_rule(strokeWidth=2).encode(y=alt.Y("low:Q", title=y_title, scale=y_scale), y2="high:Q")
    points = base.mark_point(filled=True, size=80, opacity=0.9).encode(
        y=alt.Y(f"{mean_column}:Q", title=y_title, scale=y_scale), tooltip=tooltip
    )
    chart = (bars + points).properties(
        width=layout.width,
        height=300 if layout.width > 500 else 240,
        title=title(
            f"{headline_title(spec)}, {direction_text(spec.headline_metric)}: mean ± 1 sample std against model size",
            layout,
        ),
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
    )
    return styled(chart, layout, legend_columns(order, layout))
