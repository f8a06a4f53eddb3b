"""Altair charts drawn from stored study tables, and their offline export."""

from .save import chart_svg, save_chart
from .study import CHARTS, accuracy_vs_parameters, final_accuracy, final_accuracy_ci, forest_plot, learning_curves

__all__ = ["CHARTS", "accuracy_vs_parameters", "chart_svg", "final_accuracy", "final_accuracy_ci", "forest_plot", "learning_curves", "save_chart"]
