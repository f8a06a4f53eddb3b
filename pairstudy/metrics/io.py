"""Write and read run files: validated on both sides, written atomically, checked against where they belong.

A run file holds the runs of one configuration, one per seed (a failed run is one row at epoch 0).
Its key-value metadata carries its task's metrics (under "metrics": they fix its columns), each run's
wrongly predicted test examples, and whatever the writer adds (the study spec, provenance).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pairstudy.tasks.metrics import MetricSpec, MetricSpecError

from .parquet import metadata_of, write_arrow
from .schema import RUN_COLUMNS, STATUSES, fraction_columns, run_schema

FILE_COLUMNS = ("study", "config", "architecture", "hyperparameters", "config_hash")  # one value per file


class RunFileError(ValueError):
    """A run table or file does not follow the run schema, or is not the file it is asked to be."""


@dataclass(frozen=True)
class RunIdentity:
    """What a run file must hold: one study's configuration, exactly these seeds, these hyperparameters and, where
    `code` is given, runs trained by that code (the fingerprint its metadata carries under "block")."""

    study: str
    config: str
    seeds: tuple[int, ...]
    config_hash: str
    code: str | None = None  # None: the training code is not checked

    def describe(self) -> str:
        seeds = list(self.seeds)
        return f"study {self.study!r}, configuration {self.config!r}, seeds {seeds}, config hash {self.config_hash}"


def found_identity(table: pd.DataFrame) -> RunIdentity:
    def single(column):
        values = table[column].unique().tolist()
        return values[0] if len(values) == 1 else values

    return RunIdentity(
        single("study"), single("config"), tuple(sorted(table["seed"].unique().tolist())), single("config_hash")
    )


def training_code_of(metadata: dict) -> str | None:
    """The fingerprint of the code that trained a run file's runs (its metadata's "block" -> "code"); None for a
    file written without one."""
    block = metadata.get("block")
    return block.get("code") if isinstance(block, dict) else None


def validate_run(run: pd.DataFrame, source: str) -> None:
    for name in RUN_COLUMNS:
        if run[name].nunique(dropna=False) != 1:
            raise RunFileError(f"{source}: run column {name!r} differs between the rows of one run")
    status = run["status"].iloc[0]
    if status not in STATUSES:
        raise RunFileError(f"{source}: status {status!r} is not one of {STATUSES}")
    epochs = run["epoch"].to_numpy()
    if status == "failed":
        if not np.array_equal(epochs, [0]):
            raise RunFileError(f"{source}: a failed run has one row, epoch 0")
    elif not np.array_equal(epochs, np.arange(1, len(run) + 1)):
        raise RunFileError(f"{source}: epochs must be 1..{len(run)} in order, found {epochs.tolist()}")


def validate_runs(table: pd.DataFrame, spec: MetricSpec, source: str = "run table") -> None:
    """Raise RunFileError naming the first way `table` breaks the run schema of `spec`'s task."""
    names = run_schema(spec).names
    missing = [name for name in names if name not in table.columns]
    if missing:
        raise RunFileError(f"{source}: missing columns {missing}")
    extra = [name for name in table.columns if name not in names]
    if extra:
        raise RunFileError(f"{source}: unknown columns {extra}")
    if table.empty:
        raise RunFileError(f"{source}: no runs")
    for name in FILE_COLUMNS:
        if table[name].nunique(dropna=False) != 1:
            raise RunFileError(f"{source}: column {name!r} differs between runs (a file holds one configuration)")
    for seed, run in table.groupby("seed", sort=False):
        validate_run(run, f"{source}, seed {seed}")
    for name in fraction_columns(spec):
        values = table[name].dropna().to_numpy(dtype=float)
        if ((values < 0) | (values > 1)).any():
            raise RunFileError(f"{source}: {name} must be a fraction in [0, 1]")


def check_identity(table: pd.DataFrame, expected: RunIdentity, source: str, code: str | None = None) -> None:
    """Refuse a file that holds another study, configuration, seed set or hyperparameters than `expected` or, where
    `expected` names the training code, runs trained by other code than that (`code`: the file's fingerprint)."""
    found = found_identity(table)
    if found != RunIdentity(expected.study, expected.config, expected.seeds, expected.config_hash):
        raise RunFileError(
            f"{source} is not the run file it should be: it holds {found.describe()}; expected {expected.describe()}. "
            "It was copied or left here from elsewhere: move it away and run the workflow again to train these seeds."
        )
    if expected.code is not None and code != expected.code:
        held = f"code {code!r}" if code is not None else "no training-code fingerprint (an older version wrote it)"
        raise RunFileError(
            f"{source} was trained by other code than this configuration trains with now: it holds runs of {held}; "
            f"expected code {expected.code!r}. Its numbers are not those the current code gives: move it away "
            f"(e.g. mv {source} {source}.old) and run the workflow again to train these seeds with the current code."
        )


def write_runs(
    table: pd.DataFrame,
    path: str | Path,
    spec: MetricSpec,
    *,
    misclassified: dict[int, list] | None = None,
    metadata: dict | None = None,
) -> Path:
    """Validate and write a run file of `spec`'s task atomically; `misclassified` maps seed -> that run's wrongly
    predicted test examples."""
    path = Path(path)
    validate_runs(table, spec, str(path))
    schema = run_schema(spec)
    arrow_table = pa.Table.from_pandas(table[schema.names], schema=schema, preserve_index=False)
    extra = {**(metadata or {}), "metrics": spec.to_dict()}
    if misclassified:
        extra["misclassified"] = {str(seed): pairs for seed, pairs in misclassified.items()}
    return write_arrow(arrow_table, path, extra)


def readable(path: str | Path, read):
    """`read(path)` of a run file (its table or schema); a missing or unreadable file is a RunFileError."""
    path = Path(path)
    if not path.exists():
        raise RunFileError(f"{path}: the run file is missing")
    try:
        return read(path)
    except (OSError, pa.ArrowInvalid) as error:
        raise RunFileError(
            f"{path}: not a readable Parquet file ({error}). Delete it and run the workflow again to train its seeds."
        ) from error


def read_runs(path: str | Path, expected: RunIdentity | None = None) -> pd.DataFrame:
    """Read a run file, check it against the schema and, given `expected`, against where it belongs (and, where
    `expected.code` is given, against the code that must have trained it)."""
    arrow_table = readable(path, pq.read_table)
    metadata = metadata_of(arrow_table.schema)
    spec = spec_of(metadata, path)
    schema = run_schema(spec)
    if not arrow_table.schema.equals(schema, check_metadata=False):
        try:
            arrow_table = arrow_table.select(schema.names).cast(schema)
        except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise RunFileError(f"{path}: columns do not match the run schema ({error})") from error
    table = arrow_table.to_pandas()
    validate_runs(table, spec, str(path))
    if expected is not None:
        check_identity(table, expected, str(path), training_code_of(metadata))
    return table


def spec_of(metadata: dict, source: str | Path) -> MetricSpec:
    """The task metrics a file's metadata carries; a file without them (or with broken ones) is refused."""
    if "metrics" not in metadata:
        raise RunFileError(f"{source}: its metadata names no task metrics; it was not written by this version")
    try:
        return MetricSpec.from_dict(metadata["metrics"])
    except (MetricSpecError, KeyError, TypeError) as error:
        raise RunFileError(f"{source}: its task metrics cannot be read ({error})") from error


def read_run_spec(path: str | Path) -> MetricSpec:
    """The MetricSpec of a run file, without reading its rows."""
    return spec_of(metadata_of(readable(path, pq.read_schema)), path)


def read_run_metadata(path: str | Path) -> dict:
    """The key-value metadata of a run file: misclassified examples by seed (as str), study spec, provenance."""
    return metadata_of(readable(path, pq.read_schema))
