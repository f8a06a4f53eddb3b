""" "What helped" answers the study's question for every declared factor, architecture included: a model of one's
own beside the built-in twin, with or without baselines, and with the best configuration itself a baseline."""

from __future__ import annotations

import pandas as pd
import pytest

from pairstudy.models import register_model
from tests import helpers
from tests.helpers import read_report, render_results, section_of, visible_text, write_study
from tests.report_claims import check_report

SETTINGS = ["nosharing-noaux", "nosharing-aux", "sharing-noaux", "sharing-aux"]
# mean final test accuracy per configuration: mine is ahead of twin by 3 points at every setting
MINE_AHEAD = {
    **{f"twin-{setting}": 0.84 + 0.02 * index for index, setting in enumerate(SETTINGS)},
    **{f"mine-{setting}": 0.87 + 0.02 * index for index, setting in enumerate(SETTINGS)},
}
# twin ahead of mine by 3 points: the best configuration is twin-sharing-aux
TWIN_AHEAD = {
    **{f"twin-{setting}": 0.87 + 0.02 * index for index, setting in enumerate(SETTINGS)},
    **{f"mine-{setting}": 0.84 + 0.02 * index for index, setting in enumerate(SETTINGS)},
}


def my_study(tmp_path, monkeypatch, accuracy: dict, baselines: list[str] | None) -> tuple[str, pd.DataFrame]:
    """The my_study example's shape, [twin, mine] x sharing x aux over 6 seeds, through the real aggregate,
    statistics and report steps: its "What helped" text and the stored one-factor comparisons."""

    @register_model("mine", predicts_digits=True)
    def mine(sharing: bool = True, width: int = 8):
        """a two-tower net of one's own"""

    for config, value in accuracy.items():
        monkeypatch.setitem(helpers.ACCURACY, config, value)
    spec = {
        "seeds": 6,
        "training": {"epochs": 2},
        "factors": {"architecture": ["twin", "mine"], "sharing": [False, True], "aux": [False, True]},
    }
    if baselines is not None:
        spec["baselines"] = baselines
    study = write_study(tmp_path, "mine", spec)
    _, page, _ = read_report(render_results(tmp_path, study, ["paired_differences"]))
    comparisons = pd.read_csv(tmp_path / "results" / "mine" / "statistics" / "comparisons.csv")
    return visible_text(section_of(page, "What helped")), comparisons


def architecture_items(helped: str, comparisons: pd.DataFrame, word: str) -> list[int]:
    """Assert each architecture comparison is said with its stored difference; return where each is said."""
    rows = comparisons[comparisons["factor"] == "architecture"]
    assert sorted(zip(rows["config_a"], rows["config_b"])) == sorted(
        (f"twin-{setting}", f"mine-{setting}") for setting in SETTINGS
    )
    places = []
    for _, row in rows.iterrows():
        difference = f"{abs(row['mean_difference']) * 100:.1f} points {word} accuracy"
        text = f"architecture ({row['config_a']} → {row['config_b']}): {difference} ["
        assert text in helped, (text, helped)
        places.append(helped.index(text))
    return places


@pytest.mark.usefixtures("registry_snapshot")
def test_without_baselines_the_architectures_are_compared_at_each_setting(tmp_path, monkeypatch):
    helped, comparisons = my_study(tmp_path, monkeypatch, MINE_AHEAD, baselines=None)
    assert check_report(helped) == len(comparisons) + 6 + 1  # 3 effects per architecture, the best vs the runner-up
    assert "The study has no baselines." in helped
    assert "In 4 comparisons one factor apart, mine against twin: helped in 4." in helped
    places = architecture_items(helped, comparisons, "higher")
    # the factors come in the study's order, before the effects and the best against the runner-up
    order = [helped.index(text) for text in ("Architecture", "Weight sharing", "Auxiliary loss", "Factor effects")]
    assert order == sorted(order) and max(places) < helped.index("Weight sharing")
    assert helped.index("Factor effects") < helped.index("against the runner-up")
    assert "Not compared" not in helped  # every level of every factor has a partner


@pytest.mark.usefixtures("registry_snapshot")
def test_with_baselines_the_architecture_comparison_stays_in_what_helped(tmp_path, monkeypatch):
    helped, comparisons = my_study(tmp_path, monkeypatch, MINE_AHEAD, baselines=["twin-sharing-aux"])
    places = architecture_items(helped, comparisons, "higher")
    assert "against baseline twin-sharing-aux: mine-sharing-aux vs twin-sharing-aux:" in helped
    assert max(places) < helped.index("against baseline twin-sharing-aux")


@pytest.mark.usefixtures("registry_snapshot")
def test_a_best_that_is_a_baseline_hides_no_architecture_comparison(tmp_path, monkeypatch):
    helped, comparisons = my_study(tmp_path, monkeypatch, TWIN_AHEAD, baselines=["twin-sharing-aux"])
    assert helped.lstrip().startswith("Best configuration: twin-sharing-aux")
    assert "The best configuration, twin-sharing-aux, is itself a baseline." in helped
    # mine minus twin is a drop: the architecture hurt at every setting, in the words and the numbers
    architecture_items(helped, comparisons, "lower")
    assert "In 4 comparisons one factor apart, mine against twin: hurt in 4." in helped
    assert (comparisons.loc[comparisons["factor"] == "architecture", "mean_difference"] < 0).all()


def test_a_finding_says_its_verdict_its_seeds_and_the_runs_it_leaves_out():
    from pairstudy.report.findings import Reading, finding
    from tests.helpers import DIGIT_PAIRS

    row = pd.Series(
        {
            "config_a": "twin-sharing-noaux",
            "config_b": "mine-sharing-noaux",
            "factor": "architecture",
            "n": 5,
            "mean_difference": 0.010,
            "ci_low": 0.0004,
            "ci_high": 0.0196,
            "ci_method": "t interval, 95% family-wise (Bonferroni over 4 comparisons: 98.75% each)",
            "t_pvalue": 0.005,
            "adjusted_t_pvalue": 0.02,
            "smallest_effect": 0.01,
            "verdict": "higher",
            "seeds_needed": 12,
        }
    )
    reading = Reading(DIGIT_PAIRS.headline_metric, {"mine-sharing-noaux": (1, 6)}, "test")
    assert finding(row, reading) == (
        "architecture (twin-sharing-noaux → mine-sharing-noaux): 1.0 points higher accuracy [0.0, 2.0], helped, "
        "p = 0.020 over 5 paired seeds; resolved with the 5 seeds run (mine-sharing-noaux: 1 of 6 runs failed or "
        "diverged, left out of this difference)."
    )
    unsettled = {**row, "ci_low": -0.004, "adjusted_t_pvalue": 0.4, "verdict": "inconclusive"}
    assert finding(pd.Series(unsettled), reading._replace(failures={})).endswith(
        "inconclusive, p = 0.400 over 5 paired seeds; about 12 seeds would find a difference of 1.0 point with 80% "
        "power (5 run)."
    )
