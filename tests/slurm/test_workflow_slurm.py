"""The project's own workflow submitted through profiles/slurm to a real SLURM cluster."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from pairstudy.metrics import read_runs
from pairstudy.paths import run_file
from tests.helpers import CLUSTER_STUDY, assert_same_runs, copy_workflow, run_tables
from tests.slurm.submissions import accounted, options, sbatch_calls, status_commands, submitted_job_ids

RUNTIME = 5  # minutes a training job asks for


def through_slurm(cluster, workdir: Path, *arguments: str, timeout: float = 400) -> subprocess.CompletedProcess:
    """snakemake --profile profiles/slurm against the test cluster, its log in stdout."""
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--profile",
        "profiles/slurm",
        *cluster.snakemake_args(jobs=4, runtime=RUNTIME, mem_mb=1000),
        "--verbose",
        *arguments,
    ]
    try:
        return subprocess.run(
            command,
            cwd=workdir,
            env=cluster.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"snakemake ran over {timeout}s:\n{error.output[-6000:]}\n{cluster.diagnostics()}")


def test_tiny_study_through_the_profile_as_one_array_job_equals_a_local_run(
    slurm_cluster, tmp_path, cluster_study_trained_locally
):
    workdir = copy_workflow(tmp_path / "cluster", CLUSTER_STUDY, package=True)
    result = through_slurm(slurm_cluster, workdir, "--slurm-array-jobs", "train_block", "results/tiny/summary.csv")
    assert result.returncode == 0, result.stdout[-6000:]
    # the two training jobs went as one array job asking for no GPU; the tables were made here
    (call,) = sbatch_calls(result.stdout)
    assert "--array=1-2" in options(call), call
    assert not any(option.startswith(("--gpus", "--gres")) for option in options(call)), call
    assert status_commands(result.stdout) == {"sacct"}
    (job,) = submitted_job_ids(result.stdout)
    tasks = accounted(slurm_cluster, [job])
    assert {task: (row["State"], row["Account"], row["Partition"]) for task, row in tasks.items()} == {
        f"{job}_{task}": ("COMPLETED", "pairstudy", "debug") for task in (1, 2)
    }
    assert (workdir / "results" / "tiny" / "summary.csv").exists()
    assert_same_runs(run_tables(workdir, "tiny"), cluster_study_trained_locally)


def test_gpu_jobs_ask_slurm_for_the_gpu_model_and_their_threads(slurm_cluster, tmp_path):
    config = {"device": "cuda", "gpu_model": "fakegpu", "gpu_manufacturer": "nvidia", "threads": 2, **CLUSTER_STUDY}
    workdir = copy_workflow(tmp_path / "gpu", config, package=True)
    target = run_file("tiny", "mlp", 0)
    result = through_slurm(slurm_cluster, workdir, target)
    (call,) = sbatch_calls(result.stdout)
    assert {"--gpus=fakegpu:1", "--cpus-per-task=2"} <= set(options(call)), call
    # slurmctld granted one of the node's stand-in GPUs of that model
    (job,) = submitted_job_ids(result.stdout)
    assert "TresPerJob=gres:gpu:fakegpu:1" in slurm_cluster.run(["scontrol", "show", "job", "-o", job]).stdout.split()
    (row,) = accounted(slurm_cluster, [job]).values()
    assert "gres/gpu:fakegpu=1" in row["AllocTRES"].split(","), row
    # torch finds no CUDA behind the stand-in, so the job fails before training, saying why
    assert result.returncode != 0 and row["State"] == "FAILED", result.stdout[-6000:]
    job_log = workdir / "logs" / "tiny" / "train" / "mlp" / "block0.log"
    assert "torch sees no CUDA GPU on this host" in job_log.read_text()
    assert not (workdir / target).exists()


RESUME = {
    "checkpoint_every": 1,
    "studies": {
        "resume": {
            "seeds": 1,
            "data": {"n_pairs": 300},
            "training": {"epochs": 30, "batch_size": 50},
            "factors": {"architecture": ["twin"]},
        }
    },
}


def test_a_scancelled_training_job_resumes_from_its_checkpoint(slurm_cluster, tmp_path):
    workdir = copy_workflow(tmp_path / "resume", RESUME, package=True)
    target = run_file("resume", "twin", 0)
    store = workdir / "results" / "resume" / "store"
    # sacct reports a cancelled job as "CANCELLED by <uid>", which the plugin (2.8.0) takes for a
    # running job; squeue reports "CANCELLED", which it takes for a failed one (docs/cluster.md)
    squeue = ["--slurm-status-command", "squeue", target]
    log = tmp_path / "first.log"
    with log.open("w") as output:
        command = [sys.executable, "-m", "snakemake", "--profile", "profiles/slurm", "--verbose"]
        command += [*slurm_cluster.snakemake_args(jobs=1, runtime=RUNTIME, mem_mb=1000), *squeue]
        first = subprocess.Popen(command, cwd=workdir, env=slurm_cluster.env, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 300
            while not list(store.glob("*/seed0.ckpt")):
                assert first.poll() is None and time.monotonic() < deadline, log.read_text()[-4000:]
                time.sleep(0.05)
            (job,) = slurm_cluster.run(["squeue", "-h", "-o", "%i"], check=True).stdout.split()
            slurm_cluster.run(["scancel", job], check=True)
            assert first.wait(timeout=300) != 0, log.read_text()[-4000:]
        finally:
            if first.poll() is None:
                first.kill()
    assert f"SLURM-job '{job}' failed, SLURM status is: 'CANCELLED'" in log.read_text()
    assert not (workdir / target).exists() and list(store.glob("*/seed0.ckpt"))

    again = through_slurm(slurm_cluster, workdir, *squeue)
    assert again.returncode == 0, again.stdout[-6000:]
    assert status_commands(again.stdout) == {"squeue"}
    assert "resumed from epoch" in (workdir / "logs" / "resume" / "train" / "twin" / "block0.log").read_text()
    run = read_runs(workdir / target)
    assert run["epoch"].tolist() == list(range(1, 31)) and set(run["status"]) == {"ok"}
    assert not list(store.glob("*/*.ckpt"))
