"""The project's own workflow submitted through profiles/slurm to a real SLURM cluster."""

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from test_cluster import sbatch_calls, submitted_job_ids
from test_resume import resume_study, uninterrupted_run
from workspace import copy_workflow

from pairstudy.metrics import read_run

METRICS = [
    "epoch",
    "train_loss",
    "train_accuracy",
    "test_loss",
    "test_accuracy",
    "test_digit_accuracy",
    "learning_rate",
]
TINY = {
    "studies": {
        "tiny": {
            "seeds": 2,
            "data": {"n_pairs": 100},
            "training": {"epochs": 2, "batch_size": 50},
            "factors": {"architecture": ["mlp", "twin"], "sharing": [True], "aux": [True]},
        }
    }
}


def through_slurm(cluster, workdir: Path, *arguments: str, timeout: float = 600) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--profile",
        "profiles/slurm",
        *cluster.snakemake_args(jobs=4, mem_mb=1000),
        "--verbose",
        *arguments,
    ]
    return subprocess.run(
        command,
        cwd=workdir,
        env=cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


def local(workdir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2"], cwd=workdir, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def runs(workdir: Path, study: str) -> dict[str, pd.DataFrame]:
    folder = workdir / "results" / study / "runs"
    return {str(path.relative_to(folder)): read_run(path) for path in sorted(folder.glob("*/seed*.parquet"))}


def test_tiny_study_through_the_profile_equals_a_local_run(slurm_cluster, tmp_path):
    cluster_dir = copy_workflow(tmp_path / "cluster", TINY)
    result = through_slurm(slurm_cluster, cluster_dir)
    assert result.returncode == 0, result.stdout[-6000:]
    # only training is submitted (2 configurations, seeds 0 and 1 in one block of the CPU default);
    # tables, statistics and report run locally
    assert len(submitted_job_ids(result.stdout)) == 2
    assert all(rule.startswith("train_tiny_seeds") for rule in sbatch_calls(result.stdout))
    assert (cluster_dir / "reports" / "tiny" / "index.html").exists()

    local_dir = copy_workflow(tmp_path / "local", TINY)
    local(local_dir)
    on_cluster, on_machine = runs(cluster_dir, "tiny"), runs(local_dir, "tiny")
    assert list(on_cluster) == list(on_machine) and len(on_cluster) == 4
    for name in on_cluster:
        pd.testing.assert_frame_equal(on_cluster[name][METRICS], on_machine[name][METRICS])


def test_gpu_jobs_ask_slurm_for_the_gpu_model(slurm_cluster, tmp_path):
    config = {
        "device": "cuda",
        "gpu_model": "fakegpu",
        "studies": {
            "gpu": {
                "seeds": 1,
                "data": {"n_pairs": 100},
                "training": {"epochs": 1},
                "factors": {"architecture": ["mlp"]},
            }
        },
    }
    workdir = copy_workflow(tmp_path / "gpu", config)
    result = through_slurm(slurm_cluster, workdir)
    assert result.returncode == 0, result.stdout[-6000:]
    (call,) = sbatch_calls(result.stdout).values()
    assert "--gpus=fakegpu:1" in call
    # the node's GPUs are stand-ins: the run fails inside the job and is reported, the report still comes
    status = pd.read_csv(workdir / "results" / "gpu" / "run_status.csv")
    assert str(status.loc[0, "failed_seeds"]) == "0"
    assert "no CUDA GPU" in status.loc[0, "errors"]


def test_a_scancelled_training_job_resumes_from_its_checkpoint(slurm_cluster, tmp_path):
    workdir = copy_workflow(tmp_path / "resume", resume_study(epochs=30))
    run = workdir / "results" / "resume" / "runs" / "twin" / "seed2.parquet"
    checkpoint = run.with_name("seed2.parquet.ckpt")
    # sacct reports a cancelled job as "CANCELLED by <uid>", which the plugin (2.8.0) takes for a
    # running job; squeue reports "CANCELLED", which it takes for a failed one
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--profile",
        "profiles/slurm",
        *slurm_cluster.snakemake_args(jobs=4, mem_mb=1000),
        "--slurm-status-command",
        "squeue",
    ]
    log = (tmp_path / "first.log").open("w")
    first = subprocess.Popen(command, cwd=workdir, env=slurm_cluster.env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while not checkpoint.exists():
        assert first.poll() is None and time.monotonic() < deadline, (tmp_path / "first.log").read_text()[-4000:]
        time.sleep(0.05)
    (job,) = slurm_cluster.run(["squeue", "-h", "-o", "%i"], check=True).stdout.split()
    slurm_cluster.run(["scancel", job], check=True)
    assert first.wait(timeout=300) != 0
    log.close()
    assert not run.exists() and checkpoint.exists()

    again = subprocess.run(
        command,
        cwd=workdir,
        env=slurm_cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stdout[-6000:]
    assert "resumed from epoch" in (workdir / "logs" / "resume" / "train" / "twin" / "seeds2_to_2.log").read_text()
    pd.testing.assert_frame_equal(
        read_run(run)[METRICS], uninterrupted_run(tmp_path / "whole.parquet", epochs=30)[METRICS]
    )
    assert not checkpoint.exists()
