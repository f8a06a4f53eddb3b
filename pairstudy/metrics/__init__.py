"""The run file contract: schema (from the task's metrics), validated atomic writes and reads, Parquet metadata."""

from pairstudy.atomic import write_atomically

from .identity import canonical_json, dotted_keys, hyperparameter_hash, run_key
from .io import (
    RunFileError,
    RunIdentity,
    read_run_metadata,
    read_run_spec,
    read_runs,
    spec_of,
    validate_runs,
    write_runs,
)
from .parquet import read_metadata, read_table, write_table
from .schema import (
    COMMON_EPOCH_COLUMNS,
    RUN_COLUMNS,
    STATUSES,
    epoch_columns,
    epoch_row,
    failed_row,
    fraction_columns,
    run_schema,
)

__all__ = [
    "COMMON_EPOCH_COLUMNS",
    "RUN_COLUMNS",
    "STATUSES",
    "RunFileError",
    "RunIdentity",
    "canonical_json",
    "dotted_keys",
    "epoch_columns",
    "epoch_row",
    "failed_row",
    "fraction_columns",
    "hyperparameter_hash",
    "read_metadata",
    "read_run_metadata",
    "read_run_spec",
    "read_runs",
    "read_table",
    "run_key",
    "run_schema",
    "spec_of",
    "validate_runs",
    "write_atomically",
    "write_runs",
    "write_table",
]
