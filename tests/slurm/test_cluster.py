"""Jobs through a real SLURM cluster: sbatch and sacct, then snakemake's slurm executor plugin."""

import importlib.util
import re
import subprocess
import sys
import textwrap
import time

import pytest

SNAKEMAKE_TIMEOUT = 240


def run_snakemake(cluster, workdir, *arguments, snakefile):
    """Write the Snakefile, run snakemake with the slurm executor in `workdir`; returns (exit code, log).

    Snakemake writes its log to stdout or stderr depending on version: both are read, merged.
    """
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.fail(f"snakemake-executor-plugin-slurm is not installed for {sys.executable}", pytrace=False)
    (workdir / "Snakefile").write_text(textwrap.dedent(snakefile))
    command = [sys.executable, "-m", "snakemake", *cluster.snakemake_args(jobs=2), "--verbose", *arguments]
    try:
        result = subprocess.run(
            command,
            cwd=workdir,
            env=cluster.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=SNAKEMAKE_TIMEOUT,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"snakemake ran over {SNAKEMAKE_TIMEOUT}s:\n{error.output}\n{cluster.diagnostics()}")
    return result.returncode, result.stdout


def sbatch_calls(log):
    """The sbatch command lines the plugin logged (with --verbose), by rule name."""
    calls = {}
    for line in log.splitlines():
        if line.startswith("sbatch call: "):
            rule = re.search(r"--comment '?rule_([A-Za-z0-9_]+)", line).group(1)
            calls[rule] = line[len("sbatch call: ") :]
    return calls


def submitted_job_ids(log):
    return re.findall(r"has been submitted with SLURM jobid (\d+)", log)


def status_commands(log):
    return set(re.findall(r"Status query timing \(cycle\): command=(\w+)", log))


def accounted(cluster, job_ids, timeout=30):
    """sacct rows (main job only) of the given finished jobs, by job id.

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
            set(found) == set(job_ids)
            and all(all(row.values()) for row in found.values())
            and not {row["State"] for row in found.values()} & {"PENDING", "RUNNING", "COMPLETING"}
        ):
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"sacct after {timeout}s: {rows}, expected jobs {job_ids}")
        time.sleep(0.5)


TWO_STEP = """
    rule aggregate:
        input: expand("part_{i}.txt", i=[1, 2])
        output: "aggregate.txt"
        shell: "cat {input} > {output}; echo aggregate $SLURM_JOB_ID >> {output}"

    rule part:
        output: "part_{i}.txt"
        shell: "echo part {wildcards.i} $SLURM_JOB_ID > {output}"
"""


def check_two_step(cluster, workdir, code, log):
    assert code == 0, log
    ids = submitted_job_ids(log)
    assert len(ids) == 3, log
    lines = (workdir / "aggregate.txt").read_text().splitlines()
    # every rule ran inside a SLURM job: each line ends with its job id
    assert sorted(line.split()[-1] for line in lines) == sorted(ids), (lines, ids)
    rows = accounted(cluster, ids).values()
    assert {(row["State"], row["Account"], row["Partition"]) for row in rows} == {("COMPLETED", "pairstudy", "debug")}


def test_sbatch_job_completes_and_sacct_reports_it(slurm_cluster, tmp_path):
    output = tmp_path / "job.out"
    job = slurm_cluster.sbatch(
        "--account=pairstudy",
        "--time=1",
        "--mem=50",
        f"--output={output}",
        "--wrap",
        "echo hello from job $SLURM_JOB_ID on $SLURM_JOB_PARTITION",
    )
    assert slurm_cluster.wait_job(job) == "COMPLETED", slurm_cluster.diagnostics()
    row = slurm_cluster.wait_sacct(job)
    assert (row["State"], row["Account"], row["Partition"], row["ExitCode"]) == (
        "COMPLETED",
        "pairstudy",
        "debug",
        "0:0",
    )
    assert output.read_text().strip() == f"hello from job {job} on debug"


def test_snakemake_slurm_executor_with_sacct_status(slurm_cluster, tmp_path):
    code, log = run_snakemake(slurm_cluster, tmp_path, snakefile=TWO_STEP)
    check_two_step(slurm_cluster, tmp_path, code, log)
    assert status_commands(log) == {"sacct"}, log


def test_snakemake_slurm_executor_with_squeue_status(slurm_cluster, tmp_path):
    code, log = run_snakemake(slurm_cluster, tmp_path, "--slurm-status-command", "squeue", snakefile=TWO_STEP)
    check_two_step(slurm_cluster, tmp_path, code, log)
    assert "Falling back to 'sacct'" not in log
    assert status_commands(log) == {"squeue"}, log


def test_failed_job_is_reported_and_keep_going_finishes_the_rest(slurm_cluster, tmp_path):
    snakefile = """
        rule all:
            input: "after_first.txt", "broken.txt"

        rule broken:
            output: "broken.txt"
            shell: "echo failing on purpose; exit 1"

        rule first:
            output: "first.txt"
            shell: "echo first > {output}"

        # only submitted after `broken` has failed: needs --keep-going
        rule after_first:
            input: "first.txt"
            output: "after_first.txt"
            shell: "cat {input} > {output}; echo after_first >> {output}"
    """
    code, log = run_snakemake(slurm_cluster, tmp_path, "--keep-going", snakefile=snakefile)
    assert code != 0, log
    assert re.search(r"Error in rule broken:\s+message: SLURM-job '\d+' failed, SLURM status is: 'FAILED'", log), log
    assert (tmp_path / "after_first.txt").read_text().split() == ["first", "after_first"]
    assert not (tmp_path / "broken.txt").exists()
    states = {row["Comment"]: row["State"] for row in accounted(slurm_cluster, submitted_job_ids(log)).values()}
    assert states == {"rule_broken": "FAILED", "rule_first": "COMPLETED", "rule_after_first": "COMPLETED"}, log
    # the log of a failed job is kept, and it shows the failing command
    kept = list((tmp_path / ".snakemake" / "slurm_logs" / "rule_broken").glob("*.log"))
    assert len(kept) == 1 and "failing on purpose" in kept[0].read_text()


def test_gpu_resources_become_sbatch_gpus(slurm_cluster, tmp_path):
    snakefile = """
        rule all:
            input: "any_gpu.txt", "model_gpu.txt"

        rule any_gpu:
            output: "any_gpu.txt"
            resources: gpu=1
            shell: "echo $SLURM_JOB_ID > {output}"

        rule model_gpu:
            output: "model_gpu.txt"
            resources: gpu=1, gpu_model="fakegpu"
            shell: "echo $SLURM_JOB_ID > {output}"
    """
    code, log = run_snakemake(slurm_cluster, tmp_path, snakefile=snakefile)
    assert code == 0, log
    calls = sbatch_calls(log)
    assert "--gpus=1" in calls["any_gpu"].split(), calls
    assert "--gpus=fakegpu:1" in calls["model_gpu"].split(), calls
    # accepted against the node's fake Gres=gpu:fakegpu:2, and accounted as one GPU each
    rows = accounted(slurm_cluster, submitted_job_ids(log))
    by_rule = {row["Comment"]: row for row in rows.values()}
    assert by_rule["rule_any_gpu"]["State"] == by_rule["rule_model_gpu"]["State"] == "COMPLETED"
    assert "gres/gpu=1" in by_rule["rule_any_gpu"]["AllocTRES"].split(","), by_rule
    assert "gres/gpu:fakegpu=1" in by_rule["rule_model_gpu"]["AllocTRES"].split(","), by_rule
    for rule in ("any_gpu", "model_gpu"):
        job_id = (tmp_path / f"{rule}.txt").read_text().strip()
        assert by_rule[f"rule_{rule}"]["JobID"] == job_id
    # slurmctld saw the same requests
    requested = {
        rule: slurm_cluster.run(["scontrol", "show", "job", "-o", by_rule[f"rule_{rule}"]["JobID"]]).stdout
        for rule in ("any_gpu", "model_gpu")
    }
    assert "TresPerJob=gres:gpu:1" in requested["any_gpu"].split(), requested
    assert "TresPerJob=gres:gpu:fakegpu:1" in requested["model_gpu"].split(), requested
