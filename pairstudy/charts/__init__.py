"""Altair charts drawn from a study's stored tables at a wide and a narrow layout, and their offline export."""

import altair as alt

from .accuracy import accuracy_vs_parameters, final_accuracy, final_accuracy_ci
from .catalog import CHARTS, ChartKind
from .curves import learning_curves
from .differences import FACTOR_LABELS, baseline_rows, comparison_rows, difference_title, effect_rows, forest_plot
from .examples import examples_chart, examples_frame, misclassified_chart
from .layout import LAYOUTS, NARROW, WIDE, Layout, wrap_label
from .notes import note_chart
from .save import FORMATS, prefix_svg_ids, remote_loads, rendered, save_chart

# studies are bounded (runs x epochs, a few examples): embed every row, never a 5000-row cut-off
alt.data_transformers.disable_max_rows()

__all__ = [
    "CHARTS",
    "FACTOR_LABELS",
    "FORMATS",
    "LAYOUTS",
    "NARROW",
    "WIDE",
    "ChartKind",
    "Layout",
    "accuracy_vs_parameters",
    "baseline_rows",
    "comparison_rows",
    "difference_title",
    "effect_rows",
    "examples_chart",
    "examples_frame",
    "final_accuracy",
    "final_accuracy_ci",
    "forest_plot",
    "learning_curves",
    "misclassified_chart",
    "note_chart",
    "prefix_svg_ids",
    "remote_loads",
    "rendered",
    "save_chart",
    "wrap_label",
]
