"""The reference studies' presets: valid, complete, and their published numbers name real configurations."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from workspace import copy_workflow

from pairstudy.models import count_parameters, create_model
from pairstudy.report.published import published_section
from pairstudy.study import expand_configurations, load_config

PRESETS = sorted((Path(__file__).resolve().parents[1] / "studies").glob("*.yaml"))


def test_the_five_reference_studies_are_presets():
    reference = {"fcn_cnn_auxnet", "parameter_budget", "siamese_ablation", "towers", "twinnet"}
    assert reference <= {path.stem for path in PRESETS}


@pytest.mark.parametrize("path", PRESETS, ids=lambda path: path.stem)
def test_preset_is_valid_and_runs_one_command(path):
    config = load_config(path)
    (name,) = config["studies"]
    assert path.stem == name
    assert f"snakemake --cores all --configfile studies/{path.name} --replace-workflow-config" in path.read_text()
    configurations = expand_configurations(name, config["studies"][name])
    assert configurations


def test_preset_architectures_match_the_published_parameter_counts():
    config = load_config(next(path for path in PRESETS if path.stem == "fcn_cnn_auxnet"))
    found = {
        c.name: c.hyperparameters for c in expand_configurations("fcn_cnn_auxnet", config["studies"]["fcn_cnn_auxnet"])
    }
    counts = {name: count_parameters(create_model(hp["architecture"], **hp["model"])) for name, hp in found.items()}
    assert counts == {"mlp": 142_786, "cnn": 52_450, "auxnet": 60_396}
    assert found["mlp"]["lr"] == 0.05 and found["cnn"]["weight_decay"] == 1e-3 and found["auxnet"]["lr_step"] == 15


def test_published_section_checks_the_direction_of_the_finding():
    summary = pd.DataFrame(
        {
            "config": ["a", "b", "c"],
            "final_test_accuracy_mean": [0.80, 0.90, 0.85],
            "final_test_accuracy_std": [0.01, 0.02, 0.01],
        }
    )
    published = {
        "source": "a report",
        "results": {"a": {"mean": 78.0, "std": 2.0}, "b": {"mean": 97.0}, "c": {"mean": 85.0}},
    }
    title, body_html, body_markdown = published_section(published, summary, "mnist5k")
    assert "Best configuration: published b, here b: the finding holds." in body_markdown
    assert "3 of 3 published pairwise orderings hold here" in body_markdown
    assert "+2.00" in body_markdown and "not the full MNIST" in body_markdown
    flipped = summary.assign(final_test_accuracy_mean=[0.95, 0.90, 0.85])
    assert "the finding does not hold" in published_section(published, flipped, "mnist5k")[2]


def shrunk(study: dict) -> dict:
    """The same study at a size a test can afford: 2 seeds trained together, 60 pairs, 1 epoch."""
    study = {**study, "seeds": 2, "seeds_per_job": 2}
    study["data"] = {**study.get("data", {}), "n_pairs": 60}
    study["training"] = {**study.get("training", {}), "epochs": 1}
    study["overrides"] = {name: {**settings, "epochs": 1} for name, settings in study.get("overrides", {}).items()}
    return study


def test_every_preset_runs_to_its_report(tmp_path):
    studies = {}
    for path in PRESETS:
        ((name, study),) = yaml.safe_load(path.read_text())["studies"].items()
        studies[name] = shrunk(study)
    workdir = copy_workflow(tmp_path / "presets", {"studies": studies})
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2"], cwd=workdir, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    for name, study in studies.items():
        report = (workdir / "reports" / name / "report.md").read_text()
        status = pd.read_csv(workdir / "results" / name / "run_status.csv")
        assert len(status) == len(
            expand_configurations(name, load_config(tmp_path / "presets" / "config.yaml")["studies"][name])
        )
        assert (status["finished"] == 2).all(), f"{name}: {status.to_dict('records')}"
        assert ("not the full MNIST" in report) == ("published" in study), name
