"""Aggregation: run files -> epoch table, per-run finals, curves, per-configuration summary."""

from .tables import CURVE_METRICS, SUMMARY_METRICS, final_rows, learning_curves, read_epochs, run_status, summarize
from .write import write_study_tables

__all__ = [
    "CURVE_METRICS",
    "SUMMARY_METRICS",
    "final_rows",
    "learning_curves",
    "read_epochs",
    "run_status",
    "summarize",
    "write_study_tables",
]
