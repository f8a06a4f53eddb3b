import numpy as np
import pandas as pd
import pytest
import scipy.stats
from statsmodels.stats.multitest import multipletests

from pairstudy.stats import BASELINE_COLUMNS, baseline_comparisons, effect_sentence, leader_comparisons
from tests.helpers import DIGIT_PAIRS, twin_study

VALUE = DIGIT_PAIRS.headline_run_metric  # the column twin_study's synthetic finals hold
HEADLINE = DIGIT_PAIRS.headline_metric

ORDER = ["mlp", "mlp_aux", "cnn", "twin", "twin_shared", "twin_aux", "twin_shared_aux"]


def values_of(finals, config):
    return finals[finals["config"] == config].set_index("seed")["final_test_accuracy"].sort_index()


def configs_with_means(means, n_seeds=6, seed=0):
    """One config per mean, a shared per-seed offset and a little noise."""
    generator = np.random.default_rng(seed)
    offset = generator.normal(0, 0.02, n_seeds)
    rows = [
        {"config": config, "seed": s, "final_test_accuracy": mean + offset[s] + generator.normal(0, 0.002)}
        for config, mean in means.items()
        for s in range(n_seeds)
    ]
    return pd.DataFrame(rows)


def test_every_config_against_each_baseline_in_study_order():
    finals = twin_study()
    table = baseline_comparisons(finals, ["cnn", "mlp"], VALUE, order=ORDER)
    assert list(table.columns) == BASELINE_COLUMNS
    others = ["mlp_aux", "twin", "twin_shared", "twin_aux", "twin_shared_aux"]
    # baselines are not compared with each other
    assert list(zip(table["config_a"], table["config_b"])) == [("cnn", c) for c in others] + [
        ("mlp", c) for c in others
    ]
    assert (table["kind"] == "baseline").all()
    row = table[(table["config_a"] == "mlp") & (table["config_b"] == "twin_aux")].iloc[0]
    ahead, baseline = values_of(finals, "twin_aux"), values_of(finals, "mlp")
    assert row["mean_difference"] == pytest.approx((ahead - baseline).mean())
    reference = scipy.stats.ttest_rel(ahead, baseline)
    assert row["t_pvalue"] == pytest.approx(reference.pvalue)
    interval = reference.confidence_interval()
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((interval.low, interval.high))
    assert row["ci_method"] == "t interval, 95%, n-1 degrees of freedom"
    assert row["seeds_verdict"] == "resolved with the 10 seeds run"


def test_holm_runs_across_the_whole_baseline_family():
    table = baseline_comparisons(twin_study(), ["mlp", "cnn"], VALUE)
    expected = multipletests(table["t_pvalue"], method="holm")[1]
    np.testing.assert_allclose(table["holm_t_pvalue"], expected)
    # not one family per baseline: the 10 rows adjust more than the 5 rows of one baseline would
    mlp_rows = table[table["config_a"] == "mlp"]
    within_mlp = multipletests(mlp_rows["t_pvalue"], method="holm")[1]
    assert (mlp_rows["holm_t_pvalue"].to_numpy() >= within_mlp).all()
    assert (mlp_rows["holm_t_pvalue"].to_numpy() > within_mlp).any()


def test_configs_missing_from_order_follow_in_their_own_order():
    table = baseline_comparisons(twin_study(), ["mlp"], VALUE, order=["twin_aux", "cnn"])
    assert list(table["config_b"]) == ["twin_aux", "cnn", "twin", "twin_shared", "twin_shared_aux", "mlp_aux"]


def test_baselines_pair_on_common_seeds_and_refuse_unknown_configs():
    finals = twin_study(n_seeds=5)
    finals = finals[~((finals["config"] == "twin") & (finals["seed"].isin([0, 1])))]
    table = baseline_comparisons(finals, ["mlp"], VALUE)
    assert table.set_index("config_b").loc["twin", "n"] == 3
    assert table.set_index("config_b").loc["cnn", "n"] == 5
    with pytest.raises(ValueError, match="resnet"):
        baseline_comparisons(finals, ["resnet"], VALUE)


def test_baseline_bootstrap_is_reproducible():
    finals = twin_study()
    first = baseline_comparisons(finals, ["mlp"], VALUE, interval="bootstrap", rng=np.random.default_rng(1))
    again = baseline_comparisons(finals, ["mlp"], VALUE, interval="bootstrap", rng=np.random.default_rng(1))
    pd.testing.assert_frame_equal(first, again)
    assert (first["ci_method"] == "BCa bootstrap, 10,000 resamples, 95%").all()
    with pytest.raises(TypeError, match="default_rng"):
        baseline_comparisons(finals, ["mlp"], VALUE, interval="bootstrap")


def test_leader_against_baselines_and_runner_up():
    finals = configs_with_means({"mlp": 0.75, "cnn": 0.76, "good": 0.84, "best": 0.86, "fair": 0.80})
    table = leader_comparisons(finals, ["mlp", "cnn"], VALUE, higher_is_better=True)
    assert list(table.columns) == BASELINE_COLUMNS
    assert list(zip(table["kind"], table["config_a"], table["config_b"])) == [
        ("leader vs baseline", "mlp", "best"),
        ("leader vs baseline", "cnn", "best"),
        ("leader vs runner-up", "good", "best"),
    ]
    lead = table.iloc[2]
    assert lead["mean_difference"] == pytest.approx((values_of(finals, "best") - values_of(finals, "good")).mean())
    np.testing.assert_allclose(table["holm_t_pvalue"], multipletests(table["t_pvalue"], method="holm")[1])
    points = f"{lead['mean_difference'] * 100:.1f}"
    assert effect_sentence(lead, HEADLINE).startswith(f"best vs good: {points} points higher accuracy [")


def test_a_leading_baseline_meets_only_the_runner_up():
    finals = configs_with_means({"mlp": 0.86, "cnn": 0.80, "good": 0.84})
    table = leader_comparisons(finals, ["mlp", "cnn"], VALUE, higher_is_better=True)
    assert list(zip(table["kind"], table["config_a"], table["config_b"])) == [("leader vs runner-up", "good", "mlp")]


def test_a_runner_up_baseline_is_compared_once():
    finals = configs_with_means({"mlp": 0.84, "cnn": 0.76, "best": 0.86})
    table = leader_comparisons(finals, ["mlp", "cnn"], VALUE, higher_is_better=True)
    assert list(zip(table["kind"], table["config_a"], table["config_b"])) == [
        ("leader vs baseline", "cnn", "best"),
        ("leader vs runner-up", "mlp", "best"),
    ]


def test_tied_means_rank_in_study_order():
    finals = pd.DataFrame(
        {"config": ["a", "a", "a", "b", "b", "b"], "seed": [0, 1, 2] * 2, "final_test_accuracy": [0.8, 0.7, 0.9] * 2}
    )
    assert leader_comparisons(finals, [], VALUE, higher_is_better=True, order=["b", "a"]).iloc[0]["config_b"] == "b"
    assert leader_comparisons(finals, [], VALUE, higher_is_better=True, order=["a", "b"]).iloc[0]["config_b"] == "a"
