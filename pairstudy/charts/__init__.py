"""Altair charts drawn from stored study tables, and their offline export."""

import altair as alt

# studies are bounded (runs x epochs, pixels of a few pairs): embed every row, never a 5000-row cut-off
alt.data_transformers.disable_max_rows()

from .save import chart_svg, save_chart
from .study import CHARTS, accuracy_vs_parameters, final_accuracy, final_accuracy_ci, forest_plot, learning_curves

__all__ = ["CHARTS", "accuracy_vs_parameters", "chart_svg", "final_accuracy", "final_accuracy_ci", "forest_plot", "learning_curves", "save_chart"]
