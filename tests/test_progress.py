"""Progress while a study trains: each training job's line on the console, `pairstudy status`, the reasons the
workflow gives as it starts (in the words of `pairstudy why`) and where the report is at the end."""

import json
import re
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from pairstudy.paths import run_file
from pairstudy.progress import Plan, PlannedBlock, duration, measure
from tests.helpers import copy_workflow, output_of, snakemake, write_config

# 2 configurations x 2 seeds, a training job per seed: four progress lines
STUDY = {
    "report": {"charts": []},
    "studies": {
        "prog": {
            "seeds": 2,
            "seeds_per_job": 1,
            "data": {"n_pairs": 100},
            "training": {"epochs": 1, "batch_size": 50},
            "factors": {"architecture": ["mlp", "twin"]},
        }
    },
}
LINE = re.compile(r"^pairstudy: prog (\d) of 4 runs, (\d) of 4 epochs done \((\d+)%\); (.+)$")


def pairstudy(workdir, *arguments):
    return subprocess.run(
        [sys.executable, "-m", "pairstudy.cli", *arguments], cwd=workdir, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("progress"), STUDY)
    result = snakemake(workdir)
    assert result.returncode == 0, output_of(result)
    return workdir, result.stdout + result.stderr


def test_each_training_job_says_how_far_the_study_has_come(trained):
    _, output = trained
    lines = output.splitlines()
    # as the workflow starts: the totals, and why each training job runs
    start = lines.index(
        "pairstudy: prog 0 of 4 runs, 0 of 4 epochs done (0%); 4 training jobs to run: 4 run files not trained yet"
    )
    assert lines[start + 1].startswith("pairstudy: prog: then aggregate_study, study_statistics, render_report")
    found = [match.groups() for line in lines if (match := LINE.match(line))][1:]
    assert len(found) == 4  # one per training job
    runs = [int(runs) for runs, _, _, _ in found]
    assert runs == sorted(runs) and runs[0] >= 1  # two jobs that end together may both count both
    for runs_done, epochs, share, rest in found[:-1]:
        assert epochs == runs_done and int(share) == 25 * int(runs_done)
        assert re.fullmatch(r"about \d+ s left|all runs done", rest), rest
    assert found[-1] == ("4", "4", "100", "all runs done")
    # at the end: where the report is
    assert "pairstudy: prog: the report is reports/prog/index.html" in output
    # nothing Snakemake says about a script rule's shell command, nor the settings dict as a reason
    assert "Shell command" not in output and "reason:" not in output


def test_status_and_why_say_the_same_on_demand(trained):
    workdir, _ = trained
    assert pairstudy(workdir, "status").splitlines() == [
        "prog 4 of 4 runs, 4 of 4 epochs done (100%); all runs done",
        "    report: reports/prog/index.html",
    ]
    assert pairstudy(workdir, "why").startswith("prog: nothing to retrain")
    # a changed setting: its runs are not done under the new settings, and the dry run says why in one line
    changed = yaml.safe_load(yaml.safe_dump(STUDY))
    changed["studies"]["prog"]["overrides"] = {"mlp": {"lr": 0.01}}
    write_config(workdir, changed)
    try:
        status = pairstudy(workdir, "status", "--configfile", "config.yaml")
        dry = snakemake(workdir, "-n")
    finally:
        write_config(workdir, STUDY)
    assert status.splitlines()[0] == "prog 2 of 4 runs, 2 of 4 epochs done (50%); no training job is running"
    assert dry.returncode == 0, output_of(dry)
    reasons = [line for line in dry.stderr.splitlines() if line.startswith("pairstudy: prog: ")]
    assert reasons == [
        f"pairstudy: prog: results/prog/runs/mlp/block{block}.parquet: lr: 0.001 -> 0.01" for block in (0, 1)
    ]


# progress from files alone: a plan of two configurations, a block per seed, 4 epochs each


def plan(tmp_path, epochs=4) -> Plan:
    blocks = tuple(
        PlannedBlock(config, block, (block,), epochs, key=f"key-{config}", config_hash=f"hash-{config}", code="code")
        for config in ("a", "b")
        for block in (0, 1)
    )
    return Plan(study="p", store=str(tmp_path / "store"), blocks=blocks)


def write_run(path, seeds, seconds=1.0, epochs=4, failed=(), block=None):
    """A file with the columns progress reads (and a run file's block metadata, given `block`)."""
    rows = []
    for seed in seeds:  # a failed run is one row, epoch 0
        rows += [(seed, 0, "failed")] if seed in failed else [(seed, epoch, "ok") for epoch in range(1, epochs + 1)]
    table = pa.table(
        {
            "seed": [seed for seed, _, _ in rows],
            "epoch": [epoch for _, epoch, _ in rows],
            "status": [status for _, _, status in rows],
            "epoch_seconds": [seconds] * len(rows),
        }
    )
    if block is not None:
        table = table.replace_schema_metadata({b"pairstudy.block": json.dumps(block).encode()})
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def test_time_left_shares_the_epochs_left_over_the_jobs_training(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = plan(tmp_path)
    nothing = measure(study)
    assert nothing.line() == "p 0 of 4 runs, 0 of 16 epochs done (0%); no training job is running"
    write_run(tmp_path / "store" / "key-a" / "seed0.parquet", [0], seconds=1.0)  # a's seed 0: 1 s an epoch
    lock = tmp_path / f"{run_file('p', 'a', 1)}.lock"  # a's seed 1 trains, for 1 s now
    lock.parent.mkdir(parents=True)
    lock.touch()
    now = lock.stat().st_mtime + 1
    # left: a's seed 1, 4 epochs less the 1 s done; b's two seeds, 4 epochs each at a's pace: 3 + 4 + 4 = 11 s
    assert measure(study, now=now).line() == "p 1 of 4 runs, 4 of 16 epochs done (25%); about 11 s left"
    # a job that has just ended: its place is taken, two train at once
    assert measure(study, now=now, ending_job=True).seconds_left == pytest.approx(5.5)
    # and each job not started yet costs what a job takes beyond its epochs: 2 s for b's two
    assert measure(study, now=now, ending_job=True, job_overhead=2.0).seconds_left == pytest.approx(7.5)
    lock.unlink()
    assert measure(study, now=now).time_left() == "no training job is running"


def test_a_current_run_file_counts_its_failed_runs_and_a_stale_one_counts_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = plan(tmp_path)
    current = {"config_hash": "hash-b", "code": "code", "seeds": [0]}
    write_run(tmp_path / run_file("p", "b", 0), [0], failed=(0,), block=current)
    stale = {"config_hash": "hash-old", "code": "code", "seeds": [1]}
    write_run(tmp_path / run_file("p", "b", 1), [1], block=stale)
    progress = measure(study)
    assert (progress.runs_done, progress.failed) == (1, 1)
    assert progress.counts() == "p 1 of 4 runs (1 failed), 4 of 16 epochs done (25%)"
    # a failed run alone times nothing
    assert progress.seconds_left is None
    for seed, config in ((0, "a"), (1, "a"), (1, "b")):
        write_run(tmp_path / "store" / f"key-{config}" / f"seed{seed}.parquet", [seed])
    assert measure(study).line() == "p 4 of 4 runs (1 failed), 16 of 16 epochs done (100%); all runs done"


def test_durations_read_as_a_person_says_them():
    assert [duration(seconds) for seconds in (0.2, 42, 89, 200, 5300, 5400, 7260)] == [
        "1 s",
        "42 s",
        "89 s",
        "3 min",
        "88 min",
        "1 h 30 min",
        "2 h 1 min",
    ]


def test_a_study_without_known_epochs_counts_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = plan(tmp_path, epochs=None)
    write_run(tmp_path / "store" / "key-a" / "seed0.parquet", [0])
    assert measure(study).line() == "p 1 of 4 runs done (25%); no training job is running"
