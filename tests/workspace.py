"""A fresh copy of the workflow (Snakefile, rules, profiles) for a test to run Snakemake in."""

import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def copy_workflow(workdir: Path, config: dict | None = None) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "workflow", "profiles"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, workdir / name)
    if config is not None:
        (workdir / "config.yaml").write_text(
            yaml.safe_dump(config, sort_keys=False)
        )  # factor order names configurations
    return workdir
