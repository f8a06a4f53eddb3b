"""Nothing wrong is ever read as good: each way a study can go wrong, run as a user would, ends in a named error
before any job or in a correct rebuilt result, with nothing lost and nothing foreign read."""

import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pairstudy.metrics import read_runs
from pairstudy.provenance import training_code
from pairstudy.study import expand_configurations, validate_config
from pairstudy.tasks.digit_pairs import DigitPairs
from pairstudy.train.process import BlockLock
from pairstudy.train.store import RunStore
from tests.helpers import copy_workflow, output_of, snakemake

STUDY = {
    "report": {"charts": []},  # the report's tables are what these tests read
    "studies": {
        "rel": {
            "seeds": 2,
            "data": {"n_pairs": 60},
            "training": {"epochs": 2, "batch_size": 30},
            "factors": {"architecture": ["mlp"]},
            # one knob, a list for one architecture and a number for the other: both must table
            "include": [{"architecture": "mlp", "hidden": [32, 16]}, {"architecture": "cnn", "hidden": 64}],
        }
    },
}
RUNS = Path("results/rel/runs")
REPORT = Path("reports/rel/index.html")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("reliable"), STUDY)
    result = snakemake(workdir)
    assert result.returncode == 0, output_of(result)
    return workdir


@pytest.fixture
def workdir(finished, tmp_path):
    """A copy of the finished study to break."""
    copy = tmp_path / "copy"
    shutil.copytree(finished, copy, symlinks=True, ignore=shutil.ignore_patterns("locks", "incomplete"))
    return copy


def configurations() -> dict:
    spec = validate_config(STUDY)["studies"]["rel"]
    return {c.name: c for c in expand_configurations("rel", spec)}


def test_knobs_of_any_shape_aggregate(finished):
    summary = pd.read_parquet(finished / "results" / "rel" / "summary.parquet").set_index("config")
    assert summary.loc["mlp-hidden32x16", "hidden"] == "[32,16]" and summary.loc["cnn-hidden64", "hidden"] == "64"
    assert (summary["n_seeds"] == 2).all()


# 1. a run file that is not the one asked for


def test_a_run_file_copied_from_another_configuration_is_refused_and_named(workdir):
    shutil.copy(workdir / RUNS / "cnn-hidden64" / "block0.parquet", workdir / RUNS / "mlp" / "block0.parquet")
    result = snakemake(workdir)
    assert result.returncode != 0
    text = output_of(result, 20_000)
    assert "results/rel/runs/mlp/block0.parquet is not the run file it should be" in text
    assert "configuration 'cnn-hidden64'" in text and "expected study 'rel', configuration 'mlp'" in text
    assert not (workdir / REPORT).exists()  # no report claims the old tables
    (workdir / RUNS / "mlp" / "block0.parquet").unlink()  # what the message says to do
    result = snakemake(workdir)
    assert result.returncode == 0, output_of(result)
    assert "kept run reused" in (workdir / "logs/rel/train/mlp/block0.log").read_text()  # nothing trained twice
    assert (workdir / REPORT).exists()


def test_a_run_of_another_study_is_refused(workdir, tmp_path):
    foreign = tmp_path / "foreign.parquet"
    command = ["train", "--arch", "mlp", "--epochs", "2", "--data", "n_pairs=60", "--batch-size", "30", "--quiet"]
    subprocess.run([sys.executable, "-m", "pairstudy.cli", *command, "--out", str(foreign)], check=True)
    shutil.copy(foreign, workdir / RUNS / "mlp" / "block0.parquet")
    result = snakemake(workdir)
    assert result.returncode != 0 and "it holds study 'cli'" in output_of(result, 20_000)


# 2. no stale output


def test_a_truncated_run_file_leaves_no_report_and_stops_every_time_until_mended(workdir):
    path = workdir / RUNS / "cnn-hidden64" / "block0.parquet"
    path.write_bytes(path.read_bytes()[:200])
    for _ in range(2):  # a second plain run does not say "Nothing to be done" over a stale report
        result = snakemake(workdir)
        assert result.returncode != 0
        assert "results/rel/runs/cnn-hidden64/block0.parquet: not a readable Parquet file" in output_of(result, 20_000)
        assert not (workdir / REPORT).exists()
    path.unlink()
    assert snakemake(workdir).returncode == 0 and (workdir / REPORT).exists()


def test_a_deleted_run_file_is_rebuilt_with_tables_and_report(workdir):
    before = (workdir / REPORT).stat().st_mtime
    original = read_runs(workdir / RUNS / "cnn-hidden64" / "block0.parquet")
    (workdir / RUNS / "cnn-hidden64" / "block0.parquet").unlink()
    result = snakemake(workdir)
    assert result.returncode == 0, output_of(result)
    pd.testing.assert_frame_equal(read_runs(workdir / RUNS / "cnn-hidden64" / "block0.parquet"), original)
    assert (workdir / REPORT).stat().st_mtime > before


# 3. values the training schema refuses, in factors, includes and overrides, stop the workflow before any job


@pytest.mark.parametrize(
    "edit, message",
    [
        ({"factors": {"architecture": ["mlp"], "lr": ["fast", 0.01]}}, "studies.rel.factors.lr[0]: 'fast'"),
        ({"factors": {"architecture": ["mlp"], "epochs": [0, 2]}}, "studies.rel.factors.epochs[0]: 0 is less than"),
        ({"factors": {"architecture": ["mlp"], "lr": [-1.0, 0.01]}}, "studies.rel.factors.lr[0]: -1.0 is less than"),
        (
            {"factors": {"architecture": ["mlp"], "optimizer": ["adam", "rmsprop"]}},
            "studies.rel.factors.optimizer[1]: 'rmsprop' is not allowed",
        ),
        ({"data": {"n_pairs": 3000}}, "n_pairs=3000"),
        ({"data": {"source": "idx", "root": "/nowhere"}}, "/nowhere"),
        ({"training": {"epochs": 2.0}}, "studies.rel.training.epochs: 2.0 is not a whole number"),
        ({"overrides": {"mlp": {"model": {"dropout": "high"}}}}, "overrides.mlp.model.dropout: 'high' is not allowed"),
        ({"training": {"lr": float("nan")}}, "studies.rel.training.lr: nan is not a finite number"),
        ({"training": {"lr": "1e-3"}}, "'1e-3' is text, not a number"),
    ],
)
def test_a_bad_value_stops_the_workflow_before_any_job(tmp_path, edit, message):
    config = yaml.safe_load(yaml.safe_dump(STUDY, sort_keys=False))
    config["studies"]["rel"].update(edit)
    if "factors" in edit:
        config["studies"]["rel"]["include"] = []
    workdir = copy_workflow(tmp_path / "bad", config)
    result = snakemake(workdir)
    assert result.returncode != 0 and message in output_of(result), output_of(result)
    assert "train_block" not in result.stdout and not (workdir / "results").exists()


def test_bad_idx_files_stop_the_workflow_before_any_job(tmp_path):
    folder = tmp_path / "digits"
    folder.mkdir()
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        (folder / name).write_bytes(b"not an idx file")
    config = yaml.safe_load(yaml.safe_dump(STUDY, sort_keys=False))
    config["studies"]["rel"]["data"] = {"source": "idx", "root": str(folder)}
    result = snakemake(copy_workflow(tmp_path / "bad", config))
    assert result.returncode != 0 and "is not an IDX file" in output_of(result)


def test_a_gpu_this_host_lacks_stops_the_workflow_before_any_job(tmp_path):
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("this host has a GPU")
    result = snakemake(copy_workflow(tmp_path / "gpu", {**STUDY, "device": "cuda"}))
    assert result.returncode != 0 and "config key device: device 'cuda' was asked for" in output_of(result)
    assert not (tmp_path / "gpu" / "results").exists()


# 4 and 5. checkpoints that run code, or cannot be read


def checkpoint_of(workdir: Path, config: str, seed: int) -> tuple[Path, Path]:
    """(where the seed's next training looks for a checkpoint, where its finished run is kept)."""
    chosen = configurations()[config]
    code = training_code(chosen.architecture, chosen.hyperparameters["task"])
    store = RunStore(workdir / "results/rel/store", chosen.hyperparameters, code, "x", spec=DigitPairs.spec())
    return store.checkpoint_path([seed]), store.run_path(seed)


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("kind", ["crafted", "truncated"])
def test_a_checkpoint_that_runs_code_or_is_truncated_is_moved_aside_and_training_starts_over(workdir, kind):
    checkpoint, kept = checkpoint_of(workdir, "mlp", 0)
    original = read_runs(workdir / RUNS / "mlp" / "block0.parquet")
    kept.unlink()
    (workdir / RUNS / "mlp" / "block0.parquet").unlink()
    marker = workdir / "payload-ran"
    if kind == "crafted":
        checkpoint.write_bytes(pickle.dumps({"owner": Payload(marker), "state": {}}))
    else:
        checkpoint.write_bytes(b"PK\x03\x04 truncated")
    result = snakemake(workdir)
    assert result.returncode == 0, output_of(result)
    assert not marker.exists()
    assert Path(f"{checkpoint}.corrupt").exists() and not checkpoint.exists()
    log = (workdir / "logs/rel/train/mlp/block0.log").read_text()
    assert f"checkpoint {checkpoint.relative_to(workdir)} could not be loaded" in log
    columns = ["seed", "epoch", "train_loss", "test_accuracy"]
    pd.testing.assert_frame_equal(read_runs(workdir / RUNS / "mlp" / "block0.parquet")[columns], original[columns])


# 7. a key written twice


def test_a_key_written_twice_is_refused_with_both_lines(tmp_path):
    workdir = copy_workflow(tmp_path / "twice")
    text = yaml.safe_dump(STUDY, sort_keys=False).replace(
        "    training:", "    training:\n      lr: 0.01\n    training:", 1
    )
    (workdir / "config.yaml").write_text(text)
    result = snakemake(workdir, "-n")
    assert result.returncode != 0 and "key 'training' appears twice in one mapping (lines" in output_of(result)


@pytest.mark.parametrize(
    ("written", "message"),
    [("", "config file config.yaml is empty: it needs the key studies"), ("- a\n- b\n", "top level is a list")],
)
def test_an_empty_or_list_shaped_config_file_is_refused_naming_it(tmp_path, written, message):
    workdir = copy_workflow(tmp_path / "shape")
    (workdir / "config.yaml").write_text(written)
    result = snakemake(workdir, "-n")
    assert result.returncode != 0 and message in output_of(result)


# 8. one trainer per block


def training_children(workdir: Path) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes()
            directory = os.readlink(proc / "cwd")
        except OSError:
            continue
        if b"pairstudy.train.block" in command and directory == str(workdir):
            found.append(int(proc.name))
    return found


def test_killing_snakemake_stops_its_trainers_and_the_rerun_resumes(tmp_path):
    config = {"checkpoint_every": 1, **yaml.safe_load(yaml.safe_dump(STUDY))}
    config["studies"]["rel"].update(training={"epochs": 40, "batch_size": 30}, include=[], data={"n_pairs": 300})
    config["studies"]["rel"]["factors"]["architecture"] = ["cnn"]
    workdir = copy_workflow(tmp_path / "killed", config)
    process = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not list((workdir / "results/rel/store").glob("*/seed0.ckpt")):
        assert process.poll() is None and time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    assert training_children(workdir)
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 15
    while training_children(workdir):
        assert time.monotonic() < deadline, "a trainer outlived the workflow that started it"
        time.sleep(0.2)
    assert snakemake(workdir, "--unlock").returncode == 0
    result = snakemake(workdir, cores=1)
    assert result.returncode == 0, output_of(result)
    assert "resumed from epoch" in (workdir / "logs/rel/train/cnn/block0.log").read_text()


def test_a_second_trainer_of_the_same_block_fails_fast_naming_it(workdir):
    (workdir / RUNS / "cnn-hidden64" / "block0.parquet").unlink()
    lock = BlockLock(workdir / RUNS / "cnn-hidden64" / "block0.parquet")
    try:
        result = snakemake(workdir)
    finally:
        lock.release()
    assert result.returncode != 0
    text = output_of(result, 20_000) + (workdir / "logs/rel/train/cnn-hidden64/block0.log").read_text()
    assert f"results/rel/runs/cnn-hidden64/block0.parquet is being trained by process {os.getpid()}" in text


# 9. errors reach the console when the log cannot be written


def test_when_the_log_disk_is_full_the_cause_reaches_the_console(workdir):
    logs = workdir / "logs"
    shutil.rmtree(logs)
    logs.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(logs)], capture_output=True).returncode:
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        (logs / "filler").write_bytes(b"x" * 16 * 1024)
        result = snakemake(workdir, "--forcerun", str(RUNS / "mlp" / "block0.parquet"))
    finally:
        subprocess.run(["umount", str(logs)], check=True)
    text = output_of(result, 50_000)
    assert result.returncode == 0, text  # the job trains on; its lines go to the console
    assert (
        "pairstudy: cannot write the log logs/rel/train/mlp/block0.log (" in text and "No space left on device" in text
    )
    assert "mlp seed 1: kept run reused" in text
