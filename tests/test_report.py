"""The report's pieces on small tables: cell formats, the table renderers (HTML, Markdown, LaTeX), sections
escaped once for both outputs, and the page's frame (order, navigation, content policy)."""

import re

import numpy as np
import pandas as pd
import pytest

from pairstudy.report import Content, display_table, format_mean_std, table_latex, table_markdown, write_report
from pairstudy.report.statistics import comparisons_table, interval_cell
from pairstudy.report.tables import html_table
from pairstudy.tasks.metrics import Metric, MetricSpec
from tests.helpers import DIGIT_PAIRS

HEADLINE = DIGIT_PAIRS.headline_metric
FINAL = DIGIT_PAIRS.run_metrics()["final_test_accuracy"][1]  # "test accuracy (%) (final)"
DIGITS = DIGIT_PAIRS.run_metrics()["final_test_digit_accuracy"][1]

SUMMARY = pd.DataFrame(
    {
        "config": ["mlp", "twin_<a>", "twin-b"],
        "architecture": ["mlp", "twin", "twin"],
        "aux": [None, True, False],
        "n_seeds": [3, 3, 1],
        "parameter_count": [12_345, 1_234_567, 98_765],
        "final_test_accuracy_mean": [0.82, 0.93, 0.89],
        "final_test_accuracy_std": [0.02, 0.01, np.nan],
        "final_train_accuracy_mean": [0.85, 0.95, 0.9],
        "final_train_accuracy_std": [0.01, 0.01, np.nan],
        "final_test_comparison_loss_mean": [0.41234, 0.2, 0.3],
        "final_test_comparison_loss_std": [0.01, 0.02, np.nan],
        "final_test_digit_accuracy_mean": [np.nan, 0.9, np.nan],
        "final_test_digit_accuracy_std": [np.nan, 0.01, np.nan],
        "selected_test_accuracy_mean": [np.nan, np.nan, np.nan],
        "selected_test_accuracy_std": [np.nan, np.nan, np.nan],
        "run_seconds_mean": [2.0, 3.25, 4.0],
    }
)


def test_format_mean_std():
    assert format_mean_std(0.93761, 0.00851) == "93.76 ± 0.85"
    assert format_mean_std(np.float32(0.5), np.float32("nan")) == "50.00"  # one seed: no std
    assert format_mean_std(0.5, None) == "50.00"
    assert format_mean_std(float("nan"), float("nan")) == "–"
    assert format_mean_std(12.345, 0.5, percent=False, decimals=1) == "12.3 ± 0.5"


def test_display_table_cells_mean_what_they_say():
    table = display_table(SUMMARY, ["architecture", "aux"], DIGIT_PAIRS).set_index("configuration")
    assert list(table.columns) == [
        "aux",
        "seeds",
        "parameters",
        FINAL,
        "test comparison loss",
        DIGITS,
        "train accuracy (%)",
        "seconds / run",
    ]  # no validation data: no metric chosen on it, no validation columns; the spec's titles and order
    assert table.loc["mlp", "aux"] == "–" and table.loc["twin_<a>", "aux"] == "True"
    assert table[DIGITS].tolist() == ["–", "90.00 ± 1.00", "–"]  # empty where a configuration has no value
    assert table.loc["twin-b", FINAL] == "89.00" and table.loc["twin_<a>", "parameters"] == "1,234,567"
    # a plain number as it is, never in percent, with one number of decimals per column
    assert table["test comparison loss"].tolist() == ["0.412 ± 0.010", "0.200 ± 0.020", "0.300"]
    # no configuration measures a metric: no column at all
    assert DIGITS not in display_table(SUMMARY.assign(final_test_digit_accuracy_mean=np.nan), [], DIGIT_PAIRS)


def test_markdown_table_is_escaped_and_aligned():
    lines = table_markdown(display_table(SUMMARY, ["aux"], DIGIT_PAIRS)).strip().splitlines()
    assert lines[0].startswith("| configuration |") and lines[1].startswith("|:---|---:|")
    assert [line.split(" | ")[0].removeprefix("| ") for line in lines[2:]] == ["mlp", "twin\\_\\<a\\>", "twin-b"]


def test_latex_table_is_booktabs_ascii_and_escaped():
    latex = table_latex(display_table(SUMMARY, ["aux"], DIGIT_PAIRS))
    lines = latex.strip().splitlines()
    assert lines[0] == r"\begin{tabular}{lrrrrrrrr}" and lines[-1] == r"\end{tabular}"
    assert [line for line in lines if line in (r"\toprule", r"\midrule", r"\bottomrule")] == [
        r"\toprule",
        r"\midrule",
        r"\bottomrule",
    ]
    rows = [line for line in lines if line.endswith(r"\\")]
    assert len(rows) == 4 and len({row.count("&") for row in rows}) == 1
    assert r"twin\_\textless{}a\textgreater{}" in latex and r"93.00 $\pm$ 1.00" in latex and r"(\%) (final)" in latex
    assert latex.isascii()
    cells = [cell for row in rows for cell in row.removesuffix(r"\\").split(" & ")]
    assert not [cell for cell in cells if re.search(r"(?<!\\)[_%&#<>]", cell)]
    assert table_latex(pd.DataFrame({"comparison": ["a → b"], "x": ["−1 × 2"]})).isascii()


def test_html_table_marks_key_and_text_columns_and_escapes():
    fragment = html_table(display_table(SUMMARY, ["aux"], DIGIT_PAIRS), "summary main", ["configuration", FINAL])
    assert '<th class="key text">configuration</th>' in fragment and f'<th class="key">{FINAL}</th>' in fragment
    assert "<td>3</td>" in fragment and "<td>–</td>" in fragment
    assert "twin_&lt;a&gt;" in fragment and "<a>" not in fragment


def test_interval_cells_say_why_there_is_none():
    assert interval_cell(pd.Series({"ci_low": 0.01, "ci_high": 0.02, "note": ""}), HEADLINE) == "[1.00, 2.00]"
    mse = Metric("mse", "lower", "number")
    assert interval_cell(pd.Series({"ci_low": 0.0123, "ci_high": 0.0234, "note": ""}), mse) == "[0.0123, 0.0234]"
    assert interval_cell(pd.Series({"ci_low": np.nan, "ci_high": np.nan, "note": "too few seeds"}), HEADLINE) == (
        "too few seeds for an interval"
    )


def test_comparison_table_reads_direction_levels_and_the_interval_method():
    comparisons = pd.DataFrame(
        {
            "config_a": ["twin-noaux"],
            "config_b": ["twin-aux"],
            "factor": ["aux"],
            "level_a": [False],
            "level_b": [True],
            "n": [10],
            "mean_difference": [0.0123],
            "ci_low": [0.01],
            "ci_high": [0.015],
            "ci_method": [
                "BCa bootstrap, 90% family-wise (Bonferroni over 2 comparisons: 95.00% each), 10000 resamples"
            ],
            "note": [""],
            "adjusted_t_pvalue": [0.0004],
            "adjusted_wilcoxon_pvalue": [0.002],
            "effect_size": [2.5],
            "smallest_effect": [0.01],
            "verdict": ["higher"],
            "seeds_needed": [8],
        }
    )
    row = comparisons_table(comparisons, HEADLINE).iloc[0].to_dict()
    assert row == {
        "comparison": "twin-noaux → twin-aux",
        "factor": "auxiliary loss",
        "levels": "False → True",
        "seeds": "10",
        "difference (points)": "+1.23",
        "90% family-wise interval": "[1.00, 1.50]",
        "t-test p": "< 0.001",
        "Wilcoxon p": "0.002",
        "verdict": "helped",
        "d_z": "2.50",
        "seeds needed": "resolved with the 10 seeds run",
    }
    # a plain-number metric: its differences as they are, no points, no percent; lower is better, so higher hurt
    mse = MetricSpec("r", (Metric("mse", "lower", "number", "MSE"),), "mse").headline_metric
    row = comparisons_table(comparisons, mse).iloc[0].to_dict()
    assert row["difference"] == "+0.0123" and row["90% family-wise interval"] == "[0.0100, 0.0150]"
    assert row["verdict"] == "hurt"


def test_content_escapes_once_for_html_and_markdown():
    section = Content().paragraph("a <b> & c_d").items(["x|y"]).table(pd.DataFrame({"n": ["<1>"]})).section("T")
    assert "<p>a &lt;b&gt; &amp; c_d</p>" in section.html and "<li>x|y</li>" in section.html
    assert "a \\<b\\> & c\\_d" in section.markdown and "- x\\|y" in section.markdown
    assert '<div class="scroll"><table>' in section.html and "&lt;1&gt;" in section.html


@pytest.fixture
def page(tmp_path):
    sections = [Content().paragraph("first").section("What helped"), Content().paragraph("b").section("Results")]
    paths = write_report(
        tmp_path, title="A <study> & more", subtitle="why?", sections=sections, provenance={"git commit": "abc"}
    )
    return paths, paths["html"].read_text(), paths["markdown"].read_text()


def test_the_page_keeps_section_order_with_navigation_and_fetches_nothing(page):
    paths, text, markdown = page
    assert re.findall(r"<h2>([^<]+)</h2>", text) == ["What helped", "Results", "Provenance"]
    assert '<a href="#what-helped">What helped</a>' in text and '<section id="results">' in text
    assert "<title>A &lt;study&gt; &amp; more</title>" in text and "<p>why?</p>" in text
    assert "default-src 'none'" in text and "<script" not in text
    assert re.findall(r"^## (.+)$", markdown, flags=re.MULTILINE) == ["What helped", "Results", "Provenance"]
    assert markdown.startswith("# A \\<study\\> & more\n\nwhy?")
