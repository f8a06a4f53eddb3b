from click.testing import CliRunner

from pairstudy.cli import main
from pairstudy.metrics import read_run


def test_train_writes_a_run(tmp_path):
    out = tmp_path / "run.parquet"
    result = CliRunner().invoke(
        main,
        [
            "train",
            "--arch",
            "twin",
            "--sharing",
            "--aux",
            "--seed",
            "3",
            "--epochs",
            "2",
            "--n-pairs",
            "100",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    table = read_run(out)
    assert table["seed"].iloc[0] == 3 and len(table) == 2 and table["parameter_count"].iloc[0] == 9_574
    assert "twin seed 3: ok on cpu" in result.output


def test_train_errors_name_the_option_and_value(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["train", "--arch", "mlp", "--sharing", "--out", str(tmp_path / "x.parquet")])
    assert result.exit_code != 0 and "--model.sharing" in result.output or "sharing" in result.output
    result = runner.invoke(main, ["train", "--arch", "nope", "--out", str(tmp_path / "x.parquet")])
    assert result.exit_code != 0 and "'nope' is not a registered architecture" in result.output
    result = runner.invoke(main, ["train", "--arch", "mlp", "--epochs", "0", "--out", str(tmp_path / "x.parquet")])
    assert result.exit_code != 0 and "--epochs" in result.output
    result = runner.invoke(main, ["train", "--arch", "mlp", "--model", "depth", "--out", str(tmp_path / "x.parquet")])
    assert result.exit_code != 0 and "'depth' is not KEY=VALUE" in result.output


def test_every_command_has_help():
    runner = CliRunner()
    for command in ([], ["train"], ["grid"], ["models"], ["data"], ["data", "preview"]):
        result = runner.invoke(main, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_data_preview_draws_pairs(tmp_path):
    out = tmp_path / "pairs.png"
    result = CliRunner().invoke(main, ["data", "preview", "--seed", "0", "--count", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
