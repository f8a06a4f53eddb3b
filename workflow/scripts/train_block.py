"""Train one block of one configuration's seeds into its run file (see pairstudy.train.job)."""

import sys
from pathlib import Path

# the workflow's own pairstudy, whichever environment runs the job
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))

from pairstudy.paths import run_store
from pairstudy.provenance import provenance
from pairstudy.train.job import BlockJob, run_block_job

run = snakemake.params.run
job = BlockJob(
    study=run["study"],
    config=run["config"],
    seeds=tuple(run["seeds"]),
    factors=run["factors"],
    hyperparameters=run["hyperparameters"],
    code=snakemake.params.code,
    output=snakemake.output[0],
    # links followed; one leading outside the project is refused (the workflow checks it too, before any job)
    store=str(run_store(run["study"], outside_allowed=snakemake.config.get("store_outside_project", False))),
    device=snakemake.config["device"],
    checkpoint_every=snakemake.config["checkpoint_every"],
    threads=snakemake.threads,
    metadata={"study": snakemake.config["studies"][run["study"]], "provenance": provenance()},
    code_files=tuple(snakemake.params.code_files),
    metrics=snakemake.params.metrics,
    trainer_file=snakemake.params.trainer_file,
)
status = run_block_job(job, log_path=snakemake.log[0])
if status != 0:
    print(f"pairstudy: the training job for {job.output} ended with status {status}", file=sys.stderr)
sys.exit(status)
