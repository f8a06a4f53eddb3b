"""Train the seeds of one block for one configuration; one Parquet per seed."""

import sys

# the log stays open to the end, so a traceback lands in it too
sys.stdout = sys.stderr = open(snakemake.log[0], "w", buffering=1)
import torch

from pairstudy.train import train_seed_block

torch.set_num_threads(snakemake.threads)
run = snakemake.params.run
train_seed_block(
    list(snakemake.output),
    seeds=list(snakemake.params.seeds),
    study=run["study"],
    config=run["config"],
    factors=run["factors"],
    hyperparameters=run["hyperparameters"],
    device=snakemake.config["device"],
    checkpoint_every=snakemake.config["checkpoint_every"],
    record_failures=True,
    on_run=lambda seed, result: print(f"seed {seed}: {result.summary()}", flush=True),
)
