"""What several test files share: workflow copies and Snakemake runs, run files, configurations, Debian packages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# The study the executor tests submit: two training jobs (one block each), seconds to train.
CLUSTER_STUDY = {
    "studies": {
        "tiny": {
            "seeds": 2,
            "data": {"n_pairs": 100},
            "training": {"epochs": 1, "batch_size": 50},
            "factors": {"architecture": ["mlp", "twin"]},
        }
    }
}
TIMINGS = ["epoch_seconds"]  # the only run columns that differ between two runs of the same block


def copy_workflow(workdir: Path, config: dict | None = None, package: bool = False) -> Path:
    """A fresh copy of the workflow (Snakefile, rules, profiles) to run Snakemake in; with `package`, also a copy of
    the package that the workspace's runs import first (so a test can edit the training code)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "workflow", "profiles"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, workdir / name)
    if package:
        shutil.copytree(ROOT / "pairstudy", workdir / "pairstudy", ignore=shutil.ignore_patterns("__pycache__"))
    if config is not None:
        write_config(workdir, config)
    return workdir


def write_config(workdir: Path, config: dict) -> None:
    # key order is kept: the factor order names configurations
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def snakemake(workdir: Path, *arguments: str, cores: int = 2, env: dict | None = None) -> subprocess.CompletedProcess:
    """`snakemake --cores N ARGUMENTS` in `workdir`; a package copy in `workdir` is imported first."""
    environment = {**os.environ, "PYTHONPATH": str(workdir), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", str(cores), *arguments],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
    )


def output_of(result: subprocess.CompletedProcess, tail: int = 5000) -> str:
    return (result.stdout + result.stderr)[-tail:]


def planned(workdir: Path, *arguments: str) -> dict[str, list[str]]:
    """Dry run: rule name -> outputs of each planned job; "_stdout" holds the dry run's text."""
    result = snakemake(workdir, "-n", *arguments)
    assert result.returncode == 0, output_of(result)
    jobs: dict[str, list[str]] = {}
    rule = None
    for line in result.stdout.splitlines():
        match = re.match(r"^\s*(?:local)?rule (\S+):$", line)
        if match:
            rule = match.group(1)
            jobs.setdefault(rule, [])
        elif rule and line.strip().startswith("output:"):
            jobs[rule] += [path.strip() for path in line.split(":", 1)[1].split(",")]
    jobs["_stdout"] = [result.stdout]
    return jobs


def run_files(workdir: Path, study: str) -> list[str]:
    """The study's run files, relative to `workdir`, as snakemake targets."""
    runs = workdir / "results" / study / "runs"
    return sorted(str(path.relative_to(workdir)) for path in runs.glob("*/block*.parquet"))


def run_tables(workdir: Path, study: str) -> dict[str, pd.DataFrame]:
    """Every run file of the study (checked against the run schema), without its timings, by path."""
    from pairstudy.metrics import read_runs

    return {path: read_runs(workdir / path).drop(columns=TIMINGS) for path in run_files(workdir, study)}


def assert_same_runs(found: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    assert list(found) == list(expected) and found, (list(found), list(expected))
    for path, table in found.items():
        pd.testing.assert_frame_equal(table, expected[path], obj=path)


def training_outputs(jobs: dict) -> list[str]:
    return sorted(jobs.get("train_block", []))


def hyperparameters(architecture="twin", epochs=2, n_pairs=100, validation_pairs=0, **training):
    """The resolved hyperparameters of a one-configuration study, as the workflow would train them."""
    model = training.pop("model", {})
    study = {
        "factors": {"architecture": [architecture]},
        "training": {"epochs": epochs, "batch_size": 50, **training, "model": model},
        "data": {"n_pairs": n_pairs, "validation_pairs": validation_pairs},
    }
    from pairstudy.study import expand_configurations, validate_config

    (configuration,) = expand_configurations("t", validate_config({"studies": {"t": study}})["studies"]["t"])
    return configuration.hyperparameters


def frame(result) -> pd.DataFrame:
    """A run's rows without the wall time, the one column that may differ between equal runs."""
    return pd.DataFrame(result.rows).drop(columns="epoch_seconds")


def quiet(_line):
    pass


# a synthetic study for the statistics: the factors of its finals table
FACTORS = ["architecture", "sharing", "aux"]


def twin_study(n_seeds=10, aux_gain=0.08, sharing_gain=0.02, interaction=0.0, noise=0.003, seed=0):
    """A 2x2 twin block, plus an mlp pair and a cnn whose sharing does not apply (None)."""
    generator = np.random.default_rng(seed)
    seed_offset = generator.normal(0, 0.02, n_seeds)  # a seed's data pairs move every config alike
    configs = [
        ("twin", "twin", False, False),
        ("twin_shared", "twin", True, False),
        ("twin_aux", "twin", False, True),
        ("twin_shared_aux", "twin", True, True),
        ("mlp", "mlp", None, False),
        ("mlp_aux", "mlp", None, True),
        ("cnn", "cnn", None, False),
    ]
    rows = []
    for config, architecture, sharing, aux in configs:
        for seed_index in range(n_seeds):
            accuracy = 0.75 + seed_offset[seed_index] + aux_gain * aux + sharing_gain * bool(sharing)
            accuracy += interaction * bool(sharing) * aux + generator.normal(0, noise)
            rows.append(
                {
                    "config": config,
                    "seed": seed_index,
                    "architecture": architecture,
                    "sharing": sharing,
                    "aux": aux,
                    "final_test_accuracy": accuracy,
                }
            )
    return pd.DataFrame(rows)


def ensure_debian_package(package: str, provides: str) -> Path:
    """Return `provides` once it exists, installing `package` with apt-get when running as root; otherwise the test
    skips, and in CI (CI=true) it fails."""
    path = Path(provides)
    if not path.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]
        if subprocess.run(install, env=environment, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=environment, capture_output=True)
            subprocess.run(install, env=environment, capture_output=True)
    if not path.exists():
        message = f"{provides} is missing: install the Debian package {package}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
