import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from pairstudy.stats import (
    COMPARISON_COLUMNS,
    FACTORIAL_COLUMNS,
    SUMMARY_COLUMNS,
    NoFullBlockError,
    PairingError,
    effect_sentence,
    factorial_effects,
    format_pvalue,
    mean_interval,
    paired_comparisons,
    summarize_configs,
)
from pairstudy.stats.intervals import BOOTSTRAP_MIN_SEEDS
from pairstudy.stats.pairing import config_levels
from pairstudy.stats.partners import unpaired_levels
from pairstudy.stats.power import planned_seeds
from pairstudy.stats.sentences import seeds_text
from pairstudy.stats.words import FACTOR_EFFECTS, ONE_FACTOR
from pairstudy.tasks.metrics import Metric
from tests.helpers import DIGIT_PAIRS, FACTORS, twin_study

VALUE = DIGIT_PAIRS.headline_run_metric  # the column twin_study's synthetic finals hold
HEADLINE = DIGIT_PAIRS.headline_metric


def two_configs(a_values, b_values, seeds_a=None, seeds_b=None):
    seeds_a = list(range(len(a_values))) if seeds_a is None else seeds_a
    seeds_b = list(range(len(b_values))) if seeds_b is None else seeds_b
    rows = [{"config": "base", "seed": s, "aux": False, "final_test_accuracy": v} for s, v in zip(seeds_a, a_values)]
    rows += [
        {"config": "with_aux", "seed": s, "aux": True, "final_test_accuracy": v} for s, v in zip(seeds_b, b_values)
    ]
    return pd.DataFrame(rows)


def family_method(size: int) -> str:
    """The ci_method of a t interval tested in a family of `size` comparisons at 95% family-wise."""
    if size == 1:
        return "t interval, 95%, n-1 degrees of freedom"
    return (
        f"t interval, 95% family-wise (Bonferroni over {size} comparisons: {1 - 0.05 / size:.2%} each), "
        "n-1 degrees of freedom"
    )


def values_of(finals, config):
    return finals[finals["config"] == config].set_index("seed")[VALUE].sort_index()


# summaries and intervals


def test_summary_mean_std_sem_and_t_interval_by_hand():
    finals = pd.DataFrame(
        {"config": ["a", "a", "a", "b"], "seed": [0, 1, 2, 0], "final_test_accuracy": [0.7, 0.8, 0.9, 0.5]}
    )
    summary = summarize_configs(finals, VALUE).set_index("config")
    assert list(summary.reset_index().columns) == SUMMARY_COLUMNS
    # mean 0.8, squared deviations 0.01 + 0 + 0.01 over n - 1 = 2 -> variance 0.01
    assert summary.loc["a", "mean"] == pytest.approx(0.8)
    assert summary.loc["a", "std"] == pytest.approx(0.1)
    assert summary.loc["a", "sem"] == pytest.approx(0.1 / np.sqrt(3))
    assert summary.loc["a", "n"] == 3
    # t quantile 0.975 at 2 degrees of freedom is 4.302653
    half_width = 4.302652729749464 * 0.1 / np.sqrt(3)
    assert summary.loc["a", "ci_low"] == pytest.approx(0.8 - half_width)
    assert summary.loc["a", "ci_high"] == pytest.approx(0.8 + half_width)
    assert summary.loc["a", "ci_method"] == "t interval, 95%, n-1 degrees of freedom"
    assert summary.loc["a", "note"] == ""
    assert summary.loc["b", "n"] == 1
    assert np.isnan(summary.loc["b", "std"]) and np.isnan(summary.loc["b", "ci_low"])
    assert summary.loc["b", "note"] == "too few seeds"


def test_t_interval_matches_scipy_at_another_confidence():
    values = np.random.default_rng(5).normal(0.8, 0.05, 7)
    low, high, note = mean_interval(values, confidence=0.9)
    reference = scipy.stats.ttest_1samp(values, 0).confidence_interval(confidence_level=0.9)
    assert (low, high) == pytest.approx((reference.low, reference.high))
    assert note == ""
    finals = pd.DataFrame({"config": "a", "seed": range(7), "final_test_accuracy": values})
    assert (
        summarize_configs(finals, VALUE, confidence=0.9)["ci_method"].iloc[0]
        == "t interval, 90%, n-1 degrees of freedom"
    )


def test_two_seeds_give_no_interval():
    low, high, note = mean_interval([0.7, 0.8])
    assert np.isnan(low) and np.isnan(high) and note == "too few seeds"
    with pytest.raises(ValueError, match="on 2 seeds"):  # a bootstrap is refused long before
        mean_interval([0.7, 0.8], "bootstrap", rng=np.random.default_rng(0))
    finals = pd.DataFrame({"config": "a", "seed": [0, 1], "final_test_accuracy": [0.7, 0.8]})
    row = summarize_configs(finals, VALUE).iloc[0]
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"]) and row["note"] == "too few seeds"
    assert row["std"] == pytest.approx(np.sqrt(0.005))


def test_values_without_spread_give_the_mean_as_both_bounds():
    low, high, note = mean_interval([0.8, 0.8, 0.8])
    assert low == high == pytest.approx(0.8)
    assert note == "no spread across seeds"


def test_bca_bootstrap_is_scipys_and_reproducible_with_the_same_seed_only():
    values = np.random.default_rng(5).normal(0.8, 0.05, BOOTSTRAP_MIN_SEEDS)
    first = mean_interval(values, "bootstrap", rng=np.random.default_rng(42))
    again = mean_interval(values, "bootstrap", rng=np.random.default_rng(42))
    other = mean_interval(values, "bootstrap", rng=np.random.default_rng(43))
    assert first == again
    assert first != other
    assert first.low < values.mean() < first.high
    reference = scipy.stats.bootstrap(
        (values,), np.mean, n_resamples=10_000, method="BCa", rng=np.random.default_rng(42)
    ).confidence_interval
    assert (first.low, first.high) == (reference.low, reference.high)


def test_summary_bootstrap_intervals_are_reproducible_and_say_how():
    finals = twin_study(n_seeds=BOOTSTRAP_MIN_SEEDS)
    first = summarize_configs(finals, VALUE, interval="bootstrap", rng=np.random.default_rng(7))
    again = summarize_configs(finals, VALUE, interval="bootstrap", rng=np.random.default_rng(7))
    other = summarize_configs(finals, VALUE, interval="bootstrap", rng=np.random.default_rng(8))
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["ci_low"], other["ci_low"])
    assert (first["ci_method"] == "BCa bootstrap, 10,000 resamples, 95%").all()
    fewer = summarize_configs(finals, VALUE, interval="bootstrap", rng=np.random.default_rng(7), n_resamples=500)
    assert fewer["ci_method"].iloc[0] == "BCa bootstrap, 500 resamples, 95%"


def test_bootstrap_refuses_anything_but_a_generator():
    with pytest.raises(TypeError, match="default_rng"):
        mean_interval(np.array([0.1, 0.2, 0.3]), "bootstrap", rng=0)
    with pytest.raises(TypeError, match="default_rng"):
        summarize_configs(twin_study(), VALUE, interval="bootstrap", rng=np.random.RandomState(0))
    with pytest.raises(TypeError, match="default_rng"):  # a bootstrap without a generator, even with seeds enough
        mean_interval(np.linspace(0.7, 0.9, BOOTSTRAP_MIN_SEEDS), "bootstrap")
    with pytest.raises(TypeError, match="Generator"):
        summarize_configs(twin_study(), VALUE, rng=0)  # a seed where a generator belongs is a mistake even for t
    with pytest.raises(ValueError, match="interval"):
        summarize_configs(twin_study(), VALUE, interval="percentile")


# tests and adjustment against scipy and by hand


def test_paired_tests_match_scipy():
    generator = np.random.default_rng(3)
    base = generator.normal(0.8, 0.03, 9)
    with_aux = base + generator.normal(0.01, 0.01, 9)
    row = paired_comparisons(two_configs(base, with_aux), ["aux"], VALUE).iloc[0]
    t_reference = scipy.stats.ttest_rel(with_aux, base)
    wilcoxon_reference = scipy.stats.wilcoxon(with_aux, base)
    assert row["t_statistic"] == pytest.approx(t_reference.statistic)
    assert row["t_pvalue"] == pytest.approx(t_reference.pvalue)
    assert row["wilcoxon_statistic"] == pytest.approx(wilcoxon_reference.statistic)
    assert row["wilcoxon_pvalue"] == pytest.approx(wilcoxon_reference.pvalue)
    differences = with_aux - base
    assert row["mean_difference"] == pytest.approx(differences.mean())
    assert row["effect_size"] == pytest.approx(differences.mean() / differences.std(ddof=1))
    interval = t_reference.confidence_interval(confidence_level=0.95)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((interval.low, interval.high))
    assert row["ci_method"] == "t interval, 95%, n-1 degrees of freedom"
    # a table of one row is a family of one: nothing to adjust
    assert (row["family"], row["family_size"]) == (ONE_FACTOR, 1)
    assert row["adjusted_t_pvalue"] == pytest.approx(row["t_pvalue"])
    assert row["adjusted_wilcoxon_pvalue"] == pytest.approx(row["wilcoxon_pvalue"])
    assert interval.low > 0 and row["verdict"] == "higher"  # p = 0.031: significant in a family of one


def test_identical_configs_give_p_one_and_no_effect_size():
    values = [0.7, 0.75, 0.8, 0.72]
    row = paired_comparisons(two_configs(values, values), ["aux"], VALUE).iloc[0]
    assert row["mean_difference"] == 0
    assert row["wilcoxon_pvalue"] == 1.0 and row["t_pvalue"] == 1.0
    assert np.isnan(row["effect_size"])
    assert row["ci_low"] == row["ci_high"] == 0 and row["note"] == "no spread across seeds"
    # no smallest difference worth finding declared: nothing to plan for, and no equivalence claimed
    assert pd.isna(row["seeds_needed"]) and np.isnan(row["smallest_effect"])
    assert row["verdict"] == "inconclusive"
    assert seeds_text(row, HEADLINE) == "declare report.smallest_effect to plan the seeds that would resolve it"
    # declared: the interval [0, 0] lies within +/- 1 point, and differences without spread need 2 seeds
    declared = paired_comparisons(two_configs(values, values), ["aux"], VALUE, smallest_effect=0.01).iloc[0]
    assert declared["verdict"] == "equivalent" and declared["smallest_effect"] == 0.01
    assert declared["seeds_needed"] == 2
    assert seeds_text(declared, HEADLINE) == "resolved with the 4 seeds run"


def test_two_paired_seeds_give_no_interval_but_a_t_test():
    finals = two_configs([0.70, 0.72], [0.80, 0.83])
    row = paired_comparisons(finals, ["aux"], VALUE, smallest_effect=0.01).iloc[0]
    assert row["n"] == 2
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
    assert row["note"] == "too few seeds"
    assert row["t_pvalue"] == pytest.approx(scipy.stats.ttest_rel([0.80, 0.83], [0.70, 0.72]).pvalue)
    # two seeds plan nothing, even with a smallest difference declared
    assert pd.isna(row["seeds_needed"]) and row["verdict"] == "too few seeds"
    assert seeds_text(row, HEADLINE) == "too few seeds to plan more"
    assert "too few seeds for an interval" in effect_sentence(row, HEADLINE)


# which configs are compared


def test_pairs_differing_in_one_factor_only():
    table = paired_comparisons(twin_study(), FACTORS, VALUE)
    assert list(table.columns) == COMPARISON_COLUMNS
    found = {(row.config_a, row.config_b, row.factor) for row in table.itertuples()}
    assert found == {
        ("twin", "twin_shared", "sharing"),
        ("twin_aux", "twin_shared_aux", "sharing"),
        ("twin", "twin_aux", "aux"),
        ("twin_shared", "twin_shared_aux", "aux"),
        ("mlp", "mlp_aux", "aux"),
        ("mlp", "cnn", "architecture"),  # sharing is None (does not apply) for both; named levels in config order
    }
    # two factors apart: never compared (a None sharing is a level of its own, unlike False)
    compared = {(a, b) for a, b, _ in found}
    assert ("twin", "twin_shared_aux") not in compared
    assert ("twin", "mlp") not in compared and ("mlp", "twin") not in compared
    architecture = table[table["factor"] == "architecture"].iloc[0]
    assert architecture["level_a"] == "mlp" and architecture["level_b"] == "cnn"
    aux = table[table["factor"] == "aux"]
    assert (aux["level_a"] == False).all() and (aux["level_b"] == True).all()  # noqa: E712
    assert (aux["mean_difference"] > 0.07).all()
    # the table is its own family of 6: Bonferroni p-values, and each interval scipy's t interval at 1 - 0.05 / 6
    assert (table["family"] == ONE_FACTOR).all() and (table["family_size"] == 6).all()
    np.testing.assert_allclose(table["adjusted_t_pvalue"], np.minimum(1, 6 * table["t_pvalue"]))
    np.testing.assert_allclose(table["adjusted_wilcoxon_pvalue"], np.minimum(1, 6 * table["wilcoxon_pvalue"]))
    assert (table["ci_method"] == family_method(6)).all()
    finals = twin_study()
    for row in table.itertuples():
        reference = scipy.stats.ttest_rel(values_of(finals, row.config_b), values_of(finals, row.config_a))
        assert row.t_pvalue == pytest.approx(reference.pvalue)
        interval = reference.confidence_interval(confidence_level=1 - 0.05 / 6)
        assert (row.ci_low, row.ci_high) == pytest.approx((interval.low, interval.high))
        # the interval excludes zero exactly where the adjusted p is below 0.05
        assert (row.ci_low > 0 or row.ci_high < 0) == (row.adjusted_t_pvalue < 0.05)


def test_levels_no_pair_compares_are_named_with_the_factors_that_also_differ():
    levels = config_levels(twin_study(n_seeds=3), FACTORS)
    # twin's sharing is a level, mlp's and cnn's do not apply: no config of theirs differs from twin's in
    # architecture alone; sharing is not compared against "does not apply"; aux has partners wherever it varies
    assert unpaired_levels(levels, FACTORS) == [
        {"factor": "architecture", "level_a": "twin", "level_b": "mlp", "also": ["sharing"]},
        {"factor": "architecture", "level_a": "twin", "level_b": "cnn", "also": ["sharing"]},
    ]
    twins = {config: found for config, found in levels.items() if found["architecture"] == "twin"}
    assert unpaired_levels(twins, FACTORS) == []  # a full grid: every level pair compared


def test_levels_are_ordered_low_to_high():
    rows = []
    for config, lr, aux in [("fast", 0.01, True), ("slow", 0.001, True), ("slow_plain", 0.001, False)]:
        rows += [
            {"config": config, "seed": s, "lr": lr, "aux": aux, "final_test_accuracy": 0.8 + s / 100} for s in range(3)
        ]
    table = paired_comparisons(pd.DataFrame(rows), ["lr", "aux"], VALUE)
    lr_row = table[table["factor"] == "lr"].iloc[0]
    assert (lr_row["config_a"], lr_row["level_a"], lr_row["level_b"]) == ("slow", 0.001, 0.01)
    aux_row = table[table["factor"] == "aux"].iloc[0]
    assert (aux_row["config_a"], aux_row["level_a"], aux_row["level_b"]) == ("slow_plain", False, True)


# pairing safety


def test_duplicate_seed_names_config_and_seed():
    finals = two_configs([0.7, 0.8, 0.9], [0.8, 0.9, 0.95], seeds_b=[0, 1, 1])
    with pytest.raises(PairingError, match=r"'with_aux'.*\[1\]"):
        paired_comparisons(finals, ["aux"], VALUE)


def test_mismatched_seeds_name_configs_and_seeds():
    finals = two_configs([0.7, 0.8, 0.9], [0.8, 0.9, 0.95], seeds_b=[0, 1, 5])
    with pytest.raises(PairingError, match=r"'base' lacks seeds \[5\].*'with_aux' lacks seeds \[2\]"):
        paired_comparisons(finals, ["aux"], VALUE)
    assert issubclass(PairingError, ValueError)


def test_intersect_pairs_the_common_seeds():
    finals = two_configs([0.7, 0.8, 0.9], [0.8, 0.9, 0.95], seeds_b=[0, 1, 5])
    row = paired_comparisons(finals, ["aux"], VALUE, on_mismatch="intersect").iloc[0]
    assert row["n"] == 2
    assert row["mean_difference"] == pytest.approx(0.1)


# 2x2 factorial effects


def test_factorial_recovers_planted_effects():
    finals = twin_study(n_seeds=10, aux_gain=0.08, sharing_gain=0.02, interaction=0.0)
    table = factorial_effects(finals, ["sharing", "aux"], VALUE, block_factors=["architecture"], smallest_effect=0.01)
    assert list(table.columns) == FACTORIAL_COLUMNS
    assert list(table["effect"]) == ["sharing", "aux", "sharing x aux"]
    assert set(table["block"]) == {"architecture=twin"}  # the mlp has no sharing level: no block
    effects = table.set_index("effect")
    assert effects.loc["aux", "estimate"] == pytest.approx(0.08, abs=0.005)
    assert effects.loc["sharing", "estimate"] == pytest.approx(0.02, abs=0.005)
    assert effects.loc["aux", "t_pvalue"] < 0.001
    # the table's 3 rows are one family: Bonferroni p-values, t intervals at 1 - 0.05 / 3
    assert (table["family"] == FACTOR_EFFECTS).all() and (table["family_size"] == 3).all()
    np.testing.assert_allclose(table["adjusted_t_pvalue"], np.minimum(1, 3 * table["t_pvalue"]))
    cell = {config: values_of(finals, config) for config in ("twin", "twin_aux", "twin_shared", "twin_shared_aux")}
    aux_contrast = ((cell["twin_aux"] + cell["twin_shared_aux"] - cell["twin"] - cell["twin_shared"]) / 2).to_numpy()
    reference = scipy.stats.ttest_1samp(aux_contrast, 0)
    assert effects.loc["aux", "t_pvalue"] == pytest.approx(reference.pvalue)
    interval = reference.confidence_interval(confidence_level=1 - 0.05 / 3)
    assert (effects.loc["aux", "ci_low"], effects.loc["aux", "ci_high"]) == pytest.approx((interval.low, interval.high))
    assert (effects.loc["aux", "level_low"], effects.loc["aux", "level_high"]) == (False, True)
    interaction = effects.loc["sharing x aux"]
    assert interaction["ci_low"] < 0 < interaction["ci_high"]
    assert (table["n"] == 10).all()
    assert (table["ci_method"] == family_method(3)).all()
    # both planted effects found; the absent interaction shown to be smaller than the 1 point worth finding
    assert list(table["verdict"]) == ["higher", "higher", "equivalent"]
    assert (table["smallest_effect"] == 0.01).all()
    assert seeds_text(effects.loc["aux"], HEADLINE) == "resolved with the 10 seeds run"
    # the seeds planned at the family's level, from the spread of the per-seed contrasts
    assert effects.loc["aux", "seeds_needed"] == planned_seeds(aux_contrast, 0.01, alpha=0.05 / 3)


@pytest.mark.parametrize(
    "choice", [{"interval": "bootstrap"}, {"interval": "t"}, {"rng": np.random.default_rng(3)}, {"n_resamples": 500}]
)
def test_differences_take_no_interval_choice(choice):
    """A difference always has its family's t interval: no bootstrap, no generator, no resamples to ask for."""
    finals = twin_study(n_seeds=BOOTSTRAP_MIN_SEEDS)
    name = next(iter(choice))
    with pytest.raises(TypeError, match=f"unexpected keyword argument '{name}'"):
        paired_comparisons(finals, FACTORS, VALUE, **choice)
    with pytest.raises(TypeError, match=f"unexpected keyword argument '{name}'"):
        factorial_effects(finals, ["sharing", "aux"], VALUE, block_factors=["architecture"], **choice)


def test_factorial_effects_are_t_intervals_at_any_number_of_seeds():
    """Seeds enough for a bootstrap still give the family's t interval, the same at every call."""
    finals = twin_study(n_seeds=BOOTSTRAP_MIN_SEEDS)
    first, again = (
        factorial_effects(finals, ["sharing", "aux"], VALUE, block_factors=["architecture"]) for _ in range(2)
    )
    pd.testing.assert_frame_equal(first, again)
    assert (first["ci_method"] == family_method(3)).all()
    cell = {config: values_of(finals, config) for config in ("twin", "twin_aux", "twin_shared", "twin_shared_aux")}
    sharing = ((cell["twin_shared"] + cell["twin_shared_aux"] - cell["twin"] - cell["twin_aux"]) / 2).to_numpy()
    interval = scipy.stats.ttest_1samp(sharing, 0).confidence_interval(confidence_level=1 - 0.05 / 3)
    row = first.set_index("effect").loc["sharing"]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((interval.low, interval.high))


def test_factorial_interaction_definition():
    # one planted interaction of 0.04 on the (high, high) cell, no noise: A x B = 0.04 / 2
    finals = twin_study(n_seeds=4, aux_gain=0.0, sharing_gain=0.0, interaction=0.04, noise=0.0)
    table = factorial_effects(finals, ["sharing", "aux"], VALUE, block={"architecture": "twin"}).set_index("effect")
    assert table.loc["sharing x aux", "estimate"] == pytest.approx(0.02)
    assert table.loc["sharing", "estimate"] == pytest.approx(0.02)
    assert table.loc["aux", "estimate"] == pytest.approx(0.02)
    assert table.loc["sharing", "block"] == "architecture=twin"


def test_factorial_needs_a_full_block():
    finals = twin_study()
    finals = finals[finals["config"] != "twin_shared_aux"]
    with pytest.raises(NoFullBlockError, match="no full 2x2 block"):
        factorial_effects(finals, ["sharing", "aux"], VALUE, block_factors=["architecture"])


def test_factorial_refuses_configs_it_cannot_tell_apart():
    finals = twin_study()
    extra = finals[finals["config"] == "twin"].assign(config="twin_copy")
    finals = pd.concat([finals, extra])
    with pytest.raises(ValueError, match="'twin', 'twin_copy'"):
        factorial_effects(finals, ["sharing", "aux"], VALUE, block_factors=["architecture"])


# sentences


def factorial_row(**columns) -> dict:
    """A row of factorial_effects in a family of 3, with what its statistics would store."""
    row = {
        "effect": "aux",
        "estimate": 0.0762,
        "ci_low": 0.0614,
        "ci_high": 0.0903,
        "ci_method": family_method(3),
        "family": FACTOR_EFFECTS,
        "family_size": 3,
        "t_pvalue": 0.00002,
        "adjusted_t_pvalue": 0.00006,
        "smallest_effect": float("nan"),
        "verdict": "higher",
        "seeds_needed": pd.NA,
        "n": 10,
    }
    return {**row, **columns}


def test_effect_sentence_for_a_factorial_row():
    row = factorial_row()
    labels = {"aux": "auxiliary loss", "sharing": "weight sharing"}
    assert (
        effect_sentence(row, HEADLINE, labels)
        == "auxiliary loss: 7.6 points higher accuracy [6.1, 9.0], helped, p < 0.001 over 10 paired seeds"
    )
    assert seeds_text(row, HEADLINE) == "resolved with the 10 seeds run"
    # the p printed is the one adjusted within the family (0.0823 raw, 0.2469 over 3), and the word is the stored
    # verdict: the family-wise interval spans zero
    interaction = factorial_row(
        effect="sharing x aux",
        estimate=-0.004,
        ci_low=-0.012,
        ci_high=0.003,
        t_pvalue=0.0823,
        adjusted_t_pvalue=0.2469,
        verdict="inconclusive",
    )
    assert effect_sentence(interaction, HEADLINE, labels) == (
        "weight sharing x auxiliary loss: 0.4 points lower accuracy [-1.2, 0.3], inconclusive, p = 0.247 "
        "over 10 paired seeds"
    )
    assert seeds_text(interaction, HEADLINE) == (
        "declare report.smallest_effect to plan the seeds that would resolve it"
    )
    planned = {**interaction, "smallest_effect": 0.01, "seeds_needed": 40}
    assert effect_sentence(planned, HEADLINE, labels) == effect_sentence(interaction, HEADLINE, labels)
    assert (
        seeds_text(planned, HEADLINE) == "about 40 seeds would find a difference of 1.0 point with 80% power (10 run)"
    )
    assert seeds_text({**planned, "seeds_needed": pd.NA}, HEADLINE) == (
        "no practical number of seeds would find a difference of 1.0 point"
    )
    # an interval within +/- the smallest difference worth finding
    equivalent = factorial_row(
        estimate=-0.001, ci_low=-0.004, ci_high=0.002, t_pvalue=0.4, adjusted_t_pvalue=1.0, verdict="equivalent"
    )
    assert effect_sentence({**equivalent, "smallest_effect": 0.015}, HEADLINE) == (
        "aux: 0.1 points lower accuracy [-0.4, 0.2], no difference larger than 1.5 points, p = 1.000 over 10 paired "
        "seeds"
    )
    assert seeds_text({**equivalent, "smallest_effect": 0.015}, HEADLINE) == "resolved with the 10 seeds run"


def test_effect_sentence_names_the_levels_of_a_factor_that_is_not_on_off():
    row = {
        "effect": "comparator",
        "level_low": "probability",
        "level_high": "softmax",
        "estimate": -0.005,
        "ci_low": -0.007,
        "ci_high": -0.001,
        "t_pvalue": 0.0069,
        "adjusted_t_pvalue": 0.0207,
        "verdict": "lower",
        "n": 5,
    }
    assert (
        effect_sentence(row, HEADLINE)
        == "comparator (probability → softmax): 0.5 points lower accuracy [-0.7, -0.1], hurt, p = 0.021 over 5 "
        "paired seeds"
    )
    assert effect_sentence({**row, "level_low": False, "level_high": True, "effect": "aux"}, HEADLINE).startswith(
        "aux: 0.5 points lower"
    )
    assert effect_sentence({**row, "level_low": "False", "level_high": "True", "effect": "aux"}, HEADLINE).startswith(
        "aux: 0.5 points lower"
    )
    assert effect_sentence({**row, "level_low": 0.0, "level_high": 1.0, "effect": "shift"}, HEADLINE).startswith(
        "shift (0 → 1): 0.5 points lower"
    )


def test_effect_sentence_for_a_paired_row():
    table = paired_comparisons(two_configs([0.70, 0.72, 0.75], [0.80, 0.81, 0.86]), ["aux"], VALUE)
    row = table.iloc[0]
    assert row["verdict"] == "higher" and row["adjusted_t_pvalue"] < 0.05
    sentence = effect_sentence(row, HEADLINE, {"aux": "auxiliary loss"})
    assert sentence == (
        f"auxiliary loss (base → with_aux): 10.0 points higher accuracy [{row['ci_low'] * 100:.1f}, "
        f"{row['ci_high'] * 100:.1f}], helped, {format_pvalue(row['adjusted_t_pvalue'])} over 3 paired seeds"
    )
    # the sentence follows the stored interval, verdict and adjusted p, whatever the row's family
    wider = {
        **row.to_dict(),
        "family_size": 40,
        "ci_low": -0.01,
        "ci_high": 0.21,
        "adjusted_t_pvalue": 0.2,
        "verdict": "inconclusive",
    }
    assert effect_sentence(wider, HEADLINE, {"aux": "auxiliary loss"}) == (
        "auxiliary loss (base → with_aux): 10.0 points higher accuracy [-1.0, 21.0], inconclusive, p = 0.200 over 3 "
        "paired seeds"
    )


def test_effect_sentence_without_an_interval():
    row = {"effect": "aux", "estimate": 0.1, "ci_low": np.nan, "ci_high": np.nan, "t_pvalue": 0.2, "n": 2}
    assert (
        effect_sentence(row, HEADLINE)
        == "aux: 10.0 points higher accuracy (too few seeds for an interval), p = 0.200 over 2 paired seeds"
    )


def test_effect_sentence_follows_a_lower_is_better_number_metric():
    """A plain number reads as it is (no points, no percent) and a drop in a lower-is-better metric helped."""
    mse = Metric("mse", "lower", "number", "MSE")
    row = {
        "effect": "aux",
        "estimate": -0.0123,
        "ci_low": -0.015,
        "ci_high": -0.009,
        "t_pvalue": 0.0001,
        "adjusted_t_pvalue": 0.0004,
        "verdict": "lower",
        "smallest_effect": 0.05,
        "n": 10,
    }
    sentence = effect_sentence(row, mse, {"aux": "auxiliary loss"})
    assert sentence == "auxiliary loss: 0.0123 lower MSE [-0.0150, -0.0090], helped, p < 0.001 over 10 paired seeds"
    worse = effect_sentence({**row, "estimate": 0.0123, "ci_low": 0.009, "ci_high": 0.015, "verdict": "higher"}, mse)
    assert "higher MSE" in worse and ", hurt," in worse and "%" not in worse and "points" not in worse
    same = {
        **row,
        "estimate": 0.001,
        "ci_low": -0.004,
        "ci_high": 0.006,
        "adjusted_t_pvalue": 1.0,
        "verdict": "equivalent",
    }
    assert ", no difference larger than 0.0500, p = 1.000 " in effect_sentence(same, mse)
    numbers = {key: value for key, value in row.items() if key != "effect"}
    baseline = {"kind": "baseline", "config_a": "a", "config_b": "b", **numbers, "adjusted_t_pvalue": 0.001}
    assert effect_sentence(baseline, mse) == (
        "b vs a: 0.0123 lower MSE [-0.0150, -0.0090], better, p = 0.001 over 10 paired seeds"
    )
    assert ", worse, " in effect_sentence(
        {**baseline, "estimate": 0.0123, "ci_low": 0.009, "ci_high": 0.015, "verdict": "higher"}, mse
    )


def test_format_pvalue():
    assert format_pvalue(0.0123) == "p = 0.012"
    assert format_pvalue(0.0004) == "p < 0.001"
    assert format_pvalue(float("nan")) == "p = n/a"


def test_stats_import_no_torch_and_no_other_pairstudy_module():
    code = (
        "import sys, pairstudy.stats\n"
        "assert 'torch' not in sys.modules\n"
        "others = [m for m in sys.modules if m.startswith('pairstudy.') and not m.startswith('pairstudy.stats')]\n"
        "assert not others, others\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


def test_stats_modules_read_and_write_no_files():
    for module in (Path(__file__).parents[1] / "pairstudy" / "stats").glob("*.py"):
        source = module.read_text()
        for call in ("open(", "read_csv", "read_parquet", "to_csv(", "to_parquet(", "write_text", "read_text"):
            assert call not in source, f"{module.name} calls {call}"


def test_signed_rank_with_ties_and_zeros_gives_scipys_own_p_values():
    from pairstudy.stats.significance import signed_rank

    generator = np.random.default_rng(0)
    checked = 0
    for n in range(2, 12):  # scipy's permutation p-value, its reference, doubles in cost with each n
        for _ in range(7):
            differences = generator.integers(-3, 4, n) * 0.01  # few distinct values: ties, often zeros
            if not differences.any():
                continue
            expected = scipy.stats.wilcoxon(differences, alternative="two-sided")
            statistic, pvalue = signed_rank(differences)
            assert statistic == pytest.approx(float(expected.statistic))
            assert pvalue == pytest.approx(float(expected.pvalue), rel=1e-12, abs=1e-15)
            checked += 1
    assert checked > 60
