"""Train several seeds of one configuration in one job, one Parquet per seed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pairstudy.metrics import write_run

from .augment import uses_augmentation
from .batched import train_runs_batched
from .checkpoint import remove_checkpoint
from .device import requested_device
from .loop import failed_result
from .run import checkpoint_path_for, run_table, train_to_parquet


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
    vectorise: bool | None = None,
) -> None:
    """Train the seeds of one block: vectorised as one model over the seeds (`vectorise`; by default
    on a GPU only, as on the CPU seed after seed measures faster), else seed after seed in the plain
    loop, which also serves augmentation.

    Seed after seed, each seed checkpoints; a finished seed keeps its final checkpoint until every
    seed of the block has finished, so a restarted job (whose outputs Snakemake deletes, also when
    it re-runs the block for one failed seed) trains it no more.
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

    if vectorise is None:  # unchecked: a missing GPU is the runs' error to record
        vectorise = requested_device(device).type == "cuda"
    if len(seeds) > 1 and vectorise and not uses_augmentation(hyperparameters):
        try:
            results = train_runs_batched(hyperparameters, seeds, device=device)
        except Exception as error:
            if not record_failures:
                raise
            results = [failed_result(error) for _ in seeds]
        for seed, out, result in zip(seeds, outputs, results):
            write(seed, out, result)
        return
    keep_checkpoints = len(seeds) > 1
    finished = []
    for seed, out in zip(seeds, outputs):
        try:
            result = train_to_parquet(
                out,
                seed=seed,
                device=device,
                checkpoint_every=checkpoint_every,
                keep_checkpoint=keep_checkpoints,
                **identity,
            )
        except Exception as error:
            if not record_failures:
                raise
            write(seed, out, failed_result(error))
            continue
        finished.append(out)
        if on_run is not None:
            on_run(seed, result)
    if len(finished) == len(seeds):  # else re-running the block for its failed seeds resumes these
        for out in finished:
            remove_checkpoint(checkpoint_path_for(out))
