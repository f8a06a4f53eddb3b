import numpy as np
import pandas as pd
import pytest

from pairstudy.stats import STUDY_TABLES, study_statistics
from pairstudy.tasks.metrics import Metric, MetricSpec
from tests.helpers import DIGIT_PAIRS, FACTORS, twin_study

VALUE = DIGIT_PAIRS.headline_run_metric

ORDER = ["mlp", "mlp_aux", "cnn", "twin", "twin_shared", "twin_aux", "twin_shared_aux"]


def study_finals(n_seeds=10):
    return twin_study(n_seeds=n_seeds).assign(status="ok")


def test_study_tables_and_their_columns():
    tables = study_statistics(study_finals(), FACTORS, spec=DIGIT_PAIRS, baselines=["mlp", "cnn"], order=ORDER)
    assert set(tables) == {"intervals", "comparisons", "effects", "baselines"}
    for name, table in tables.items():
        assert list(table.columns) == STUDY_TABLES[name]
        assert (table["ci_method"] == "t interval, 95%, n-1 degrees of freedom").all()
    assert list(tables["intervals"]["config"]) == ORDER
    assert len(tables["comparisons"]) == 6
    effects = tables["effects"]
    assert list(effects["effect"]) == ["sharing", "aux", "sharing x aux"]
    assert set(effects["block"]) == {"architecture=twin"}
    kinds = tables["baselines"]["kind"].tolist()
    assert kinds == ["baseline"] * 10 + ["leader vs baseline"] * 2 + ["leader vs runner-up"]
    assert (tables["baselines"].iloc[-3:]["config_b"] == "twin_shared_aux").all()


def test_only_finished_runs_count():
    finals = study_finals()
    failed = (finals["config"] == "twin") & finals["seed"].isin([0, 1, 2])
    finals.loc[failed, "status"] = "failed"
    finals.loc[failed, "final_test_accuracy"] = np.nan
    tables = study_statistics(finals, FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"])
    assert tables["intervals"].set_index("config").loc["twin", "n"] == 7
    comparison = tables["comparisons"].set_index(["config_a", "config_b"]).loc[("twin", "twin_aux")]
    assert comparison["n"] == 7
    assert (tables["effects"]["n"] == 7).all()


def test_nothing_to_compute_gives_empty_tables_with_columns():
    finals = study_finals()
    for nothing in (finals.assign(status="failed"), finals[finals["config"] == "twin"]):
        tables = study_statistics(nothing, FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"])
        for name, table in tables.items():
            assert list(table.columns) == STUDY_TABLES[name]
            assert table.empty or name == "intervals"
    assert (
        len(study_statistics(finals[finals["config"] == "twin"], FACTORS, spec=DIGIT_PAIRS, baselines=[])["intervals"])
        == 1
    )


def test_a_baseline_without_finished_runs_is_left_out():
    finals = study_finals()
    finals.loc[finals["config"] == "cnn", "status"] = "diverged"
    baselines = study_statistics(finals, FACTORS, spec=DIGIT_PAIRS, baselines=["cnn", "mlp"])["baselines"]
    assert "cnn" not in set(baselines["config_a"]) | set(baselines["config_b"])
    assert (baselines[baselines["kind"] == "baseline"]["config_a"] == "mlp").all()


def test_study_bootstrap_names_its_generator_and_repeats():
    finals = study_finals(n_seeds=5)
    first = study_statistics(finals, FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"], interval="bootstrap")
    again = study_statistics(finals, FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"], interval="bootstrap")
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
        assert (first[name]["ci_method"] == "BCa bootstrap, 10,000 resamples, 95%, numpy generator seed 0").all()
    t_tables = study_statistics(finals, FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"])
    assert not np.allclose(first["intervals"]["ci_low"], t_tables["intervals"]["ci_low"])
    with pytest.raises(ValueError, match="interval"):
        study_statistics(finals, FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"], interval="percentile")


def test_two_seeds_give_a_study_without_intervals():
    tables = study_statistics(study_finals(n_seeds=2), FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"])
    for table in tables.values():
        assert table["ci_low"].isna().all() and (table["note"] == "too few seeds").all()
    for name in ("comparisons", "effects", "baselines"):
        assert (tables[name]["seeds_verdict"] == "too few seeds to estimate").all()


def test_a_lower_is_better_headline_leads_with_the_lowest_mean():
    """With MSE as the headline the leader is the configuration with the lowest mean, and its differences from the
    others are negative: lower is better."""
    spec = MetricSpec("regression", (Metric("mse", "lower", "number", "MSE"),), "mse")
    finals = study_finals().rename(columns={VALUE: spec.headline_run_metric})
    tables = study_statistics(finals, FACTORS, spec=spec, baselines=["twin_shared_aux"])
    means = tables["intervals"].set_index("config")["mean"]
    leader = tables["baselines"][tables["baselines"]["kind"] == "leader vs baseline"].iloc[0]
    assert leader["config_b"] == means.idxmin() != means.idxmax()
    assert leader["mean_difference"] < 0
    highest = study_statistics(study_finals(), FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"])["baselines"]
    assert highest[highest["kind"] == "leader vs baseline"].iloc[0]["config_b"] == means.idxmax()
    runner_up = tables["baselines"][tables["baselines"]["kind"] == "leader vs runner-up"].iloc[0]
    assert runner_up["config_a"] == means.drop(means.idxmin()).idxmin() and runner_up["mean_difference"] < 0


def test_a_factor_with_one_level_splits_no_effects_block():
    """A study of one architecture crossing two factors: its 2x2 block is "all", not "architecture=twin"."""
    twins = study_finals()
    twins = twins[twins["architecture"] == "twin"]
    tables = study_statistics(twins, FACTORS, spec=DIGIT_PAIRS, baselines=[])
    assert set(tables["effects"]["block"]) == {"all"}
    assert list(tables["effects"]["effect"]) == ["sharing", "aux", "sharing x aux"]
