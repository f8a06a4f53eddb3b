import numpy as np
import pandas as pd
import pytest
import scipy.stats
from statsmodels.stats.multitest import multipletests

from pairstudy.stats import BASELINE_COLUMNS, baseline_comparisons, effect_sentence, leader_comparisons
from pairstudy.stats.intervals import BOOTSTRAP_MIN_SEEDS
from pairstudy.stats.sentences import seeds_text
from pairstudy.stats.words import AGAINST_BASELINES, BEST
from tests.helpers import DIGIT_PAIRS, twin_study

VALUE = DIGIT_PAIRS.headline_run_metric  # the column twin_study's synthetic finals hold
HEADLINE = DIGIT_PAIRS.headline_metric

ORDER = ["mlp", "mlp_aux", "cnn", "twin", "twin_shared", "twin_aux", "twin_shared_aux"]


def values_of(finals, config):
    return finals[finals["config"] == config].set_index("seed")["final_test_accuracy"].sort_index()


def family_method(size: int) -> str:
    """The ci_method of a t interval tested in a family of `size` comparisons at 95% family-wise."""
    return (
        f"t interval, 95% family-wise (Bonferroni over {size} comparisons: {1 - 0.05 / size:.2%} each), "
        "n-1 degrees of freedom"
    )


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
    # the table's 10 rows are one family: scipy's t interval at 1 - 0.05 / 10
    assert (row["family"], row["family_size"]) == (AGAINST_BASELINES, 10)
    interval = reference.confidence_interval(confidence_level=1 - 0.05 / 10)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((interval.low, interval.high))
    assert (table["ci_method"] == family_method(10)).all()
    assert (
        row["ci_method"]
        == "t interval, 95% family-wise (Bonferroni over 10 comparisons: 99.50% each), n-1 degrees of freedom"
    )
    assert row["verdict"] == "higher" and row["adjusted_t_pvalue"] < 0.05
    assert seeds_text(row, HEADLINE) == "resolved with the 10 seeds run"


def test_bonferroni_runs_across_the_whole_baseline_family():
    finals = twin_study()
    table = baseline_comparisons(finals, ["mlp", "cnn"], VALUE)
    assert (table["family"] == AGAINST_BASELINES).all() and (table["family_size"] == 10).all()
    expected = multipletests(table["t_pvalue"], method="bonferroni")[1]
    np.testing.assert_allclose(table["adjusted_t_pvalue"], expected)
    np.testing.assert_allclose(table["adjusted_t_pvalue"], np.minimum(1, 10 * table["t_pvalue"]))
    np.testing.assert_allclose(table["adjusted_wilcoxon_pvalue"], np.minimum(1, 10 * table["wilcoxon_pvalue"]))
    # not one family per baseline: the 10 rows adjust more than the 5 rows of one baseline would
    mlp_rows = table[table["config_a"] == "mlp"]
    within_mlp = multipletests(mlp_rows["t_pvalue"], method="bonferroni")[1]
    assert (mlp_rows["adjusted_t_pvalue"].to_numpy() >= within_mlp).all()
    assert (mlp_rows["adjusted_t_pvalue"].to_numpy() > within_mlp).any()
    # and the intervals are wider than a family of 5 would give them, each scipy's at 1 - 0.05 / 10
    for row in mlp_rows.itertuples():
        reference = scipy.stats.ttest_rel(values_of(finals, row.config_b), values_of(finals, "mlp"))
        of_ten = reference.confidence_interval(confidence_level=1 - 0.05 / 10)
        of_five = reference.confidence_interval(confidence_level=1 - 0.05 / 5)
        assert (row.ci_low, row.ci_high) == pytest.approx((of_ten.low, of_ten.high))
        assert row.ci_low < of_five.low and of_five.high < row.ci_high


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


@pytest.mark.parametrize(
    "choice", [{"interval": "bootstrap"}, {"interval": "t"}, {"rng": np.random.default_rng(1)}, {"n_resamples": 500}]
)
def test_baseline_differences_take_no_interval_choice(choice):
    """A difference always has its family's t interval: no bootstrap, no generator, no resamples to ask for."""
    finals = twin_study(n_seeds=BOOTSTRAP_MIN_SEEDS)
    name = next(iter(choice))
    with pytest.raises(TypeError, match=f"unexpected keyword argument '{name}'"):
        baseline_comparisons(finals, ["mlp"], VALUE, **choice)
    with pytest.raises(TypeError, match=f"unexpected keyword argument '{name}'"):
        leader_comparisons(finals, ["mlp"], VALUE, higher_is_better=True, **choice)


def test_baseline_differences_are_t_intervals_at_any_number_of_seeds():
    """Seeds enough for a bootstrap still give the family's t interval, the same at every call."""
    finals = twin_study(n_seeds=BOOTSTRAP_MIN_SEEDS)
    first = baseline_comparisons(finals, ["mlp"], VALUE)
    again = baseline_comparisons(finals, ["mlp"], VALUE)
    pd.testing.assert_frame_equal(first, again)
    assert (first["n"] == BOOTSTRAP_MIN_SEEDS).all() and (first["ci_method"] == family_method(6)).all()
    row = first.set_index("config_b").loc["cnn"]
    reference = scipy.stats.ttest_rel(values_of(finals, "cnn"), values_of(finals, "mlp"))
    interval = reference.confidence_interval(confidence_level=1 - 0.05 / 6)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((interval.low, interval.high))


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
    # the three rows are one family of their own
    assert (table["family"] == BEST).all() and (table["family_size"] == 3).all()
    np.testing.assert_allclose(table["adjusted_t_pvalue"], multipletests(table["t_pvalue"], method="bonferroni")[1])
    reference = scipy.stats.ttest_rel(values_of(finals, "best"), values_of(finals, "good"))
    assert lead["t_pvalue"] == pytest.approx(reference.pvalue)
    interval = reference.confidence_interval(confidence_level=1 - 0.05 / 3)
    assert (lead["ci_low"], lead["ci_high"]) == pytest.approx((interval.low, interval.high))
    assert (table["ci_method"] == family_method(3)).all()
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
