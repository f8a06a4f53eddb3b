"""Reproduction verdicts: published numbers against ours, like with like, in the report and from the command line."""

import ast
import io
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import yaml
from click.testing import CliRunner

from pairstudy.cli import main
from pairstudy.metrics import write_table
from pairstudy.presets import (
    DIFFERS,
    INCONCLUSIVE,
    MARGIN,
    NO_RUNS,
    NOT_COMPARABLE,
    PUBLISHED_TABLE,
    REPRODUCES,
    RULE_TEXT,
    TOO_FEW_SEEDS,
    VERDICT_COLUMNS,
    Ours,
    StaleVerdicts,
    preset_comparisons,
    published_comparison,
    read_verdicts,
    study_verdicts,
    sweep_ranking,
    swept_factors,
    verdict,
    verdict_table,
)
from pairstudy.report.published import outcome_text, published_section, verdict_rows
from pairstudy.stats import summarize_configs
from pairstudy.stats.intervals import t_interval
from pairstudy.tasks.metrics import Metric, MetricSpec
from tests.helpers import DIGIT_PAIRS, ROOT, render_results, write_study

VALUE = DIGIT_PAIRS.headline_run_metric


def summary_of(rows: dict, selected: bool = True) -> pd.DataFrame:
    """A study summary: config -> (final mean, final std, n seeds[, selected mean, selected std]) as fractions."""
    frame = pd.DataFrame(
        [
            {
                "config": config,
                "architecture": config.split("-")[0],
                "n_seeds": numbers[2],
                "final_test_accuracy_mean": numbers[0],
                "final_test_accuracy_std": numbers[1],
                "selected_test_accuracy_mean": numbers[3] if selected else np.nan,
                "selected_test_accuracy_std": numbers[4] if selected else np.nan,
            }
            for config, numbers in rows.items()
        ]
    )
    return frame


def test_our_intervals_are_the_study_statistics_t_interval():
    values = np.array([0.91, 0.93, 0.92, 0.95, 0.90])
    finals = pd.DataFrame({"config": "a", "seed": range(5), "final_test_accuracy": values})
    stored = summarize_configs(finals, VALUE).iloc[0]
    low, high, _ = t_interval(values.mean(), values.std(ddof=1), 5)
    assert low == pytest.approx(stored["ci_low"]) and high == pytest.approx(stored["ci_high"])
    assert all(math.isnan(bound) for bound in t_interval(0.9, 0.01, 2)[:2])
    assert t_interval(0.9, 0.0, 4)[:2] == (0.9, 0.9)
    # a published mean without std and n is taken as exact: the difference's intervals are our t intervals minus it
    found = verdict("a", {"mean": 91.0}, "final", Ours(values.mean(), values.std(ddof=1), 5))
    assert found.published_se == 0
    assert found.difference_low == pytest.approx(low * 100 - 91.0)
    assert found.difference_high == pytest.approx(high * 100 - 91.0)
    low90, high90, _ = t_interval(values.mean(), values.std(ddof=1), 5, confidence=0.90)
    assert found.equivalence_low == pytest.approx(low90 * 100 - 91.0)
    assert found.equivalence_high == pytest.approx(high90 * 100 - 91.0)


def test_each_outcome_from_a_crafted_input():
    tight = Ours(0.92, 0.005, 10)  # 92 ± 0.5 points over 10 seeds
    found = verdict("a", {"mean": 92.2, "std": 0.5, "n": 20}, "final", tight, "data differ")
    assert found.outcome == REPRODUCES and found.explanation == "" and found.margin == MARGIN == 1.0
    assert -1.0 < found.equivalence_low < 0 < found.equivalence_high < 1.0  # the 90 % interval within ± 1 point
    assert found.difference_low < found.equivalence_low and found.equivalence_high < found.difference_high
    found = verdict("a", {"mean": 94.0, "std": 0.5, "n": 20}, "final", tight, "data differ")
    assert found.outcome == DIFFERS and found.explanation == "data differ"
    assert found.difference == pytest.approx(-2.0) and found.difference_high < 0
    # a published mean inside our interval is not enough: 3 noisy seeds show neither equivalence nor a difference
    found = verdict("a", {"mean": 92.5}, "final", Ours(0.92, 0.02, 3), "data differ")
    assert found.outcome == INCONCLUSIVE and found.explanation == ""
    assert found.difference_low < 0 < found.difference_high and found.equivalence_high - found.equivalence_low > 2
    # a difference shown but inside the margin is an equivalence: it reproduces; a narrower margin makes it differ
    precise = Ours(0.92, 0.001, 10)
    found = verdict("a", {"mean": 92.3}, "final", precise, "data differ")
    assert found.outcome == REPRODUCES and found.difference_high < 0
    narrow = verdict("a", {"mean": 92.3}, "final", precise, "data differ", margin=0.2)
    assert narrow.outcome == DIFFERS and narrow.margin == 0.2
    for wrong in (0, -1.0, float("nan"), float("inf"), "1", True):
        with pytest.raises(ValueError, match="margin"):
            verdict("a", {"mean": 92.3}, "final", precise, margin=wrong)


def welch(ours: Ours, published: dict, shift: float, alternative: str) -> float:
    """scipy's p-value of Welch's test of our mean (points) against the published mean + `shift`."""
    return scipy.stats.ttest_ind_from_stats(
        ours.mean * 100,
        ours.std * 100,
        ours.n,
        published["mean"] + shift,
        published["std"],
        published["n"],
        equal_var=False,
        alternative=alternative,
    ).pvalue


def test_the_published_means_standard_error_enters_welchs_intervals():
    """Against scipy's Welch tests: reproduces exactly when both one-sided tests against the margins reject at 5 %
    (TOST), differs exactly when the two-sided test rejects at 5 % and TOST does not."""
    rng = np.random.default_rng(7)
    outcomes = set()
    for _ in range(60):
        n, published_n = int(rng.integers(3, 12)), int(rng.integers(2, 25))
        ours = Ours(0.9 + rng.normal(0, 0.01), rng.uniform(0.001, 0.02), n)
        published = {"mean": 90 + rng.normal(0, 1), "std": rng.uniform(0.1, 2.0), "n": published_n}
        found = verdict("a", published, "final", ours)
        assert found.published_se == pytest.approx(published["std"] / math.sqrt(published_n))
        equivalent = max(welch(ours, published, -MARGIN, "greater"), welch(ours, published, MARGIN, "less")) < 0.05
        different = welch(ours, published, 0, "two-sided") < 0.05
        expected = REPRODUCES if equivalent else DIFFERS if different else INCONCLUSIVE
        assert found.outcome == expected, (ours, published, found)
        outcomes.add(found.outcome)
    assert outcomes == {REPRODUCES, DIFFERS, INCONCLUSIVE}
    # without a published std and n (n of at least 2) the published mean is exact: our interval alone
    exact = verdict("a", {"mean": 90.0}, "final", Ours(0.9, 0.01, 5))
    one_round = verdict("a", {"mean": 90.0, "std": 1.0, "n": 1}, "final", Ours(0.9, 0.01, 5))
    uncertain = verdict("a", {"mean": 90.0, "std": 1.0, "n": 5}, "final", Ours(0.9, 0.01, 5))
    assert exact.published_se == one_round.published_se == 0 and uncertain.published_se == pytest.approx(0.447, 1e-3)
    assert one_round.difference_high == exact.difference_high < uncertain.difference_high


def simulated(rng, gap: float, std: float, n: int, published_std: float | None = None, reps: int = 500) -> dict:
    """How often each outcome comes out when our n seeds are drawn with mean 90 + gap and `std` (points) and the
    published mean is 90, exact or itself a mean of 10 rounds with `published_std`."""
    counts = dict.fromkeys((REPRODUCES, DIFFERS, INCONCLUSIVE), 0)
    for _ in range(reps):
        values = rng.normal(90 + gap, std, n) / 100
        published = {"mean": 90.0}
        if published_std is not None:
            rounds = rng.normal(90, published_std, 10)
            published = {"mean": rounds.mean(), "std": rounds.std(ddof=1), "n": 10}
        counts[verdict("a", published, "final", Ours(values.mean(), values.std(ddof=1), n)).outcome] += 1
    return {outcome: count / reps for outcome, count in counts.items()}


def test_true_means_two_points_apart_almost_never_reproduce_at_three_seeds():
    """The equivalence test's guarantee: at most 5 % "reproduces" where the true gap is at the margin, about none at
    twice it (a published mean inside our widened 95 % interval, the earlier rule, said so 52 to 86 % of the time in
    these four settings)."""
    rng = np.random.default_rng(20240611)
    for std in (1.0, 2.0):
        for published_std in (None, 1.0):
            rates = simulated(rng, 2.0, std, 3, published_std)
            assert rates[REPRODUCES] <= 0.02, (std, published_std, rates)
            assert rates[INCONCLUSIVE] > 0.3  # 3 seeds mostly cannot tell
    at_margin = simulated(rng, MARGIN, 1.0, 5, reps=800)
    assert at_margin[REPRODUCES] <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 800), at_margin


def test_equal_true_means_at_many_seeds_mostly_reproduce():
    rng = np.random.default_rng(11)
    rates = simulated(rng, 0.0, 0.5, 10)
    assert rates[REPRODUCES] >= 0.95 and rates[DIFFERS] <= 0.05, rates
    rates = simulated(rng, 0.0, 1.0, 16)
    assert rates[REPRODUCES] >= 0.85 and rates[DIFFERS] <= 0.08, rates


def test_an_error_rate_is_compared_as_100_minus_our_accuracy():
    ours = Ours(0.97, 0.005, 10)
    accuracy = verdict("a", {"mean": 96.9, "std": 0.3, "n": 20}, "final", ours)
    found = verdict("a", {"mean": 3.1, "std": 0.3, "n": 20}, "error", ours)
    assert found.ours_mean == pytest.approx(3.0) and found.difference == pytest.approx(-0.1)
    # the same comparison on the other scale: the difference and its intervals change sign
    assert found.difference_low == pytest.approx(-accuracy.difference_high)
    assert found.equivalence_high == pytest.approx(-accuracy.equivalence_low)
    assert found.outcome == accuracy.outcome == REPRODUCES
    assert verdict("a", {"mean": 2.0, "std": 0.3, "n": 20}, "error", ours).difference == pytest.approx(1.0)


def test_a_best_epoch_needs_validation_pairs():
    summary = summary_of({"a-x": (0.90, 0.01, 5, 0.95, 0.005)})
    published = {"kind": "best", "source": "s", "results": {"a-x": {"mean": 95.1, "std": 0.5, "n": 5}}}
    (found,) = study_verdicts(published, summary, DIGIT_PAIRS)
    assert found.ours_mean == pytest.approx(95.0) and found.outcome == REPRODUCES
    (found,) = study_verdicts(published, summary_of({"a-x": (0.90, 0.01, 5)}, selected=False), DIGIT_PAIRS)
    assert found.outcome == NOT_COMPARABLE and "cannot be compared honestly" in found.explanation
    assert math.isnan(found.ours_mean)  # no test-set best stands in for the missing selection
    # what the caller knows wins over what the summary shows
    (found,) = study_verdicts(published, summary, DIGIT_PAIRS, validation=False)
    assert found.outcome == NOT_COMPARABLE


def test_a_published_block_states_its_own_margin():
    summary = summary_of({"a": (0.92, 0.001, 10, 0.92, 0.001)})
    published = {"source": "s", "results": {"a": {"mean": 92.3}}}
    (found,) = study_verdicts(published, summary, DIGIT_PAIRS)
    assert found.outcome == REPRODUCES and found.margin == MARGIN
    (found,) = study_verdicts({**published, "margin": 0.2}, summary, DIGIT_PAIRS)
    assert found.outcome == DIFFERS and found.margin == 0.2


def test_missing_runs_and_too_few_seeds_give_no_verdict():
    assert verdict("a", {"mean": 90.0}, "final", None).outcome == NO_RUNS
    assert verdict("a", {"mean": 90.0}, "final", Ours(float("nan"), float("nan"), 1)).outcome == NO_RUNS
    found = verdict("a", {"mean": 90.0}, "final", Ours(0.9, 0.01, 2))
    assert found.outcome == TOO_FEW_SEEDS and found.ours_mean == pytest.approx(90.0)


def stored(published: dict, summary: pd.DataFrame, spec: MetricSpec = DIGIT_PAIRS) -> list:
    """The statistics step's table of `published` against `summary`, written as CSV and read back as the report
    reads it."""
    text = io.StringIO()
    published_comparison(published, summary, spec).to_csv(text, index=False)
    text.seek(0)
    return read_verdicts(text)


def section_markdown(published: dict, summary: pd.DataFrame, data_source: str = "idx") -> str:
    return published_section(published, stored(published, summary), data_source, DIGIT_PAIRS)[2]


def test_the_stored_table_reads_back_every_verdict_exactly():
    summary = summary_of(
        {
            "a": (0.80, 0.01, 5, 0.8, 0.01),
            "b": (0.9012345678, 0.02, 2, 0.9, 0.01),
            "NA": (0.1, 0.0, 5, 0.1, 0.0),
            "d": (0.5, 0.05, 3, 0.5, 0.05),
        }
    )
    published = {
        "source": "s",
        "explanation": "the data differ",
        "margin": 1.5,
        "results": {
            "a": {"mean": 2.085, "std": 0.3},
            "b": {"mean": 97.0, "n": 3},
            "NA": {"mean": 10.0},
            "c": {"mean": 1},
            "d": {"mean": 50.5, "std": 3.0, "n": 7},
        },
    }
    computed = study_verdicts(published, summary, DIGIT_PAIRS)
    assert [found.outcome for found in computed] == [DIFFERS, TOO_FEW_SEEDS, REPRODUCES, NO_RUNS, INCONCLUSIVE]
    read = stored(published, summary)
    assert [found.config for found in read] == ["a", "b", "NA", "c", "d"] and read[3].ours_n == 0
    assert read[0].published_n is None and read[1].published_n == 3 and read[2].explanation == ""
    assert {found.margin for found in read} == {1.5} and read[4].published_se == pytest.approx(3.0 / math.sqrt(7))
    pd.testing.assert_frame_equal(
        published_comparison(published, summary, DIGIT_PAIRS), verdict_table(read), check_exact=True
    )
    # a study without a published block stores an empty table with the columns
    empty = published_comparison(None, summary, DIGIT_PAIRS)
    assert empty.empty and list(empty.columns) == VERDICT_COLUMNS


OLD_COLUMNS = ["config", "kind", "published_mean", "published_std", "published_n", "ours_mean", "ours_std", "ours_n"]
OLD_COLUMNS += ["low", "high", "tolerance", "outcome", "explanation"]  # the earlier rule's stored table
OLD_ROW = ["a", "final", 80.2, 1.0, 10, 80.0, 0.5, 10, 79.64, 80.36, 0.32, "reproduces", ""]


def test_a_table_stored_under_the_earlier_rule_is_never_read_as_this_ones(fake_results):
    studies, results = fake_results
    old = pd.DataFrame([OLD_ROW], columns=OLD_COLUMNS)
    text = io.StringIO(old.to_csv(index=False))
    with pytest.raises(StaleVerdicts, match="another rule .* --forcerun study_statistics"):
        read_verdicts(text)
    path = results / "alpha" / "statistics" / f"{PUBLISHED_TABLE}.csv"
    path.parent.mkdir()
    old.to_csv(path, index=False)
    with pytest.raises(StaleVerdicts, match="published.csv has the columns config"):
        read_verdicts(path)
    # the command line recomputes it from the summary, as where nothing is stored ...
    name, published, verdicts = preset_comparisons(studies, results)[0]
    assert name == "alpha" and verdicts == study_verdicts(published, summary_of(ALPHA), DIGIT_PAIRS, False)
    # ... and without a summary to recompute it from says what to do
    (results / "alpha" / "summary.parquet").unlink()
    with pytest.raises(StaleVerdicts, match="forcerun study_statistics"):
        preset_comparisons(studies, results)


def test_each_outcome_in_words():
    def text(published: dict, ours: Ours, **margin) -> str:
        return outcome_text(verdict("a", published, "final", ours, "why", **margin))

    assert text({"mean": 92.2, "std": 0.5, "n": 20}, Ours(0.92, 0.005, 10)) == "reproduces within ±1.00 points"
    assert text({"mean": 92.3}, Ours(0.92, 0.001, 10), margin=0.5) == (
        "reproduces within ±0.50 points (a difference of -0.30 points is shown, inside the margin)"
    )
    assert text({"mean": 94.0}, Ours(0.92, 0.005, 10)) == "differs by -2.00 points"
    found = verdict("a", {"mean": 92.5}, "final", Ours(0.92, 0.02, 3))
    low, high = found.equivalence_low, found.equivalence_high
    assert outcome_text(found) == (
        f"inconclusive: the 90 % interval of ours - published, [{low:+.2f}, {high:+.2f}], is {high - low:.2f} points "
        "wide and reaches beyond the ±1.00 margin (2.00 wide); the 95 % one includes 0"
    )
    assert f"{high - low:.2f}" == "6.74"  # 2 std over 3 seeds: t(0.95, 2) * 2 / sqrt(3) on each side
    assert text({"mean": 90.0}, Ours(0.9, 0.01, 2)) == TOO_FEW_SEEDS
    (row,) = verdict_rows([found]).to_dict("records")
    assert row["ours - published"] == "-0.50" and row["its 90 % t interval"] == f"[{low:+.2f}, {high:+.2f}]"
    assert row["verdict"].startswith("inconclusive: ") and row["explanation"] == "–"


def test_the_presets_import_no_report(fake_results):
    """The presets are data and computation: the report imports them, never the other way round, not even lazily
    (importing the presets and reading every preset's verdicts and a sweep's ranking loads no pairstudy.report)."""
    studies, results = fake_results
    code = (
        "import sys\n"
        "from pairstudy import presets\n"
        f"assert presets.preset_comparisons({str(studies)!r}, {str(results)!r})\n"
        f"presets.preset_sweep('alpha', {str(studies)!r}, {str(results)!r})\n"
        "print(sorted(name for name in sys.modules if name.startswith('pairstudy.report')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout
    tree = ast.parse((ROOT / "pairstudy" / "presets.py").read_text())
    imported = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [name for name in imported if name and "report" in name.split(".")], imported


def test_the_report_shows_the_stored_published_table(tmp_path):
    """The report reads the statistics step's table and computes nothing: a changed stored number is the one shown."""
    published = {"source": "a report", "results": {"mlp": {"mean": 50.0, "std": 1.0, "n": 5}, "cnn": {"mean": 60.0}}}
    study = write_study(
        tmp_path,
        "reproduced",
        {"seeds": 3, "training": {"epochs": 2}, "factors": {"architecture": ["mlp", "cnn"]}} | {"published": published},
    )
    path = tmp_path / "results" / "reproduced" / "statistics" / f"{PUBLISHED_TABLE}.csv"
    table = pd.read_csv(path)
    assert table["config"].tolist() == ["mlp", "cnn"]
    table.loc[0, ["ours_mean", "difference_low", "difference_high", "outcome"]] = [12.34, -39.0, -36.5, DIFFERS]
    table.to_csv(path, index=False)
    report = render_results(tmp_path, study, [])["markdown"].read_text()
    section = report.partition("## Published results")[2].partition("\n## ")[0]
    row = next(line for line in section.splitlines() if line.startswith("| mlp |"))
    assert "12.34" in row and "[-39.00, -36.50]" in row and "differs by -37.66 points" in row, row
    # a table stored under the earlier rule stops the report rather than be shown under this one's words
    pd.DataFrame([OLD_ROW], columns=OLD_COLUMNS).to_csv(path, index=False)
    with pytest.raises(StaleVerdicts, match="forcerun study_statistics"):
        render_results(tmp_path, study, [])


def test_published_section_checks_the_direction_of_the_finding():
    summary = summary_of(
        {"a": (0.80, 0.01, 5, 0.8, 0.01), "b": (0.90, 0.02, 5, 0.9, 0.01), "c": (0.85, 0.01, 5, 0.85, 0.01)}
    )
    published = {
        "source": "a report",
        "results": {"a": {"mean": 78.0, "std": 2.0, "n": 5}, "b": {"mean": 97.0}, "c": {"mean": 85.0}},
    }
    title, body_html, body_markdown = published_section(published, stored(published, summary), "mnist5k", DIGIT_PAIRS)
    assert title == "Published results"
    assert "Best configuration: published b, here b: the finding holds." in body_markdown
    assert "3 of 3 published pairwise orderings hold here" in body_markdown
    assert "differs by -7.00 points" in body_markdown and "not the full MNIST" in body_markdown
    row = next(line for line in body_markdown.splitlines() if line.startswith("| c |"))
    assert "| reproduces within ±1.00 points |" in row, row
    flipped = summary.assign(final_test_accuracy_mean=[0.95, 0.90, 0.85])
    assert "the finding does not hold" in section_markdown(published, flipped, "mnist5k")


def test_published_section_compares_like_with_like():
    # final and selected accuracies far apart, so the table shows which one was compared
    summary = summary_of({"a": (0.80, 0.01, 5, 0.96, 0.01), "b": (0.70, 0.01, 5, 0.97, 0.01)})
    results = {"a": {"mean": 4.0, "std": 0.5, "n": 20}, "b": {"mean": 3.0, "std": 0.5, "n": 20}}
    for kind, expected in (("final", "80.00"), ("best", "96.00"), ("error", "20.00"), ("best_error", "4.00")):
        markdown = section_markdown({"kind": kind, "source": "s", "results": results}, summary)
        assert f"| a | 4.00 ± 0.50 (n=20) | {expected} ± 1.00 (n=5) |" in markdown, (kind, markdown)
    best_error = section_markdown({"kind": "best_error", "source": "s", "results": results}, summary)
    assert "Best configuration: published b, here b" in best_error  # the lower error is the better configuration
    no_validation = summary_of({"a": (0.80, 0.01, 5), "b": (0.70, 0.01, 5)}, selected=False)
    markdown = section_markdown({"kind": "best_error", "source": "s", "results": results}, no_validation)
    assert "cannot be compared honestly" in markdown and "No finding is checked" in markdown
    assert "20.00" not in markdown and "80.00" not in markdown
    empty = section_markdown({"source": "s", "note": "Only a range.", "results": {}}, summary)
    assert "Only a range." in empty and "no per-configuration numbers" in empty


def test_sweep_ranking_chooses_per_architecture_among_complete_settings():
    summary = pd.DataFrame(
        {
            "config": ["m-25", "m-100", "s-a-25", "s-b-25", "s-a-100", "s-b-100"],
            "architecture": ["m", "m", "s", "s", "s", "s"],
            "aux": [None, None, True, False, True, False],
            "epochs": [25, 100, 25, 25, 100, 100],
            "final_validation_accuracy_mean": [0.80, 0.85, 0.90, 0.70, 0.99, np.nan],
        }
    )
    ranking = sweep_ranking(summary, ["epochs"], DIGIT_PAIRS)
    assert ranking["architecture"].tolist() == ["m", "m", "s", "s"]
    assert ranking[["epochs", "rank"]].values.tolist() == [["100", "1"], ["25", "2"], ["25", "1"], ["100", "–"]]
    assert ranking["validation accuracy (%)"].tolist()[:3] == [85.0, 80.0, 80.0]
    with pytest.raises(ValueError, match="validation_pairs"):
        sweep_ranking(summary.assign(final_validation_accuracy_mean=np.nan), ["epochs"], DIGIT_PAIRS)
    # a lower-is-better headline ranks the lowest first
    loss = MetricSpec("t", (Metric("error", "lower", "fraction", "error"),), "error")
    lowest = sweep_ranking(
        summary.rename(columns={"final_validation_accuracy_mean": "final_validation_error_mean"}), ["epochs"], loss
    )
    assert lowest[["epochs", "rank"]].values.tolist() == [["25", "1"], ["100", "2"], ["25", "1"], ["100", "–"]]
    assert "validation error (%)" in lowest.columns


def test_a_sweep_chooses_the_factors_its_preset_does_not_vary():
    preset = {"factors": {"architecture": ["a"], "aux": [True, False]}, "include": [{"architecture": "a", "lr": 1}]}
    sweep = {"factors": {"architecture": ["a"], "aux": [True], "epochs": [1, 2]}, "include": [{"momentum": 0.9}]}
    assert swept_factors(preset, sweep) == ["epochs", "momentum"]


def write_preset(folder, name, study):
    (folder / f"{name}.yaml").write_text(yaml.safe_dump({"studies": {name: study}}, sort_keys=False))


def write_summary(results, name, summary):
    (results / name).mkdir(parents=True)
    write_table(summary, results / name / "summary.parquet", {"metrics": DIGIT_PAIRS.to_dict()})


ALPHA = {"a": (0.80, 0.005, 10, 0.8, 0.01), "b": (0.90, 0.01, 10, 0.9, 0.01), "c": (0.85, 0.03, 3, 0.85, 0.03)}


@pytest.fixture
def fake_results(tmp_path):
    studies, results = tmp_path / "studies", tmp_path / "results"
    studies.mkdir()
    factors = {"architecture": ["a", "b"]}
    write_preset(
        studies,
        "alpha",
        {
            "factors": factors,
            "published": {
                "source": "s",
                "explanation": "the data differ",
                "results": {
                    "a": {"mean": 80.2, "std": 1.0, "n": 10},
                    "b": {"mean": 99.0, "std": 0.1, "n": 10},
                    "c": {"mean": 85.5, "std": 1.0, "n": 10},
                },
            },
        },
    )
    write_preset(
        studies,
        "beta",
        {
            "factors": factors,
            "data": {"validation_pairs": 50},
            "published": {"kind": "best_error", "source": "s", "results": {"a": {"mean": 5.0, "std": 0.5, "n": 20}}},
        },
    )
    write_preset(studies, "gamma", {"factors": factors, "published": {"source": "s", "results": {}}})
    write_preset(studies, "delta", {"factors": factors})  # no results: left out
    write_preset(studies, "alpha_sweep", {"factors": {**factors, "epochs": [1, 2]}})
    write_summary(results, "alpha", summary_of(ALPHA))
    write_summary(results, "beta", summary_of({"a": (0.90, 0.01, 10, 0.95, 0.005)}))
    write_summary(results, "gamma", summary_of({"a": (0.90, 0.01, 10, 0.95, 0.005)}))
    sweep = summary_of({"a-1": (0.8, 0.01, 3), "a-2": (0.8, 0.01, 3)}, selected=False).assign(
        epochs=[1, 2], final_validation_accuracy_mean=[0.81, 0.86]
    )
    write_summary(results, "alpha_sweep", sweep)
    return studies, results


def test_presets_verdicts_prints_one_markdown_table_for_the_presets_with_results(fake_results):
    studies, results = fake_results
    arguments = ["presets", "--verdicts", "--studies", str(studies), "--results", str(results)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row.split(" | ")[0] for row in rows] == ["| study", "| alpha", "| alpha", "| alpha", "| beta", "| gamma"]
    alpha_a, alpha_b, alpha_c, beta, gamma = rows[1:]
    assert "| reproduces within ±1.00 points | – |" in alpha_a and "| final |" in alpha_a
    assert "differs by -9.00 points" in alpha_b and "the data differ" in alpha_b
    assert "| inconclusive: the 90 % interval of ours - published, [" in alpha_c and alpha_c.endswith("| – |")
    assert "| best\\_error |" in beta and "5.00 ± 0.50 (n=20)" in beta and "| reproduces within ±1.00 points |" in beta
    assert "no per-configuration numbers published" in gamma
    assert result.output.startswith(RULE_TEXT) and "equivalence test" in RULE_TEXT


def test_presets_verdicts_prints_the_stored_table_where_the_statistics_step_wrote_one(fake_results):
    studies, results = fake_results
    published = yaml.safe_load((studies / "alpha.yaml").read_text())["studies"]["alpha"]["published"]
    table = published_comparison(published, summary_of(ALPHA), DIGIT_PAIRS)
    table.loc[1, ["ours_mean", "outcome"]] = [98.5, DIFFERS]  # not what the summary gives: the stored one is shown
    (results / "alpha" / "statistics").mkdir()
    table.to_csv(results / "alpha" / "statistics" / f"{PUBLISHED_TABLE}.csv", index=False)
    arguments = ["presets", "--verdicts", "--studies", str(studies), "--results", str(results)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    alpha_b = next(line for line in result.output.splitlines() if line.startswith("| alpha | final | b |"))
    assert "98.50 ± 1.00 (n=10)" in alpha_b and "differs by -0.50 points" in alpha_b, alpha_b


def test_presets_sweep_prints_the_ranking_and_missing_results_fail(fake_results, tmp_path):
    studies, results = fake_results
    result = CliRunner().invoke(
        main, ["presets", "--sweep", "alpha", "--studies", str(studies), "--results", str(results)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "| a | 2 | 1 | 1 | 86.0 | 1 |" in result.output and "ranked by mean final validation accuracy" in result.output
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    for command in (["--verdicts"], ["--sweep", "alpha"]):
        result = CliRunner().invoke(main, ["presets", *command, "--studies", str(studies), "--results", str(empty)])
        assert result.exit_code != 0 and str(empty) in result.output
