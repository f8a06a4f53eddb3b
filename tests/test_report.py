"""The report page and its Markdown twin on synthetic tables; the table formats the aggregate step writes."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_charts import CONFIGS, PNG_MAGIC, synthetic_comparisons, synthetic_tables

from pairstudy.charts import accuracy_vs_parameters, final_accuracy, forest_plot, learning_curves
from pairstudy.report import format_mean_std, summary_table_latex, summary_table_markdown, write_report

STUDY = {
    "name": "synthetic",
    "description": "A <test> study & its twin",
    "data_source": "mnist5k (1000 train and 1000 test pairs)",
    "epochs": 4,
    "seeds": [0, 1, 2],
    "factors": {"architecture": ["mlp", "twin"], "aux": [False, True]},
    "n_runs": 9,
    "shared training settings": {"optimizer": "adam", "lr": 0.005},
}
PROVENANCE = {
    "git commit": "abc123def456",
    "config hash": "0123abcd",
    "packages": {"pandas": pd.__version__, "altair": "6"},
    "device": "cpu",
    "generated at": "2024-01-01 00:00 UTC",
}
# the summary cells the synthetic numbers give (see test_charts.FINAL_TEST_ACCURACY)
EXPECTED_CELLS = ["82.00 ± 2.00", "89.00 ± 1.00", "93.00 ± 1.00", "1,234,567", "98,765", "12,345"]
REMOTE = re.compile(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", re.IGNORECASE)


def synthetic_charts() -> dict:
    tables = synthetic_tables()
    return {
        "learning_curves": learning_curves(tables["curves"], list(CONFIGS)),
        "final_accuracy": final_accuracy(tables["finals"], tables["summary"]),
        "accuracy_vs_parameters": accuracy_vs_parameters(tables["summary"]),
        "paired_differences": forest_plot(synthetic_comparisons()),
    }


def write_synthetic_report(out_dir: Path):
    """A full report of the synthetic study; returns its paths and how many charts it holds."""
    charts = synthetic_charts()
    paths = write_report(
        out_dir,
        study=STUDY,
        summary=synthetic_tables()["summary"],
        charts=charts,
        provenance=PROVENANCE,
        sections=[
            ("What helped", "<p>The auxiliary loss helped.</p>"),
            ("Paired comparisons", "<p>twin_aux beat mlp.</p>", "twin_aux beat mlp."),
        ],
    )
    return paths, len(charts)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One synthetic report shared by the tests that only read it: (paths, chart count, folder)."""
    folder = tmp_path_factory.mktemp("report")
    paths, chart_count = write_synthetic_report(folder)
    return paths, chart_count, folder


def test_format_mean_std():
    assert format_mean_std(0.93761, 0.00851) == "93.76 ± 0.85"
    assert format_mean_std(np.float32(0.5), np.float32("nan")) == "50.00"  # one seed: no std
    assert format_mean_std(0.5, None) == "50.00"
    assert format_mean_std(float("nan"), float("nan")) == "–"
    assert format_mean_std(12.345, 0.5, percent=False, decimals=1) == "12.3 ± 0.5"


def test_markdown_table_holds_the_formatted_summary_in_order():
    table = summary_table_markdown(synthetic_tables()["summary"])
    lines = table.strip().splitlines()
    assert lines[0].startswith("| configuration |") and set(lines[1]) <= set("|:-")
    assert [line.split(" | ")[0].removeprefix("| ") for line in lines[2:]] == ["mlp", "twin-\\<sharing\\>", "twin_aux"]
    assert all(cell in table for cell in EXPECTED_CELLS)
    assert "| 3 |" in table and "| 2.0 |" in table


def test_latex_table_is_booktabs_and_escaped():
    latex = summary_table_latex(synthetic_tables()["summary"])
    lines = latex.strip().splitlines()
    assert lines[0].startswith(r"\begin{tabular}{l") and lines[-1] == r"\end{tabular}"
    assert [r"\toprule", r"\midrule", r"\bottomrule"] == [
        line for line in lines if line in (r"\toprule", r"\midrule", r"\bottomrule")
    ]
    rows = [line for line in lines if line.endswith(r"\\")]
    assert len(rows) == 1 + len(CONFIGS) and len({row.count("&") for row in rows}) == 1
    assert r"twin\_aux" in latex and r"twin-\textless{}sharing\textgreater{}" in latex
    assert r"(final, \%)" in latex and r"93.00 $\pm$ 1.00" in latex
    cells = [cell for row in rows for cell in row.removesuffix(r"\\").split(" & ")]
    assert not [cell for cell in cells if re.search(r"(?<!\\)[_%&#]", cell)]


def test_report_page_is_self_contained_and_escaped(report):
    paths, chart_count, _ = report
    page = paths["html"].read_text(encoding="utf-8")
    assert all(cell in page for cell in EXPECTED_CELLS)
    assert page.count('<figure class="chart"') == chart_count == page.count("<svg")
    assert "twin-&lt;sharing&gt;" in page and "twin-<sharing>" not in page
    assert "A &lt;test&gt; study &amp; its twin" in page
    assert not REMOTE.search(page) and "<script" not in page and "<link" not in page
    assert "Content-Security-Policy" in page


def test_report_page_shows_what_was_run_sections_and_provenance_in_order(report):
    paths, _, _ = report
    page = paths["html"].read_text(encoding="utf-8")
    for text in (
        "factors and levels",
        "mlp, twin",
        "False, True",
        "0, 1, 2",
        "number of runs",
        "<dd>9</dd>",
        "shared training settings",
    ):
        assert text in page, text
    for text in ("abc123def456", "0123abcd", f"<strong>pandas</strong>: {pd.__version__}", "2024-01-01 00:00 UTC"):
        assert text in page, text
    headings = re.findall(r"<h2>([^<]+)</h2>", page)
    assert headings == ["What was run", "Results", "What helped", "Paired comparisons", "Charts", "Provenance"]
    assert "<p>The auxiliary loss helped.</p>" in page


def test_report_writes_each_chart_and_the_markdown_twin(report):
    paths, chart_count, folder = report
    for name in synthetic_charts():
        for kind in ("html", "png", "svg"):
            assert (folder / "charts" / f"{name}.{kind}").exists()
        assert paths[name] == folder / f"{name}.png"
    markdown = paths["markdown"].read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert len(images) == chart_count
    for image in images:
        assert not image.startswith(("/", "http")) and (folder / image).read_bytes()[:8] == PNG_MAGIC
    assert summary_table_markdown(synthetic_tables()["summary"]) in markdown
    headings = re.findall(r"^## (.+)$", markdown, flags=re.MULTILINE)
    assert headings == ["What was run", "Results", "What helped", "Paired comparisons", "Charts", "Provenance"]
    assert "twin_aux beat mlp." in markdown and "**data source**: mnist5k" in markdown
    assert "| twin-\\<sharing\\> |" in markdown and "A \\<test\\> study" in markdown and "<sharing>" not in markdown


def test_a_chart_name_must_be_a_file_stem(tmp_path):
    with pytest.raises(ValueError, match="plain file stem"):
        write_report(tmp_path, study=STUDY, summary=synthetic_tables()["summary"], charts={"../x": None}, provenance={})


def test_charts_and_report_import_neither_torch_nor_snakemake():
    code = (
        "import sys, pairstudy.charts, pairstudy.report, pairstudy.report.study; "
        "print(sorted(name for name in ('torch', 'snakemake') if name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parent.parent
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_what_was_run_lists_as_shared_settings_only_what_no_factor_varies():
    from pairstudy.report.study import study_description

    study = {
        "name": "s",
        "factors": {"architecture": ["twin"], "aux": [False, True], "augment_shift": [0, 1]},
        "data": {"source": "mnist5k", "n_pairs": 1000},
        "training": {"lr": 0.005, "aux": False, "augment_shift": 0, "model": {}, "epochs": 40},
    }
    finals = pd.DataFrame({"seed": [0, 1], "epochs": [40, 40], "status": ["ok", "ok"]})
    assert study_description(study, finals)["shared training settings"] == {"lr": 0.005, "epochs": 40}
