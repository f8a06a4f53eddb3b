"""Nothing stale, nothing foreign, nothing unbounded: configs refused before any job, each naming its key."""

import time
import warnings

import pytest
import yaml
from click.testing import CliRunner

from pairstudy.cli import main
from pairstudy.study import ConfigError, expand_configurations, read_yaml, validate_config
from pairstudy.study.grid import IncludeExcludedWarning, grid_size
from pairstudy.study.preflight import check_data, stale_lock_note
from pairstudy.study.schema import MAX_YAML_VALUES

BOMB = "\n".join(
    [
        'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
        *(f"{name}: &{name} [{','.join([f'*{previous}'] * 10)}]" for previous, name in zip("abcdefg", "bcdefgh")),
        "studies: {s: {factors: {architecture: [mlp]}, description: *h}}",
    ]
)


def one_study(**spec):
    return {"studies": {"s": {"factors": {"architecture": ["mlp"]}, **spec}}}


def refused(config, *fragments):
    with pytest.raises(ConfigError) as error:
        resolved = validate_config(config)
        for name, study in resolved["studies"].items():
            check_data(name, study)
    for fragment in fragments:
        assert fragment in str(error.value), str(error.value)
    return str(error.value)


def grid(tmp_path, config):
    path = tmp_path / "config.yaml"
    path.write_text(config if isinstance(config, str) else yaml.safe_dump(config))
    return CliRunner().invoke(main, ["grid", "--config", str(path)])


def test_a_yaml_alias_bomb_is_refused_at_once_naming_file_and_line(tmp_path):
    assert len(BOMB.splitlines()) == 9
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    start = time.monotonic()
    with pytest.raises(ConfigError, match=r"bomb\.yaml: line \d+: .*aliases.*more than the 100000"):
        read_yaml(path)
    result = grid(tmp_path, BOMB)
    assert time.monotonic() - start < 5
    assert result.exit_code == 1 and "line 5" in result.output, result.output


def test_aliases_within_the_bound_still_read_and_recursive_ones_are_refused(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("base: &base {lr: 0.01}\nstudies: {s: {factors: {architecture: [mlp]}, training: *base}}\n")
    assert read_yaml(path)["studies"]["s"]["training"] == {"lr": 0.01}
    path.write_text("a: &a [*a]\n")
    with pytest.raises(ConfigError, match=r"config\.yaml: line 1: the alias \*a lies inside the value it names"):
        read_yaml(path)
    assert MAX_YAML_VALUES >= 10_000  # a real config of many studies fits


def test_a_billion_seeds_is_refused_before_any_list_is_built(monkeypatch):
    import pairstudy.study.grid as grid_module

    monkeypatch.setattr(grid_module, "seed_list", lambda seeds: pytest.fail("seed_list called"))
    refused(one_study(seeds=1_000_000_000), "studies.s.max_runs = 5000", "1000000000 seeds")


def test_ten_thousand_configurations_are_refused_before_the_grid_is_built(monkeypatch):
    import pairstudy.study.grid as grid_module

    levels = {"architecture": ["twin"], "lr": [0.001 * (i + 1) for i in range(100)], "batch_size": list(range(1, 101))}
    monkeypatch.setattr(grid_module.itertools, "product", lambda *a: pytest.fail("grid built"))
    message = refused({"studies": {"s": {"factors": levels, "seeds": 1}}}, "10000 configurations", "max_runs")
    assert "1 x 100 x 100 levels" in message
    assert grid_size({"factors": levels, "include": [{}, {}]}) == 10_002


def test_max_runs_lets_a_really_large_study_through():
    config = one_study(factors={"architecture": ["twin"], "lr": [0.01, 0.02]}, seeds=3000, max_runs=6000)
    assert len(expand_configurations("s", validate_config(config)["studies"]["s"])) == 2
    refused({**config, "studies": {"s": {**config["studies"]["s"], "max_runs": 5999}}}, "6000 runs", "5999")


def test_a_seed_beyond_64_bits_is_refused_naming_it():
    validate_config(one_study(seeds=[2**63 - 1]))
    refused(one_study(seeds=[2**63]), "studies.s.seeds[0]", "maximum of 9223372036854775807")


@pytest.mark.parametrize(
    ("name", "fragment"), [("a" * 65, "a" * 65), ("a" * 300, "(300 characters)"), ("a-b", "'a-b'")]
)
def test_study_names_that_cannot_name_a_folder_or_wildcard_are_refused(name, fragment):
    validate_config({"studies": {"a" * 64: {"factors": {"architecture": ["mlp"]}}}})
    refused({"studies": {name: {"factors": {"architecture": ["mlp"]}}}}, "config key studies: name", fragment, "64")


def test_study_names_that_differ_only_in_case_are_refused():
    study = {"factors": {"architecture": ["mlp"]}}
    refused({"studies": {"abc": study, "ABC": study}}, "studies.ABC", "studies.abc", "case")


def test_an_include_that_an_exclude_removes_is_warned_of_naming_both():
    config = one_study(
        factors={"architecture": ["mlp", "cnn", "twin"]},
        include=[{"architecture": "twin", "sharing": True}],
        exclude=[{"architecture": "cnn"}, {"architecture": "twin"}],
    )
    with pytest.warns(IncludeExcludedWarning, match=r"studies\.s\.include\[0\]: studies\.s\.exclude\[1\] removes"):
        names = [c.name for c in expand_configurations("s", validate_config(config)["studies"]["s"])]
    assert names == ["mlp"]
    config["studies"]["s"]["exclude"] = [{"architecture": "twin", "sharing": False}]  # the grid's twin alone
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        names = [c.name for c in expand_configurations("s", validate_config(config)["studies"]["s"])]
    assert names[:2] == ["mlp", "cnn"] and len(names) == 3


def test_min_seeds_above_a_studys_seeds_is_refused_naming_both_keys():
    validate_config({**one_study(seeds=3), "min_seeds": 3})
    refused({**one_study(seeds=[4, 9]), "min_seeds": 3}, "config key min_seeds: 3", "studies.s.seeds", "2 seeds")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "is empty"),
        ("- a\n- b\n", "top level is a list"),
        ("studies:\n", "config key studies: None"),
        ("device: cpu\n", "config key studies: missing"),
        ("studies: [a]\n", "config key studies: ['a']"),
    ],
)
def test_an_empty_or_misshapen_config_names_studies(tmp_path, text, fragment):
    result = grid(tmp_path, text)
    assert result.exit_code == 1 and fragment in result.output and "studies" in result.output, result.output


@pytest.mark.parametrize("task", ["digit_pairs", "digits"])
def test_a_data_root_the_source_does_not_use_is_refused(tmp_path, task):
    architecture = {"digit_pairs": "mlp", "digits": "image_mlp"}[task]
    config = one_study(task=task, factors={"architecture": [architecture]}, data={"root": str(tmp_path)})
    refused(config, "studies.s.data", "root", "idx, npz and torchvision")
    if task == "digit_pairs":  # the root is read once a source that uses it is chosen
        refused(one_study(data={"root": str(tmp_path), "source": "npz"}), "studies.s.data")


def test_grid_runs_the_workflows_preflight_checks(tmp_path):
    result = grid(tmp_path, one_study(data={"source": "idx", "root": str(tmp_path / "none")}))
    assert result.exit_code == 1 and "config key studies.s.data" in result.output, result.output
    result = grid(tmp_path, one_study(data={"n_pairs": 100_000}))
    assert result.exit_code == 1 and "studies.s.data" in result.output, result.output
    assert grid(tmp_path, one_study(seeds=2)).exit_code == 0


def test_grid_runs_the_user_model_checks(tmp_path, monkeypatch):
    import pairstudy.study.preflight as preflight_module

    calls = []
    monkeypatch.setattr(preflight_module, "check_user_models", lambda found: calls.append([c.name for c in found]))
    assert grid(tmp_path, one_study(seeds=2)).exit_code == 0
    assert calls == [["mlp"]]


def test_a_left_lock_gets_a_note_naming_unlock(tmp_path):
    assert stale_lock_note(tmp_path) is None
    (tmp_path / ".snakemake" / "locks").mkdir(parents=True)
    assert stale_lock_note(tmp_path) is None
    (tmp_path / ".snakemake" / "locks" / "0.output.lock").write_text("results/x\n")
    assert "snakemake --unlock" in stale_lock_note(tmp_path)


@pytest.mark.parametrize("task", ["digit_pairs", "digits"])
def test_an_npz_file_with_nan_pixels_is_refused_before_any_job(tmp_path, task):
    import numpy as np

    images = np.random.default_rng(0).uniform(0, 1, (400, 14, 14)).astype(np.float32)
    images[7, 3, 3] = np.nan
    path = tmp_path / f"nan-{task}.npz"
    np.savez(path, images=images, labels=np.arange(400) % 10)
    architecture = {"digit_pairs": "mlp", "digits": "image_mlp"}[task]
    sizes = {"digit_pairs": {"n_pairs": 50}, "digits": {"n_train": 50, "n_test": 50}}[task]
    config = one_study(
        task=task, factors={"architecture": [architecture]}, data={"source": "npz", "root": str(path), **sizes}
    )
    refused(config, "config key studies.s.data", "NaN or infinite")
