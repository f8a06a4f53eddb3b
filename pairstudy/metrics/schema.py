"""The run schema: the columns of a run file, defined once from the task's metrics.

A run file holds the runs of one configuration (one per seed): one row per epoch and run.
The epoch columns change per row: every task's four (epoch, training objective, time, learning
rate), then one per metric and split the task measures (`MetricSpec.epoch_columns`). The run
columns repeat the run's identity on every row of that run, so a concatenation of files is a tidy
long table. A run file's metadata carries its task's MetricSpec under "metrics".
"""

from __future__ import annotations

import pyarrow as pa

from pairstudy.tasks.metrics import MetricSpec

COMMON_EPOCH_COLUMNS: dict[str, tuple[pa.DataType, str]] = {
    "epoch": (pa.int32(), "epoch number, 1-based"),
    "train_loss": (
        pa.float64(),
        "training objective averaged over the epoch's batches (with the auxiliary terms when they are on)",
    ),
    "epoch_seconds": (pa.float64(), "wall time of the epoch's training and evaluation"),
    "learning_rate": (pa.float64(), "learning rate used during the epoch"),
}

RUN_COLUMNS: dict[str, tuple[pa.DataType, str]] = {
    "study": (pa.string(), "study name"),
    "config": (pa.string(), "configuration name, unique within the study"),
    "architecture": (pa.string(), "registered architecture name (or the training function's name)"),
    "seed": (pa.int64(), "seed: fixes the data, the initialisation and the data order"),
    "factors": (pa.string(), "JSON object: the value of every factor of the study that applies to this run"),
    "hyperparameters": (pa.string(), "JSON object: the run's full resolved hyperparameters"),
    "config_hash": (pa.string(), "hash of the resolved hyperparameters"),
    "parameter_count": (pa.int64(), "trainable parameters of the model (null where the training code gives none)"),
    "device": (pa.string(), "device the run trained on, e.g. cpu or cuda:0"),
    "torch_version": (pa.string(), "torch.__version__ of the run"),
    "status": (pa.string(), "ok; diverged when the loss became NaN or infinite; failed when training raised an error"),
    "message": (pa.string(), "why a run failed (the error); empty otherwise"),
}

STATUSES = ("ok", "diverged", "failed")
REQUIRED_COLUMNS = ("epoch", "study", "config", "architecture", "seed", "factors", "hyperparameters", "config_hash")


def epoch_columns(spec: MetricSpec) -> dict[str, tuple[pa.DataType, str]]:
    """Every epoch column of a run file of this task, with its type and description."""
    measured = {
        column: (pa.float64(), f"{metric.title} on the {split} split" + (", fraction" if metric.percent else ""))
        for column, (metric, split) in spec.epoch_columns().items()
    }
    return {**COMMON_EPOCH_COLUMNS, **measured}


def fraction_columns(spec: MetricSpec) -> list[str]:
    """The epoch columns that must be fractions in [0, 1]."""
    return [column for column, (metric, _) in spec.epoch_columns().items() if metric.percent]


def run_schema(spec: MetricSpec) -> pa.Schema:
    """The Arrow schema of a run file of this task."""
    columns = {**epoch_columns(spec), **RUN_COLUMNS}
    return pa.schema(
        [pa.field(name, dtype, nullable=name not in REQUIRED_COLUMNS) for name, (dtype, _) in columns.items()]
    )


def epoch_row(spec: MetricSpec, **values) -> dict:
    """One epoch's row, keyed by exactly the task's epoch columns (a missing or unknown key is an error)."""
    columns = epoch_columns(spec)
    missing, unknown = columns.keys() - values.keys(), values.keys() - columns.keys()
    if missing or unknown:
        raise ValueError(
            f"an epoch row of task {spec.task!r} lacks {sorted(missing)} and has unknown {sorted(unknown)}"
        )
    return {name: values[name] for name in columns}


def failed_row(spec: MetricSpec) -> dict:
    """The one row of a run that raised: epoch 0, no metrics."""
    return {name: None for name in epoch_columns(spec)} | {"epoch": 0}
