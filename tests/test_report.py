import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pairstudy.aggregate import final_rows, learning_curves, summarize
from pairstudy.charts import CHARTS, save_chart
from pairstudy.report import format_mean_std, summary_table_latex, summary_table_markdown, write_report


def synthetic_epochs(configs=("mlp", "twin-<sharing>", "twin-aux"), seeds=3, epochs=4) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for index, config in enumerate(configs):
        for seed in range(seeds):
            for epoch in range(1, epochs + 1):
                accuracy = min(0.99, 0.6 + 0.08 * index + 0.05 * epoch + rng.normal(0, 0.01))
                rows.append(
                    {
                        "study": "s", "config": config, "architecture": config.split("-")[0], "seed": seed, "epoch": epoch,
                        "train_loss": 1 / epoch, "train_accuracy": accuracy + 0.02, "test_loss": 1.2 / epoch, "test_accuracy": accuracy,
                        "test_digit_accuracy": np.nan if config == "mlp" else 0.9, "validation_accuracy": np.nan, "epoch_seconds": 0.5,
                        "learning_rate": 1e-3,
                        "status": "ok", "message": "", "parameter_count": 1000 * (index + 1), "device": "cpu", "config_hash": config,
                        "aux": None if config == "mlp" else config.endswith("aux"),
                    }
                )
    return pd.DataFrame(rows)


def synthetic_tables():
    epochs = synthetic_epochs()
    finals = final_rows(epochs, ["architecture", "aux"])
    return {"epochs": epochs, "finals": finals, "curves": learning_curves(epochs), "summary": summarize(finals, ["architecture", "aux"])}


def write_synthetic_report(out_dir: Path):
    tables = synthetic_tables()
    charts = {name: make(tables) for name, make in CHARTS.items()}
    paths = write_report(
        out_dir,
        study={"name": "s", "description": "a <test> study", "factors": {"architecture": ["mlp", "twin"]}, "seeds": [0, 1, 2]},
        summary=tables["summary"],
        charts=charts,
        provenance={"git commit": "abc123", "packages": {"pandas": pd.__version__}},
        sections=[("What helped", "<p>auxiliary loss helped</p>", "auxiliary loss helped")],
    )
    return paths, len(charts)


def test_format_mean_std():
    assert format_mean_std(0.93761, 0.00851) == "93.76 ± 0.85"
    assert format_mean_std(0.5, float("nan")) == "50.00"
    assert format_mean_std(float("nan"), float("nan")) == "–"


def test_summary_values_reach_the_table_formats():
    summary = synthetic_tables()["summary"]
    row = summary.set_index("config").loc["twin-aux"]
    expected = format_mean_std(row["final_test_accuracy_mean"], row["final_test_accuracy_std"])
    assert expected in summary_table_markdown(summary)
    latex = summary_table_latex(summary)
    assert latex.startswith("\\begin{tabular}") and latex.rstrip().endswith("\\end{tabular}")
    assert "test acc. (final, \\%)" in latex and "$\\pm$" in latex


def test_charts_draw_given_numbers_without_aggregating():
    tables = synthetic_tables()
    spec = CHARTS["learning_curves"](tables).to_dict()
    text = repr(spec)
    assert "'aggregate'" not in text and "'bootstrap'" not in text
    curves = tables["curves"]
    band = curves[(curves["metric"] == "test_accuracy") & (curves["config"] == "mlp")]
    datasets = list(spec["datasets"].values())
    highs = [row["high"] for data in datasets for row in data if row.get("metric") == "test_accuracy" and row.get("config") == "mlp"]
    assert highs == pytest.approx((band["high"] * 100).tolist())


def test_save_chart_is_offline(tmp_path):
    chart = CHARTS["final_accuracy"](synthetic_tables())
    paths = save_chart(chart, tmp_path / "final")
    html = paths["html"].read_text()
    assert not re.search(r"<script[^>]+src=", html)
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["svg"].read_text().lstrip().startswith("<svg")


def test_report_page_is_self_contained_and_escaped(tmp_path):
    paths, chart_count = write_synthetic_report(tmp_path)
    page = paths["html"].read_text()
    summary = synthetic_tables()["summary"].set_index("config")
    expected = format_mean_std(summary.loc["mlp", "final_test_accuracy_mean"], summary.loc["mlp", "final_test_accuracy_std"])
    assert expected in page
    assert page.count('<div class="chart"') == chart_count and "<svg" in page
    assert "twin-&lt;sharing&gt;" in page and "a &lt;test&gt; study" in page
    assert not re.search(r"""(src|href)=["']https?://""", page)
    assert "abc123" in page and "auxiliary loss helped" in page
    markdown = paths["markdown"].read_text()
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown):
        assert (tmp_path / image).exists()
