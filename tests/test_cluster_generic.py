"""The study through profiles/cluster-generic, its commands unchanged, against a stand-in PBS scheduler.

The stand-in `qsub` runs the job script it is given in the background, records its command line and
prints a job id; the stand-in `qstat -fx` reports a job running until its exit status is written, then
finished with that status, which the profile's status script turns into running, success or failed.
"""

import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import CLUSTER_STUDY, ROOT, assert_same_runs, copy_workflow, output_of, run_tables, snakemake

QSUB = """#!/bin/sh
spool=$PBS_STAND_IN_SPOOL
printf '%s\\n' "$*" >> "$spool/calls"
id=$(wc -l < "$spool/calls").stand-in
: > "$spool/$id.job"
for script; do :; done
(sh "$script" > "$spool/$id.out" 2>&1; echo $? > "$spool/$id.exit") < /dev/null > /dev/null 2>&1 &
echo "$id"
"""
QSTAT = """#!/bin/sh
# only `qstat -fx ID`
spool=$PBS_STAND_IN_SPOOL
[ -e "$spool/$2.job" ] || { echo "qstat: Unknown Job Id $2" >&2; exit 153; }
echo "Job Id: $2"
if [ -s "$spool/$2.exit" ]; then
    echo "    job_state = F"
    echo "    Exit_status = $(cat "$spool/$2.exit")"
else
    echo "    job_state = R"
fi
"""


# the stand-in answers at once: asked every second, not every 10 (Snakemake's default)
QUICK_STATUS = ["--seconds-between-status-checks", "1"]
# a scheduler with no GPU node: it records the call and finishes the job at once as failed, running nothing
QSUB_NO_GPU_NODE = """#!/bin/sh
spool=$PBS_STAND_IN_SPOOL
printf '%s\\n' "$*" >> "$spool/calls"
id=$(wc -l < "$spool/calls").stand-in
: > "$spool/$id.job"
echo 1 > "$spool/$id.exit"
echo "$id"
"""


def stand_in(tmp_path, qsub: str) -> tuple[dict, Path]:
    """The environment that puts the stand-in `qsub` and qstat first on PATH, and their spool folder."""
    bin_folder, spool = tmp_path / "bin", tmp_path / "spool"
    bin_folder.mkdir()
    spool.mkdir()
    for name, text in (("qsub", qsub), ("qstat", QSTAT)):
        (bin_folder / name).write_text(text)
        (bin_folder / name).chmod(0o755)
    return {"PATH": f"{bin_folder}:{os.environ['PATH']}", "PBS_STAND_IN_SPOOL": str(spool)}, spool


@pytest.fixture
def scheduler(tmp_path) -> tuple[dict, Path]:
    return stand_in(tmp_path, QSUB)


def status(job_id: str, env: dict) -> str:
    result = subprocess.run(
        [ROOT / "profiles" / "cluster-generic" / "status.sh", job_id],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_status_script_answers_running_success_or_failed(scheduler):
    env, spool = scheduler
    for job_id in ("1.stand-in", "2.stand-in"):
        (spool / f"{job_id}.job").touch()
    assert status("1.stand-in", env) == "running\n"
    (spool / "1.stand-in.exit").write_text("0\n")
    (spool / "2.stand-in.exit").write_text("1\n")
    assert (status("1.stand-in", env), status("2.stand-in", env)) == ("success\n", "failed\n")


def test_the_study_through_the_profile_reaches_its_report_and_equals_a_local_run(
    tmp_path, scheduler, cluster_study_trained_locally
):
    env, spool = scheduler
    workdir = copy_workflow(tmp_path / "workflow", CLUSTER_STUDY, package=True)
    result = snakemake(workdir, "--profile", "profiles/cluster-generic", *QUICK_STATUS, env=env)
    assert result.returncode == 0, output_of(result)
    # the two training jobs went to the scheduler with the profile's options; the rest ran here
    calls = (spool / "calls").read_text().splitlines()
    assert len(calls) == 2, calls
    for call in calls:
        # a CPU job's select names no GPU
        assert call.startswith("-V -N pairstudy -j oe -o logs/cluster/ -l select=1:ncpus=1:mem=4000mb -l "), call
        assert " -l walltime=30:00 " in call and call.endswith(".sh"), call
    assert sorted(path.name for path in spool.glob("*.exit")) == ["1.stand-in.exit", "2.stand-in.exit"]
    assert (workdir / "reports" / "tiny" / "index.html").exists()
    assert_same_runs(run_tables(workdir, "tiny"), cluster_study_trained_locally)


def test_a_gpu_study_asks_the_scheduler_for_a_gpu_in_each_training_job_select(tmp_path):
    """device: cuda: each training job's select chunk asks for ngpus=1 (docs/executors.md)."""
    env, spool = stand_in(tmp_path, QSUB_NO_GPU_NODE)
    workdir = copy_workflow(tmp_path / "workflow", {**CLUSTER_STUDY, "device": "cuda"}, package=True)
    result = snakemake(workdir, "--profile", "profiles/cluster-generic", *QUICK_STATUS, env=env)
    assert result.returncode != 0  # the stand-in ran no job: both failed
    calls = (spool / "calls").read_text().splitlines()
    assert len(calls) == 2, calls
    for call in calls:
        assert " -l select=1:ncpus=1:mem=4000mb:ngpus=1 -l walltime=30:00 " in call, call
