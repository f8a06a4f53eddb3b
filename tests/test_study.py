import pytest
from click.testing import CliRunner

from pairstudy.cli import main
from pairstudy.study import ConfigError, expand_configurations, read_yaml, seed_blocks, seed_list, validate_config


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
    assert seed_list(validate_config(study())["studies"]["s"]["seeds"]) == [0, 1, 2]


def test_hyperparameters_resolve_defaults_overrides_and_levels():
    config = study(
        training={"lr": 0.01, "epochs": 7},
        overrides={"mlp": {"lr": 0.05, "weight_decay": 1e-4, "model": {"hidden": [40, 40]}}},
    )
    found = configurations(config)
    assert found["mlp"].hyperparameters["lr"] == 0.05 and found["mlp"].hyperparameters["model"]["hidden"] == [40, 40]
    assert found["mlp"].hyperparameters["weight_decay"] == 1e-4 and found["mlp"].hyperparameters["aux"] is False
    assert "aux_weight" not in found["mlp"].hyperparameters and "momentum" not in found["mlp"].hyperparameters
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


def test_explicit_seed_list_and_blocks_fixed_by_seed_value():
    assert seed_list(validate_config(study(seeds=[3, 7]))["studies"]["s"]["seeds"]) == [3, 7]
    assert seed_blocks([0, 1, 2, 3, 4, 10, 11], 5) == {0: (0, 1, 2, 3, 4), 2: (10, 11)}
    assert seed_blocks(range(12), 5) == {0: (0, 1, 2, 3, 4), 1: (5, 6, 7, 8, 9), 2: (10, 11)}


@pytest.mark.parametrize(
    "config, message",
    [
        (
            {"studies": {"s": {"factors": {"architecture": ["mlp"]}, "epochs": 3}}},
            r"studies\.s: unknown key\(s\) \['epochs'\]; it belongs under 'training'; allowed keys: \[",
        ),
        (study(training={"lr": "fast"}), r"studies\.s\.training\.lr: 'fast' is not of type 'number'"),
        (
            study(training={"optimizer": "rmsprop"}),
            r"studies\.s\.training\.optimizer: 'rmsprop' is not allowed; allowed values: \['adam', 'sgd'\]",
        ),
        (
            {"studies": {"s": {"factors": {"architecture": ["transformer"]}}}},
            r"studies\.s\.factors\.architecture\[0\]: 'transformer' is not a registered architecture; allowed values: "
            r"\[.*'twin'",
        ),
        (
            {"studies": {"s": {"factors": {"architecture": ["mlp"], "sharing": [True, False]}}}},
            r"studies\.s\.factors\.sharing: no architecture of this study \(\['mlp'\]\) takes it; "
            r"architectures that do: \[.*'twin'",
        ),
        (
            {"studies": {"s": {"factors": {"architecture": ["mlp"], "colour": [1]}}}},
            r"studies\.s\.factors\.colour: unknown factor.*allowed factors: \['architecture', 'optimizer'",
        ),
        (
            study(overrides={"mlp": {"model": {"sharing": True}}}),
            r"studies\.s\.overrides\.mlp\.model\.sharing: no architecture among \['mlp'\] takes it; "
            r"allowed: \['batch_norm', 'dropout', 'hidden', 'init', 'output'\]",
        ),
        (
            study(training={"epoch": 3}),
            r"studies\.s\.training: unknown key\(s\) \['epoch'\]; did you mean 'epochs'\?; allowed keys: \[",
        ),
        (study(seeds=[1, 1]), r"studies\.s\.seeds: \[1, 1\] has non-unique elements"),
        (
            {"studies": {"s": {"factors": {"architecture": ["mlp"]}}}, "devise": "cpu"},
            r"\(top level\): unknown key\(s\) \['devise'\]; did you mean 'device'\?; allowed keys",
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


def test_a_factor_applies_wherever_the_resolved_settings_use_it():
    # aux set in the training section, aux_weight a factor: three configurations, not one
    found = configurations(
        {
            "studies": {
                "s": {"training": {"aux": True}, "factors": {"architecture": ["twin"], "aux_weight": [0.2, 0.5, 0.8]}}
            }
        }
    )
    assert list(found) == ["twin-aux_weight0.2", "twin-aux_weight0.5", "twin-aux_weight0.8"]
    assert [c.hyperparameters["aux_weight"] for c in found.values()] == [0.2, 0.5, 0.8]
    # ... and aux_weight is dropped where aux is off, momentum where the optimizer is Adam
    found = configurations(
        {
            "studies": {
                "s": {"factors": {"architecture": ["mlp", "twin"], "aux": [False, True], "aux_weight": [0.2, 0.5]}}
            }
        }
    )
    assert list(found) == ["mlp", "twin-noaux", "twin-aux-aux_weight0.2", "twin-aux-aux_weight0.5"]
    assert "aux_weight" not in found["twin-noaux"].factors and "aux_weight" not in found["twin-noaux"].hyperparameters


def test_a_factor_that_changes_nothing_is_refused():
    with pytest.raises(ConfigError, match=r"studies\.s\.factors\.momentum: its levels change nothing"):
        validate_config({"studies": {"s": {"factors": {"architecture": ["twin"], "momentum": [0.0, 0.9]}}}})


def test_settings_a_configuration_does_not_use_leave_its_hyperparameters_unchanged():
    def twin(**training):
        config = {"studies": {"s": {"training": training, "factors": {"architecture": ["mlp", "twin"]}}}}
        return {name: c.hyperparameters for name, c in configurations(config).items()}

    before, after = twin(aux=False), twin(aux=False, aux_weight=0.7)
    assert before == after  # no job reruns for a weight no configuration uses


@pytest.mark.parametrize(
    "factors, message",
    [
        ({"lr": ["fast", 0.01]}, r"studies\.s\.factors\.lr\[0\]: 'fast' is not of type 'number'"),
        ({"epochs": [0, 2]}, r"studies\.s\.factors\.epochs\[0\]: 0 is less than the minimum of 1"),
        ({"epochs": [2.0]}, r"studies\.s\.factors\.epochs\[0\]: 2\.0 is not a whole number"),
        ({"lr": [-1.0, 0.01]}, r"studies\.s\.factors\.lr\[0\]: -1\.0 is less than or equal to the minimum of 0"),
        ({"optimizer": ["adam", "rmsprop"]}, r"factors\.optimizer\[1\]: 'rmsprop' is not allowed; allowed values"),
        (
            {"comparator": ["logits", "vote"]},
            r"factors\.comparator\[1\]: 'vote' is not allowed for twin; allowed values",
        ),
        ({"dropout": [0.1, "high"]}, r"studies\.s\.factors\.dropout\[1\]: 'high' is not allowed for twin"),
        ({"hidden": [32, 2.5]}, r"studies\.s\.factors\.hidden\[1\]: 2\.5 is not allowed for twin"),
    ],
)
def test_every_factor_level_is_checked_like_the_training_section(factors, message):
    with pytest.raises(ConfigError, match=message):
        validate_config({"studies": {"s": {"factors": {"architecture": ["twin"], **factors}}}})


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"training": {"model": {"comparator": "vote"}}}, r"studies\.s\.training\.model\.comparator: 'vote' is not"),
        (
            {"overrides": {"twin": {"model": {"hidden": "big"}}}},
            r"overrides\.twin\.model\.hidden: 'big' is not allowed",
        ),
        ({"include": [{"architecture": "twin", "lr": "fast"}]}, r"studies\.s\.include\[0\]\.lr: 'fast' is not of type"),
        ({"include": [{"architecture": "mlp", "sharing": True}]}, r"include\[0\]\.sharing: not a factor of \['mlp'\]"),
        ({"training": {"lr": float("nan")}}, r"studies\.s\.training\.lr: nan is not a finite number"),
        (
            {"training": {"lr": "1e-3"}},
            r"training\.lr: '1e-3' is text, not a number.*write it with one, e\.g\. 1\.0e-03",
        ),
        ({"training": {"epochs": 2.0}}, r"studies\.s\.training\.epochs: 2\.0 is not a whole number"),
        ({"baselines": ["nope"]}, r"studies\.s\.baselines\.nope: not a configuration of this study"),
        (
            {"training": {"model": {"comparator": "digits"}}},
            r"reads the comparison off the predicted digits \(comparator: digits\).*set aux: true",
        ),
    ],
)
def test_overrides_includes_and_model_knobs_are_checked_before_any_job(spec, message):
    with pytest.raises(ConfigError, match=message):
        validate_config({"studies": {"s": {"factors": {"architecture": ["twin"]}, **spec}}})


def test_a_key_written_twice_is_refused_with_both_lines(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        "studies:\n  s:\n    training:\n      lr: 0.01\n    factors:\n      architecture: [mlp]\n"
        "    training:\n      epochs: 2\n"
    )
    with pytest.raises(ConfigError, match=r"key 'training' appears twice in one mapping \(lines 3 and 7"):
        read_yaml(path)


def test_the_data_pool_is_checked_before_any_job():
    from pairstudy.study.preflight import check_data

    config = validate_config({"studies": {"s": {"data": {"n_pairs": 3000}, "factors": {"architecture": ["mlp"]}}}})
    with pytest.raises(ConfigError, match=r"studies\.s\.data: .*n_pairs=3000.*2500"):
        check_data("s", config["studies"]["s"])
    missing = validate_config(
        {"studies": {"s": {"data": {"source": "idx", "root": "/nowhere"}, "factors": {"architecture": ["mlp"]}}}}
    )
    with pytest.raises(ConfigError, match=r"studies\.s\.data: .*/nowhere"):
        check_data("s", missing["studies"]["s"])


def test_default_baselines_are_the_architectures_that_take_no_other_factor():
    from pairstudy.study import baseline_names

    spec = validate_config(study())["studies"]["s"]
    assert baseline_names(expand_configurations("s", spec), spec) == ["mlp", "cnn"]
    named = validate_config(study(baselines=["twin-sharing-noaux"]))["studies"]["s"]
    assert baseline_names(expand_configurations("s", named), named) == ["twin-sharing-noaux"]
    only_twins = validate_config({"studies": {"s": {"factors": {"architecture": ["twin"], "aux": [False, True]}}}})
    assert baseline_names(expand_configurations("s", only_twins["studies"]["s"]), only_twins["studies"]["s"]) == []


def test_the_built_in_tasks_offer_exactly_the_data_sources_the_data_package_has():
    from pairstudy.data import SOURCES
    from pairstudy.tasks.registry import _data_knobs

    for task in ("digit_pairs", "digits"):
        assert sorted(_data_knobs[task]["source"].choices) == sorted(SOURCES)
