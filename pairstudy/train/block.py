"""Train several seeds of one configuration in one job, one Parquet per seed."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from pairstudy.metrics import write_run

from .batched import train_runs_batched
from .run import run_table, train_to_parquet


def train_seed_block(
    outputs: list[str | Path],
    *,
    seeds: list[int],
    study: str,
    config: str,
    factors: dict,
    hyperparameters: dict,
    device: str = "auto",
    checkpoint_every: int = 0,
    on_run: Callable | None = None,
) -> None:
    """One seed: the plain loop (with checkpoints). Several: one vectorised model over the seeds."""
    if len(outputs) != len(seeds):
        raise ValueError(f"{len(outputs)} outputs for {len(seeds)} seeds")
    if len(seeds) > 1:
        results = train_runs_batched(hyperparameters, seeds, device=device)
        for seed, out, result in zip(seeds, outputs, results):
            table = run_table(result, study=study, config=config, seed=seed, factors=factors, hyperparameters=hyperparameters)
            write_run(table, out)
            if on_run is not None:
                on_run(seed, result)
        return
    for seed, out in zip(seeds, outputs):
        result = train_to_parquet(
            out,
            study=study,
            config=config,
            seed=seed,
            factors=factors,
            hyperparameters=hyperparameters,
            device=device,
            checkpoint_every=checkpoint_every,
        )
        if on_run is not None:
            on_run(seed, result)
