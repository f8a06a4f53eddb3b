"""The run file contract: schema, metric names, validated atomic writes and reads, Parquet metadata."""

from pairstudy.atomic import write_atomically

from .identity import canonical_json, dotted_keys, hyperparameter_hash, run_key
from .io import RunFileError, RunIdentity, read_run_metadata, read_runs, validate_runs, write_runs
from .names import CURVE_METRICS, HEADLINE_METRIC, RUN_METRICS
from .parquet import read_metadata, read_table, write_table
from .schema import ACCURACY_COLUMNS, EPOCH_COLUMNS, RUN_COLUMNS, RUN_SCHEMA, STATUSES, epoch_row, failed_row

__all__ = [
    "ACCURACY_COLUMNS",
    "CURVE_METRICS",
    "EPOCH_COLUMNS",
    "HEADLINE_METRIC",
    "RUN_COLUMNS",
    "RUN_METRICS",
    "RUN_SCHEMA",
    "STATUSES",
    "RunFileError",
    "RunIdentity",
    "canonical_json",
    "dotted_keys",
    "epoch_row",
    "failed_row",
    "hyperparameter_hash",
    "read_metadata",
    "read_run_metadata",
    "read_runs",
    "read_table",
    "run_key",
    "validate_runs",
    "write_atomically",
    "write_runs",
    "write_table",
]
