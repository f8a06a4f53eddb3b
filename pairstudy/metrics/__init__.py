"""The run Parquet contract: schema, validated atomic write, validated read."""

from .atomic import write_atomically
from .identity import canonical_json, hyperparameter_hash
from .io import RunFileError, read_misclassified, read_run, read_runs, validate_run_table, write_run
from .schema import ACCURACY_COLUMNS, EPOCH_COLUMNS, RUN_COLUMNS, RUN_SCHEMA, STATUSES, epoch_row

__all__ = [
    "canonical_json",
    "epoch_row",
    "hyperparameter_hash",
    "ACCURACY_COLUMNS",
    "EPOCH_COLUMNS",
    "RUN_COLUMNS",
    "RUN_SCHEMA",
    "STATUSES",
    "RunFileError",
    "read_misclassified",
    "read_run",
    "read_runs",
    "validate_run_table",
    "write_atomically",
    "write_run",
]
