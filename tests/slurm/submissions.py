"""What a snakemake run with the SLURM executor submitted (from its --verbose log), and how SLURM accounted it."""

import re
import time

import pytest


def sbatch_calls(log: str) -> list[str]:
    """The sbatch command lines, plain and array submissions alike, in submission order."""
    return [
        line.split(": ", 1)[1]
        for line in log.splitlines()
        if line.startswith(("sbatch call: ", "Submitting array job with sbatch call: "))
    ]


def options(call: str) -> list[str]:
    """The sbatch options before the wrapped command."""
    return call.split(" --wrap=", 1)[0].split()


def submitted_job_ids(log: str) -> list[str]:
    return re.findall(r"has been submitted with SLURM jobid (\d+)", log) + re.findall(
        r"Submitted array job with Snakemake IDs [\d,]+ and SLURM job ID (\d+)", log
    )


def status_commands(log: str) -> set[str]:
    return set(re.findall(r"Status query timing \(cycle\): command=(\w+)", log))


def accounted(cluster, job_ids: list[str], timeout: float = 30) -> dict[str, dict]:
    """sacct rows (main job, or each task of an array) of the given finished jobs, by job id.

    Waits until accounting has every job in a final state with all fields filled in:
    slurmdbd receives a short job's records a moment after slurmctld knows it ended.
    """
    deadline = time.monotonic() + timeout
    while True:
        rows = cluster.sacct(
            "-X", "-j", ",".join(job_ids), "--format=JobID,JobName%60,State,Account,Partition,Comment%60,AllocTRES%80"
        )
        found = {row["JobID"]: row for row in rows}
        if (
            {job_id.split("_")[0] for job_id in found} == set(job_ids)
            and all(all(row.values()) for row in found.values())
            and not {row["State"] for row in found.values()} & {"PENDING", "RUNNING", "COMPLETING"}
        ):
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"sacct after {timeout}s: {rows}, expected jobs {job_ids}")
        time.sleep(0.5)
