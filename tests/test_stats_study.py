import numpy as np
import pandas as pd
import pytest
import scipy.stats

from pairstudy.stats import STUDY_TABLES, study_statistics
from pairstudy.stats.intervals import BOOTSTRAP_MIN_SEEDS
from pairstudy.stats.paired import DIFFERENCE_COLUMNS
from pairstudy.stats.summary import BOOTSTRAP_FELL_BACK
from pairstudy.stats.words import AGAINST_BASELINES, FACTOR_EFFECTS, ONE_FACTOR
from pairstudy.tasks.metrics import Metric, MetricSpec
from tests.helpers import DIGIT_PAIRS, FACTORS, twin_study

VALUE = DIGIT_PAIRS.headline_run_metric

ORDER = ["mlp", "mlp_aux", "cnn", "twin", "twin_shared", "twin_aux", "twin_shared_aux"]


def study_finals(n_seeds=10):
    return twin_study(n_seeds=n_seeds).assign(status="ok")


def family_method(size: int) -> str:
    """The ci_method of a t interval tested in a family of `size` comparisons at 95% family-wise."""
    return (
        f"t interval, 95% family-wise (Bonferroni over {size} comparisons: {1 - 0.05 / size:.2%} each), "
        "n-1 degrees of freedom"
    )


def row_of(table, config_a, config_b, kind=None):
    found = table[(table["config_a"] == config_a) & (table["config_b"] == config_b)]
    if kind is not None:
        found = found[found["kind"] == kind]
    assert len(found) == 1
    return found.iloc[0]


def test_study_tables_and_their_columns():
    finals = study_finals()
    tables = study_statistics(finals, FACTORS, spec=DIGIT_PAIRS, baselines=["mlp", "cnn"], order=ORDER)
    assert set(tables) == {"intervals", "comparisons", "effects", "baselines"}
    for name, table in tables.items():
        assert list(table.columns) == STUDY_TABLES[name]
    intervals = tables["intervals"]
    assert (intervals["ci_method"] == "t interval, 95%, n-1 degrees of freedom").all()
    assert list(intervals["config"]) == ORDER
    assert (intervals["runs"] == 10).all() and (intervals["failed"] == 0).all()
    medians = finals.groupby("config")[VALUE].median()
    np.testing.assert_allclose(intervals["median"], medians.loc[ORDER])
    # the best (the highest mean; no validation column here, so chosen on the test metric) among 7 candidates
    best = intervals.set_index("config").loc["twin_shared_aux"]
    assert (best["chosen_on"], best["candidates"]) == ("test", 7)
    assert best["best_ci_low"] < best["mean"] < best["best_ci_high"]
    assert (intervals["chosen_on"] != "").sum() == 1 and intervals["candidates"].isna().sum() == 6

    # each table of differences in its family: 6 pairs one factor apart, 3 effects
    comparisons, effects = tables["comparisons"], tables["effects"]
    assert len(comparisons) == 6
    assert (comparisons["family"] == ONE_FACTOR).all() and (comparisons["family_size"] == 6).all()
    assert (comparisons["ci_method"] == family_method(6)).all()
    assert list(effects["effect"]) == ["sharing", "aux", "sharing x aux"]
    assert set(effects["block"]) == {"architecture=twin"}
    assert (effects["family"] == FACTOR_EFFECTS).all() and (effects["family_size"] == 3).all()
    assert (effects["ci_method"] == family_method(3)).all()
    for table in (comparisons, effects):
        np.testing.assert_allclose(table["adjusted_t_pvalue"], np.minimum(1, table["family_size"] * table["t_pvalue"]))

    baselines = tables["baselines"]
    kinds = baselines["kind"].tolist()
    assert kinds == ["baseline"] * 10 + ["leader vs baseline"] * 2 + ["leader vs runner-up"]
    assert (baselines.iloc[-3:]["config_b"] == "twin_shared_aux").all()
    # mlp vs mlp_aux and the leader vs its runner-up are one factor apart: tested there, in the family of 6; the 9
    # other pairs against a baseline form their own family, the leader's against the baselines among them
    one_factor = (baselines["config_a"] == "mlp") & (baselines["config_b"] == "mlp_aux")
    one_factor |= baselines["kind"] == "leader vs runner-up"
    assert one_factor.sum() == 2
    assert (baselines.loc[one_factor, "family"] == ONE_FACTOR).all()
    assert (baselines.loc[one_factor, "family_size"] == 6).all()
    assert (baselines.loc[~one_factor, "family"] == AGAINST_BASELINES).all()
    assert (baselines.loc[~one_factor, "family_size"] == 9).all()
    assert (baselines.loc[~one_factor, "ci_method"] == family_method(9)).all()
    np.testing.assert_allclose(
        baselines["adjusted_t_pvalue"], np.minimum(1, baselines["family_size"] * baselines["t_pvalue"])
    )
    # a pair two tables show is one test: the same numbers in both
    for config_a, config_b in (("mlp", "mlp_aux"), ("twin_aux", "twin_shared_aux")):
        shown = row_of(baselines, config_a, config_b)[DIFFERENCE_COLUMNS]
        pd.testing.assert_series_equal(
            shown, row_of(comparisons, config_a, config_b)[DIFFERENCE_COLUMNS], check_names=False
        )
    for baseline in ("mlp", "cnn"):
        as_leader = row_of(baselines, baseline, "twin_shared_aux", "leader vs baseline")[DIFFERENCE_COLUMNS]
        as_config = row_of(baselines, baseline, "twin_shared_aux", "baseline")[DIFFERENCE_COLUMNS]
        pd.testing.assert_series_equal(as_leader, as_config, check_names=False)
    # each within its family: scipy's t interval at 1 - 0.05 / 9
    row = row_of(baselines, "cnn", "twin_aux")
    per_config = finals.set_index(["config", "seed"])[VALUE]
    reference = scipy.stats.ttest_rel(per_config.loc["twin_aux"], per_config.loc["cnn"])
    interval = reference.confidence_interval(confidence_level=1 - 0.05 / 9)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((interval.low, interval.high))
    # how often the config beats the baseline, with its exact interval: all 10 seeds here
    assert (row["wins"], row["decided"]) == (10, 10)
    exact = scipy.stats.binomtest(10, 10).proportion_ci(method="exact")
    assert (row["wins_ci_low"], row["wins_ci_high"]) == pytest.approx((exact.low, exact.high))


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
    """Only the configurations' means are bootstrapped, from BOOTSTRAP_MIN_SEEDS finished seeds; a configuration
    with fewer falls back to the t interval and says so; every difference keeps its family's t interval."""
    finals = study_finals(n_seeds=BOOTSTRAP_MIN_SEEDS)
    finals.loc[(finals["config"] == "cnn") & (finals["seed"] == 0), "status"] = "failed"  # 39 finished seeds
    first = study_statistics(finals, FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"], interval="bootstrap")
    again = study_statistics(finals, FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"], interval="bootstrap")
    t_tables = study_statistics(finals, FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"])
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
    intervals, t_intervals = first["intervals"].set_index("config"), t_tables["intervals"].set_index("config")
    bootstrapped = intervals.drop(index="cnn")
    assert (bootstrapped["ci_method"] == "BCa bootstrap, 10,000 resamples, 95%, numpy generator seed 0").all()
    assert (bootstrapped["note"] == "").all() and (bootstrapped["n"] == BOOTSTRAP_MIN_SEEDS).all()
    assert not np.allclose(bootstrapped["ci_low"], t_intervals.drop(index="cnn")["ci_low"])
    fell_back = intervals.loc["cnn"]
    assert fell_back["n"] == BOOTSTRAP_MIN_SEEDS - 1 and fell_back["note"] == BOOTSTRAP_FELL_BACK
    assert (fell_back["ci_low"], fell_back["ci_high"]) == (
        t_intervals.loc["cnn", "ci_low"],
        t_intervals.loc["cnn", "ci_high"],
    )
    for name in ("comparisons", "effects", "baselines"):
        assert first[name]["ci_method"].str.startswith("t interval, 95%").all()
        pd.testing.assert_frame_equal(first[name], t_tables[name])
    with pytest.raises(ValueError, match="interval"):
        study_statistics(finals, FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"], interval="percentile")


def test_two_seeds_give_a_study_without_intervals():
    tables = study_statistics(
        study_finals(n_seeds=2), FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"], smallest_effect=0.01
    )
    for table in tables.values():
        assert table["ci_low"].isna().all() and (table["note"] == "too few seeds").all()
    intervals = tables["intervals"]
    assert intervals[["median_ci_low", "median_ci_high", "best_ci_low", "best_ci_high"]].isna().all().all()
    # two seeds settle nothing and plan nothing, even with a smallest difference declared
    for name in ("comparisons", "effects", "baselines"):
        assert (tables[name]["verdict"] == "too few seeds").all()
        assert tables[name]["seeds_needed"].isna().all() and (tables[name]["smallest_effect"] == 0.01).all()


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


def test_the_leader_is_chosen_on_validation_where_every_finished_run_has_it():
    """twin_aux leads on validation, twin_shared_aux on test: the leader is the validation's, and the intervals
    table says so; once a finished run lacks its validation score the choice falls back to the test metric."""
    finals = study_finals()
    finals["final_validation_accuracy"] = finals[VALUE] + 0.05 * (finals["config"] == "twin_aux")
    tables = study_statistics(finals, FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"], order=ORDER)
    leader = tables["baselines"][tables["baselines"]["kind"] != "baseline"]
    assert list(zip(leader["kind"], leader["config_a"], leader["config_b"])) == [
        ("leader vs baseline", "mlp", "twin_aux"),
        ("leader vs runner-up", "twin_shared_aux", "twin_aux"),
    ]
    assert leader.iloc[1]["mean_difference"] < 0  # judged on test, where the runner-up is ahead
    # the runner-up pair is one factor apart: the same test as the comparisons table's, mirrored
    mirrored = row_of(tables["comparisons"], "twin_aux", "twin_shared_aux")
    runner_up = leader.iloc[1]
    assert (runner_up["family"], runner_up["family_size"]) == (ONE_FACTOR, mirrored["family_size"])
    assert runner_up["adjusted_t_pvalue"] == pytest.approx(mirrored["adjusted_t_pvalue"])
    assert runner_up["mean_difference"] == pytest.approx(-mirrored["mean_difference"])
    assert (runner_up["ci_low"], runner_up["ci_high"]) == pytest.approx((-mirrored["ci_high"], -mirrored["ci_low"]))
    chosen = tables["intervals"].set_index("config")["chosen_on"]
    assert chosen["twin_aux"] == "validation" and (chosen.drop(index="twin_aux") == "").all()

    finals.loc[(finals["config"] == "cnn") & (finals["seed"] == 3), "final_validation_accuracy"] = np.nan
    tables = study_statistics(finals, FACTORS, spec=DIGIT_PAIRS, baselines=["mlp"], order=ORDER)
    leader = tables["baselines"][tables["baselines"]["kind"] == "leader vs baseline"].iloc[0]
    assert leader["config_b"] == "twin_shared_aux"
    assert tables["intervals"].set_index("config").loc["twin_shared_aux", "chosen_on"] == "test"
