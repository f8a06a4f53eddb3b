"""Train several seeds of one configuration in one job, one Parquet per seed."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from pairstudy.metrics import write_run

from .batched import train_runs_batched
from .augment import uses_augmentation
from .loop import failed_result
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
    record_failures: bool = False,
) -> None:
    """One seed: the plain loop (with checkpoints). Several: one vectorised model over the seeds,
    except with augmentation, which trains seed after seed in the plain loop.

    With `record_failures`, a run that raises is written as a `failed` run with the error as its
    message, so the other runs and the study's report go on; an interrupt still stops the job.
    """
    if len(outputs) != len(seeds):
        raise ValueError(f"{len(outputs)} outputs for {len(seeds)} seeds")
    identity = {"study": study, "config": config, "factors": factors, "hyperparameters": hyperparameters}

    def write(seed, out, result):
        write_run(run_table(result, seed=seed, **identity), out, result.misclassified)
        if on_run is not None:
            on_run(seed, result)

    if len(seeds) > 1 and not uses_augmentation(hyperparameters):
        try:
            results = train_runs_batched(hyperparameters, seeds, device=device)
        except Exception as error:
            if not record_failures:
                raise
            results = [failed_result(error) for _ in seeds]
        for seed, out, result in zip(seeds, outputs, results):
            write(seed, out, result)
        return
    for seed, out in zip(seeds, outputs):
        try:
            result = train_to_parquet(out, seed=seed, device=device, checkpoint_every=checkpoint_every, **identity)
        except Exception as error:
            if not record_failures:
                raise
            write(seed, out, failed_result(error))
            continue
        if on_run is not None:
            on_run(seed, result)
