"""Learning curves: per configuration and epoch, the stored mean over seeds and its ± 1 std band."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pairstudy.metrics import CURVE_METRICS

from .accuracy import config_colour, config_order, percent
from .layout import Layout, legend_columns, styled, title

MAX_EPOCH_TICKS = 12
AXIS_ROOM = 70  # a panel's y axis: labels and title
PANEL_SPACING = 24
LOSS_METRIC = "train_comparison_loss"
CURVES_TITLE = (
    f"Learning curves: mean over seeds (line) ± 1 sample std (band). The loss is the {CURVE_METRICS[LOSS_METRIC]}, "
    "the same quantity for every run whatever its training objective"
)


def panel_width(layout: Layout) -> int:
    across = layout.panels_per_row
    return int((layout.width - across * AXIS_ROOM - (across - 1) * PANEL_SPACING - 20) / across)


def epoch_axis(epochs: pd.Series) -> alt.Axis:
    """Whole epochs only: each epoch of a short run as a tick, round steps of a long one."""
    first, last = int(epochs.min()), int(epochs.max())
    if last - first < MAX_EPOCH_TICKS:
        return alt.Axis(values=list(range(first, last + 1)), format="d")
    return alt.Axis(format="d", tickMinStep=1)


def learning_curves(curves: pd.DataFrame, layout: Layout, order: list[str] | None = None):
    """One panel per CURVE_METRICS entry (train comparison loss, train and test accuracy), side by side on a wide
    layout and stacked on a narrow one. `curves` holds config, epoch, metric, mean, low, high, n (fractions for
    accuracies)."""
    order = order or config_order(curves)
    width = panel_width(layout)
    panels = []
    for metric, metric_title in CURVE_METRICS.items():
        data = curves.loc[curves["metric"] == metric, ["config", "epoch", "metric", "mean", "low", "high", "n"]]
        if metric.endswith("accuracy"):
            data = percent(data, ["mean", "low", "high"])
        x = alt.X("epoch:Q", title="epoch", axis=epoch_axis(curves["epoch"]))
        # y2 given and stack off: the band spans exactly the stored low and high
        band = (
            alt.Chart(data)
            .mark_area(opacity=0.2)
            .encode(
                x=x,
                y=alt.Y("low:Q", title=metric_title, scale=alt.Scale(zero=False), stack=None),
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
                    alt.Tooltip("mean:Q", format=".3f"),
                    alt.Tooltip("low:Q", format=".3f"),
                    alt.Tooltip("high:Q", format=".3f"),
                    "n",
                ],
            )
        )
        panels.append((band + line).properties(width=width, height=190, title=metric_title))
    chart = alt.concat(*panels, columns=layout.panels_per_row, spacing=PANEL_SPACING).properties(
        title=title(CURVES_TITLE, layout)
    )
    return styled(chart, layout, legend_columns(order, layout))
