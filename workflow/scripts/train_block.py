"""Train one block of one configuration's seeds into its run file (see pairstudy.train.job), then say on the console
how far the study has come (see pairstudy.progress)."""

import sys
import time
from pathlib import Path

# the workflow's own pairstudy, whichever environment runs the job
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))

from pairstudy.paths import run_store
from pairstudy.progress import measure, read_plan, run_timings
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
started = time.monotonic()
status = run_block_job(job, log_path=snakemake.log[0])
took = time.monotonic() - started
if status != 0:
    print(f"pairstudy: the training job for {job.output} ended with status {status}", file=sys.stderr)
    sys.exit(status)
# the study's progress against the plan the workflow wrote as it started: on the console in a local run, in the
# job's output on a cluster (where `pairstudy status` says the same on demand); it never fails the job
plan = read_plan(job.study)
if plan is not None:
    try:
        # what this job took beyond its runs' epochs (a process, torch, the data): each job still to start takes it
        trained = sum(seconds for _, _, _, seconds in run_timings(Path(job.output)))
        line = measure(plan, ending_job=True, job_overhead=max(0.0, took - trained)).line()
    except Exception as error:  # a progress line is not worth a failed job
        line = f"no progress line ({type(error).__name__}: {error})"
    # one write, so the lines of two jobs that end together do not run into each other
    sys.stderr.write(f"pairstudy: {line}\n")
    sys.stderr.flush()
