import pytest
from click.testing import CliRunner

from pairstudy.cli import main
from pairstudy.study import ConfigError, expand_configurations, expand_runs, validate_config


def study(**overrides):
    spec = {
        "seeds": 3,
        "factors": {"architecture": ["mlp", "cnn", "twin"], "sharing": [False, True], "aux": [False, True]},
    }
    spec.update(overrides)
    return {"studies": {"s": spec}}


def configurations(config):
    resolved = validate_config(config)
    return {c.name: c for c in expand_configurations("s", resolved["studies"]["s"])}


def test_factors_that_do_not_apply_make_no_duplicates():
    names = list(configurations(study()))
    assert names == [
        "mlp",
        "cnn",
        "twin-nosharing-noaux",
        "twin-nosharing-aux",
        "twin-sharing-noaux",
        "twin-sharing-aux",
    ]
    runs = expand_runs("s", validate_config(study())["studies"]["s"])
    assert len(runs) == 18 and {run.seed for run in runs} == {0, 1, 2}


def test_hyperparameters_resolve_defaults_overrides_and_levels():
    config = study(
        training={"lr": 0.01, "epochs": 7},
        overrides={"mlp": {"lr": 0.05, "weight_decay": 1e-4, "model": {"hidden": [40, 40]}}},
    )
    found = configurations(config)
    assert found["mlp"].hyperparameters["lr"] == 0.05 and found["mlp"].hyperparameters["model"]["hidden"] == [40, 40]
    assert found["mlp"].hyperparameters["weight_decay"] == 1e-4 and found["mlp"].hyperparameters["aux"] is False
    twin = found["twin-sharing-aux"].hyperparameters
    assert twin["lr"] == 0.01 and twin["epochs"] == 7 and twin["model"]["sharing"] is True and twin["aux"] is True
    assert twin["batch_size"] == 100 and twin["data"]["source"] == "mnist5k"  # schema defaults


def test_training_factor_levels_name_the_configurations():
    found = configurations({"studies": {"s": {"factors": {"architecture": ["twin"], "lr": [0.001, 0.01]}}}})
    assert list(found) == ["twin-lr0.001", "twin-lr0.01"]
    assert found["twin-lr0.01"].hyperparameters["lr"] == 0.01


def test_include_and_exclude():
    found = configurations(
        study(
            exclude=[{"architecture": "twin", "sharing": False}],
            include=[{"architecture": "auxnet", "sharing": True, "aux": True}],
        )
    )
    assert "twin-nosharing-aux" not in found and "twin-sharing-aux" in found and "auxnet-sharing-aux" in found


def test_included_configurations_are_named_by_the_factors_that_vary():
    config = {
        "studies": {
            "s": {
                "factors": {"architecture": ["cnn", "auxnet"], "aux": [True], "lr": [0.001, 0.01], "batch_size": [100]},
                "include": [
                    {"architecture": "cnn", "lr": 0.01, "batch_size": 25},
                    {"architecture": "auxnet", "aux": True, "lr": 0.01, "batch_size": 25},
                ],
            }
        }
    }
    found = configurations(config)
    assert list(found) == [
        "cnn-lr0.001-batch_size100",
        "cnn-lr0.01-batch_size100",
        "auxnet-lr0.001-batch_size100",
        "auxnet-lr0.01-batch_size100",
        "cnn-lr0.01-batch_size25",
        "auxnet-lr0.01-batch_size25",
    ]
    assert found["auxnet-lr0.01-batch_size25"].hyperparameters["batch_size"] == 25


def test_explicit_seed_list():
    runs = expand_runs("s", validate_config(study(seeds=[3, 7]))["studies"]["s"])
    assert sorted({run.seed for run in runs}) == [3, 7]


@pytest.mark.parametrize(
    "config, message",
    [
        (
            {"studies": {"s": {"factors": {"architecture": ["mlp"]}, "epochs": 3}}},
            r"studies\.s: unknown key\(s\) \['epochs'\]; allowed keys: \[",
        ),
        (study(training={"lr": "fast"}), r"studies\.s\.training\.lr: 'fast' is not of type 'number'"),
        (
            study(training={"optimizer": "rmsprop"}),
            r"studies\.s\.training\.optimizer: 'rmsprop' is not allowed; allowed values: \['adam', 'sgd'\]",
        ),
        (
            {"studies": {"s": {"factors": {"architecture": ["transformer"]}}}},
            r"studies\.s\.factors\.architecture: 'transformer' is not a registered architecture; allowed values: \[.*'twin'",
        ),
        (
            {"studies": {"s": {"factors": {"architecture": ["mlp"], "sharing": [True, False]}}}},
            r"studies\.s\.factors\.sharing: no architecture of this study \(\['mlp'\]\) takes it; architectures that do: \[.*'twin'",
        ),
        (
            {"studies": {"s": {"factors": {"architecture": ["mlp"], "colour": [1]}}}},
            r"studies\.s\.factors\.colour: unknown factor.*allowed factors: \['architecture', 'optimizer'",
        ),
        (
            study(overrides={"mlp": {"model": {"sharing": True}}}),
            r"studies\.s\.overrides\.mlp\.model\.sharing: no architecture among \['mlp'\] takes it; allowed: \['batch_norm', 'dropout', 'hidden', 'init'\]",
        ),
        (study(seeds=[1, 1]), r"studies\.s\.seeds: \[1, 1\] has non-unique elements"),
        (
            {"studies": {"s": {"factors": {"architecture": ["mlp"]}}}, "devise": "cpu"},
            r"\(top level\): unknown key\(s\) \['devise'\]",
        ),
    ],
)
def test_bad_config_gives_one_clear_message(config, message):
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


def test_grid_command_prints_the_jobs_and_their_count(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        "studies:\n  s:\n    seeds: 4\n    factors:\n      architecture: [mlp, twin]\n      aux: [false, true]\n"
    )
    result = CliRunner().invoke(main, ["grid", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "study s: 3 configurations x 4 seeds = 12 runs" in result.output
    assert "twin-aux" in result.output and "twin-noaux" in result.output


def test_grid_command_names_a_bad_key(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("studies:\n  s:\n    factors:\n      architecture: [mlpp]\n")
    result = CliRunner().invoke(main, ["grid", "--config", str(path)])
    assert result.exit_code != 0 and "'mlpp' is not a registered architecture" in result.output


def test_default_config_is_valid_and_is_the_siamese_ablation():
    from pathlib import Path

    from pairstudy.study import load_config

    config = load_config(Path(__file__).parents[1] / "config.yaml")
    (name,) = config["studies"]
    spec = config["studies"][name]
    found = [c.name for c in expand_configurations(name, spec)]
    assert len(found) == 6 and spec["seeds"] == 10 and spec["training"]["epochs"] == 25


def test_overrides_change_only_the_keys_they_name():
    found = configurations(study(training={"epochs": 3, "batch_size": 20}, overrides={"mlp": {"lr": 0.01}}))
    assert found["mlp"].hyperparameters["epochs"] == 3 and found["mlp"].hyperparameters["batch_size"] == 20
    assert found["mlp"].hyperparameters["lr"] == 0.01 and found["cnn"].hyperparameters["lr"] == 0.001
