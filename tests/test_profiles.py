"""Profiles compose as the README says, and training jobs carry exactly the resources their device needs.

Profiles are parsed by Snakemake's own argument parser from a copy of the workflow, where it finds
profiles/default as the workflow profile just as the command line does; resources come from dry runs.
"""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from snakemake.cli import parse_args
from snakemake.iocontainers import ResourceList
from snakemake_executor_plugin_slurm.utils import set_gres_string

from tests.helpers import CLUSTER_STUDY, ROOT, copy_workflow, output_of, planned_training_jobs, snakemake

# each executor profile, parsed only where its plugin is installed (Snakemake's parser knows its settings then)
PLUGINS = {
    "slurm": "slurm",
    "cluster-generic": "cluster_generic",
    "googlebatch": "googlebatch",
    "htcondor": "htcondor",
    "lsf": "lsf",
}
EXECUTOR_PROFILES = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(
            importlib.util.find_spec(f"snakemake_executor_plugin_{module}") is None,
            reason=f"snakemake-executor-plugin-{name} is not installed",
        ),
    )
    for name, module in PLUGINS.items()
]
# the resources a GPU job asks each executor with (docs/executors.md); a CPU job has none of them (or blank)
GPU_RESOURCES = {"gpu", "gpu_model", "gpu_manufacturer", "nvidia_gpu", "request_gpus", "require_gpus", "lsf_extra"}
GPU_RESOURCES |= {"pbs_gpus"}
# Google Batch plans only with a storage provider: a folder stands in for the profile's bucket
LOCAL_STORAGE = ["--default-storage-provider", "fs", "--default-storage-prefix", "bucket"]


def profile(name: str) -> dict:
    return yaml.safe_load((ROOT / "profiles" / name / "config.yaml").read_text())


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return copy_workflow(tmp_path_factory.mktemp("profiles"), CLUSTER_STUDY, package=True)


def parsed(workdir: Path, monkeypatch, *arguments: str):
    """The options `snakemake ARGUMENTS` runs with, started in `workdir`."""
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("SNAKEMAKE_PROFILE", raising=False)
    _, options = parse_args(list(arguments))
    return options


def as_stated(key: str, value, options):
    """The parsed value of a profile key in the form the profile states it."""
    found = getattr(options, key.replace("-", "_"))
    if key == "default-resources":
        given = dict(item.split("=", 1) for item in found.args)
        return {name: type(value[name])(given[name]) if name in given else None for name in value}
    if key == "rerun-triggers":
        return sorted(trigger.name.lower().replace("_", "-") for trigger in found)
    return found


@pytest.mark.parametrize("name", EXECUTOR_PROFILES)
def test_an_executor_profile_runs_with_every_value_it_states(workdir, monkeypatch, name):
    stated = profile(name)
    options = parsed(workdir, monkeypatch, "--profile", f"profiles/{name}")
    found = {key: as_stated(key, value, options) for key, value in stated.items()}
    expected = {key: sorted(value) if key == "rerun-triggers" else value for key, value in stated.items()}
    assert found == expected
    assert not options.printshellcmds  # every rule runs a script: each job would print "Shell command: None"


@pytest.mark.parametrize("name", EXECUTOR_PROFILES)
def test_the_workflow_profile_restates_no_setting_of_an_executor_profile_differently(name):
    shared, executor = profile("default"), profile(name)
    assert {key: executor[key] for key in shared.keys() & executor.keys()} == {
        key: shared[key] for key in shared.keys() & executor.keys()
    }


def test_a_plain_local_run_keeps_going_and_reruns_incomplete_jobs(workdir, monkeypatch):
    options = parsed(workdir, monkeypatch, "--cores", "2")
    assert options.executor in (None, "local")
    assert (options.keep_going, options.rerun_incomplete, options.show_failed_logs) == (True, True, True)
    assert as_stated("rerun-triggers", None, options) == sorted(profile("default")["rerun-triggers"])
    # every rule runs a script: printshellcmds would print "Shell command: None" for each job; the workflow says
    # each job's reason as `pairstudy why` does, instead of Snakemake's (a re-run's is a whole dict of settings)
    assert not options.printshellcmds
    assert {level.name.lower() for level in options.quiet} == {"reason"}
    # the command line still decides: --quiet host shows Snakemake's own reasons again
    assert {level.name.lower() for level in parsed(workdir, monkeypatch, "--quiet", "host").quiet} == {"host"}


def training_resources(workdir: Path, *arguments: str) -> list[dict[str, str]]:
    """The resources of every planned train_block job in a dry run."""
    if "profiles/googlebatch" in arguments:
        pytest.importorskip("snakemake_storage_plugin_fs")
        arguments = (*arguments, *LOCAL_STORAGE)
    return [job["resources"] for job in planned_training_jobs(workdir, *arguments)]


def sbatch_gpu_options(resources: dict[str, str]) -> str:
    """What the SLURM executor adds to a job's sbatch call for these resources."""
    return set_gres_string(SimpleNamespace(resources=ResourceList(fromdict=resources))).strip()


@pytest.mark.parametrize("name", EXECUTOR_PROFILES)
def test_cpu_training_jobs_carry_no_gpu_resources_nor_a_cpu_count_that_overrides_threads(workdir, name):
    jobs = training_resources(workdir, "--profile", f"profiles/{name}", "--config", "threads=3")
    assert len(jobs) == 2
    assert all(not {key for key in GPU_RESOURCES & job.keys() if job[key]} for job in jobs), jobs
    assert {sbatch_gpu_options(job) for job in jobs} == {""}
    # a cpus_per_task resource would override the threads in the SLURM plugin's --cpus-per-task
    assert all("cpus_per_task" not in job for job in jobs), jobs


def test_cuda_training_jobs_carry_the_gpu_model_and_manufacturer(workdir):
    config = ["device=cuda", "gpu_model=a100", "gpu_manufacturer=nvidia"]
    jobs = training_resources(workdir, "--profile", "profiles/slurm", "--config", *config)
    assert len(jobs) == 2
    assert all(
        {key: job.get(key) for key in GPU_RESOURCES}
        == {
            "gpu": "1",
            "gpu_model": "a100",
            "gpu_manufacturer": "nvidia",
            "nvidia_gpu": "a100",
            "request_gpus": "1",
            "require_gpus": 'regexp("a100", DeviceName, "i")',
            "lsf_extra": "-gpu num=1:gmodel=a100",
            "pbs_gpus": ":ngpus=1",
        }
        for job in jobs
    ), jobs
    assert {sbatch_gpu_options(job) for job in jobs} == {"--gpus=a100:1"}
    # without a model, any GPU
    (any_gpu, _) = training_resources(workdir, "--profile", "profiles/slurm", "--config", "device=cuda")
    assert {key: any_gpu.get(key) for key in GPU_RESOURCES} == {
        "gpu": "1",
        "gpu_model": None,
        "gpu_manufacturer": None,
        "nvidia_gpu": "1",
        "request_gpus": "1",
        "require_gpus": None,
        "lsf_extra": "-gpu num=1",
        "pbs_gpus": ":ngpus=1",
    }
    assert sbatch_gpu_options(any_gpu) == "--gpus=1"


def test_training_jobs_are_single_submissions_unless_grouped_on_the_command_line(workdir):
    """Ungrouped, each block can go into a SLURM array job; grouped, N blocks go in one submission."""
    (workdir / "four_blocks.yaml").write_text("studies: {tiny: {seeds_per_job: 1}}\n")  # 2 configurations x 2 seeds
    four_blocks = ["--configfile", "four_blocks.yaml"]
    plain = snakemake(workdir, "-n", "--profile", "profiles/slurm", *four_blocks)
    assert plain.returncode == 0, output_of(plain)
    assert "Group job" not in plain.stdout and plain.stdout.count("rule train_block:") == 4
    grouped_options = ["--groups", "train_block=train", "--group-components", "train=2"]
    grouped = snakemake(workdir, "-n", "--profile", "profiles/slurm", *four_blocks, *grouped_options)
    assert grouped.returncode == 0, output_of(grouped)
    groups = grouped.stdout.split("Group job train")[1:]
    assert [group.count("rule train_block:") for group in groups] == [2, 2], grouped.stdout
