"""A training job: one configuration's seed block trained in a child process into one run file, finished runs
kept in the run store, a killed child's seeds recorded as failed, an interrupt recorded as nothing."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import torch

import pairstudy
from pairstudy.metrics import RunIdentity, hyperparameter_hash, read_run_metadata, read_run_spec, read_runs
from pairstudy.study import expand_configurations, seed_blocks, validate_config
from pairstudy.tasks.digit_pairs import DigitPairs
from pairstudy.train import block as block_module
from pairstudy.train import job as job_module
from pairstudy.train.block import train_block
from pairstudy.train.job import BlockJob, job_status, killed_message, run_block_job
from pairstudy.train.process import BlockBusy, BlockLock
from pairstudy.train.store import RunStore

ROOT = Path(pairstudy.__file__).parents[1]

pytestmark = pytest.mark.usefixtures("one_thread")  # one thread, as a job trains by default


def block_job(tmp_path, seeds, *, architecture="mlp", epochs=2, n_pairs=60, store="store", **settings) -> BlockJob:
    """The job of one block of a one-configuration study, trained on the CPU."""
    model = settings.pop("model", {})
    checkpoint_every = settings.pop("checkpoint_every", 0)
    study = {
        "seeds": list(seeds),
        "data": {"n_pairs": n_pairs},
        "training": {"epochs": epochs, "batch_size": 20, **settings, "model": model},
        "factors": {"architecture": [architecture]},
    }
    config = validate_config({"studies": {"tiny": study}})
    (configuration,) = expand_configurations("tiny", config["studies"]["tiny"])
    return BlockJob(
        study="tiny",
        config=configuration.name,
        seeds=tuple(seeds),
        factors=configuration.factors,
        hyperparameters=configuration.hyperparameters,
        code="test training code",
        output=str(tmp_path / "runs" / f"{configuration.name}.parquet"),
        store=None if store is None else str(tmp_path / store),
        device="cpu",
        checkpoint_every=checkpoint_every,
        threads=1,
        metadata={"study": study},
        metrics=DigitPairs.spec().to_dict(),
    )


def identity(job: BlockJob) -> RunIdentity:
    return RunIdentity(job.study, job.config, job.seeds, hyperparameter_hash(job.hyperparameters))


def store_of(job: BlockJob) -> RunStore:
    return RunStore(job.store, job.hyperparameters, job.code, beside=job.output, spec=job.spec)


def run_with_log(job: BlockJob, log_path: Path, on_start=None) -> tuple[int, str]:
    status = run_block_job(job, log_path=log_path, on_start=on_start)
    return status, log_path.read_text()


def metrics(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=["epoch_seconds"]).reset_index(drop=True)


def wait_for(path: Path, child: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert child.poll() is None, f"the child ended before {path} existed"
        assert time.monotonic() < deadline, f"no {path} after {timeout} s"
        time.sleep(0.005)


def interrupt_once_written(job: BlockJob):
    """An on_start that sends SIGTERM to the child as soon as the block's run file exists."""

    def start(child):
        def watch():
            while not Path(job.output).exists() and child.poll() is None:
                time.sleep(0.001)
            child.send_signal(signal.SIGTERM)

        threading.Thread(target=watch, daemon=True).start()

    return start


def test_a_block_becomes_one_run_file_and_each_run_is_kept(tmp_path):
    """... and an interrupt that arrives once the run file is written changes nothing."""
    job = block_job(tmp_path, [0, 1], checkpoint_every=1)
    status, log = run_with_log(job, tmp_path / "job.log", on_start=interrupt_once_written(job))
    assert status == 0, log
    table = read_runs(job.output, expected=identity(job))
    assert table["status"].unique().tolist() == ["ok"] and table["seed"].tolist() == [0, 0, 1, 1]
    assert table["torch_version"].unique().tolist() == [torch.__version__]
    store = store_of(job)
    for seed in job.seeds:
        kept = read_runs(store.run_path(seed))
        pd.testing.assert_frame_equal(kept, table[table["seed"] == seed].reset_index(drop=True))
    metadata = read_run_metadata(job.output)
    assert metadata["block"]["seeds"] == [0, 1] and metadata["study"]["seeds"] == [0, 1]
    assert set(metadata["misclassified"]) == {"0", "1"}
    assert read_run_spec(job.output) == DigitPairs.spec() == job.spec  # the task's metrics travel with the file
    assert "seed 0: ok on cpu" in log and "seed 1: ok on cpu" in log
    assert not Path(f"{job.output}.lock").exists()
    assert sorted(path.name for path in store.folder.iterdir()) == ["seed0.parquet", "seed1.parquet"]  # no checkpoint


def test_one_more_seed_trains_only_that_seed(tmp_path):
    first = block_job(tmp_path, [0, 1])
    train_block(first, log=lambda line: None)
    before = read_runs(first.output)
    lines = []
    train_block(replace(first, seeds=(0, 1, 2)), log=lines.append)
    after = read_runs(first.output, expected=identity(replace(first, seeds=(0, 1, 2))))
    assert [line for line in lines if "kept run reused" in line] == [
        f"{first.config} seed {seed}: kept run reused ({store_of(first).run_path(seed)})" for seed in (0, 1)
    ]
    assert not [line for line in lines if re.search(r"seed [01] .*epoch", line)]  # nothing of seeds 0, 1 trains
    assert [line for line in lines if "epoch" in line and "seed 2 (1/1)" in line]
    pd.testing.assert_frame_equal(after[after["seed"] < 2].reset_index(drop=True), before)  # even epoch_seconds


def test_kept_runs_serve_another_study_but_not_other_code(tmp_path):
    job = block_job(tmp_path, [0])
    train_block(job, log=lambda line: None)
    kept = read_runs(job.output)
    elsewhere = replace(job, study="other", config="renamed", factors={"x": 1}, output=str(tmp_path / "other.parquet"))
    lines = []
    train_block(elsewhere, log=lines.append)
    assert any("kept run reused" in line for line in lines)
    reused = read_runs(elsewhere.output, expected=identity(elsewhere))
    assert reused["factors"].iloc[0] == '{"x":1}'
    pd.testing.assert_frame_equal(
        metrics(reused.drop(columns=["study", "config", "factors"])),
        metrics(kept.drop(columns=["study", "config", "factors"])),
    )
    lines = []
    train_block(replace(job, code="changed training code"), log=lines.append)
    assert not any("kept run reused" in line for line in lines) and any("epoch 2/2" in line for line in lines)


def test_a_child_killed_by_sigkill_leaves_its_finished_seeds_and_failed_runs_for_the_rest(tmp_path):
    job = block_job(tmp_path, [0, 1, 2], epochs=6)
    first_run = store_of(job).run_path(0)

    def kill_after_the_first_seed(child):
        wait_for(first_run, child)
        child.kill()

    status, log = run_with_log(job, tmp_path / "job.log", on_start=kill_after_the_first_seed)
    assert status == 0, log
    assert "recorded seeds [1, 2] as failed" in log
    table = read_runs(job.output, expected=identity(job))
    runs = {seed: run for seed, run in table.groupby("seed")}
    assert runs[0]["status"].unique().tolist() == ["ok"] and len(runs[0]) == 6
    # the block file holds failed runs too, so its integer columns with nulls read as floats
    pd.testing.assert_frame_equal(runs[0].reset_index(drop=True), read_runs(first_run), check_dtype=False)
    for seed in (1, 2):
        assert runs[seed]["status"].tolist() == ["failed"] and runs[seed]["test_accuracy"].isna().all()
        assert runs[seed]["message"].iloc[0] == killed_message(signal.SIGKILL)
    assert "killed by SIGKILL" in killed_message(signal.SIGKILL) and "out of memory" in killed_message(signal.SIGKILL)
    assert not store_of(job).run_path(1).exists()  # a failed run is not kept: the next run trains it

    lines = []
    train_block(job, log=lines.append)
    assert read_runs(job.output)["status"].unique().tolist() == ["ok"]
    assert sum("kept run reused" in line for line in lines) == 1


def first_checkpoint(job: BlockJob) -> Path:
    return store_of(job).checkpoint_path([job.seeds[0]])


@pytest.fixture
def interruptible():
    """SIGINT handled as Python does by default, also where the suite runs as a shell's background job (which ignores
    SIGINT, and so would the children it starts)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize(
    "target, interrupt",
    [("child", signal.SIGINT), ("supervisor", signal.SIGTERM)],
)
@pytest.mark.usefixtures("interruptible")
def test_an_interrupt_records_nothing_keeps_the_checkpoint_and_the_rerun_resumes(tmp_path, target, interrupt):
    job = block_job(tmp_path, [3], architecture="linear", epochs=50, n_pairs=100, checkpoint_every=1)
    checkpoint = first_checkpoint(job)

    def interrupt_after_a_checkpoint(child):
        wait_for(checkpoint, child)
        os.kill(child.pid if target == "child" else os.getpid(), interrupt)

    status, log = run_with_log(job, tmp_path / "interrupted.log", on_start=interrupt_after_a_checkpoint)
    assert status == 128 + interrupt, log
    assert not Path(job.output).exists() and checkpoint.exists()
    assert not Path(f"{job.output}.lock").exists()

    lines = []
    train_block(job, log=lines.append)  # what the next job's child does
    assert any("resumed from epoch" in line for line in lines)
    assert not checkpoint.exists()
    whole = replace(job, output=str(tmp_path / "whole.parquet"), store=str(tmp_path / "whole-store"))
    train_block(whole, log=lambda line: None)
    pd.testing.assert_frame_equal(metrics(read_runs(job.output)), metrics(read_runs(whole.output)))


def test_an_interrupt_does_not_pass_off_an_old_run_file_as_this_jobs(tmp_path):
    job = block_job(tmp_path, [0])
    train_block(job, log=lambda line: None)
    old = Path(job.output).read_bytes()
    status, log = run_with_log(replace(job, store=None), tmp_path / "job.log", on_start=lambda child: child.terminate())
    assert status == 128 + signal.SIGTERM, log
    assert Path(job.output).read_bytes() == old


@pytest.mark.parametrize(
    "status, received, written, expected",
    [
        (0, [], True, 0),
        (-signal.SIGTERM, [signal.SIGTERM], True, 0),  # the interrupt came after the run file
        (-signal.SIGTERM, [], True, 0),
        (-signal.SIGKILL, [], True, 0),
        (-signal.SIGTERM, [signal.SIGTERM], False, 128 + signal.SIGTERM),
        (1, [signal.SIGINT], False, 128 + signal.SIGINT),  # a child that exits on its own after an interrupt
        (-signal.SIGHUP, [], False, 128 + signal.SIGHUP),
        (-signal.SIGKILL, [], False, None),  # recorded as failed runs
        (-signal.SIGSEGV, [], False, None),
        (1, [], False, 1),
        (0, [], False, 1),
    ],
)
def test_the_job_status_from_how_the_child_ended(status, received, written, expected):
    assert job_status(status, received, written) == expected


def test_a_second_trainer_of_a_block_fails_fast_naming_the_output(tmp_path):
    job = block_job(tmp_path, [0])
    lock = BlockLock(job.output)
    try:
        started = time.monotonic()
        status, log = run_with_log(job, tmp_path / "job.log")
        assert status == 1 and time.monotonic() - started < 5
        assert f"{job.output} is being trained by process {os.getpid()}" in log
        with pytest.raises(BlockBusy):
            BlockLock(job.output)
    finally:
        lock.release()
    assert not Path(f"{job.output}.lock").exists() and not Path(job.output).exists()


def test_a_lock_whose_file_its_holder_removed_meanwhile_is_taken_on_the_file_now_there(tmp_path, monkeypatch):
    import fcntl

    output = tmp_path / "block.parquet"
    holder = BlockLock(output)
    flock = fcntl.flock
    released = []

    def holder_finishes_first(fd, operation):
        if not released:
            holder.release()  # between our open and our lock: we opened the file it now removes
            released.append(fd)
        return flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", holder_finishes_first)
    second = BlockLock(output)
    monkeypatch.undo()
    try:
        assert os.stat(second.path).st_ino == os.fstat(second.fd).st_ino
        with pytest.raises(BlockBusy):
            BlockLock(output)
    finally:
        second.release()


SUPERVISOR = """
import sys
from pairstudy.train.job import BlockJob, run_block_job

def announce(child):
    print(child.pid, flush=True)
    {on_start}

status = run_block_job(BlockJob.from_json(sys.argv[1]), log_path=sys.argv[2], on_start=announce)
print("torch imported" if "torch" in sys.modules else "torch-free", status, flush=True)
"""


def supervisor(job: BlockJob, log: Path, on_start: str = "pass") -> subprocess.Popen:
    """A supervisor in its own process, printing its child's pid, then whether it imported torch and its status."""
    script = SUPERVISOR.format(on_start=on_start)
    return subprocess.Popen(
        [sys.executable, "-c", script, job.to_json(), str(log)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


def test_the_child_of_a_killed_supervisor_dies_with_it(tmp_path):
    job = block_job(tmp_path, [0, 1], epochs=20, n_pairs=100)
    process = supervisor(job, tmp_path / "job.log")
    child = int(process.stdout.readline())
    assert not gone(child)
    process.kill()
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while not gone(child):
        assert time.monotonic() < deadline, "the child outlived its supervisor"
        time.sleep(0.05)
    assert not Path(job.output).exists()
    BlockLock(job.output).release()  # nobody holds the block any more


def test_the_supervisor_records_a_killed_child_without_importing_torch(tmp_path):
    job = block_job(tmp_path, [0, 1])
    process = supervisor(job, tmp_path / "job.log", on_start="child.kill()")
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0 and output.splitlines()[-1] == "torch-free 0", output
    table = read_runs(job.output, expected=identity(job))
    assert table["status"].tolist() == ["failed", "failed"]
    assert table["torch_version"].unique().tolist() == [torch.__version__]


def test_the_child_imports_the_supervisors_pairstudy(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    environment = job_module.child_environment()
    assert environment["PYTHONPATH"].split(os.pathsep) == [str(ROOT), "/elsewhere"]  # this checkout is no site dir
    monkeypatch.setattr(job_module.site, "getsitepackages", lambda: [str(ROOT)])
    assert job_module.child_environment()["PYTHONPATH"] == "/elsewhere"  # an installed pairstudy: found as usual


def test_a_child_whose_parent_died_before_it_could_watch_ends_at_once():
    from pairstudy.train.process import die_with_parent

    someone_else = 2**22 + 17  # not this test's pid: as if the parent died between fork and prctl
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], preexec_fn=lambda: die_with_parent(someone_else)
    )
    assert child.wait(timeout=10) == -signal.SIGTERM
    parent = os.getpid()  # taken here: in preexec_fn, os.getpid() is already the child's
    watched = subprocess.Popen(
        [sys.executable, "-c", "print('alive')"],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: die_with_parent(parent),
    )
    assert watched.communicate(timeout=30)[0] == "alive\n" and watched.returncode == 0


def test_an_unreadable_kept_run_is_trained_again(tmp_path):
    job = block_job(tmp_path, [0])
    train_block(job, log=lambda line: None)
    kept = store_of(job).run_path(0)
    kept.write_bytes(kept.read_bytes()[:100])
    lines = []
    train_block(job, log=lines.append)
    assert not any("kept run reused" in line for line in lines) and any("epoch 2/2" in line for line in lines)
    assert read_runs(kept)["status"].unique().tolist() == ["ok"]


def test_blocks_are_fixed_by_seed_value():
    assert seed_blocks([0, 1, 2, 3, 4], 2) == {0: (0, 1), 1: (2, 3), 2: (4,)}
    assert list(seed_blocks(range(10), 2).items())[:2] == [(0, (0, 1)), (1, (2, 3))]  # adding seeds adds blocks
    assert seed_blocks([7, 3], 1) == {3: (3,), 7: (7,)}


def test_a_device_the_host_lacks_fails_the_job_and_records_no_run(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    job = replace(block_job(tmp_path, [0, 1]), device="cuda")
    status, log = run_with_log(job, tmp_path / "job.log")
    assert status == 1 and "no CUDA GPU" in log
    assert not Path(job.output).exists() and not Path(job.store).exists()


def test_a_run_that_raises_is_recorded_as_failed_and_not_kept(tmp_path):
    job = block_job(tmp_path, [0, 1], architecture="cnn", model={"channels": [8, 16, 32]})
    lines = []
    train_block(job, log=lines.append)
    assert any("seed 1: failed: ValueError" in line for line in lines)
    table = read_runs(job.output, expected=identity(job))
    assert table["status"].tolist() == ["failed", "failed"]
    assert all("shrink a 14x14 input" in message for message in table["message"])
    assert not store_of(job).run_path(0).exists()


PROGRESS = re.compile(
    r"^(?P<config>\S+) seed (?P<seed>\d+) \((?P<number>\d+)/(?P<total>\d+)\) epoch (?P<epoch>\d+)/(?P<epochs>\d+): "
    r"train loss \d+\.\d{4}, test accuracy [01]\.\d{4} \(\d+\.\d\d s\)$"
)


def test_seed_after_seed_the_log_gets_one_line_per_epoch(tmp_path):
    job = block_job(tmp_path, [4, 7], epochs=3)
    lines = []
    train_block(job, log=lines.append)
    progress = [match.groupdict() for line in lines if (match := PROGRESS.match(line))]
    assert [(p["seed"], p["number"], p["total"], p["epoch"], p["epochs"]) for p in progress] == [
        (str(seed), str(number), "2", str(epoch), "3") for number, seed in ((1, 4), (2, 7)) for epoch in (1, 2, 3)
    ]
    assert {p["config"] for p in progress} == {job.config}
    accuracy = read_runs(job.output)["test_accuracy"].tolist()
    assert [float(line.rsplit("test accuracy ", 1)[1].split()[0]) for line in lines if PROGRESS.match(line)] == [
        pytest.approx(value, abs=5e-5) for value in accuracy
    ]


def test_a_vectorised_block_logs_each_epoch_and_keeps_each_seed(tmp_path, monkeypatch):
    """The GPU path of a block, forced on the CPU: one stack, one checkpoint, one line per epoch."""
    monkeypatch.setattr(block_module, "trains_together", lambda device, seeds, hyperparameters: True)
    job = block_job(tmp_path, [0, 1], epochs=3, model={"dropout": 0.0}, checkpoint_every=1)
    lines = []
    train_block(job, log=lines.append)
    stacked = [line for line in lines if "seeds 0-1 epoch" in line]
    assert [line.split(" epoch ")[1].split()[0] for line in stacked] == ["1/3", "2/3", "3/3"]
    assert all("test accuracy mean" in line and "over 2 seeds" in line for line in stacked)
    table = read_runs(job.output, expected=identity(job))
    store = store_of(job)
    assert all(store.run_path(seed).exists() for seed in job.seeds) and not store.checkpoint_path([0, 1]).exists()
    monkeypatch.undo()
    alone = replace(job, store=str(tmp_path / "alone"), output=str(tmp_path / "alone.parquet"))
    train_block(alone, log=lambda line: None)
    apart = read_runs(alone.output)
    # near-untrained models on 60 pairs: compare losses, as accuracies flip with float noise
    pd.testing.assert_series_equal(table["test_comparison_loss"], apart["test_comparison_loss"], rtol=2e-3)
    assert table["status"].unique().tolist() == ["ok"] and table["device"].unique().tolist() == ["cpu"]


def test_a_job_survives_its_json_round_trip(tmp_path):
    job = block_job(tmp_path, [2, 5])
    assert BlockJob.from_json(job.to_json()) == job and BlockJob.from_json(job.to_json()).spec == DigitPairs.spec()
    assert json.loads(job.to_json())["seeds"] == [2, 5]
