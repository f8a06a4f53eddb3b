"""A killed training run resumes from its last checkpoint and ends with the same run file; `pairstudy train`
shows its progress."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import pairstudy
from pairstudy.metrics import read_runs
from tests.helpers import copy_workflow

ROOT = Path(pairstudy.__file__).parents[1]

METRICS = [
    "epoch",
    "train_loss",
    "train_accuracy",
    "test_comparison_loss",
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
    "--data",
    "n_pairs=300",
    "--batch-size",
    "50",
    "--threads",
    "1",
]


# the run of the CLI resume test: small, but with enough epochs after its first checkpoint to be stopped in
RESUMED = ["--arch", "linear", "--aux", "--model", "dropout=0.2", "--seed", "2", "--epochs", "16"]
RESUMED += ["--data", "n_pairs=100", "--batch-size", "25", "--threads", "1", "--checkpoint-every", "2"]


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
        [sys.executable, "-m", "pairstudy.cli", "train", *arguments, "--out", str(out)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return read_runs(out)


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, "the run ended before it wrote a checkpoint"
        assert time.monotonic() < deadline, f"no checkpoint {path} after {timeout} s"
        time.sleep(0.05)


def same_metrics(first: pd.DataFrame, second: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(first[METRICS].reset_index(drop=True), second[METRICS].reset_index(drop=True))


@contextmanager
def torch_threads(count: int):
    """Train in this process with the thread count of a CLI run (`--threads`), and restore the test's own."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def test_sigterm_then_rerun_resumes_and_matches_an_uninterrupted_run(tmp_path):
    from pairstudy.train import train_run

    command = [sys.executable, "-m", "pairstudy.cli", "train", *RESUMED]
    out = tmp_path / "killed.parquet"
    checkpoint = tmp_path / "killed.parquet.seed2.ckpt"  # no run store: the checkpoint sits beside the output
    process = subprocess.Popen(
        [*command, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    wait_for(checkpoint, process)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == -signal.SIGTERM
    assert not out.exists() and checkpoint.exists()

    rerun = subprocess.run([*command, "--out", str(out)], check=True, capture_output=True, text=True, cwd=ROOT)
    assert "resumed from epoch" in rerun.stdout and rerun.stdout.strip().endswith(f"-> {out}")
    assert not checkpoint.exists()
    resumed = read_runs(out)
    with torch_threads(1):
        whole = train_run(json.loads(resumed["hyperparameters"].iloc[0]), 2, device="cpu", log=lambda line: None)
    same_metrics(resumed, pd.DataFrame(whole.rows).astype({"epoch": "int32"}))


EPOCH_LINE = re.compile(
    r"seed 0 \(1/1\) epoch (\d)/2: train loss \d+\.\d{4}, test accuracy [01]\.\d{4} \(\d+\.\d\d s\)$"
)


@pytest.mark.parametrize("quiet", [False, True])
def test_train_shows_each_epoch_on_stderr_unless_quiet(tmp_path, quiet):
    from pairstudy.cli import main

    arguments = ["train", "--arch", "mlp", "--epochs", "2", "--data", "n_pairs=60"]
    arguments += ["--out", str(tmp_path / "a.parquet")]
    with torch_threads(1):
        result = CliRunner().invoke(main, arguments + ["--quiet"] * quiet)
    assert result.exit_code == 0, result.output
    epochs = [match[1] for line in result.stderr.splitlines() if (match := EPOCH_LINE.search(line))]
    assert epochs == ([] if quiet else ["1", "2"])
    assert ("epoch" in result.stderr) is not quiet
    assert result.stdout.count("\n") == 1 and "seed 0: ok on cpu" in result.stdout


def test_an_interrupted_workflow_keeps_the_checkpoint_and_resumes(tmp_path):
    """Ctrl-C (or a cluster's SIGTERM) stops the job, writes no run file and keeps the checkpoint; the next run
    resumes from it and ends with the run file an uninterrupted run gives."""
    workdir = copy_workflow(tmp_path / "workflow", resume_study(epochs=8))
    run = workdir / "results" / "resume" / "runs" / "twin" / "block0.parquet"
    snakemake = [sys.executable, "-m", "snakemake", "--cores", "1"]
    process = subprocess.Popen(
        snakemake, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while not (checkpoints := list((workdir / "results" / "resume" / "store").glob("*/seed2.ckpt"))):
        assert process.poll() is None and time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=120)
    assert not run.exists() and checkpoints[0].exists()

    finished = subprocess.run(snakemake, cwd=workdir, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    log = (workdir / "logs" / "resume" / "train" / "twin" / "block0.log").read_text()
    assert "resumed from epoch" in log
    same_metrics(read_runs(run), uninterrupted_run(tmp_path / "whole.parquet", epochs=8))
    assert not checkpoints[0].exists()
