"""One multiplicity rule for every claim: each comparison tested once, in one family, its verdict, interval and
p agreeing in every stored row and every sentence of a rendered report."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pairstudy.report.findings import what_helped
from pairstudy.stats import study_statistics
from pairstudy.stats.families import Family, adjusted_pvalue, claim, family_method, verdict_of
from pairstudy.stats.intervals import IntervalChoice
from pairstudy.stats.words import AGAINST_BASELINES, BEST, EQUIVALENT, HIGHER, INCONCLUSIVE, LOWER, ONE_FACTOR
from tests.helpers import DIGIT_PAIRS, FACTORS, twin_study
from tests.report_claims import check_report, check_rows, claims

VALUE = DIGIT_PAIRS.headline_run_metric
BASELINES = ["mlp", "cnn"]


def test_bonferroni_within_a_family():
    assert adjusted_pvalue(0.01, Family("f", 5)) == pytest.approx(0.05)
    assert adjusted_pvalue(0.4, Family("f", 5)) == 1.0
    assert math.isnan(adjusted_pvalue(float("nan"), Family("f", 5)))
    assert family_method(IntervalChoice(), Family("f", 1)) == "t interval, 95%, n-1 degrees of freedom"
    assert family_method(IntervalChoice(), Family("f", 4)) == (
        "t interval, 95% family-wise (Bonferroni over 4 comparisons: 98.75% each), n-1 degrees of freedom"
    )


def test_verdict_words():
    assert verdict_of(0.1, 0.5, 0.01, 0.05, 1.0) == HIGHER
    assert verdict_of(-0.5, -0.1, 0.01, 0.05, None) == LOWER
    assert verdict_of(-0.5, 0.5, 0.9, 0.05, 1.0) == EQUIVALENT
    assert verdict_of(-0.5, 1.5, 0.3, 0.05, 1.0) == INCONCLUSIVE
    assert verdict_of(-0.5, 0.5, 0.9, 0.05, None) == INCONCLUSIVE  # no smallest effect: equivalence never claimed
    assert verdict_of(0.1, 0.5, 0.06, 0.05, None) == INCONCLUSIVE  # the word never outruns the p beside it


def test_a_pair_is_claimed_by_its_first_family_only():
    families = claim({}, ONE_FACTOR, [("a", "b"), ("b", "c")])
    families = claim(families, AGAINST_BASELINES, [("a", "b"), ("a", "c"), ("c", "a")])
    families = claim(families, BEST, [("b", "a")])
    assert families[frozenset("ab")] == Family(ONE_FACTOR, 2)
    assert families[frozenset("ac")] == Family(AGAINST_BASELINES, 1)
    assert len(families) == 3


def random_study(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    finals = twin_study(
        n_seeds=int(rng.choice([3, 4, 5, 10])),
        aux_gain=float(rng.normal(0, 0.01)),
        sharing_gain=float(rng.normal(0, 0.01)),
        interaction=float(rng.normal(0, 0.01)),
        noise=float(rng.uniform(0.002, 0.02)),
        seed=seed,
    )
    return finals.assign(status="ok")


def summary_of(finals: pd.DataFrame) -> pd.DataFrame:
    grouped = finals.groupby("config", sort=False)[VALUE]
    return pd.DataFrame(
        {"n_seeds": grouped.size(), f"{VALUE}_mean": grouped.mean(), f"{VALUE}_std": grouped.std()}
    ).reset_index()


@pytest.mark.parametrize("seed", range(12))
def test_every_row_and_sentence_of_a_random_study_agrees_with_itself(seed):
    finals = random_study(seed)
    tables = study_statistics(finals, FACTORS, spec=DIGIT_PAIRS, baselines=BASELINES, smallest_effect=0.01)
    for name in ("comparisons", "effects", "baselines"):
        check_rows(tables[name])
    # a pair two tables show is one test: the same family, p and interval (mirrored where the order is)
    comparisons = tables["comparisons"].set_index(["config_a", "config_b"])
    for _, row in tables["baselines"].iterrows():
        for a, b, sign in ((row["config_a"], row["config_b"], 1), (row["config_b"], row["config_a"], -1)):
            if (a, b) in comparisons.index:
                other = comparisons.loc[(a, b)]
                assert (other["family"], other["family_size"]) == (ONE_FACTOR, row["family_size"])
                assert other["adjusted_t_pvalue"] == pytest.approx(row["adjusted_t_pvalue"])
                assert other["mean_difference"] == pytest.approx(sign * row["mean_difference"])
                assert sorted([sign * other["ci_low"], sign * other["ci_high"]]) == pytest.approx(
                    [row["ci_low"], row["ci_high"]]
                )
    section = what_helped(tables, summary_of(finals), 2, DIGIT_PAIRS, FACTORS)
    leader = tables["baselines"]["kind"].str.startswith("leader")
    said = len(tables["comparisons"]) + len(tables["effects"]) + int(leader.sum())
    assert check_report(section.markdown) == said  # every row said, and each says what its numbers say


def test_the_checker_catches_a_word_that_outruns_its_numbers():
    honest = "x: 1.8 points higher accuracy [-0.1, 3.8], inconclusive, p = 0.061 over 10 paired seeds"
    assert check_report(honest) == 1
    for wrong in (
        "x: 1.8 points higher accuracy [-0.1, 3.8], helped, p = 0.061 over 10 paired seeds",
        "x: 1.8 points higher accuracy [0.5, 3.8], helped, p = 0.109 over 10 paired seeds",
        "x: 1.8 points higher accuracy [0.5, 3.8], inconclusive, p = 0.012 over 10 paired seeds",
        "x: 0.2 points higher accuracy [-0.5, 1.2], no difference larger than 1.0 point, p = 0.6 over 5 paired seeds",
        "x: 1.8 points lower accuracy [0.5, 3.8], helped, p = 0.012 over 10 paired seeds",
    ):
        with pytest.raises(AssertionError):
            check_report(wrong)
    assert len(claims("no claim here")) == 0


def test_with_no_true_difference_a_plan_is_only_ever_for_the_declared_size():
    """A zero difference on few seeds once read "too small to resolve" or "needs about N seeds" as if the seen
    difference were real; now an unsettled comparison names only the seeds that would find the declared size."""
    from pairstudy.stats.families import own_family
    from pairstudy.stats.paired import paired_difference
    from pairstudy.stats.sentences import seeds_text

    rng = np.random.default_rng(5)
    said = []
    for n in (3, 5, 10):
        for _ in range(100):
            values = rng.normal(0.8, 0.01, (n, 2))  # both columns alike: no true difference
            row = paired_difference(values, 0.95, own_family(ONE_FACTOR, 1), smallest_effect=0.01)
            said.append((row["verdict"], seeds_text({**row, "factor": "aux"}, DIGIT_PAIRS.headline_metric)))
    for verdict, text in said:
        if verdict == INCONCLUSIVE:
            assert text.startswith("about ") and "seeds would find a difference of 1.0 point with 80% power" in text
        else:
            assert text.startswith("resolved with the") and verdict in (EQUIVALENT, HIGHER, LOWER)
    claimed = sum(verdict in (HIGHER, LOWER) for verdict, _ in said)
    assert claimed <= 0.05 * len(said) + 2 * math.sqrt(0.05 * 0.95 * len(said))  # at most the test's 5% wrongly
