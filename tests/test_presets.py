"""The presets and their sweeps: valid, one command each, published numbers that say what they are and name real
configurations, readings as their headers state them, and every preset run through the workflow to its report."""

import re

import pandas as pd
import pytest

from pairstudy.models import count_parameters, create_model
from pairstudy.presets import (
    KINDS,
    STUDIES_DIR,
    SWEEP_SUFFIX,
    preset_paths,
    preset_study,
    swept_factors,
)
from pairstudy.report.published import verdicts_markdown
from pairstudy.report.tables import markdown_text
from pairstudy.study import expand_configurations, load_config, seed_list
from pairstudy.study.published import levels_match
from tests.helpers import ROOT, copy_workflow, output_of, snakemake

PRESETS = preset_paths(STUDIES_DIR)
FILES = preset_paths(STUDIES_DIR, sweeps=True)
SWEEPS = [path for path in FILES if path not in PRESETS]
REFERENCE = {"fcn_cnn_auxnet", "parameter_budget", "siamese_ablation", "towers", "twinnet"}


def configurations(name: str) -> dict:
    """A preset's configurations by name, from the validated file."""
    config = load_config(STUDIES_DIR / f"{name}.yaml")
    return {c.name: c for c in expand_configurations(name, config["studies"][name])}


def test_the_five_reference_studies_are_presets():
    assert REFERENCE <= {path.stem for path in PRESETS}


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_preset_is_valid_and_runs_one_command(path):
    config = load_config(path)
    (name,) = config["studies"]
    assert path.stem == name
    command = f"snakemake --cores all --configfile studies/{path.name} --replace-workflow-config"
    assert f"# Run: {command}\n" in path.read_text()
    assert expand_configurations(name, config["studies"][name])


@pytest.mark.parametrize("path", [path for path in PRESETS if path.stem in REFERENCE], ids=lambda path: path.stem)
def test_published_numbers_say_what_they_are_and_name_configurations(path):
    name, study = preset_study(path)
    published = study["published"]
    assert published["kind"] in KINDS  # stated in the file, not left to the default
    names = set(configurations(name))
    results = published.get("results", {})
    assert set(results) <= names
    assert set(published.get("explanations", {})) <= set(results)
    for numbers in [*results.values(), *published.get("results_by_levels", [])]:
        assert numbers.get("std", 0) >= 0 and numbers["n"] >= 1
    if (results or published.get("results_by_levels")) and KINDS[published["kind"]][0] == "selected_test_accuracy":
        assert study["data"]["validation_pairs"] > 0, "a best epoch is compared with ours chosen on validation pairs"


@pytest.mark.parametrize("path", SWEEPS, ids=lambda path: path.stem)
def test_a_sweep_chooses_its_presets_open_settings_on_validation_pairs_and_fresh_seeds(path):
    preset_name = path.stem.removesuffix(SWEEP_SUFFIX)
    _, preset = preset_study(STUDIES_DIR / f"{preset_name}.yaml")
    _, sweep = preset_study(path)
    assert sweep["data"]["validation_pairs"] > 0
    assert not set(seed_list(sweep["seeds"])) & set(seed_list(preset["seeds"]))
    if preset_name != "best":  # best's sweep chose among nets and comparators, a study of its own
        assert swept_factors(preset, sweep)
        header = (STUDIES_DIR / f"{preset_name}.yaml").read_text()
        assert f"studies/{path.name}" in header and f"pairstudy presets --sweep {preset_name}\n" in header


def test_the_reports_that_leave_settings_open_tune_them_or_have_sweeps():
    swept = {path.stem.removesuffix(SWEEP_SUFFIX) for path in SWEEPS}
    assert "parameter_budget" in swept
    assert not {"fcn_cnn_auxnet", "siamese_ablation", "towers"} & swept  # code settles the first; the others tune
    _, siamese = preset_study(STUDIES_DIR / "siamese_ablation.yaml")
    assert set(siamese["tuning"]["space"]) == {"optimizer", "epochs", "batch_size"}
    _, towers = preset_study(STUDIES_DIR / "towers.yaml")
    assert set(towers["tuning"]["space"]) == {"lr", "momentum", "batch_size"}
    # each tower's setting chosen on its own reading (comparator digits), one configuration per tower
    tuned = [c for c in configurations("towers").values() if c.factors.get("comparator") == "digits"]
    assert towers["tuning"]["chosen_on"] == [{"comparator": "digits"}] and len(tuned) == 4
    for name, study in (("siamese_ablation", siamese), ("towers", towers)):
        assert not set(study["tuning"]["seeds"]) & set(seed_list(study["seeds"]))
        header = (STUDIES_DIR / f"{name}.yaml").read_text()
        assert "_sweep.yaml" not in header and "Tuning section" in header


def test_preset_architectures_match_the_published_parameter_counts():
    found = {c.architecture: c.hyperparameters for c in configurations("fcn_cnn_auxnet").values()}
    counts = {name: count_parameters(create_model(hp["architecture"], **hp["model"])) for name, hp in found.items()}
    assert counts == {"mlp": 142_786, "cnn": 52_450, "auxnet": 60_396}
    assert found["mlp"]["lr"] == 0.05 and found["cnn"]["weight_decay"] == 1e-3 and found["auxnet"]["lr_step"] == 15
    budget = configurations("parameter_budget")
    for configuration in budget.values():
        hp = configuration.hyperparameters
        assert 65_000 <= count_parameters(create_model(hp["architecture"], **hp["model"])) <= 75_000


def test_twinnet_follows_the_authors_code_and_measures_the_printed_tower_too():
    found = configurations("twinnet")
    published = found["twin-sharing-aux-activationrelu"].hyperparameters
    assert published["model"]["activation"] == "relu" and published["batch_size"] == 128
    assert published["lr"] == 0.01 and published["epochs"] == 25
    printed = found["twin-sharing-aux-activationnone"].hyperparameters
    assert {**printed, "model": {**printed["model"], "activation": "relu"}} == published
    model = published["model"]
    assert count_parameters(create_model("twin", **model)) == 9_574
    assert count_parameters(create_model("twin", **{**model, "sharing": False})) == 18_896


def test_towers_read_the_comparison_off_the_predicted_digits_beside_the_learned_head():
    found = configurations("towers")
    _, study = preset_study(STUDIES_DIR / "towers.yaml")
    for name in study["published"]["results"]:
        hp = found[name].hyperparameters
        assert hp["model"]["comparator"] == "digits" and hp["aux"] and hp["aux_weight"] == 0.0
        head = name.replace("comparatordigits", "comparatorlogits")
        assert found[head].hyperparameters["model"] == {**hp["model"], "comparator": "logits"}


def subset(name: str, study: dict) -> dict:
    """The preset cut to its last published configuration (its first one without any) by excluding the others, so
    names stay those of the full preset, at 2 seeds, 60 pairs and 1 epoch."""
    found = expand_configurations(name, load_config(STUDIES_DIR / f"{name}.yaml")["studies"][name])
    published = study.get("published", {}).get("results", {})
    kept = list(published)[-1:] or [found[0].name]
    study = {**study, "seeds": seed_list(study["seeds"])[:2], "seeds_per_job": 2}
    if "tuning" in study:  # one setting (the last value of each key, 1 epoch) on one tuning seed
        space = {key: [1] if key == "epochs" else values[-1:] for key, values in study["tuning"]["space"].items()}
        study["tuning"] = {**study["tuning"], "space": space, "seeds": study["tuning"]["seeds"][:1]}
    study["exclude"] = [c.factors for c in found if c.name not in kept]
    study["data"] = {**study.get("data", {}), "n_pairs": 60}
    if study["data"].get("validation_pairs"):
        study["data"]["validation_pairs"] = 20
    study["training"] = {**study["training"], "epochs": 1}
    study["overrides"] = {arch: {**settings, "epochs": 1} for arch, settings in study.get("overrides", {}).items()}
    if published:
        study["published"] = {**study["published"], "results": {config: published[config] for config in kept}}
    by_levels = study.get("published", {}).get("results_by_levels", [])
    if by_levels:  # only the entries at the kept configuration's levels: the others match none of the subset's
        factors = next(c.factors for c in found if c.name in kept)
        entries = [entry for entry in by_levels if levels_match(entry["levels"], factors)]
        study["published"] = {**study["published"], "results_by_levels": entries}
    return study


def test_every_preset_runs_to_its_report(tmp_path):
    """One workflow run for every preset, each cut to one configuration (the sweeps train the presets' architectures
    and knobs): its report shows its published section, whose verdict rows say 2 seeds are too few."""
    studies = {}
    for path in PRESETS:
        name, study = preset_study(path)
        studies[name] = subset(name, study)
    # no charts: the report's sections, the published one among them, are what this test reads
    workdir = copy_workflow(tmp_path / "presets", {"studies": studies, "report": {"charts": []}})
    result = snakemake(workdir, env={"PYTHONPATH": str(ROOT)})  # this checkout's package, wherever it is installed
    assert result.returncode == 0, output_of(result, 8000)
    for name, study in studies.items():
        report = (workdir / "reports" / name / "report.md").read_text()
        status = pd.read_csv(workdir / "results" / name / "run_status.csv")
        assert len(status) == 1
        assert (status["finished"] == 2).all(), f"{name}: {status.to_dict('records')}"
        assert ("## Published results" in report) == ("published" in study), name
        section = report.partition("## Published results")[2].partition("\n## ")[0]
        for config in study.get("published", {}).get("results", {}):
            row = next(line for line in section.splitlines() if line.startswith(f"| {markdown_text(config)} |"))
            assert re.search(r"\| too few seeds \|", row), row  # 2 seeds: no interval, no verdict yet
    table = verdicts_markdown(STUDIES_DIR, workdir / "results")
    studies_listed = {line.split(" | ")[0].removeprefix("| ").replace("\\_", "_") for line in table.splitlines()[4:]}
    assert studies_listed >= REFERENCE
