"""The runnable examples of one's own task and training function run to their reports (shrunk: fewer seeds, epochs
and examples; the files themselves are the ones the README names)."""

import shutil
from pathlib import Path

import pytest
import yaml

from tests.helpers import copy_workflow, output_of, snakemake

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def shrunk(folder: str, **changes) -> tuple[Path, dict]:
    config = yaml.safe_load((EXAMPLES / folder / "config.yaml").read_text())
    ((name, study),) = config["studies"].items()
    study["seeds"] = 2
    for key, value in changes.items():
        study.setdefault(key, {}).update(value)
    return EXAMPLES / folder, config


@pytest.mark.parametrize(
    "folder, changes, words",
    [
        (
            "fashion",
            {"training": {"epochs": 1}, "data": {"n_train": 300, "n_test": 200, "validation": 100}},
            ["### Batch_norm", "### Dropout", "### Augment"],
        ),
        ("own_trainer", {"settings": {"epochs": 2, "n_train": 300}}, ["### Hidden", "### Weight_decay"]),
    ],
)
def test_an_example_runs_to_its_report(tmp_path, folder, changes, words):
    source, config = shrunk(folder, **changes)
    workdir = copy_workflow(tmp_path / "work")
    example = workdir / "examples" / folder
    shutil.copytree(source, example, ignore=shutil.ignore_patterns("__pycache__"))
    (example / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    result = snakemake(workdir, "--configfile", f"examples/{folder}/config.yaml", "--replace-workflow-config")
    assert result.returncode == 0, output_of(result)
    (study,) = config["studies"]
    report = (workdir / "reports" / study / "report.md").read_text()
    what_helped = report.split("## What helped", 1)[1].split("\n## ", 1)[0].replace("\\_", "_")
    assert all(word in what_helped for word in words), what_helped
    assert "digit pair" not in report.lower() and "<= the second" not in report
