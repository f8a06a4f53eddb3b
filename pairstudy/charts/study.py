"""Altair charts of a study, drawn from the numbers the aggregate and statistics steps stored.

Nothing here aggregates: means, bands, error bars and intervals come in as columns, and no
chart asks Vega-Lite to compute one. Accuracies arrive as fractions and are drawn in percent.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from pairstudy.metrics import CURVE_METRICS

METRIC_TITLES = {
    "train_loss": "train loss",
    "train_accuracy": "train accuracy (%)",
    "test_accuracy": "test accuracy (%)",
}
ACCURACY_TITLE = "final test accuracy (%)"
EPOCH_AXIS = alt.Axis(format="d", tickMinStep=1)
PANEL_WIDTH = 260
ROW_HEIGHT = 48


def config_order(frame: pd.DataFrame) -> list[str]:
    """Configurations in the order they first appear (the summary's order is the study's order)."""
    return list(dict.fromkeys(frame["config"].tolist()))


def percent(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """A copy with the given fraction columns turned into percent (or percentage points)."""
    frame = frame.copy()
    for column in columns:
        frame[column] = frame[column].astype(float) * 100
    return frame


def config_colour(order: list[str], legend: bool = True) -> alt.Color:
    """Colour by configuration in the study's order; legend symbols are lines, as in the learning curves."""
    shown = alt.Legend(symbolType="stroke", symbolStrokeWidth=3, symbolOpacity=1) if legend else None
    return alt.Color("config:N", sort=order, title="configuration", legend=shown)


def learning_curves(curves: pd.DataFrame, order: list[str] | None = None) -> alt.Chart:
    """One panel per metric (train loss, train and test accuracy): mean over seeds per configuration, ± std band.

    `curves` holds config, epoch, metric, mean, low, high, n (fractions for accuracies).
    """
    order = order or config_order(curves)
    panels = []
    for metric, title in CURVE_METRICS.items():
        data = curves.loc[curves["metric"] == metric, ["config", "epoch", "metric", "mean", "low", "high", "n"]]
        if metric.endswith("accuracy"):
            data = percent(data, ["mean", "low", "high"])
        x = alt.X("epoch:Q", title="epoch", axis=EPOCH_AXIS)
        # y2 given and stack off: the band spans exactly the stored low and high
        band = (
            alt.Chart(data)
            .mark_area(opacity=0.2)
            .encode(
                x=x,
                y=alt.Y("low:Q", title=title, scale=alt.Scale(zero=False), stack=None),
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
        panels.append((band + line).properties(width=PANEL_WIDTH, height=200, title=title))
    return alt.hconcat(*panels).properties(title="Learning curves: mean over seeds, band ± 1 std")


def seed_dots(finals: pd.DataFrame, stats: pd.DataFrame, order: list[str], interval: str) -> alt.LayerChart:
    """Every finished seed's final test accuracy as a dot; `stats` gives per config mean, low, high (fractions).

    In each configuration's row the seeds form a strip above the row's centre and the mean with its bar sits below.
    """
    runs = finals.loc[finals["status"] == "ok", ["config", "seed", "final_test_accuracy"]]
    runs = percent(runs, ["final_test_accuracy"]).sort_values(["config", "seed"])
    # vertical place within the row (0 top, 1 bottom): seeds spread evenly so equal accuracies stay visible
    rank = runs.groupby("config")["seed"].rank(method="first")
    count = runs.groupby("config")["seed"].transform("count")
    runs["row_position"] = 0.1 + 0.35 * (rank - 0.5) / count
    stats = percent(stats[["config", "mean", "low", "high"]], ["mean", "low", "high"]).assign(row_position=0.72)
    y = alt.Y("config:N", sort=order, title=None, scale=alt.Scale(paddingInner=0, paddingOuter=0))
    y_offset = alt.YOffset("row_position:Q", scale=alt.Scale(domain=[0, 1], range=[0, ROW_HEIGHT]))
    dots = (
        alt.Chart(runs)
        .mark_circle(size=45, opacity=0.75)
        .encode(
            x=alt.X("final_test_accuracy:Q", title=ACCURACY_TITLE, scale=alt.Scale(zero=False, padding=10)),
            y=y,
            yOffset=y_offset,
            color=config_colour(order, legend=False),
            tooltip=[
                "config",
                "seed",
                alt.Tooltip("final_test_accuracy:Q", title="final test accuracy (%)", format=".2f"),
            ],
        )
    )
    tooltip = [
        "config",
        alt.Tooltip("mean:Q", format=".2f"),
        alt.Tooltip("low:Q", format=".2f"),
        alt.Tooltip("high:Q", format=".2f"),
    ]
    bars = (
        alt.Chart(stats)
        .mark_rule(strokeWidth=2, color="black")
        .encode(x="low:Q", x2="high:Q", y=y, yOffset=y_offset, tooltip=tooltip)
    )
    means = (
        alt.Chart(stats)
        .mark_tick(color="black", thickness=3, size=0.3 * ROW_HEIGHT)
        .encode(x="mean:Q", y=y, yOffset=y_offset, tooltip=tooltip)
    )
    return (dots + bars + means).properties(
        width=520,
        height=ROW_HEIGHT * len(order),
        title=f"Final test accuracy: every seed (dots), the mean (tick) and {interval} (bar)",
    )


def final_accuracy(finals: pd.DataFrame, summary: pd.DataFrame) -> alt.LayerChart:
    """Every seed as a dot, with the mean and a ± 1 sample std bar per configuration (from the summary)."""
    mean = summary["final_test_accuracy_mean"].astype(float)
    std = summary["final_test_accuracy_std"].astype(float).fillna(0.0)  # one seed: no spread to draw
    stats = pd.DataFrame({"config": summary["config"], "mean": mean, "low": mean - std, "high": mean + std})
    return seed_dots(finals, stats, config_order(summary), "± 1 std")


def dot_plot_with_ci(finals: pd.DataFrame, summary_ci: pd.DataFrame, order: list[str] | None = None) -> alt.LayerChart:
    """Every seed as a dot, with the mean and its stored confidence interval (summary_ci: config, mean, ci_low, ci_high)."""
    stats = pd.DataFrame(
        {
            "config": summary_ci["config"],
            "mean": summary_ci["mean"],
            "low": summary_ci["ci_low"],
            "high": summary_ci["ci_high"],
        }
    )
    return seed_dots(finals, stats, order or config_order(summary_ci), "its 95% CI")


def log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks between low and high, for a log axis that labels a few round numbers."""
    ticks = []
    for power in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        ticks += [step * 10**power for step in (1, 2, 5) if low <= step * 10**power <= high]
    return ticks


def accuracy_vs_parameters(summary: pd.DataFrame) -> alt.LayerChart:
    """Mean final test accuracy (± 1 std bar) against trainable parameters on a log axis, labelled by config."""
    data = summary[
        ["config", "parameter_count", "n_seeds", "final_test_accuracy_mean", "final_test_accuracy_std"]
    ].copy()
    data = data.dropna(subset=["parameter_count", "final_test_accuracy_mean"])
    mean, std = (
        data["final_test_accuracy_mean"].astype(float),
        data["final_test_accuracy_std"].astype(float).fillna(0.0),
    )
    data["low"], data["high"] = mean - std, mean + std
    data = percent(data, ["final_test_accuracy_mean", "final_test_accuracy_std", "low", "high"])
    order = config_order(summary)
    # pad the axis so the smallest and largest models sit inside the plot with room for their labels
    smallest, largest = float(data["parameter_count"].min()), float(data["parameter_count"].max())
    domain = [smallest / 1.5, largest * 2.5]
    x = alt.X(
        "parameter_count:Q",
        title="trainable parameters (log scale)",
        scale=alt.Scale(type="log", domain=domain, nice=False),
        axis=alt.Axis(values=log_ticks(*domain), format="~s"),
    )
    y_scale = alt.Scale(zero=False, padding=12)
    y = alt.Y("final_test_accuracy_mean:Q", title=ACCURACY_TITLE, scale=y_scale)
    tooltip = [
        "config",
        alt.Tooltip("parameter_count:Q", format=","),
        "n_seeds",
        alt.Tooltip("final_test_accuracy_mean:Q", title="mean (%)", format=".2f"),
        alt.Tooltip("final_test_accuracy_std:Q", title="std (%)", format=".2f"),
    ]
    # the labels name the configurations: no legend
    base = alt.Chart(data).encode(x=x, color=config_colour(order, legend=False))
    bars = base.mark_rule(strokeWidth=2).encode(y=alt.Y("low:Q", title=ACCURACY_TITLE, scale=y_scale), y2="high:Q")
    points = base.mark_point(filled=True, size=80).encode(y=y, tooltip=tooltip)
    labels = base.mark_text(align="left", dx=8, fontSize=11).encode(y=y, text="config:N")
    return (bars + points + labels).properties(
        width=520, height=320, title="Final test accuracy (mean ± 1 std) against model size"
    )


def forest_plot(comparisons: pd.DataFrame, title: str = "Paired differences by seed, with 95% CIs") -> alt.LayerChart:
    """Given differences and their intervals, one row each (label, mean_difference, ci_low, ci_high; fractions).

    Drawn in percentage points, rows in the given order, with a dashed rule at zero.
    """
    data = percent(
        comparisons[["label", "mean_difference", "ci_low", "ci_high"]], ["mean_difference", "ci_low", "ci_high"]
    )
    y = alt.Y("label:N", sort=None, title=None)
    x_title = "difference in final test accuracy (percentage points)"
    tooltip = [
        "label",
        alt.Tooltip("mean_difference:Q", title="difference (points)", format="+.2f"),
        alt.Tooltip("ci_low:Q", title="CI low", format="+.2f"),
        alt.Tooltip("ci_high:Q", title="CI high", format="+.2f"),
    ]
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(strokeDash=[4, 4], color="grey").encode(x="zero:Q")
    bars = (
        alt.Chart(data)
        .mark_rule(strokeWidth=2)
        .encode(x=alt.X("ci_low:Q", title=x_title), x2="ci_high:Q", y=y, tooltip=tooltip)
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=70, color="black")
        .encode(x="mean_difference:Q", y=y, tooltip=tooltip)
    )
    return (zero + bars + points).properties(width=480, height=alt.Step(28), title=title)


# the charts a study's config may ask for, each built from the study's aggregate tables
CHARTS = {
    "learning_curves": lambda tables: learning_curves(tables["curves"], config_order(tables["summary"])),
    "final_accuracy": lambda tables: final_accuracy(tables["finals"], tables["summary"]),
    "accuracy_vs_parameters": lambda tables: accuracy_vs_parameters(tables["summary"]),
}


def placeholder(message: str) -> alt.Chart:
    """A chart that only says why there is nothing to draw (it keeps a declared output in place)."""
    return (
        alt.Chart(pd.DataFrame({"text": [message]}))
        .mark_text(fontSize=14)
        .encode(text="text:N")
        .properties(width=360, height=60)
    )
