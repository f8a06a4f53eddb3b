"""Every chart a report can draw, by the name a config's `report.charts` lists it under.

Each entry draws from the study's stored tables at one Layout, or returns a one-line note saying why
there is nothing to draw (a study without comparisons has no paired differences). The tables include "spec",
the task's MetricSpec: every metric name, title, unit and direction comes from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pairstudy.stats.units import direction_text
from pairstudy.tasks.metrics import MetricSpec

from .accuracy import accuracy_vs_parameters, final_accuracy, final_accuracy_ci
from .curves import learning_curves
from .differences import baseline_rows, comparison_rows, effect_rows, forest_plot
from .examples import misclassified_chart
from .layout import Layout


@dataclass(frozen=True)
class ChartKind:
    caption: str  # what the chart shows, in a sentence; "{headline}" stands for the headline's name
    draw: Callable[[Mapping[str, object], Layout], object]  # an Altair chart, or a note (str) when nothing to draw

    def caption_for(self, spec: MetricSpec) -> str:
        """The caption with the task's headline named, e.g. "final test accuracy (higher is better)"."""
        metric = spec.headline_metric
        return self.caption.format(headline=f"final test {metric.title} ({direction_text(metric)})")


def draw_curves(tables: Mapping, layout: Layout):
    return learning_curves(tables["curves"], layout, tables["spec"], tables["order"])


def draw_final(tables: Mapping, layout: Layout):
    return final_accuracy(tables["finals"], tables["summary"], layout, tables["spec"])


def draw_ci(tables: Mapping, layout: Layout):
    if tables["intervals"].empty:
        return "no intervals: no configuration has finished seeds"
    return final_accuracy_ci(tables["finals"], tables["intervals"], layout, tables["spec"], tables["order"])


def draw_comparisons(tables: Mapping, layout: Layout):
    if tables["comparisons"].empty:
        return "nothing to draw: no two configurations differ in exactly one factor"
    caption = "Paired by seed: configurations one factor apart, second minus first, with family-wise intervals"
    return forest_plot(comparison_rows(tables["comparisons"]), layout, caption, tables["spec"])


def draw_effects(tables: Mapping, layout: Layout):
    if tables["effects"].empty:
        return "nothing to draw: the study has no full 2 x 2 block of two-level factors"
    caption = "Factor effects of each 2 x 2 block, estimated per seed, with family-wise intervals"
    return forest_plot(effect_rows(tables["effects"]), layout, caption, tables["spec"])


def draw_baselines(tables: Mapping, layout: Layout):
    if tables["baselines"].empty:
        return "nothing to draw: no baselines, and fewer than two configurations with finished seeds"
    caption = (
        "Paired by seed: each configuration minus each baseline, and the best minus the runner-up, with family-wise "
        "intervals"
    )
    return forest_plot(baseline_rows(tables["baselines"]), layout, caption, tables["spec"])


def draw_misclassified(tables: Mapping, layout: Layout):
    errors = tables["misclassified"]
    if not errors.get("examples"):
        return "nothing to draw: no wrongly predicted test examples were stored for the best configuration's first seed"
    return misclassified_chart(errors, layout)


def draw_accuracy_vs_parameters(tables: Mapping, layout: Layout):
    if tables["summary"]["parameter_count"].isna().all():
        return "nothing to draw: no configuration has a parameter count"
    return accuracy_vs_parameters(tables["summary"], layout, tables["spec"])


# the order a config that lists no charts gets them in; config.schema.yaml's report.charts enum lists these names
CHARTS: dict[str, ChartKind] = {
    "learning_curves": ChartKind(
        "Learning curves: each of the task's metrics on the train and test data per epoch, mean over seeds "
        "± 1 sample std.",
        draw_curves,
    ),
    "final_accuracy": ChartKind(
        "The {headline} of every seed, with each configuration's mean ± 1 sample std.", draw_final
    ),
    "final_accuracy_ci": ChartKind(
        "The {headline} of every seed, with each configuration's mean and its stored interval.", draw_ci
    ),
    "accuracy_vs_parameters": ChartKind(
        "The mean {headline} (± 1 sample std) against the number of trainable parameters.",
        draw_accuracy_vs_parameters,
    ),
    "baseline_differences": ChartKind(
        "How far each configuration is from each baseline, and the best from the runner-up, in {headline}, "
        "paired by seed.",
        draw_baselines,
    ),
    "factor_effects": ChartKind(
        "Main effects and interaction of each 2 x 2 factorial block on the {headline}.", draw_effects
    ),
    "paired_differences": ChartKind(
        "Paired differences in {headline} between configurations that differ in exactly one factor.",
        draw_comparisons,
    ),
    "misclassified": ChartKind(
        "Test examples the best configuration's first seed predicts wrongly, each with what its target was and "
        "what was predicted.",
        draw_misclassified,
    ),
}
