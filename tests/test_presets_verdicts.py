"""Reproduction verdicts: published numbers against ours, like with like, in the report and from the command line."""

import ast
import io
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from pairstudy.cli import main
from pairstudy.metrics import write_table
from pairstudy.presets import (
    DIFFERS,
    NO_RUNS,
    NOT_COMPARABLE,
    PUBLISHED_TABLE,
    REPRODUCES,
    TOO_FEW_SEEDS,
    VERDICT_COLUMNS,
    Ours,
    published_comparison,
    read_verdicts,
    study_verdicts,
    sweep_ranking,
    swept_factors,
    verdict,
    verdict_table,
)
from pairstudy.report.published import published_section
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


def test_our_interval_is_the_study_statistics_t_interval():
    values = np.array([0.91, 0.93, 0.92, 0.95, 0.90])
    finals = pd.DataFrame({"config": "a", "seed": range(5), "final_test_accuracy": values})
    stored = summarize_configs(finals, VALUE).iloc[0]
    low, high, _ = t_interval(values.mean(), values.std(ddof=1), 5)
    assert low == pytest.approx(stored["ci_low"]) and high == pytest.approx(stored["ci_high"])
    assert all(math.isnan(bound) for bound in t_interval(0.9, 0.01, 2)[:2])
    assert t_interval(0.9, 0.0, 4)[:2] == (0.9, 0.9)


def test_a_published_mean_inside_our_interval_reproduces():
    ours = Ours(0.92, 0.01, 10)
    low, high, _ = t_interval(0.92, 0.01, 10)
    found = verdict("a", {"mean": 92.3, "std": 1.0, "n": 10}, "final", ours, "data differ")
    assert found.outcome == REPRODUCES and found.explanation == ""
    assert found.low == pytest.approx(low * 100) and found.high == pytest.approx(high * 100)
    assert found.tolerance == pytest.approx(1.0 / math.sqrt(10))


def test_a_published_mean_outside_the_widened_interval_differs_with_the_presets_explanation():
    ours = Ours(0.92, 0.01, 10)
    high = t_interval(0.92, 0.01, 10)[1] * 100
    published = {"mean": high + 0.5, "std": 1.0, "n": 10}  # 0.5 beyond the interval, more than 1 / sqrt(10)
    found = verdict("a", published, "final", ours, "the data differ")
    assert found.outcome == DIFFERS and found.explanation == "the data differ"
    assert found.difference == pytest.approx(92.0 - published["mean"])
    # the same gap within the published standard error reproduces
    wide = verdict("a", {"mean": high + 0.5, "std": 2.0, "n": 4}, "final", ours, "the data differ")
    assert wide.tolerance == pytest.approx(1.0) and wide.outcome == REPRODUCES
    # without a published std or n nothing widens the interval
    assert verdict("a", {"mean": high + 0.01}, "final", ours).outcome == DIFFERS


def test_an_error_rate_is_compared_as_100_minus_our_accuracy():
    ours = Ours(0.97, 0.005, 10)
    low, high, _ = t_interval(0.97, 0.005, 10)
    found = verdict("a", {"mean": 3.1, "std": 0.3, "n": 20}, "error", ours)
    assert found.ours_mean == pytest.approx(3.0)
    assert found.low == pytest.approx(100 - high * 100) and found.high == pytest.approx(100 - low * 100)
    assert found.outcome == REPRODUCES
    assert verdict("a", {"mean": 2.0, "std": 0.3, "n": 20}, "error", ours).difference == pytest.approx(1.0)


def test_a_best_epoch_needs_validation_pairs():
    summary = summary_of({"a-x": (0.90, 0.01, 5, 0.95, 0.01)})
    published = {"kind": "best", "source": "s", "results": {"a-x": {"mean": 95.1, "std": 0.5, "n": 5}}}
    (found,) = study_verdicts(published, summary, DIGIT_PAIRS)
    assert found.ours_mean == pytest.approx(95.0) and found.outcome == REPRODUCES
    (found,) = study_verdicts(published, summary_of({"a-x": (0.90, 0.01, 5)}, selected=False), DIGIT_PAIRS)
    assert found.outcome == NOT_COMPARABLE and "cannot be compared honestly" in found.explanation
    assert math.isnan(found.ours_mean)  # no test-set best stands in for the missing selection
    # what the caller knows wins over what the summary shows
    (found,) = study_verdicts(published, summary, DIGIT_PAIRS, validation=False)
    assert found.outcome == NOT_COMPARABLE


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
        {"a": (0.80, 0.01, 5, 0.8, 0.01), "b": (0.9012345678, 0.02, 2, 0.9, 0.01), "NA": (0.1, 0.0, 5, 0.1, 0.0)}
    )
    published = {
        "source": "s",
        "explanation": "the data differ",
        "results": {
            "a": {"mean": 2.085, "std": 0.3},
            "b": {"mean": 97.0, "n": 3},
            "NA": {"mean": 10.0},
            "c": {"mean": 1},
        },
    }
    computed = study_verdicts(published, summary, DIGIT_PAIRS)
    assert {found.outcome for found in computed} == {DIFFERS, REPRODUCES, TOO_FEW_SEEDS, NO_RUNS}
    read = stored(published, summary)
    assert [found.config for found in read] == ["a", "b", "NA", "c"] and read[3].ours_n == 0
    assert read[0].published_n is None and read[1].published_n == 3 and read[2].explanation == ""
    pd.testing.assert_frame_equal(
        published_comparison(published, summary, DIGIT_PAIRS), verdict_table(read), check_exact=True
    )
    # a study without a published block stores an empty table with the columns
    empty = published_comparison(None, summary, DIGIT_PAIRS)
    assert empty.empty and list(empty.columns) == VERDICT_COLUMNS


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
    table.loc[0, ["ours_mean", "low", "high", "outcome"]] = [12.34, 11.0, 13.5, DIFFERS]
    table.to_csv(path, index=False)
    report = render_results(tmp_path, study, [])["markdown"].read_text()
    section = report.partition("## Published results")[2].partition("\n## ")[0]
    row = next(line for line in section.splitlines() if line.startswith("| mlp |"))
    assert "12.34" in row and "[11.00, 13.50]" in row and "differs by -37.66 points" in row, row


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
    assert "| c |" in body_markdown and "reproduces" in body_markdown
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
                "results": {"a": {"mean": 80.2, "std": 1.0, "n": 10}, "b": {"mean": 99.0, "std": 0.1, "n": 10}},
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
    write_summary(results, "alpha", summary_of({"a": (0.80, 0.01, 10, 0.8, 0.01), "b": (0.90, 0.01, 10, 0.9, 0.01)}))
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
    assert [row.split(" | ")[0] for row in rows] == ["| study", "| alpha", "| alpha", "| beta", "| gamma"]
    alpha_a, alpha_b, beta, gamma = rows[1:]
    assert "reproduces" in alpha_a and "| final |" in alpha_a
    assert "differs by -9.00 points" in alpha_b and "the data differ" in alpha_b
    assert "| best\\_error |" in beta and "5.00 ± 0.50 (n=20)" in beta and "| reproduces |" in beta
    assert "no per-configuration numbers published" in gamma
    assert "widened on each side" in result.output


def test_presets_verdicts_prints_the_stored_table_where_the_statistics_step_wrote_one(fake_results):
    studies, results = fake_results
    published = yaml.safe_load((studies / "alpha.yaml").read_text())["studies"]["alpha"]["published"]
    summary = summary_of({"a": (0.80, 0.01, 10, 0.8, 0.01), "b": (0.90, 0.01, 10, 0.9, 0.01)})
    table = published_comparison(published, summary, DIGIT_PAIRS)
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
