"""What the command line says where a newcomer would stumble: how to get results, which settings a run used, how
to set a model's knob, what "report 000" is, and which key a typo meant."""

import pytest
import yaml
from click.testing import CliRunner

from pairstudy.cli import main
from pairstudy.metrics import read_runs
from tests.helpers import ROOT

QUICK = ["--arch", "mlp", "--epochs", "1", "--data", "n_pairs=60", "--batch-size", "30"]


def invoke(*arguments):
    return CliRunner().invoke(main, list(arguments))


def test_verdicts_without_results_say_how_to_get_them(tmp_path):
    result = invoke("presets", "--verdicts", "--results", str(tmp_path), "--studies", str(ROOT / "studies"))
    assert result.exit_code != 0
    assert f"has results under {tmp_path}: run one first, e.g. snakemake --cores all --configfile" in result.output
    assert "`pairstudy presets` lists them" in result.output


def test_train_prints_its_last_line_once_and_says_which_settings_it_used(tmp_path):
    out = tmp_path / "run.parquet"
    result = invoke("train", *QUICK, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.count("mlp seed 0: ok on cpu") == 1
    assert result.stdout.strip().endswith(f"-> {out}")
    first = result.stderr.splitlines()[0]
    assert first.startswith("pairstudy train: mlp seed 0 with the schema's defaults (--config FILE: a study's")
    assert "then the options epochs=1 batch_size=30 data.n_pairs=60" in first
    assert " lr=0.001 " in result.stderr.splitlines()[1]  # the schema's, not a study's
    assert "`--config config.yaml` trains with the default study's" in " ".join(
        invoke("train", "--help").output.split()
    )


def test_train_with_a_config_trains_with_its_study(tmp_path):
    config = tmp_path / "config.yaml"
    study = {
        "data": {"n_pairs": 80},
        "training": {"lr": 0.02, "epochs": 3},
        "factors": {"architecture": ["mlp", "twin"]},
        "overrides": {"mlp": {"lr": 0.05, "model": {"dropout": 0.0}}},
    }
    config.write_text(yaml.safe_dump({"studies": {"mine": study}}))
    out = tmp_path / "run.parquet"
    result = invoke("train", "--config", str(config), "--arch", "mlp", "--epochs", "1", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"with study mine of {config}, then the options epochs=1" in result.stderr
    run = read_runs(out)
    hyperparameters = yaml.safe_load(run["hyperparameters"].iloc[0])
    assert (hyperparameters["lr"], hyperparameters["model"]["dropout"], hyperparameters["epochs"]) == (0.05, 0.0, 1)
    assert hyperparameters["data"]["n_pairs"] == 80 and len(run) == 1
    # a file of several studies: which one
    config.write_text(yaml.safe_dump({"studies": {"mine": study, "other": study}}))
    refused = invoke("train", "--config", str(config), "--arch", "mlp", "--out", str(out))
    assert refused.exit_code != 0 and "holds the studies ['mine', 'other']: name one with --study" in refused.output


def test_a_model_knob_given_as_an_option_is_refused_with_how_to_set_it():
    result = invoke("train", "--arch", "twin", "--fusion", "diff", "--out", "x.parquet")
    assert result.exit_code != 0
    assert "No such option: --fusion. A model knob is set with --model fusion=VALUE" in result.output
    assert "fusion=diff" in invoke("train", "--help").output  # the help says so too
    # a near miss of an option still gets click's own suggestion
    assert "--epochs" in invoke("train", "--arch", "mlp", "--epoch", "2", "--out", "x.parquet").output


def test_models_says_what_the_report_numbers_refer_to():
    output = invoke("models").output
    assert "report 000's" in output
    assert "report NNN: the report of reference study NNN" in output
    assert "000 studies/fcn_cnn_auxnet.yaml" in output and "004 studies/twinnet.yaml" in output


@pytest.mark.parametrize(
    "training, hint",
    [
        ({"epoch": 2}, "unknown key(s) ['epoch']; did you mean 'epochs'?"),
        ({"batchsize": 50}, "did you mean 'batch_size'?"),
    ],
)
def test_a_typo_in_a_config_key_names_the_key_it_meant(tmp_path, training, hint):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"studies": {"s": {"factors": {"architecture": ["mlp"]}, "training": training}}}))
    result = invoke("grid", "--configfile", str(config))
    assert result.exit_code != 0 and hint in result.output
