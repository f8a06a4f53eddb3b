"""Aggregation: run files -> epoch table, per-run finals, curves, per-configuration summary, configurations."""

from .load import StudyTables, load_study
from .tables import (
    configurations,
    expected_run,
    factor_names,
    final_rows,
    learning_curves,
    oracle_run_metric,
    read_epochs,
    run_status,
    study_spec,
    summarize,
)
from .write import best_config, write_study_tables

__all__ = [
    "StudyTables",
    "best_config",
    "configurations",
    "expected_run",
    "factor_names",
    "final_rows",
    "learning_curves",
    "load_study",
    "oracle_run_metric",
    "read_epochs",
    "run_status",
    "study_spec",
    "summarize",
    "write_study_tables",
]
