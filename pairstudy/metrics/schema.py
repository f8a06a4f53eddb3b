"""The run schema: the columns of a run file, defined once.

A run file holds the runs of one configuration (one per seed): one row per epoch and run.
The epoch columns change per row; the run columns repeat the run's identity on every row
of that run, so a concatenation of files is a tidy long table.
"""

from __future__ import annotations

import pyarrow as pa

EPOCH_COLUMNS: dict[str, tuple[pa.DataType, str]] = {
    "epoch": (pa.int32(), "epoch number, 1-based"),
    "train_loss": (
        pa.float64(),
        "training objective averaged over the epoch's batches (with the aux terms when aux is on)",
    ),
    "train_comparison_loss": (
        pa.float64(),
        "comparison cross-entropy on the training pairs, the same quantity for every run whatever its objective",
    ),
    "train_accuracy": (
        pa.float64(),
        "comparison accuracy on the training pairs, fraction: over the epoch's training batches (train mode, before "
        "each step) by default, or after the epoch in eval mode with train_metrics: eval",
    ),
    "test_loss": (pa.float64(), "comparison cross-entropy on the test pairs after the epoch, eval mode"),
    "test_accuracy": (pa.float64(), "comparison accuracy on the test pairs after the epoch, eval mode, fraction"),
    "test_digit_accuracy": (
        pa.float64(),
        "digit-class accuracy on both test digits; null when the model predicts no digits",
    ),
    "validation_accuracy": (
        pa.float64(),
        "comparison accuracy on the validation pairs (from the train pool); null without them",
    ),
    "epoch_seconds": (pa.float64(), "wall time of the epoch's training and evaluation"),
    "learning_rate": (pa.float64(), "learning rate used during the epoch"),
}

RUN_COLUMNS: dict[str, tuple[pa.DataType, str]] = {
    "study": (pa.string(), "study name"),
    "config": (pa.string(), "configuration name, unique within the study"),
    "architecture": (pa.string(), "registered architecture name"),
    "seed": (pa.int64(), "seed: fixes the data pairs, the initialisation and the data order"),
    "factors": (pa.string(), "JSON object: the value of every factor of the study that applies to this run"),
    "hyperparameters": (pa.string(), "JSON object: the run's full resolved hyperparameters"),
    "config_hash": (pa.string(), "hash of the resolved hyperparameters"),
    "parameter_count": (pa.int64(), "trainable parameters of the model"),
    "device": (pa.string(), "device the run trained on, e.g. cpu or cuda:0"),
    "torch_version": (pa.string(), "torch.__version__ of the run"),
    "status": (pa.string(), "ok; diverged when the loss became NaN or infinite; failed when training raised an error"),
    "message": (pa.string(), "why a run failed (the error); empty otherwise"),
}

STATUSES = ("ok", "diverged", "failed")

ACCURACY_COLUMNS = ("train_accuracy", "test_accuracy", "test_digit_accuracy", "validation_accuracy")
REQUIRED_COLUMNS = ("epoch", "study", "config", "architecture", "seed", "factors", "hyperparameters", "config_hash")

RUN_SCHEMA = pa.schema(
    [
        pa.field(name, dtype, nullable=name not in REQUIRED_COLUMNS)
        for name, (dtype, _) in {**EPOCH_COLUMNS, **RUN_COLUMNS}.items()
    ]
)


def epoch_row(**values) -> dict:
    """One epoch's row, keyed by exactly the EPOCH_COLUMNS (a missing or unknown key is an error)."""
    missing, unknown = EPOCH_COLUMNS.keys() - values.keys(), values.keys() - EPOCH_COLUMNS.keys()
    if missing or unknown:
        raise ValueError(f"an epoch row lacks {sorted(missing)} and has unknown {sorted(unknown)}")
    return {name: values[name] for name in EPOCH_COLUMNS}


def failed_row() -> dict:
    """The one row of a run that raised: epoch 0, no metrics."""
    return {name: None for name in EPOCH_COLUMNS} | {"epoch": 0}
