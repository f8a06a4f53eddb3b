"""The reference studies' presets: valid, complete, and their published numbers name real configurations."""

from pathlib import Path

import pandas as pd
import pytest

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
    found = {c.name: c.hyperparameters for c in expand_configurations("fcn_cnn_auxnet", config["studies"]["fcn_cnn_auxnet"])}
    counts = {name: count_parameters(create_model(hp["architecture"], **hp["model"])) for name, hp in found.items()}
    assert counts == {"mlp": 142_786, "cnn": 52_450, "auxnet": 60_396}
    assert found["mlp"]["lr"] == 0.05 and found["cnn"]["weight_decay"] == 1e-3 and found["auxnet"]["lr_step"] == 15


def test_published_section_checks_the_direction_of_the_finding():
    summary = pd.DataFrame(
        {"config": ["a", "b", "c"], "final_test_accuracy_mean": [0.80, 0.90, 0.85], "final_test_accuracy_std": [0.01, 0.02, 0.01]}
    )
    published = {"source": "a report", "results": {"a": {"mean": 78.0, "std": 2.0}, "b": {"mean": 97.0}, "c": {"mean": 85.0}}}
    title, body_html, body_markdown = published_section(published, summary, "mnist5k")
    assert "Best configuration: published b, here b: the finding holds." in body_markdown
    assert "3 of 3 published pairwise orderings hold here" in body_markdown
    assert "+2.00" in body_markdown and "not the full MNIST" in body_markdown
    flipped = summary.assign(final_test_accuracy_mean=[0.95, 0.90, 0.85])
    assert "the finding does not hold" in published_section(published, flipped, "mnist5k")[2]
