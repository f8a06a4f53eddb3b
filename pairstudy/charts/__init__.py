"""Altair charts drawn from stored study tables, and their offline export."""

import altair as alt

# studies are bounded (runs x epochs, pixels of a few pairs): embed every row, never a 5000-row cut-off
alt.data_transformers.disable_max_rows()

from .save import prefix_svg_ids, remote_loads, save_chart
from .study import (
    CHARTS,
    accuracy_vs_parameters,
    dot_plot_with_ci,
    final_accuracy,
    forest_plot,
    learning_curves,
    placeholder,
)

__all__ = [
    "CHARTS",
    "accuracy_vs_parameters",
    "dot_plot_with_ci",
    "final_accuracy",
    "forest_plot",
    "learning_curves",
    "placeholder",
    "prefix_svg_ids",
    "remote_loads",
    "save_chart",
]
