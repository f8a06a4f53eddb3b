"""Altair charts of a study, drawn from the numbers the aggregate step stored.

Nothing here aggregates: means, bands and error bars come in as columns.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

METRIC_TITLES = {"train_loss": "train loss", "train_accuracy": "train accuracy (%)", "test_accuracy": "test accuracy (%)"}


def config_order(summary: pd.DataFrame) -> list[str]:
    return summary["config"].tolist()


def percent(frame: pd.DataFrame, columns) -> pd.DataFrame:
    frame = frame.copy()
    for column in columns:
        frame[column] = frame[column] * 100
    return frame


def learning_curves(curves: pd.DataFrame, order: list[str]) -> alt.Chart:
    """One panel per metric: mean over seeds per configuration, with a ± std band."""
    panels = []
    for metric, title in METRIC_TITLES.items():
        data = curves[curves["metric"] == metric]
        if metric != "train_loss":
            data = percent(data, ["mean", "low", "high"])
        base = alt.Chart(data).encode(
            x=alt.X("epoch:Q", title="epoch"),
            color=alt.Color("config:N", sort=order, title="configuration"),
        )
        band = base.mark_area(opacity=0.18).encode(y=alt.Y("low:Q", title=title, scale=alt.Scale(zero=False)), y2="high:Q")
        line = base.mark_line().encode(y="mean:Q", tooltip=["config", "epoch", alt.Tooltip("mean:Q", format=".3f"), "n"])
        panels.append((band + line).properties(width=260, height=200, title=title))
    return alt.hconcat(*panels).properties(title="Learning curves (mean ± std over seeds)")


def seed_dots(finals: pd.DataFrame, stats: pd.DataFrame, order: list[str], interval: str) -> alt.Chart:
    """Every seed's final test accuracy as a dot; `stats` gives per config: mean, low, high (fractions)."""
    runs = percent(finals[finals["status"] == "ok"], ["final_test_accuracy"])
    stats = percent(stats[["config", "mean", "low", "high"]], ["mean", "low", "high"])
    y = alt.Y("config:N", sort=order, title=None)
    dots = alt.Chart(runs).mark_circle(size=40, opacity=0.55).encode(
        x=alt.X("final_test_accuracy:Q", title="final test accuracy (%)", scale=alt.Scale(zero=False)),
        y=y,
        tooltip=["config", "seed", alt.Tooltip("final_test_accuracy:Q", format=".1f")],
    )
    bars = alt.Chart(stats).mark_rule(strokeWidth=2, color="black").encode(x="low:Q", x2="high:Q", y=y)
    means = alt.Chart(stats).mark_tick(color="black", thickness=3, size=18).encode(
        x="mean:Q", y=y, tooltip=["config", alt.Tooltip("mean:Q", format=".2f"), alt.Tooltip("low:Q", format=".2f"), alt.Tooltip("high:Q", format=".2f")]
    )
    return (dots + bars + means).properties(
        width=520, height=max(120, 34 * len(order)), title=f"Final test accuracy per seed, mean and {interval}"
    )


def final_accuracy(finals: pd.DataFrame, summary: pd.DataFrame) -> alt.Chart:
    """Every seed as a dot, with the mean and a ± one sample std bar per configuration."""
    mean, std = summary["final_test_accuracy_mean"], summary["final_test_accuracy_std"].fillna(0)
    stats = pd.DataFrame({"config": summary["config"], "mean": mean, "low": mean - std, "high": mean + std})
    return seed_dots(finals, stats, config_order(summary), "± std")


def final_accuracy_ci(finals: pd.DataFrame, intervals: pd.DataFrame, order: list[str]) -> alt.Chart:
    """Every seed as a dot, with the mean and its stored 95% bootstrap confidence interval."""
    stats = pd.DataFrame({"config": intervals["config"], "mean": intervals["mean"], "low": intervals["ci_low"], "high": intervals["ci_high"]})
    return seed_dots(finals, stats, order, "95% CI")


def accuracy_vs_parameters(summary: pd.DataFrame) -> alt.Chart:
    """Mean final test accuracy (± std) against trainable parameters (log scale)."""
    data = summary[["config", "parameter_count", "final_test_accuracy_mean", "final_test_accuracy_std"]].copy()
    data["low"] = data["final_test_accuracy_mean"] - data["final_test_accuracy_std"].fillna(0)
    data["high"] = data["final_test_accuracy_mean"] + data["final_test_accuracy_std"].fillna(0)
    data = percent(data, ["final_test_accuracy_mean", "low", "high"])
    x = alt.X("parameter_count:Q", scale=alt.Scale(type="log"), title="trainable parameters (log scale)")
    base = alt.Chart(data).encode(x=x)
    points = base.mark_point(filled=True, size=70).encode(
        y=alt.Y("final_test_accuracy_mean:Q", title="final test accuracy (%)", scale=alt.Scale(zero=False)),
        color=alt.Color("config:N", sort=config_order(summary), title="configuration"),
        tooltip=["config", "parameter_count", alt.Tooltip("final_test_accuracy_mean:Q", format=".1f")],
    )
    bars = base.mark_rule().encode(y="low:Q", y2="high:Q", color=alt.Color("config:N", sort=config_order(summary)))
    labels = points.mark_text(align="left", dx=7, fontSize=10).encode(text="config:N")
    return (bars + points + labels).properties(width=520, height=300, title="Accuracy against model size")


def forest_plot(comparisons: pd.DataFrame) -> alt.Chart:
    """Paired differences with their CIs (columns label, mean_difference, ci_low, ci_high; fractions)."""
    data = comparisons[["label", "mean_difference", "ci_low", "ci_high"]].copy()
    for column in ("mean_difference", "ci_low", "ci_high"):
        data[column] = data[column] * 100
    y = alt.Y("label:N", sort=None, title=None)
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(strokeDash=[4, 4], color="grey").encode(x="x:Q")
    bars = alt.Chart(data).mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", title="paired difference (percentage points), 95% CI"), x2="ci_high:Q", y=y
    )
    points = alt.Chart(data).mark_point(filled=True, size=60, color="black").encode(
        x="mean_difference:Q", y=y, tooltip=["label", alt.Tooltip("mean_difference:Q", format="+.2f")]
    )
    return (zero + bars + points).properties(width=480, height=max(100, 28 * len(data)), title="Paired differences by seed")


CHARTS = {
    "learning_curves": lambda tables: learning_curves(tables["curves"], config_order(tables["summary"])),
    "final_accuracy": lambda tables: final_accuracy(tables["finals"], tables["summary"]),
    "accuracy_vs_parameters": lambda tables: accuracy_vs_parameters(tables["summary"]),
}
