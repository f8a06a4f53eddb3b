"""Every p-value exact and every interval option calibrated: the signed-rank test's null distribution at any
number of seeds, the t interval's coverage, and BCa refused below the seeds at which it covers what it says."""

import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.stats

from pairstudy.stats import mean_interval
from pairstudy.stats.intervals import BOOTSTRAP_MIN_SEEDS, IntervalChoice
from pairstudy.stats.significance import signed_rank, signed_rank_pvalue, smallest_signed_rank_pvalue
from pairstudy.study import ConfigError, validate_config

NOMINAL = (0.93, 0.97)  # a 95% interval's coverage, allowing for the simulation's own spread

# (draw(generator, shape), true mean): normal, right-skewed, and left-skewed as accuracies near a ceiling look
DISTRIBUTIONS = {
    "normal": (lambda generator, shape: generator.normal(0.8, 0.03, shape), 0.8),
    "gamma(4)": (lambda generator, shape: generator.gamma(4.0, 1.0, shape), 4.0),
    "1 - gamma(4) / 50": (lambda generator, shape: 1 - generator.gamma(4.0, 1.0, shape) / 50, 1 - 4.0 / 50),
}


def tied_differences(generator, n, shift=0):
    """n differences with few distinct magnitudes: ties, often zeros (scaled after the shift, so equal
    magnitudes are equal floats)."""
    return (generator.integers(-4, 5, n) + shift) * 0.01


def brute_force_pvalue(differences) -> float:
    """Two-sided p over all 2**n sign flips of every difference (zeros included), as scipy's permutation_test."""
    differences = np.asarray(differences, dtype=float)
    nonzero = differences != 0
    ranks = np.zeros(len(differences))
    ranks[nonzero] = scipy.stats.rankdata(np.abs(differences[nonzero]))
    signs = 1 - 2 * ((np.arange(2 ** len(differences))[:, None] >> np.arange(len(differences))) & 1)
    sums = ((signs * differences) > 0) @ ranks
    observed = ranks[differences > 0].sum()
    return min(1.0, 2 * min(np.mean(sums <= observed), np.mean(sums >= observed)))


def exact_pvalue(differences) -> Fraction:
    """Two-sided p in exact fractions, tie group by tie group: k tied ranks r give j * r with j ~ Binomial(k, 1/2)."""
    differences = np.asarray(differences, dtype=float)
    nonzero = differences[differences != 0]
    ranks = scipy.stats.rankdata(np.abs(nonzero))
    counts = {0: 1}  # twice the positive rank sum -> number of sign patterns
    for rank in np.unique(ranks):
        doubled, size = round(2 * rank), int((ranks == rank).sum())
        counts_next: dict[int, int] = {}
        for total, count in counts.items():
            for j in range(size + 1):
                key = total + j * doubled
                counts_next[key] = counts_next.get(key, 0) + count * math.comb(size, j)
        counts = counts_next
    observed = round(2 * ranks[nonzero > 0].sum())
    below = sum(count for total, count in counts.items() if total <= observed)
    above = sum(count for total, count in counts.items() if total >= observed)
    return min(Fraction(1), Fraction(2 * min(below, above), 2 ** len(nonzero)))


def test_signed_rank_with_ties_and_zeros_equals_brute_force_and_keeps_scipys_statistic():
    generator = np.random.default_rng(0)
    checked = 0
    for n in range(1, 13):
        for _ in range(12):
            differences = tied_differences(generator, n)
            if not differences.any():
                continue
            statistic, pvalue = signed_rank(differences)
            assert pvalue == pytest.approx(brute_force_pvalue(differences), rel=1e-12, abs=0), differences
            expected = scipy.stats.wilcoxon(differences, alternative="two-sided", method="asymptotic").statistic
            assert statistic == float(expected)
            checked += 1
    assert checked > 120


def test_null_distribution_without_ties_is_scipys_exact_one():
    generator = np.random.default_rng(1)
    for n in range(1, 51):
        differences = generator.normal(0.3, 1.0, n)
        ranks = scipy.stats.rankdata(np.abs(differences))
        expected = scipy.stats.wilcoxon(differences, alternative="two-sided", method="exact").pvalue
        assert signed_rank_pvalue(ranks, ranks[differences > 0].sum()) == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize(("n", "tied"), [(30, True), (60, True), (60, False)])
def test_signed_rank_is_exact_beyond_scipys_exact_range(n, tied):
    """scipy falls back to a normal approximation with ties or zeros above 13 differences, and above 50 without."""
    generator = np.random.default_rng(n)
    for _ in range(5):
        differences = tied_differences(generator, n, shift=1) if tied else generator.normal(0.1, 1.0, n)
        assert (differences == 0).any() if tied else len(np.unique(np.abs(differences))) == n
        assert signed_rank(differences)[1] == pytest.approx(float(exact_pvalue(differences)), rel=1e-12, abs=0)


def test_smallest_signed_rank_pvalue_is_all_signs_alike():
    for n in range(1, 16):
        assert smallest_signed_rank_pvalue(n) == min(1.0, 2 / 2**n) == signed_rank(np.arange(1.0, n + 1))[1]
        assert signed_rank(np.r_[np.zeros(3), -np.arange(1.0, n + 1)])[1] == smallest_signed_rank_pvalue(n)
    assert smallest_signed_rank_pvalue(0) == 1.0
    assert smallest_signed_rank_pvalue(5000) == 0.0
    with pytest.raises(ValueError, match="n_nonzero"):
        smallest_signed_rank_pvalue(-1)


def coverage(low, high, truth) -> float:
    return float(np.mean((low <= truth) & (truth <= high)))


@pytest.mark.parametrize("n", [5, 10, 20])
def test_t_interval_covers_95_percent_of_normal_means(n):
    draw, truth = DISTRIBUTIONS["normal"]
    samples = draw(np.random.default_rng(n), (4000, n))
    low, high = scipy.stats.t.interval(
        0.95, n - 1, loc=samples.mean(axis=1), scale=samples.std(axis=1, ddof=1) / np.sqrt(n)
    )
    for row in range(20):  # the intervals the package gives, vectorised
        interval = IntervalChoice("t").of_mean(samples[row])
        assert (interval.low, interval.high) == pytest.approx((low[row], high[row]), rel=1e-12)
    assert NOMINAL[0] <= coverage(low, high, truth) <= NOMINAL[1]


@pytest.mark.parametrize("n", [5, 10, 20])
@pytest.mark.parametrize("distribution", ["gamma(4)", "1 - gamma(4) / 50"])
def test_t_interval_covers_95_percent_of_skewed_means(n, distribution):
    """Skewness +1 and -1 (an accuracy near its ceiling): 93.5-94.4% at 5, 10 and 20 seeds over 20,000 samples."""
    draw, truth = DISTRIBUTIONS[distribution]
    samples = draw(np.random.default_rng(100 + n), (20_000, n))
    low, high = scipy.stats.t.interval(
        0.95, n - 1, loc=samples.mean(axis=1), scale=samples.std(axis=1, ddof=1) / np.sqrt(n)
    )
    assert NOMINAL[0] <= coverage(low, high, truth) <= NOMINAL[1]


def bca_coverage(distribution: str, n: int, samples: int, seed: int) -> float:
    """Coverage of IntervalChoice's 95% BCa bounds (1,000 resamples) over `samples` samples of n, 250 per scipy
    call (scipy resamples the rows of one call with the same indices; each row's interval is its own)."""
    draw, truth = DISTRIBUTIONS[distribution]
    values = draw(np.random.default_rng(seed), (samples, n))
    choice = IntervalChoice("bootstrap", rng=np.random.default_rng(seed + 1), n_resamples=1000)
    hits = 0
    for start in range(0, samples, 250):
        low, high = choice.bca_bounds(values[start : start + 250])
        hits += int(np.sum((low <= truth) & (truth <= high)))
    return hits / samples


@pytest.mark.parametrize(("distribution", "seed"), [("normal", 7), ("gamma(4)", 17), ("1 - gamma(4) / 50", 27)])
def test_bca_covers_95_percent_from_its_minimum_seeds(distribution, seed):
    """Measured at 40,000 samples: 0.934-0.936 for all three at 40 seeds, 0.928-0.937 at 30; so 20,000
    samples here (binomial sd 0.0017, 2 s each), as the margin above 0.93 is small."""
    assert NOMINAL[0] <= bca_coverage(distribution, BOOTSTRAP_MIN_SEEDS, 20_000, seed) <= NOMINAL[1]


def test_bca_covers_far_less_below_its_minimum_seeds():
    """Measured at 2,000 samples: 0.90 (normal) and 0.88 (left-skewed) at 10 seeds. 4,000 samples: sd 0.005."""
    assert bca_coverage("normal", 10, 4000, seed=8) < NOMINAL[0] - 0.01
    assert bca_coverage("1 - gamma(4) / 50", 10, 4000, seed=9) < NOMINAL[0] - 0.01


def test_bootstrap_below_its_minimum_seeds_is_refused_and_says_use_t():
    values = np.random.default_rng(3).normal(0.8, 0.03, BOOTSTRAP_MIN_SEEDS)
    choice = IntervalChoice("bootstrap", rng=np.random.default_rng(0), n_resamples=1000)
    for count in (2, 3, BOOTSTRAP_MIN_SEEDS - 1):
        with pytest.raises(ValueError) as error:
            choice.of_mean(values[:count])
        message = str(error.value)
        assert f"on {count} seeds" in message and f"BOOTSTRAP_MIN_SEEDS = {BOOTSTRAP_MIN_SEEDS}" in message
        assert "use the t interval" in message
        with pytest.raises(ValueError, match=f"on {count} seeds"):
            mean_interval(values[:count], "bootstrap", rng=np.random.default_rng(0))
    interval = choice.of_mean(values)
    low, high = IntervalChoice("bootstrap", rng=np.random.default_rng(0), n_resamples=1000).bca_bounds(values)
    assert interval.low == low < values.mean() < interval.high == high


def study_config(interval, **seeds_of):
    studies = {name: {"factors": {"architecture": ["mlp"]}, "seeds": seeds} for name, seeds in seeds_of.items()}
    return {"studies": studies, "report": {"interval": interval}}


def test_config_asking_a_bootstrap_on_too_few_seeds_is_refused_before_any_job():
    validate_config(study_config("bootstrap", big=BOOTSTRAP_MIN_SEEDS, listed=list(range(100, 100 + 50))))
    validate_config(study_config("t", small=3))
    for seeds, count in ((10, 10), (list(range(BOOTSTRAP_MIN_SEEDS - 1)), BOOTSTRAP_MIN_SEEDS - 1)):
        with pytest.raises(ConfigError) as error:
            validate_config(study_config("bootstrap", big=BOOTSTRAP_MIN_SEEDS, few=seeds))
        message = str(error.value)
        assert message.startswith("config key report.interval: bootstrap"), message
        for fragment in ("studies.few.seeds", f"gives {count}", f"at least {BOOTSTRAP_MIN_SEEDS} seeds", "interval t"):
            assert fragment in message, message
