"""Learning curves: per configuration and epoch, the stored mean over seeds and its ± 1 std band."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pairstudy.stats.units import direction_text, scale
from pairstudy.tasks.metrics import MetricSpec

from .accuracy import config_colour, config_order, scaled
from .layout import Layout, legend_columns, styled, title

MAX_EPOCH_TICKS = 12
AXIS_ROOM = 70  # a panel's y axis: labels and title
PANEL_SPACING = 24
CURVES_TITLE = "Learning curves: mean over seeds (line) ± 1 sample std (band)"


def panel_width(layout: Layout) -> int:
    across = layout.panels_per_row
    return int((layout.width - across * AXIS_ROOM - (across - 1) * PANEL_SPACING - 20) / across)


def epoch_axis(epochs: pd.Series) -> alt.Axis:
    """Whole epochs only: each epoch of a short run as a tick, round steps of a long one."""
    first, last = int(epochs.min()), int(epochs.max())
    if last - first < MAX_EPOCH_TICKS:
        return alt.Axis(values=list(range(first, last + 1)), format="d")
    return alt.Axis(format="d", tickMinStep=1)


def curve_panels(spec: MetricSpec, curves: pd.DataFrame) -> dict[str, list[str]]:
    """Curve column -> panel title (two lines: the column's title, its direction), for each of the task's curve
    columns the study has values of (a metric some configurations do not measure, only where others do)."""
    columns = spec.epoch_columns()
    measured = set(curves.loc[curves["mean"].notna(), "metric"])
    titles = {}
    for column in spec.curve_columns():
        metric, split = columns[column]
        if column in measured:
            titles[column] = [metric.column_title(split), direction_text(metric)]
    return titles


def learning_curves(curves: pd.DataFrame, layout: Layout, spec: MetricSpec, order: list[str] | None = None):
    """One panel per curve column of the task (its metrics on train and test), side by side on a wide layout and
    stacked on a narrow one. `curves` holds config, epoch, metric, mean, low, high, n (stored values: a fraction
    metric is drawn in percent, a plain number as it is)."""
    order = order or config_order(curves)
    width = panel_width(layout)
    columns = spec.epoch_columns()
    panels = []
    for metric, metric_title in curve_panels(spec, curves).items():
        data = curves.loc[curves["metric"] == metric, ["config", "epoch", "metric", "mean", "low", "high", "n"]]
        data = data.dropna(subset=["mean"])  # a configuration that does not measure this metric has no line
        data = scaled(data, ["mean", "low", "high"], scale(columns[metric][0]))
        x = alt.X("epoch:Q", title="epoch", axis=epoch_axis(curves["epoch"]))
        # y2 given and stack off: the band spans exactly the stored low and high
        band = (
            alt.Chart(data)
            .mark_area(opacity=0.2)
            .encode(
                x=x,
                y=alt.Y("low:Q", title=metric_title[0], scale=alt.Scale(zero=False), stack=None),
                y2="high:Q",
                color=config_colour(order),
            )
        )
        line = (
            alt.Chart(data)
            .mark_line(strokeWidth=2)
            .encode(
                x=x,
                y="mean:Q",
                color=config_colour(order),
                tooltip=[
                    "config",
                    "epoch",
                    alt.Tooltip("mean:Q", format=".4~g"),
                    alt.Tooltip("low:Q", format=".4~g"),
                    alt.Tooltip("high:Q", format=".4~g"),
                    "n",
                ],
            )
        )
        panels.append((band + line).properties(width=width, height=190, title=metric_title))
    chart = alt.concat(*panels, columns=layout.panels_per_row, spacing=PANEL_SPACING).properties(
        title=title(CURVES_TITLE, layout)
    )
    return styled(chart, layout, legend_columns(order, layout))
