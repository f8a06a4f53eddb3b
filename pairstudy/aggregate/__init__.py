"""Aggregation: run files -> epoch table, per-run finals, curves, per-configuration summary, configurations."""

from .load import StudyTables, load_study
from .tables import configurations, factor_names, final_rows, learning_curves, read_epochs, run_status, summarize
from .write import write_study_tables

__all__ = [
    "StudyTables",
    "configurations",
    "factor_names",
    "final_rows",
    "learning_curves",
    "load_study",
    "read_epochs",
    "run_status",
    "summarize",
    "write_study_tables",
]
