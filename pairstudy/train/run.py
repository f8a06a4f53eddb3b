"""One run, end to end: train, then write its Parquet file with the run's identity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import torch

from pairstudy.metrics import canonical_json, hyperparameter_hash, write_run

from .checkpoint import remove_checkpoint
from .loop import RunResult, train_run


def checkpoint_path_for(out: str | Path) -> Path:
    """Beside the output, outside the declared outputs, so an incomplete-output cleanup keeps it."""
    out = Path(out)
    return out.with_name(out.name + ".ckpt")


def run_table(
    result: RunResult, *, study: str, config: str, seed: int, factors: dict, hyperparameters: dict
) -> pd.DataFrame:
    """The run's rows with its identity columns, in the shape `write_run` expects."""
    table = pd.DataFrame(result.rows)
    identity = {
        "study": study,
        "config": config,
        "architecture": hyperparameters["architecture"],
        "seed": seed,
        "factors": canonical_json(factors),
        "hyperparameters": canonical_json(hyperparameters),
        "config_hash": hyperparameter_hash(hyperparameters),
        "parameter_count": result.parameter_count,
        "device": result.device,
        "torch_version": torch.__version__,
        "status": result.status,
        "message": result.message,
    }
    for name, value in identity.items():
        table[name] = value
    return table


def train_to_parquet(
    out: str | Path,
    *,
    study: str,
    config: str,
    seed: int,
    factors: dict,
    hyperparameters: dict,
    device: str = "auto",
    checkpoint_every: int = 0,
    keep_checkpoint: bool = False,
    on_epoch: Callable[[dict], None] | None = None,
) -> RunResult:
    """Train one run and write `out` atomically; its checkpoint goes once the file is complete,
    unless `keep_checkpoint`: then it holds the finished run, for a job that must outlive a
    restart of the whole job (Snakemake deletes every output of a job it runs again)."""
    checkpoint = checkpoint_path_for(out) if checkpoint_every > 0 else None
    result = train_run(
        hyperparameters,
        seed,
        device=device,
        on_epoch=on_epoch,
        checkpoint_path=checkpoint,
        checkpoint_every=checkpoint_every,
        checkpoint_final=keep_checkpoint,
    )
    table = run_table(result, study=study, config=config, seed=seed, factors=factors, hyperparameters=hyperparameters)
    write_run(table, out, result.misclassified)
    if not keep_checkpoint:
        remove_checkpoint(checkpoint)
    return result
