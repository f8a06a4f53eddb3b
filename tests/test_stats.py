import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from pairstudy.stats import (
    COMPARISON_COLUMNS,
    FACTORIAL_COLUMNS,
    SUMMARY_COLUMNS,
    PairingError,
    bootstrap_mean_ci,
    effect_sentence,
    factorial_effects,
    format_pvalue,
    holm,
    paired_comparisons,
    summarize_configs,
)

FACTORS = ["architecture", "sharing", "aux"]


def twin_study(n_seeds=10, aux_gain=0.08, sharing_gain=0.02, interaction=0.0, noise=0.003, seed=0):
    """A 2x2 twin block, plus an mlp pair and a cnn whose sharing does not apply (None)."""
    generator = np.random.default_rng(seed)
    seed_offset = generator.normal(0, 0.02, n_seeds)  # a seed's data pairs move every config alike
    configs = [
        ("twin", "twin", False, False),
        ("twin_shared", "twin", True, False),
        ("twin_aux", "twin", False, True),
        ("twin_shared_aux", "twin", True, True),
        ("mlp", "mlp", None, False),
        ("mlp_aux", "mlp", None, True),
        ("cnn", "cnn", None, False),
    ]
    rows = []
    for config, architecture, sharing, aux in configs:
        for seed_index in range(n_seeds):
            accuracy = 0.75 + seed_offset[seed_index] + aux_gain * aux + sharing_gain * bool(sharing)
            accuracy += interaction * bool(sharing) * aux + generator.normal(0, noise)
            rows.append(
                {
                    "config": config,
                    "seed": seed_index,
                    "architecture": architecture,
                    "sharing": sharing,
                    "aux": aux,
                    "final_test_accuracy": accuracy,
                }
            )
    return pd.DataFrame(rows)


def two_configs(a_values, b_values, seeds_a=None, seeds_b=None):
    seeds_a = list(range(len(a_values))) if seeds_a is None else seeds_a
    seeds_b = list(range(len(b_values))) if seeds_b is None else seeds_b
    rows = [{"config": "base", "seed": s, "aux": False, "final_test_accuracy": v} for s, v in zip(seeds_a, a_values)]
    rows += [
        {"config": "with_aux", "seed": s, "aux": True, "final_test_accuracy": v} for s, v in zip(seeds_b, b_values)
    ]
    return pd.DataFrame(rows)


# summaries and intervals


def test_summary_mean_std_sem_by_hand():
    finals = pd.DataFrame(
        {"config": ["a", "a", "a", "b"], "seed": [0, 1, 2, 0], "final_test_accuracy": [0.7, 0.8, 0.9, 0.5]}
    )
    summary = summarize_configs(finals, rng=np.random.default_rng(0)).set_index("config")
    assert list(summary.reset_index().columns) == SUMMARY_COLUMNS
    # mean 0.8, squared deviations 0.01 + 0 + 0.01 over n - 1 = 2 -> variance 0.01
    assert summary.loc["a", "mean"] == pytest.approx(0.8)
    assert summary.loc["a", "std"] == pytest.approx(0.1)
    assert summary.loc["a", "sem"] == pytest.approx(0.1 / np.sqrt(3))
    assert summary.loc["a", "n"] == 3
    assert summary.loc["a", "ci_low"] <= 0.8 <= summary.loc["a", "ci_high"]
    assert "bootstrap" in summary.loc["a", "ci_method"]
    assert summary.loc["b", "n"] == 1
    assert np.isnan(summary.loc["b", "std"]) and np.isnan(summary.loc["b", "ci_low"])


def test_bootstrap_is_reproducible_with_the_same_seed_only():
    values = np.random.default_rng(5).normal(0.8, 0.05, 12)
    first = bootstrap_mean_ci(values, np.random.default_rng(42))
    again = bootstrap_mean_ci(values, np.random.default_rng(42))
    other = bootstrap_mean_ci(values, np.random.default_rng(43))
    assert first == again
    assert first != other
    assert first[0] < values.mean() < first[1]


def test_summary_intervals_are_reproducible():
    finals = twin_study()
    first = summarize_configs(finals, rng=np.random.default_rng(7))
    again = summarize_configs(finals, rng=np.random.default_rng(7))
    other = summarize_configs(finals, rng=np.random.default_rng(8))
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["ci_low"], other["ci_low"])


def test_resampling_refuses_anything_but_a_generator():
    with pytest.raises(TypeError, match="Generator"):
        bootstrap_mean_ci(np.array([0.1, 0.2]), rng=0)
    with pytest.raises(TypeError, match="Generator"):
        summarize_configs(twin_study(), rng=np.random.RandomState(0))


# tests and adjustment against scipy and by hand


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1 -> 0.03, 0.06, 0.04 -> running max 0.03, 0.06, 0.06
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])
    adjusted = holm([0.02, np.nan, 0.01])
    assert np.isnan(adjusted[1])
    np.testing.assert_allclose(adjusted[[0, 2]], [0.02, 0.02])


def test_paired_tests_match_scipy():
    generator = np.random.default_rng(3)
    base = generator.normal(0.8, 0.03, 9)
    with_aux = base + generator.normal(0.01, 0.01, 9)
    row = paired_comparisons(two_configs(base, with_aux), ["aux"], rng=np.random.default_rng(0)).iloc[0]
    t_reference = scipy.stats.ttest_rel(with_aux, base)
    wilcoxon_reference = scipy.stats.wilcoxon(with_aux, base)
    assert row["t_statistic"] == pytest.approx(t_reference.statistic)
    assert row["t_pvalue"] == pytest.approx(t_reference.pvalue)
    assert row["wilcoxon_statistic"] == pytest.approx(wilcoxon_reference.statistic)
    assert row["wilcoxon_pvalue"] == pytest.approx(wilcoxon_reference.pvalue)
    differences = with_aux - base
    assert row["mean_difference"] == pytest.approx(differences.mean())
    assert row["effect_size"] == pytest.approx(differences.mean() / differences.std(ddof=1))
    assert row["ci_low"] <= row["mean_difference"] <= row["ci_high"]
    assert row["holm_t_pvalue"] == pytest.approx(row["t_pvalue"])  # a family of one


def test_identical_configs_give_p_one_and_no_effect_size():
    values = [0.7, 0.75, 0.8, 0.72]
    row = paired_comparisons(two_configs(values, values), ["aux"], rng=np.random.default_rng(0)).iloc[0]
    assert row["mean_difference"] == 0
    assert row["wilcoxon_pvalue"] == 1.0 and row["t_pvalue"] == 1.0
    assert np.isnan(row["effect_size"])


# which configs are compared


def test_pairs_differing_in_one_factor_only():
    table = paired_comparisons(twin_study(), FACTORS, rng=np.random.default_rng(0))
    assert list(table.columns) == COMPARISON_COLUMNS
    found = {(row.config_a, row.config_b, row.factor) for row in table.itertuples()}
    assert found == {
        ("twin", "twin_shared", "sharing"),
        ("twin_aux", "twin_shared_aux", "sharing"),
        ("twin", "twin_aux", "aux"),
        ("twin_shared", "twin_shared_aux", "aux"),
        ("mlp", "mlp_aux", "aux"),
        ("cnn", "mlp", "architecture"),  # sharing is None (does not apply) for both
    }
    # two factors apart: never compared (a None sharing is a level of its own, unlike False)
    compared = {(a, b) for a, b, _ in found}
    assert ("twin", "twin_shared_aux") not in compared
    assert ("twin", "mlp") not in compared and ("mlp", "twin") not in compared
    architecture = table[table["factor"] == "architecture"].iloc[0]
    assert architecture["level_a"] == "cnn" and architecture["level_b"] == "mlp"
    aux = table[table["factor"] == "aux"]
    assert (aux["level_a"] == False).all() and (aux["level_b"] == True).all()  # noqa: E712
    assert (aux["mean_difference"] > 0.07).all()
    np.testing.assert_allclose(table["holm_t_pvalue"], holm(table["t_pvalue"].to_numpy()))


def test_levels_are_ordered_low_to_high():
    rows = []
    for config, lr, aux in [("fast", 0.01, True), ("slow", 0.001, True), ("slow_plain", 0.001, False)]:
        rows += [
            {"config": config, "seed": s, "lr": lr, "aux": aux, "final_test_accuracy": 0.8 + s / 100} for s in range(3)
        ]
    table = paired_comparisons(pd.DataFrame(rows), ["lr", "aux"], rng=np.random.default_rng(0))
    lr_row = table[table["factor"] == "lr"].iloc[0]
    assert (lr_row["config_a"], lr_row["level_a"], lr_row["level_b"]) == ("slow", 0.001, 0.01)
    aux_row = table[table["factor"] == "aux"].iloc[0]
    assert (aux_row["config_a"], aux_row["level_a"], aux_row["level_b"]) == ("slow_plain", False, True)


# pairing safety


def test_duplicate_seed_names_config_and_seed():
    finals = two_configs([0.7, 0.8, 0.9], [0.8, 0.9, 0.95], seeds_b=[0, 1, 1])
    with pytest.raises(PairingError, match=r"'with_aux'.*\[1\]"):
        paired_comparisons(finals, ["aux"], rng=np.random.default_rng(0))


def test_mismatched_seeds_name_configs_and_seeds():
    finals = two_configs([0.7, 0.8, 0.9], [0.8, 0.9, 0.95], seeds_b=[0, 1, 5])
    with pytest.raises(PairingError, match=r"'base' lacks seeds \[5\].*'with_aux' lacks seeds \[2\]"):
        paired_comparisons(finals, ["aux"], rng=np.random.default_rng(0))
    assert issubclass(PairingError, ValueError)


def test_intersect_pairs_the_common_seeds():
    finals = two_configs([0.7, 0.8, 0.9], [0.8, 0.9, 0.95], seeds_b=[0, 1, 5])
    row = paired_comparisons(finals, ["aux"], rng=np.random.default_rng(0), on_mismatch="intersect").iloc[0]
    assert row["n"] == 2
    assert row["mean_difference"] == pytest.approx(0.1)


# 2x2 factorial effects


def test_factorial_recovers_planted_effects():
    finals = twin_study(n_seeds=10, aux_gain=0.08, sharing_gain=0.02, interaction=0.0)
    table = factorial_effects(finals, ["sharing", "aux"], rng=np.random.default_rng(0), block_factors=["architecture"])
    assert list(table.columns) == FACTORIAL_COLUMNS
    assert list(table["effect"]) == ["sharing", "aux", "sharing x aux"]
    assert set(table["block"]) == {"architecture=twin"}  # the mlp has no sharing level: no block
    effects = table.set_index("effect")
    assert effects.loc["aux", "estimate"] == pytest.approx(0.08, abs=0.005)
    assert effects.loc["sharing", "estimate"] == pytest.approx(0.02, abs=0.005)
    assert effects.loc["aux", "t_pvalue"] < 0.001
    assert (effects.loc["aux", "level_low"], effects.loc["aux", "level_high"]) == (False, True)
    interaction = effects.loc["sharing x aux"]
    assert interaction["ci_low"] < 0 < interaction["ci_high"]
    assert (table["n"] == 10).all()


def test_factorial_interaction_definition():
    # one planted interaction of 0.04 on the (high, high) cell, no noise: A x B = 0.04 / 2
    finals = twin_study(n_seeds=4, aux_gain=0.0, sharing_gain=0.0, interaction=0.04, noise=0.0)
    table = factorial_effects(
        finals, ["sharing", "aux"], rng=np.random.default_rng(0), block={"architecture": "twin"}
    ).set_index("effect")
    assert table.loc["sharing x aux", "estimate"] == pytest.approx(0.02)
    assert table.loc["sharing", "estimate"] == pytest.approx(0.02)
    assert table.loc["aux", "estimate"] == pytest.approx(0.02)
    assert table.loc["sharing", "block"] == "architecture=twin"


def test_factorial_needs_a_full_block():
    finals = twin_study()
    finals = finals[finals["config"] != "twin_shared_aux"]
    with pytest.raises(ValueError, match="no full 2x2 block"):
        factorial_effects(finals, ["sharing", "aux"], rng=np.random.default_rng(0), block_factors=["architecture"])


def test_factorial_refuses_configs_it_cannot_tell_apart():
    finals = twin_study()
    extra = finals[finals["config"] == "twin"].assign(config="twin_copy")
    finals = pd.concat([finals, extra])
    with pytest.raises(ValueError, match="'twin', 'twin_copy'"):
        factorial_effects(finals, ["sharing", "aux"], rng=np.random.default_rng(0), block_factors=["architecture"])


# sentences


def test_effect_sentence_for_a_factorial_row():
    row = {"effect": "aux", "estimate": 0.0762, "ci_low": 0.0614, "ci_high": 0.0903, "t_pvalue": 0.00002, "n": 10}
    labels = {"aux": "auxiliary loss", "sharing": "weight sharing"}
    assert effect_sentence(row, labels) == "auxiliary loss: +7.6 points [6.1, 9.0], p < 0.001 over 10 paired seeds"
    interaction = {
        **row,
        "effect": "sharing x aux",
        "estimate": -0.004,
        "ci_low": -0.012,
        "ci_high": 0.003,
        "t_pvalue": 0.0123,
    }
    assert effect_sentence(interaction, labels) == (
        "weight sharing x auxiliary loss: -0.4 points [-1.2, 0.3], p = 0.012 over 10 paired seeds"
    )


def test_effect_sentence_names_the_levels_of_a_factor_that_is_not_on_off():
    row = {
        "effect": "comparator",
        "level_low": "probability",
        "level_high": "softmax",
        "estimate": -0.005,
        "ci_low": -0.007,
        "ci_high": -0.001,
        "t_pvalue": 0.069,
        "n": 5,
    }
    assert (
        effect_sentence(row)
        == "comparator (probability → softmax): -0.5 points [-0.7, -0.1], p = 0.069 over 5 paired seeds"
    )
    assert effect_sentence({**row, "level_low": False, "level_high": True, "effect": "aux"}).startswith(
        "aux: -0.5 points"
    )
    assert effect_sentence({**row, "level_low": "False", "level_high": "True", "effect": "aux"}).startswith(
        "aux: -0.5 points"
    )
    assert effect_sentence({**row, "level_low": 0.0, "level_high": 1.0, "effect": "shift"}).startswith(
        "shift (0 → 1): -0.5 points"
    )


def test_effect_sentence_for_a_paired_row():
    table = paired_comparisons(
        two_configs([0.70, 0.72, 0.75], [0.80, 0.81, 0.86]), ["aux"], rng=np.random.default_rng(0)
    )
    sentence = effect_sentence(table.iloc[0], {"aux": "auxiliary loss"})
    assert sentence.startswith("auxiliary loss (base → with_aux): +10.0 points [")
    assert sentence.endswith(f"{format_pvalue(table.iloc[0]['holm_t_pvalue'])} over 3 paired seeds")


def test_format_pvalue():
    assert format_pvalue(0.0123) == "p = 0.012"
    assert format_pvalue(0.0004) == "p < 0.001"
    assert format_pvalue(float("nan")) == "p = n/a"


def test_stats_do_not_import_torch():
    code = "import sys, pairstudy.stats; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
