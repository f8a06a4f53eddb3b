"""reports/<study>/paper/: each drawn chart as PDF (fonts embedded) and SVG, each table as booktabs LaTeX,
Markdown and CSV under the name a LaTeX user \\inputs, and nothing else."""

import subprocess

import pandas as pd
import pytest

from pairstudy.charts import prefix_svg_ids
from pairstudy.report import table_markdown
from tests.helpers import ALL_CHARTS, ODD_NAME, ensure_debian_package, results_of, study_report

TABLES = ("summary", "comparisons", "effects", "baselines")
FORMATS = ("tex", "md", "csv")


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    return study_report(tmp_path_factory.getbasetemp(), "ablation")["html"].parent / "paper"


@pytest.fixture(scope="module")
def few_paper(tmp_path_factory):
    charts = ("factor_effects", "paired_differences", "final_accuracy_ci")
    return study_report(tmp_path_factory.getbasetemp(), "fewseeds", charts)["html"].parent / "paper"


def test_paper_holds_exactly_the_charts_and_tables(paper, few_paper):
    expected = {f"{chart}.{kind}" for chart in ALL_CHARTS for kind in ("pdf", "svg")}
    expected |= {f"{table}.{kind}" for table in TABLES for kind in FORMATS}
    assert {path.name for path in paper.iterdir()} == expected
    # no 2x2 block: no effects table and no effects chart; a note is not a figure
    assert {path.name for path in few_paper.iterdir()} == {
        f"{stem}.{kind}"
        for stems, kinds in [
            (("paired_differences", "final_accuracy_ci"), ("pdf", "svg")),
            (("summary", "comparisons", "baselines"), FORMATS),
        ]
        for stem in stems
        for kind in kinds
    }


def test_latex_markdown_and_csv_hold_the_same_table(paper):
    for table in TABLES:
        frame = pd.read_csv(paper / f"{table}.csv", dtype=str, keep_default_na=False)
        assert (paper / f"{table}.md").read_text() == table_markdown(frame)
        latex = (paper / f"{table}.tex").read_text()
        assert latex.startswith(r"\begin{tabular}{l") and latex.rstrip().endswith(r"\end{tabular}")
        assert r"\toprule" in latex and r"\midrule" in latex and r"\bottomrule" in latex and latex.isascii()
        assert latex.count(r" \\") == len(frame) + 1


def test_tables_hold_every_stored_row_with_its_verdict(paper):
    stored = results_of({"html": paper.parent / "index.html"}) / "statistics"
    for table in ("comparisons", "effects", "baselines"):
        shown = pd.read_csv(paper / f"{table}.csv", dtype=str)
        rows = pd.read_csv(stored / f"{table}.csv")
        words = {"higher": {"helped", "better"}, "lower": {"hurt", "worse"}, "inconclusive": {"inconclusive"}}
        assert len(shown) == len(rows)
        for word, kept in zip(shown["verdict"], rows["verdict"]):
            assert word in words.get(kept, set()) or (kept == "equivalent" and "no difference larger" in word)
    summary = pd.read_csv(paper / "summary.csv", dtype=str)
    assert ODD_NAME in summary["configuration"].tolist()
    assert r"twin\_\textless{}sharing\textgreater{}\&aux" in (paper / "summary.tex").read_text()


def test_chart_pdfs_embed_their_fonts(paper):
    pdffonts = ensure_debian_package("poppler-utils", "/usr/bin/pdffonts")
    for chart in ALL_CHARTS:
        listing = subprocess.run([pdffonts, paper / f"{chart}.pdf"], capture_output=True, text=True, check=True)
        fonts = listing.stdout.strip().splitlines()[2:]
        assert fonts, f"{chart}.pdf has no fonts"
        for font in fonts:
            columns = font.split()
            assert columns[-5] == "yes", f"{chart}.pdf does not embed {columns[0]}"  # the "emb" column


def test_chart_svgs_are_the_pages_wide_drawings(paper):
    page = (paper.parent / "index.html").read_text()
    for chart in ALL_CHARTS:
        svg = (paper / f"{chart}.svg").read_text()
        assert svg.startswith("<svg") and "viewBox" in svg
        assert f'<div class="drawing wide">{prefix_svg_ids(svg, f"{chart}-wide")}</div>' in page
