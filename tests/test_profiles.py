"""Profiles compose as the README says, and training jobs carry exactly the resources their device needs.

Profiles are parsed by Snakemake's own argument parser from a copy of the workflow, where it finds
profiles/default as the workflow profile just as the command line does; resources come from dry runs.
"""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from snakemake.cli import parse_args
from snakemake.iocontainers import ResourceList
from snakemake_executor_plugin_slurm.utils import set_gres_string

from tests.helpers import CLUSTER_STUDY, ROOT, copy_workflow, output_of, snakemake

EXECUTOR_PROFILES = ["slurm", "cluster-generic"]
GPU_RESOURCES = {"gpu", "gpu_model", "gpu_manufacturer"}


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


@pytest.mark.parametrize("name", EXECUTOR_PROFILES)
def test_the_workflow_profile_restates_no_setting_of_an_executor_profile_differently(name):
    shared, executor = profile("default"), profile(name)
    assert {key: executor[key] for key in shared.keys() & executor.keys()} == {
        key: shared[key] for key in shared.keys() & executor.keys()
    }


def test_a_plain_local_run_keeps_going_and_reruns_incomplete_jobs(workdir, monkeypatch):
    options = parsed(workdir, monkeypatch, "--cores", "2")
    assert options.executor in (None, "local")
    assert (options.keep_going, options.rerun_incomplete, options.printshellcmds, options.show_failed_logs) == (
        True,
        True,
        True,
        True,
    )
    assert as_stated("rerun-triggers", None, options) == sorted(profile("default")["rerun-triggers"])


def training_resources(workdir: Path, *arguments: str) -> list[dict[str, str]]:
    """The resources of every planned train_block job in a dry run."""
    result = snakemake(workdir, "-n", *arguments)
    assert result.returncode == 0, output_of(result)
    jobs, rule = [], None
    for line in result.stdout.splitlines():
        if match := re.match(r"^\s*(?:local)?rule (\S+):$", line):
            rule = match.group(1)
        elif rule == "train_block" and line.strip().startswith("resources:"):
            jobs.append(dict(item.strip().split("=", 1) for item in line.split(":", 1)[1].split(",")))
    return jobs


def sbatch_gpu_options(resources: dict[str, str]) -> str:
    """What the SLURM executor adds to a job's sbatch call for these resources."""
    return set_gres_string(SimpleNamespace(resources=ResourceList(fromdict=resources))).strip()


@pytest.mark.parametrize("name", EXECUTOR_PROFILES)
def test_cpu_training_jobs_carry_no_gpu_resources_nor_a_cpu_count_that_overrides_threads(workdir, name):
    jobs = training_resources(workdir, "--profile", f"profiles/{name}", "--config", "threads=3")
    assert len(jobs) == 2
    assert all(not GPU_RESOURCES & job.keys() for job in jobs), jobs
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
        }
        for job in jobs
    ), jobs
    assert {sbatch_gpu_options(job) for job in jobs} == {"--gpus=a100:1"}
    # without a model, any GPU
    (any_gpu, _) = training_resources(workdir, "--profile", "profiles/slurm", "--config", "device=cuda")
    assert {key: any_gpu.get(key) for key in GPU_RESOURCES} == {"gpu": "1", "gpu_model": None, "gpu_manufacturer": None}
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
