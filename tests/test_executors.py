"""A GPU study's training jobs ask for their GPU the way each executor reads it, through that executor's profile.

Each test plans the study with `snakemake -n --profile profiles/<executor>` (device: cuda) and hands the resources
a training job gets to the executor plugin's own code that turns them into the scheduler's request: SLURM's sbatch
options, the generic cluster executor's formatting of the profile's qsub command, Google Batch's accelerators,
HTCondor's submit description and LSF's bsub call (against a stand-in bsub). A plugin that is not installed skips
its test. docs/executors.md says the same per executor.
"""

import logging
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from snakemake.iocontainers import ResourceList

from tests.helpers import CLUSTER_STUDY, ROOT, copy_workflow, planned_training_jobs

# the names each executor reads a GPU request from (the training rule sets all of them for device: cuda)
GPU_RESOURCES = {"gpu", "gpu_model", "gpu_manufacturer", "nvidia_gpu", "request_gpus", "require_gpus", "lsf_extra"}
GPU_RESOURCES |= {"pbs_gpus"}
# HTCondor's bindings warn on import without a pool's configuration; this machine has none
QUIET_CONDOR = {"CONDOR_CONFIG": "/dev/null"}
STORAGE = "snakemake_storage_plugin_fs"  # Google Batch plans only with a storage provider: a folder stands in


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return copy_workflow(tmp_path_factory.mktemp("executors"), CLUSTER_STUDY, package=True)


def as_value(text: str):
    """A resource as the job has it: dry runs print numbers as digits."""
    return int(text) if text.isdigit() else text


def training_jobs(workdir: Path, *arguments: str) -> list[SimpleNamespace]:
    """Every planned train_block job of a dry run, as a job with its threads, wildcards and resources."""
    jobs = []
    for planned in planned_training_jobs(workdir, *arguments):
        resources = {name: as_value(value) for name, value in planned["resources"].items()}
        jobs.append(
            SimpleNamespace(
                name="train_block",
                jobid=len(jobs) + 1,
                threads=1,
                wildcards_dict=planned["wildcards"],
                resources=ResourceList(fromdict=resources),
                is_group=lambda: False,
                plain=resources,
            )
        )
    assert len(jobs) == 2, jobs
    return jobs


def planned_on(workdir: Path, executor: str, *config: str) -> list[SimpleNamespace]:
    """The training jobs of the study with device: cuda (and `config`), planned through profiles/<executor>."""
    arguments = ["--profile", f"profiles/{executor}", "--config", "device=cuda", *config]
    if executor == "googlebatch":
        pytest.importorskip(STORAGE)
        arguments += ["--default-storage-provider", "fs", "--default-storage-prefix", str(workdir / "bucket")]
    return training_jobs(workdir, *arguments)


def profile(name: str) -> dict:
    return yaml.safe_load((ROOT / "profiles" / name / "config.yaml").read_text())


def test_slurm_asks_for_gpus(workdir):
    pytest.importorskip("snakemake_executor_plugin_slurm")
    from snakemake_executor_plugin_slurm.utils import set_gres_string

    for job in planned_on(workdir, "slurm"):
        assert set_gres_string(job).strip() == "--gpus=1"
    for job in planned_on(workdir, "slurm", "gpu_model=a100"):
        assert set_gres_string(job).strip() == "--gpus=a100:1"


def test_the_generic_cluster_profile_asks_pbs_for_ngpus_in_the_select_chunk_of_gpu_jobs_only(workdir):
    pytest.importorskip("snakemake_executor_plugin_cluster_generic")
    from snakemake.utils import format as snakemake_format

    submit = profile("cluster-generic")["cluster-generic-submit-cmd"]

    def select(job) -> str:
        """The -l select=... of the submit command as the executor formats it for `job` (job.format_wildcards)."""
        command = snakemake_format(submit, threads=job.threads, resources=job.resources)
        return re.search(r"-l (select=\S+)", command).group(1)

    assert {select(job) for job in planned_on(workdir, "cluster-generic")} == {"select=1:ncpus=1:mem=4000mb:ngpus=1"}
    cpu = training_jobs(workdir, "--profile", "profiles/cluster-generic")
    assert {select(job) for job in cpu} == {"select=1:ncpus=1:mem=4000mb"}


def test_google_batch_attaches_an_accelerator_to_an_n1_machine(workdir):
    pytest.importorskip("snakemake_executor_plugin_googlebatch")
    from snakemake_executor_plugin_googlebatch.executor import GoogleBatchExecutor

    def accelerators(job) -> list[tuple[int, str]]:
        return [(found.count, found.type_) for found in GoogleBatchExecutor.get_accelerators(None, job)]

    for job in planned_on(workdir, "googlebatch"):
        assert accelerators(job) == [(1, "nvidia-tesla-t4")]  # nvidia_gpu=1: one of the plugin's default type
    assert profile("googlebatch")["googlebatch-machine-type"].startswith("n1-")  # the T4's machine family
    for job in planned_on(workdir, "googlebatch", "gpu_model=nvidia-l4"):
        assert accelerators(job) == [(1, "nvidia-l4")]


def test_htcondor_requests_gpus_and_requires_the_model(workdir, monkeypatch):
    monkeypatch.setenv("CONDOR_CONFIG", QUIET_CONDOR["CONDOR_CONFIG"])
    pytest.importorskip("snakemake_executor_plugin_htcondor")
    from snakemake_executor_plugin_htcondor import Executor

    def submitted(job) -> dict:
        """What the plugin's submit description holds of HTCondor's GPU matchmaking commands (run_job's list)."""
        description = {}
        for key in ("request_gpus", "require_gpus", "gpus_minimum_capability", "gpus_minimum_memory"):
            Executor._set_resources(None, description, job, key)
        return description

    for job in planned_on(workdir, "htcondor"):
        assert submitted(job) == {"request_gpus": 1}
    for job in planned_on(workdir, "htcondor", "gpu_model=a100"):
        assert submitted(job) == {"request_gpus": 1, "require_gpus": 'regexp("a100", DeviceName, "i")'}


BSUB = """#!/bin/sh
printf '%s\\n' "$@" > "$BSUB_STAND_IN_CALL"
echo "Job <7> is submitted to default queue <normal>."
"""


def test_lsf_submits_with_bsub_gpu(workdir, tmp_path, monkeypatch):
    pytest.importorskip("snakemake_executor_plugin_lsf")
    from snakemake_executor_plugin_lsf import Executor

    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "bsub").write_text(BSUB)
    (tmp_path / "bin" / "bsub").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    monkeypatch.setenv("BSUB_STAND_IN_CALL", str(tmp_path / "call"))
    monkeypatch.chdir(tmp_path)  # the plugin writes .snakemake/lsf_logs here

    def bsub(job) -> list[str]:
        """The bsub call the plugin's run_job makes for `job` (its arguments, one a line, as bsub got them)."""
        executor = object.__new__(Executor)  # no __post_init__: it asks the cluster for its configuration
        executor.run_uuid, executor._fallback_project_arg, executor._fallback_queue = "test", "", None
        executor.lsf_config = {"LSF_UNIT_FOR_LIMITS": "MB", "LSF_MEMFMT": ""}
        executor.logger = logging.getLogger("lsf")
        executor.workflow = SimpleNamespace(workdir_init=str(workdir))
        executor.format_job_exec = lambda job: "snakemake --the-job"
        executor.report_job_submission = lambda info: None
        Executor.run_job(executor, job)
        return (tmp_path / "call").read_text().splitlines()

    for job in planned_on(workdir, "lsf"):
        call = bsub(job)
        assert call[call.index("-gpu") + 1] == "num=1" and call[call.index("-q") + 1] == "normal"
        assert call[call.index("-n") + 1] == "1" and call[-1] == "snakemake --the-job"
    for job in planned_on(workdir, "lsf", "gpu_model=a100"):
        call = bsub(job)
        assert call[call.index("-gpu") + 1] == "num=1:gmodel=a100"


@pytest.mark.parametrize("executor", ["googlebatch", "htcondor", "lsf"])
def test_a_cpu_study_asks_no_executor_for_a_gpu(workdir, executor):
    pytest.importorskip(f"snakemake_executor_plugin_{executor}")
    arguments = ["--profile", f"profiles/{executor}"]
    if executor == "googlebatch":
        pytest.importorskip(STORAGE)
        arguments += ["--default-storage-provider", "fs", "--default-storage-prefix", str(workdir / "bucket")]
    for job in training_jobs(workdir, *arguments):
        assert not GPU_RESOURCES & job.plain.keys(), job.plain
