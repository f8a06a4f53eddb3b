"""A tiny study through the real workflow to its report, and Snakemake's own report built from it."""

import html
import re
import zipfile

import pandas as pd
import pytest

from pairstudy.charts import FACTOR_LABELS
from pairstudy.stats import effect_sentence
from pairstudy.stats.sentences import seeds_text
from tests.helpers import DIGIT_PAIRS, TINY, output_of, snakemake
from tests.report_claims import check_report, check_rows

HEADLINE = DIGIT_PAIRS.headline_metric

CHARTS = TINY["report"]["charts"]


@pytest.fixture
def workdir(tiny_workflow):
    return tiny_workflow


def test_the_workflow_writes_the_page_its_charts_and_paper_folder(workdir):
    report = workdir / "reports" / "tiny"
    page = (report / "index.html").read_text()
    assert re.findall(r"<h2>([^<]+)</h2>", page)[:3] == ["What helped", "Results", "Charts"]
    assert re.findall(r'<figure class="chart[^"]*" id="chart-([a-z_]+)"', page) == CHARTS
    assert sorted(path.stem for path in report.glob("*.png")) == sorted(CHARTS)
    assert sorted(path.stem for path in (report / "charts").glob("*.html")) == sorted(CHARTS)
    paper = {path.name for path in (report / "paper").iterdir()}
    assert {f"{chart}.{kind}" for chart in CHARTS for kind in ("pdf", "svg")} <= paper
    assert {
        f"{table}.{kind}" for table in ("summary", "comparisons", "baselines") for kind in ("tex", "md", "csv")
    } <= paper
    # every comparison of the best configuration, as the stored statistics say it, with what its seeds settle
    baselines = pd.read_csv(workdir / "results" / "tiny" / "statistics" / "baselines.csv")
    leader = baselines[baselines["kind"].str.startswith("leader")]
    assert len(leader) >= 1 and f"Best configuration: {leader['config_b'].iloc[0]}, final test accuracy" in page
    for _, row in leader.iterrows():
        assert html.escape(f"{effect_sentence(row, HEADLINE, FACTOR_LABELS)}; {seeds_text(row, HEADLINE)}") in page
    # and no word of the whole trained report says more than the numbers beside it, nor any stored row
    assert check_report((report / "report.md").read_text()) >= len(leader)
    for table in ("comparisons", "effects", "baselines"):
        stored = workdir / "results" / "tiny" / "statistics" / f"{table}.csv"
        if stored.stat().st_size > 1:
            check_rows(pd.read_csv(stored))
    # aux is on for the twin nets: their digit outputs are trained and their digit accuracy shown
    summary = pd.read_csv(report / "paper" / "summary.csv", dtype=str).set_index("configuration")
    digits = DIGIT_PAIRS.run_metrics()["final_test_digit_accuracy"][1]
    assert summary.loc["mlp", digits] == "–" and "±" in summary.loc["twin-sharing", digits]


def test_snakemake_report_builds_with_captions_that_say_what_each_file_is(workdir):
    result = snakemake(workdir, "--report", "report.zip")
    assert result.returncode == 0, output_of(result)
    with zipfile.ZipFile(workdir / "report.zip") as archive:
        names = archive.namelist()
        text = "".join(
            archive.read(name).decode("utf-8", "replace") for name in names if name.endswith((".js", ".html"))
        )
    assert any(name.endswith("report.html") for name in names)
    assert sum(name.endswith(".png") for name in names) >= len(CHARTS)
    assert "95% t interval" in text and "bootstrap CI" not in text
    assert "train comparison loss" in text
