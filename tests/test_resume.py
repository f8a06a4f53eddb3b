"""A killed training run resumes from its last checkpoint and ends with the same Parquet."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml
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
TRAIN = [
    "--arch",
    "twin",
    "--sharing",
    "--aux",
    "--seed",
    "2",
    "--epochs",
    "8",
    "--n-pairs",
    "300",
    "--batch-size",
    "50",
    "--threads",
    "1",
]


def resume_study(epochs: int) -> dict:
    """The workflow config of the resume tests: the run TRAIN describes, checkpointing every 2 epochs."""
    return {
        "checkpoint_every": 2,
        "studies": {
            "resume": {
                "seeds": [2],
                "data": {"n_pairs": 300},
                "training": {"epochs": epochs, "batch_size": 50},
                "factors": {"architecture": ["twin"], "sharing": [True], "aux": [True]},
            }
        },
    }


def uninterrupted_run(out: Path, epochs: int) -> pd.DataFrame:
    """The same run as resume_study's, trained in one go with the CLI."""
    arguments = [*TRAIN[: TRAIN.index("--epochs")], "--epochs", str(epochs), *TRAIN[TRAIN.index("--epochs") + 2 :]]
    subprocess.run(
        [sys.executable, "-m", "pairstudy.cli", "train", *arguments, "--out", str(out)], check=True, capture_output=True
    )
    return read_run(out)


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, "the run ended before it wrote a checkpoint"
        assert time.monotonic() < deadline, f"no checkpoint {path} after {timeout} s"
        time.sleep(0.05)


def same_metrics(first: pd.DataFrame, second: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(first[METRICS].reset_index(drop=True), second[METRICS].reset_index(drop=True))


def test_sigterm_then_rerun_resumes_and_matches_an_uninterrupted_run(tmp_path):
    command = [sys.executable, "-m", "pairstudy.cli", "train", *TRAIN, "--checkpoint-every", "2"]
    whole = tmp_path / "whole.parquet"
    subprocess.run([*command, "--out", str(whole)], check=True, capture_output=True)

    out = tmp_path / "killed.parquet"
    checkpoint = tmp_path / "killed.parquet.ckpt"
    process = subprocess.Popen([*command, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(checkpoint, process)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert not out.exists() and checkpoint.exists()

    rerun = subprocess.run([*command, "--out", str(out)], check=True, capture_output=True, text=True)
    assert "resumed from epoch" in rerun.stdout
    same_metrics(read_run(out), read_run(whole))
    assert not checkpoint.exists()


def test_killed_workflow_keeps_the_checkpoint_and_resumes(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    (workdir / "config.yaml").write_text(yaml.safe_dump(resume_study(epochs=8)))
    run = workdir / "results" / "resume" / "runs" / "twin" / "seed2.parquet"
    checkpoint = run.with_name("seed2.parquet.ckpt")
    snakemake = [sys.executable, "-m", "snakemake", "--cores", "1"]
    process = subprocess.Popen(
        snakemake, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    wait_for(checkpoint, process)
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=120)
    assert not run.exists() and checkpoint.exists()

    finished = subprocess.run(snakemake, cwd=workdir, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stdout[-3000:]
    log = (workdir / "logs" / "resume" / "train" / "twin" / "seeds2_to_2.log").read_text()
    assert "resumed from epoch" in log
    same_metrics(read_run(run), uninterrupted_run(tmp_path / "whole.parquet", epochs=8))
    assert not checkpoint.exists()
