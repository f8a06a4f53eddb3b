"""Where results came from: code hash, git commit, package versions."""

from __future__ import annotations

import functools
import hashlib
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

PACKAGE_ROOT = Path(__file__).parent
TRAINING_CODE = ("data", "models", "tasks", "train", "metrics")
PACKAGES = (
    "pairstudy",
    "torch",
    "snakemake",
    "pandas",
    "pyarrow",
    "numpy",
    "scipy",
    "statsmodels",
    "altair",
    "vl-convert-python",
)


@functools.cache
def code_hash(parts=TRAINING_CODE) -> str:
    """Content hash of the package code that training runs, so only a real edit reruns training."""
    digest = hashlib.sha256()
    for part in parts:
        for path in sorted((PACKAGE_ROOT / part).rglob("*.py")):
            digest.update(str(path.relative_to(PACKAGE_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def git_commit(folder: str | Path = ".") -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=folder, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if commit.returncode != 0:
        return "unknown"
    return commit.stdout.strip()[:12] + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def package_versions(names=PACKAGES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def provenance(folder: str | Path = ".") -> dict:
    """What made a file: pairstudy's version, the training code's hash, the git commit of `folder` when there is one."""
    try:
        version = metadata.version("pairstudy")
    except metadata.PackageNotFoundError:
        version = "not installed"
    return {"pairstudy": version, "training code": code_hash(), "git commit": git_commit(folder)}


def configuration_code(hyperparameters: dict) -> str:
    """The code a configuration trains with (see `training_code`); for a training function of one's own, the
    package's training code and the function's file."""
    if "trainer" not in hyperparameters:
        return training_code(hyperparameters["architecture"], hyperparameters["task"])
    from pairstudy.models.files import source_hash
    from pairstudy.study.trainer import trainer_file

    function_file = source_hash(trainer_file(hyperparameters["trainer"]))
    return f"pairstudy training code {code_hash()}, training function file {function_file}"


def training_code(architecture: str, task: str) -> str:
    """The code a configuration of `architecture` on `task` trains with: the package's training code and, for a
    user's architecture or task, the file that registered it. Part of each training job's parameters and of the key
    its runs are kept under."""
    from pairstudy.models import architecture_code_hash
    from pairstudy.models.files import source_hash
    from pairstudy.tasks.registry import task_source

    model_file = architecture_code_hash(architecture)
    task_file = source_hash(task_source(task))
    return (
        f"pairstudy training code {code_hash()}"
        + (f", model file {model_file}" if model_file else "")
        + (f", task file {task_file}" if task_file else "")
    )
