"""The best configuration's interval is corrected for choosing it: it covers as it claims when all are equal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from pairstudy.stats.selection import best_of, selection_column, selection_interval
from pairstudy.stats.words import CHOSEN_ON_TEST, CHOSEN_ON_VALIDATION


def coverage(rng, configs: int, seeds: int, lead: float, replications: int = 3000) -> tuple[float, float]:
    """How often the chosen configuration's corrected interval, and its plain 95% t interval, cover its true mean:
    `configs` configurations of spread 1, the first ahead by `lead`, chosen on their means."""
    truth = np.zeros(configs)
    truth[0] = lead
    values = rng.normal(truth[None, :, None], 1.0, (replications, configs, seeds))
    chosen = values.mean(axis=2).argmax(axis=1)
    corrected = plain = 0
    half = scipy.stats.t.ppf(0.975, seeds - 1)
    for replication, config in enumerate(chosen):
        own = values[replication, config]
        low, high = selection_interval(own, configs, 0.95, higher_is_better=True)
        corrected += low <= truth[config] <= high
        sem = own.std(ddof=1) / np.sqrt(seeds)
        plain += abs(own.mean() - truth[config]) <= half * sem
    return corrected / replications, plain / replications


@pytest.mark.parametrize("seeds", [3, 5, 10])
def test_six_equal_configurations_the_best_covers_93_to_97_percent(seeds):
    corrected, plain = coverage(np.random.default_rng(seeds), configs=6, seeds=seeds, lead=0.0)
    assert 0.93 <= corrected <= 0.97
    assert plain < 0.93  # the winner's curse the correction removes


@pytest.mark.parametrize("configs", [2, 6])
def test_one_clearly_best_configuration_covers_93_to_97_percent(configs):
    corrected, _ = coverage(np.random.default_rng(configs), configs=configs, seeds=5, lead=5.0)
    assert 0.93 <= corrected <= 0.97


def test_the_side_the_choice_favours_is_widened():
    values = np.array([0.80, 0.82, 0.81, 0.83, 0.79])
    low, high = selection_interval(values, 6, 0.95, higher_is_better=True)
    plain_low, plain_high = scipy.stats.t.interval(0.95, 4, loc=values.mean(), scale=scipy.stats.sem(values))
    assert low < plain_low and high == pytest.approx(plain_high)
    low, high = selection_interval(values, 6, 0.95, higher_is_better=False)
    assert low == pytest.approx(plain_low) and high > plain_high
    for alone in (1, 2):  # nothing or a coin's worth chosen: the plain interval
        assert selection_interval(values, alone, 0.95, True) == pytest.approx((plain_low, plain_high))
    assert np.isnan(selection_interval(values[:2], 6, 0.95, True)[0])


def test_the_best_is_chosen_on_validation_where_every_run_has_it():
    finals = pd.DataFrame(
        {
            "config": ["a"] * 3 + ["b"] * 3,
            "seed": [0, 1, 2] * 2,
            "final_test_accuracy": [0.9, 0.91, 0.92, 0.8, 0.81, 0.82],
            "final_validation_accuracy": [0.7, 0.71, 0.72, 0.8, 0.81, 0.82],
        }
    )
    column = selection_column(finals, "final_test_accuracy", "final_validation_accuracy")
    best = best_of(finals, "final_test_accuracy", column, higher_is_better=True)
    assert (best.config, best.chosen_on, best.candidates) == ("b", CHOSEN_ON_VALIDATION, 2)
    assert best.low < 0.81 < best.high  # judged on b's test accuracy
    finals.loc[0, "final_validation_accuracy"] = np.nan
    assert selection_column(finals, "final_test_accuracy", "final_validation_accuracy") == "final_test_accuracy"
    best = best_of(finals, "final_test_accuracy", "final_test_accuracy", higher_is_better=True)
    assert (best.config, best.chosen_on) == ("a", CHOSEN_ON_TEST)
