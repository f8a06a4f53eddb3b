"""A researcher's own model in a study: listed, trained alone and by the workflow, rerun when its file changes,
refused before any job when it is broken."""

import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from pairstudy.cli import main
from pairstudy.metrics import read_runs
from tests.helpers import ROOT, copy_workflow, output_of, planned, snakemake, training_outputs

EXAMPLE = yaml.safe_load((ROOT / "examples" / "my_study.yaml").read_text())


def tiny_example() -> dict:
    """examples/my_study.yaml at a size a test can afford: 2 seeds, 100 pairs, 1 epoch, shared towers with aux, no
    charts."""
    config = yaml.safe_load(yaml.safe_dump(EXAMPLE, sort_keys=False))
    study = config["studies"]["my_study"]
    study.update(seeds=2, data={"n_pairs": 100})
    study["training"].update(epochs=1)
    study["factors"].update(sharing=[False, True], aux=[True])
    config["report"] = {"charts": []}
    return config


def with_model_file(folder, text=None):
    folder.mkdir(parents=True, exist_ok=True)
    source = (ROOT / "examples" / "my_model.py").read_text()
    (folder / "my_model.py").write_text(source if text is None else text)
    (folder / "config.yaml").write_text(yaml.safe_dump(tiny_example(), sort_keys=False))
    return folder / "config.yaml"


def test_grid_and_train_take_the_model_file_the_config_names(tmp_path):
    config = with_model_file(tmp_path / "mine")
    result = CliRunner().invoke(main, ["grid", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "study my_study: 4 configurations x 2 seeds = 8 runs" in result.output
    assert "mynet-nosharing" in result.output and "mynet-sharing" in result.output
    out = tmp_path / "run.parquet"
    command = ["train", "--config", str(config), "--arch", "mynet", "--aux", "--epochs", "1", "--data", "n_pairs=60"]
    result = subprocess.run(
        [sys.executable, "-m", "pairstudy.cli", *command, "--out", str(out)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    run = read_runs(out)
    assert run["architecture"].iloc[0] == "mynet" and run["status"].iloc[0] == "ok" and len(run) == 1
    assert run["parameter_count"].iloc[0] == 2_740


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("own"))
    with_model_file(workdir)
    result = snakemake(workdir)
    assert result.returncode == 0, output_of(result)
    return workdir


def test_the_workflow_trains_the_example_study_to_its_report(workdir):
    for name in ("twin-nosharing", "twin-sharing", "mynet-nosharing", "mynet-sharing"):
        runs = read_runs(workdir / "results" / "my_study" / "runs" / name / "block0.parquet")
        assert sorted(runs["seed"].unique()) == [0, 1] and (runs["status"] == "ok").all()
    assert "mynet-sharing" in (workdir / "reports" / "my_study" / "index.html").read_text()


def test_editing_the_model_file_reruns_exactly_its_architecture(workdir):
    model_file = workdir / "my_model.py"
    original = model_file.read_text()
    model_file.write_text(original.replace("width: int = 8", "width: int = 6"))
    try:
        jobs = planned(workdir)
    finally:
        model_file.write_text(original)
    expected = [f"results/my_study/runs/mynet-{kind}/block0.parquet" for kind in ("nosharing", "sharing")]
    assert training_outputs(jobs) == expected
    assert "Nothing to be done" in snakemake(workdir, "-n").stdout


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda source: source.replace("def mynet(", "def mynet(("), r"my_model\.py:\d+: SyntaxError"),
        (
            lambda source: source.replace("return self.head(digits.flatten(1)), digits", "return digits, digits"),
            r"my_model\.py:\d+: architecture 'mynet':.*comparison logits",
        ),
    ],
    ids=["syntax error", "wrong output shape"],
)
def test_a_broken_model_file_stops_the_workflow_before_any_job(tmp_path, edit, message):
    workdir = copy_workflow(tmp_path / "broken")
    source = (ROOT / "examples" / "my_model.py").read_text()
    with_model_file(workdir, edit(source))
    result = snakemake(workdir, "-n")
    assert result.returncode != 0
    assert __import__("re").search(message, output_of(result)), output_of(result)
    assert "train_block" not in result.stdout


def test_the_example_files_are_what_the_readme_shows():
    readme = (ROOT / "README.md").read_text()
    assert "examples/my_model.py" in readme and "examples/my_study.yaml" in readme
    assert "snakemake --cores all --configfile examples/my_study.yaml --replace-workflow-config" in readme
