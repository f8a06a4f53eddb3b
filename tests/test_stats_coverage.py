"""The default 95% interval covers the true mean about 95% of the time, even at 3 seeds."""

import numpy as np
import pandas as pd
import pytest

from pairstudy.stats import mean_interval, paired_comparisons, summarize_configs
from tests.helpers import DIGIT_PAIRS

VALUE = DIGIT_PAIRS.headline_run_metric

REPETITIONS = 2000
TRUE_MEAN = 0.8
TRUE_DIFFERENCE = 0.01
END_TO_END = 150  # paired studies also run through paired_comparisons (each row costs a few tests)


def coverage(low, high, truth) -> float:
    return float(np.mean((np.asarray(low) <= truth) & (truth <= np.asarray(high))))


def paired_samples(n, repetitions, generator):
    """(base, with_aux), each of shape (repetitions, n): a shared per-seed offset, much larger than the noise."""
    seed_offset = generator.normal(0, 0.03, (repetitions, n))
    base = TRUE_MEAN + seed_offset + generator.normal(0, 0.005, (repetitions, n))
    with_aux = TRUE_MEAN + TRUE_DIFFERENCE + seed_offset + generator.normal(0, 0.005, (repetitions, n))
    return base, with_aux


@pytest.mark.parametrize("n", [3, 5, 10])
def test_interval_coverage_of_a_config_mean(n):
    values = np.random.default_rng(n).normal(TRUE_MEAN, 0.03, (REPETITIONS, n))
    finals = pd.DataFrame(
        {
            "config": np.repeat(np.arange(REPETITIONS), n),
            "seed": np.tile(np.arange(n), REPETITIONS),
            "final_test_accuracy": values.ravel(),
        }
    )
    summary = summarize_configs(finals, VALUE)
    assert len(summary) == REPETITIONS and (summary["n"] == n).all()
    assert 0.93 <= coverage(summary["ci_low"], summary["ci_high"], TRUE_MEAN) <= 0.97


@pytest.mark.parametrize("n", [3, 5, 10])
def test_interval_coverage_of_a_paired_difference(n):
    base, with_aux = paired_samples(n, REPETITIONS, np.random.default_rng(100 + n))
    intervals = [mean_interval(difference) for difference in with_aux - base]
    low, high = np.array([interval.low for interval in intervals]), np.array([interval.high for interval in intervals])
    assert 0.93 <= coverage(low, high, TRUE_DIFFERENCE) <= 0.97
    # pairing matters: intervals on the two configs' own means are far wider than the paired one
    unpaired = [mean_interval(values).high - mean_interval(values).low for values in base[:END_TO_END]]
    assert np.mean(high[:END_TO_END] - low[:END_TO_END]) < np.mean(unpaired) / 3

    # paired_comparisons gives these intervals: one base config on all seeds, and one config
    # per repetition on its own n seeds, paired on the seeds they share
    rows = [
        {"config": "base", "seed": seed, "aux": False, "final_test_accuracy": value}
        for seed, value in enumerate(base[:END_TO_END].ravel())
    ]
    rows += [
        {"config": f"aux_{repetition}", "seed": repetition * n + i, "aux": True, "final_test_accuracy": value}
        for repetition in range(END_TO_END)
        for i, value in enumerate(with_aux[repetition])
    ]
    table = paired_comparisons(pd.DataFrame(rows), ["aux"], VALUE, on_mismatch="intersect")
    assert list(table["config_b"]) == [f"aux_{repetition}" for repetition in range(END_TO_END)]
    assert (table["n"] == n).all()
    np.testing.assert_allclose(table["ci_low"], low[:END_TO_END], rtol=0, atol=1e-12)
    np.testing.assert_allclose(table["ci_high"], high[:END_TO_END], rtol=0, atol=1e-12)
