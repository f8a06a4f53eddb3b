"""Training: one configuration for one seed (and seed batches), to per-epoch rows and Parquet."""

from .batched import train_runs_batched
from .block import train_seed_block
from .loop import REQUIRED_KEYS, RunResult, objective, train_run
from .run import checkpoint_path_for, run_table, train_to_parquet

__all__ = [
    "REQUIRED_KEYS",
    "RunResult",
    "checkpoint_path_for",
    "objective",
    "run_table",
    "train_run",
    "train_runs_batched",
    "train_seed_block",
    "train_to_parquet",
]
