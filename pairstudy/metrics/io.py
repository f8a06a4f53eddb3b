"""Write and read run Parquet files: validated on both sides, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .atomic import write_atomically
from .schema import ACCURACY_COLUMNS, RUN_COLUMNS, RUN_SCHEMA, STATUSES


class RunFileError(ValueError):
    """A run table or file does not follow the run schema."""


def validate_run_table(table: pd.DataFrame, source: str = "run table") -> None:
    """Raise RunFileError naming the first way `table` breaks the run schema."""
    missing = [name for name in RUN_SCHEMA.names if name not in table.columns]
    if missing:
        raise RunFileError(f"{source}: missing columns {missing}")
    extra = [name for name in table.columns if name not in RUN_SCHEMA.names]
    if extra:
        raise RunFileError(f"{source}: unknown columns {extra}")
    if table.empty:
        raise RunFileError(f"{source}: no epochs")
    for name in RUN_COLUMNS:
        if table[name].nunique(dropna=False) != 1:
            raise RunFileError(f"{source}: run column {name!r} differs between rows (one file holds one run)")
    status = table["status"].iloc[0]
    if status not in STATUSES:
        raise RunFileError(f"{source}: status {status!r} is not one of {STATUSES}")
    epochs = table["epoch"].to_numpy()
    if status == "failed":
        if not np.array_equal(epochs, [0]):
            raise RunFileError(f"{source}: a failed run has one row, epoch 0")
    elif not np.array_equal(epochs, np.arange(1, len(table) + 1)):
        raise RunFileError(f"{source}: epochs must be 1..{len(table)} in order, found {epochs.tolist()}")
    for name in ACCURACY_COLUMNS:
        values = table[name].dropna().to_numpy()
        if ((values < 0) | (values > 1)).any():
            raise RunFileError(f"{source}: {name} must be a fraction in [0, 1]")


def to_arrow(table: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(table[RUN_SCHEMA.names], schema=RUN_SCHEMA, preserve_index=False)


MISCLASSIFIED_KEY = b"pairstudy.misclassified"


def write_run(table: pd.DataFrame, path: str | Path, misclassified: list | None = None) -> Path:
    """Validate and write one run atomically: a temporary file in the same folder, then a rename.

    `misclassified` (the run's wrongly compared test pairs) travels as file metadata.
    """
    path = Path(path)
    validate_run_table(table, str(path))
    arrow_table = to_arrow(table)
    if misclassified:
        metadata = {**(arrow_table.schema.metadata or {}), MISCLASSIFIED_KEY: json.dumps(misclassified).encode()}
        arrow_table = arrow_table.replace_schema_metadata(metadata)
    return write_atomically(path, lambda temporary: pq.write_table(arrow_table, temporary))


def read_run(path: str | Path) -> pd.DataFrame:
    """Read one run file and check it against the schema."""
    path = Path(path)
    try:
        arrow_table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as error:
        raise RunFileError(f"{path}: not a readable Parquet file ({error})") from error
    if not arrow_table.schema.equals(RUN_SCHEMA, check_metadata=False):
        try:
            arrow_table = arrow_table.select(RUN_SCHEMA.names).cast(RUN_SCHEMA)
        except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise RunFileError(f"{path}: columns do not match the run schema ({error})") from error
    table = arrow_table.to_pandas()
    validate_run_table(table, str(path))
    return table


def read_misclassified(path: str | Path) -> list[dict]:
    """The wrongly compared test pairs stored with a run (empty when none were stored)."""
    metadata = pq.read_schema(path).metadata or {}
    return json.loads(metadata[MISCLASSIFIED_KEY]) if MISCLASSIFIED_KEY in metadata else []


def read_runs(paths) -> pd.DataFrame:
    """Read and concatenate several run files (each validated)."""
    return pd.concat([read_run(path) for path in paths], ignore_index=True)
