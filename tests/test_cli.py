"""The command line: thin commands whose options, defaults and choices come from the config schema."""

import pytest
from click.testing import CliRunner

from pairstudy.cli import main
from pairstudy.data.sources import SOURCES
from pairstudy.metrics import read_runs
from pairstudy.study import schema_property


def test_train_writes_a_run(tmp_path):
    out = tmp_path / "run.parquet"
    arguments = ["train", "--arch", "twin", "--sharing", "--aux", "--seed", "3", "--epochs", "2"]
    arguments += ["--data", "n_pairs=100"]
    result = CliRunner().invoke(main, [*arguments, "--quiet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = read_runs(out)
    assert table["seed"].iloc[0] == 3 and len(table) == 2 and table["parameter_count"].iloc[0] == 9_574
    assert "twin seed 3: ok on cpu" in result.output


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--arch", "mlp", "--sharing"], "--model.sharing: no architecture among ['mlp'] takes it"),
        (["--arch", "nope"], "'nope' is not a registered architecture"),
        (["--arch", "mlp", "--epochs", "0"], "--epochs"),
        (["--arch", "mlp", "--model", "depth"], "'depth' is not KEY=VALUE"),
        (["--arch", "twin", "--model", "comparator=vote"], "--model.comparator: 'vote' is not allowed for twin"),
        (["--arch", "mlp", "--optimizer", "rmsprop"], "'rmsprop' is not one of 'adam', 'sgd'"),
        (["--arch", "mlp", "--data", "n_pairs=3000"], "n_pairs=3000"),
        (["--arch", "mlp", "--data", "n_pairs"], "'n_pairs' is not KEY=VALUE"),
        (["--arch", "mlp", "--data", "bogus=1"], "--data.bogus: task 'digit_pairs' takes no data key 'bogus'"),
        (["--arch", "mlp", "--task", "nope"], "--task: 'nope' is not a registered task"),
    ],
)
def test_train_errors_name_the_option_and_value(tmp_path, arguments, message):
    result = CliRunner().invoke(main, ["train", *arguments, "--quiet", "--out", str(tmp_path / "x.parquet")])
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "x.parquet").exists()


def test_options_take_their_defaults_and_choices_from_the_schema():
    command = main.commands["train"]
    options = {option.name: option for option in command.params}
    assert list(options["optimizer"].type.choices) == schema_property("training", "optimizer")["enum"]
    # the data keys, and the sources they allow, come from the task: one --data option takes them all
    assert options["data_settings"].multiple and options["task"].default is None and "source" not in options
    wrong = ["train", "--arch", "mlp", "--data", "source=nope", "--out", "x.parquet"]
    assert f"allowed values: {list(SOURCES)}" in CliRunner().invoke(main, wrong).output
    assert options["lr"].default is None  # the schema fills it in, so there is one default
    text = CliRunner().invoke(main, ["train", "--help"]).output
    assert f"[default: ({schema_property('training', 'lr')['default']})]" in text
    assert f"{schema_property('training', 'train_metrics')['default']}" in text


def test_every_command_has_help():
    runner = CliRunner()
    for command in ([], ["train"], ["grid"], ["models"], ["why"], ["data"], ["data", "preview"]):
        result = runner.invoke(main, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_models_check_builds_every_architecture():
    result = CliRunner().invoke(main, ["models", "--check"])
    assert result.exit_code == 0, result.output
    assert "built-in architecture 'twin': fine (9,574 trainable parameters)" in result.output


def test_data_preview_draws_pairs(tmp_path):
    out = tmp_path / "pairs.png"
    result = CliRunner().invoke(main, ["data", "preview", "--seed", "0", "--count", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
