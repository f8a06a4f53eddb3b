""" "What helped" answers the study's question for every declared factor, architecture included: a model of one's
own beside the built-in twin, with or without baselines, and with the best configuration itself a baseline."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pairstudy.models import register_model
from tests import helpers
from tests.helpers import read_report, render_results, section_of, visible_text, write_study

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


def test_a_verdict_never_contradicts_the_adjusted_p_value_beside_it():
    """An interval clear of zero whose Holm-adjusted p is not below 0.05 reads "no clear difference once p is
    Holm-adjusted", and its seeds verdict says it holds for the difference tested alone."""
    from pairstudy.report.findings import finding
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
            "ci_method": "t interval, 95%, n-1 degrees of freedom",
            "t_pvalue": 0.044,
            "holm_t_pvalue": 0.087,
            "seeds_verdict": "resolved with the 5 seeds run",
        }
    )
    text = finding(row, DIGIT_PAIRS.headline_metric)
    assert re.search(r"\[0\.0, 2\.0\], no clear difference once p is Holm-adjusted, p = 0\.087", text), text
    assert text.endswith("; by the unadjusted test alone, resolved with the 5 seeds run.")
    assert ", helped" in finding({**row, "holm_t_pvalue": 0.044}, DIGIT_PAIRS.headline_metric)
