"""Charts draw the numbers they are given: specs encode the stored columns, Vega-Lite computes nothing."""

import re

import numpy as np
import pandas as pd
import pytest

from pairstudy.charts import (
    accuracy_vs_parameters,
    dot_plot_with_ci,
    final_accuracy,
    forest_plot,
    learning_curves,
    prefix_svg_ids,
    save_chart,
)

# names that need escaping in HTML (<, >) and in LaTeX (_)
CONFIGS = ("mlp", "twin-<sharing>", "twin_aux")
SEEDS = (0, 1, 2)
EPOCHS = 4
# final test accuracy per config and seed: means 82, 89, 93 %, sample stds 2, 1, 1 points
FINAL_TEST_ACCURACY = {"mlp": (0.80, 0.82, 0.84), "twin-<sharing>": (0.88, 0.89, 0.90), "twin_aux": (0.92, 0.93, 0.94)}
PARAMETERS = {"mlp": 12_345, "twin-<sharing>": 1_234_567, "twin_aux": 98_765}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
COMPUTING_TRANSFORMS = {
    "aggregate",
    "joinaggregate",
    "window",
    "bin",
    "regression",
    "loess",
    "density",
    "quantile",
    "stack",
}


def synthetic_epochs() -> pd.DataFrame:
    """The long epoch table of the data contract: 3 configs x 3 seeds x 4 epochs, accuracies as fractions."""
    rows = []
    for config in CONFIGS:
        for seed, final in zip(SEEDS, FINAL_TEST_ACCURACY[config]):
            for epoch in range(1, EPOCHS + 1):
                test_accuracy = final - 0.05 * (EPOCHS - epoch)
                rows.append(
                    {
                        "study": "synthetic",
                        "config": config,
                        "architecture": config[:4].rstrip("-_"),
                        "seed": seed,
                        "epoch": epoch,
                        "train_loss": 0.7 / epoch + 0.01 * seed,
                        "train_accuracy": test_accuracy + 0.03,
                        "test_loss": 0.8 / epoch,
                        "test_accuracy": test_accuracy,
                        "test_digit_accuracy": np.nan if config == "mlp" else 0.95,
                        "epoch_seconds": 0.5,
                        "learning_rate": 5e-3,
                        "status": "ok",
                        "parameter_count": PARAMETERS[config],
                        "aux": None if config == "mlp" else config.endswith("aux"),
                    }
                )
    return pd.DataFrame(rows)


def synthetic_curves(epochs: pd.DataFrame) -> pd.DataFrame:
    long = epochs.melt(
        id_vars=["config", "epoch"], value_vars=["train_loss", "train_accuracy", "test_accuracy"], var_name="metric"
    )
    curves = (
        long.groupby(["config", "epoch", "metric"], sort=False)["value"]
        .agg(mean="mean", std="std", n="count")
        .reset_index()
    )
    curves["low"], curves["high"] = curves["mean"] - curves["std"], curves["mean"] + curves["std"]
    return curves[["config", "epoch", "metric", "mean", "std", "low", "high", "n"]]


def synthetic_finals(epochs: pd.DataFrame) -> pd.DataFrame:
    last = epochs[epochs["epoch"] == EPOCHS]
    return pd.DataFrame(
        {
            "study": last["study"],
            "config": last["config"],
            "architecture": last["architecture"],
            "seed": last["seed"],
            "status": last["status"],
            "parameter_count": last["parameter_count"],
            "final_test_accuracy": last["test_accuracy"],
            "best_test_accuracy": last["test_accuracy"],
            "best_epoch": EPOCHS,
            "final_train_accuracy": last["train_accuracy"],
            "final_test_digit_accuracy": last["test_digit_accuracy"],
            "run_seconds": 0.5 * EPOCHS,
            "aux": last["aux"],
        }
    ).reset_index(drop=True)


def synthetic_summary(finals: pd.DataFrame) -> pd.DataFrame:
    metrics = ["final_test_accuracy", "best_test_accuracy", "final_train_accuracy", "final_test_digit_accuracy"]
    rows = []
    for config, runs in finals.groupby("config", sort=False):
        row = {
            "config": config,
            "architecture": runs["architecture"].iloc[0],
            "aux": runs["aux"].iloc[0],
            "n_seeds": len(runs),
            "parameter_count": runs["parameter_count"].iloc[0],
        }
        for metric in metrics:
            row[f"{metric}_mean"], row[f"{metric}_std"] = runs[metric].mean(), runs[metric].std(ddof=1)
        row["run_seconds_mean"] = runs["run_seconds"].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def synthetic_tables() -> dict[str, pd.DataFrame]:
    epochs = synthetic_epochs()
    finals = synthetic_finals(epochs)
    return {
        "epochs": epochs,
        "curves": synthetic_curves(epochs),
        "finals": finals,
        "summary": synthetic_summary(finals),
    }


def synthetic_comparisons() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": ["mlp → twin_aux", "twin-<sharing> → twin_aux"],
            "mean_difference": [0.11, 0.04],
            "ci_low": [0.09, -0.01],
            "ci_high": [0.13, 0.08],
        }
    )


def marks(spec: dict):
    """Every single-view spec of a compiled chart: (mark type, encoding, its data rows)."""
    datasets = spec.get("datasets", {})

    def walk(node, data):
        data = node.get("data", data)
        if "mark" in node:
            mark = node["mark"]["type"] if isinstance(node["mark"], dict) else node["mark"]
            yield mark, node.get("encoding", {}), datasets.get(data["name"], []) if data else []
        for key in ("layer", "hconcat", "vconcat", "concat"):
            for child in node.get(key, []):
                yield from walk(child, data)
        if "spec" in node:
            yield from walk(node["spec"], data)

    yield from walk(spec, None)


def transforms(node) -> set[str]:
    """Names of every transform anywhere in a spec (and any aggregate given inside an encoding)."""
    found = set()
    if isinstance(node, dict):
        for step in node.get("transform", []):
            found |= {key for key in step if key in COMPUTING_TRANSFORMS | {"filter", "calculate", "fold", "lookup"}}
        if "aggregate" in node and "field" in node:
            found.add("aggregate")
        for value in node.values():
            found |= transforms(value)
    elif isinstance(node, list):
        for value in node:
            found |= transforms(value)
    return found


def assert_computes_nothing(chart):
    spec = chart.to_dict()
    assert not transforms(spec) & COMPUTING_TRANSFORMS
    for _, encoding, _ in marks(spec):
        for channel in encoding.values():
            if isinstance(channel, dict):
                assert "aggregate" not in channel and "bin" not in channel and channel.get("stack") in (None, False)
    return spec


def by_config(rows, column):
    return {row["config"]: row[column] for row in rows}


def test_learning_curves_band_is_the_stored_low_and_high():
    tables = synthetic_tables()
    curves = tables["curves"]
    spec = assert_computes_nothing(learning_curves(curves, list(CONFIGS)))
    drawn = list(marks(spec))
    bands = [(encoding, rows) for mark, encoding, rows in drawn if mark == "area"]
    lines = [(encoding, rows) for mark, encoding, rows in drawn if mark == "line"]
    assert len(bands) == len(lines) == 3  # train loss, train accuracy, test accuracy
    for encoding, rows in bands:
        assert (encoding["x"]["field"], encoding["y"]["field"], encoding["y2"]["field"]) == ("epoch", "low", "high")
        assert encoding["y"]["stack"] is None
        assert encoding["color"]["field"] == "config" and encoding["color"]["sort"] == list(CONFIGS)
        metric = rows[0]["metric"]
        given = curves[curves["metric"] == metric]
        scale = 1 if metric == "train_loss" else 100  # accuracies drawn in percent
        assert [row["low"] for row in rows] == pytest.approx((given["low"] * scale).tolist())
        assert [row["high"] for row in rows] == pytest.approx((given["high"] * scale).tolist())
    assert {rows[0]["metric"] for _, rows in lines} == {"train_loss", "train_accuracy", "test_accuracy"}
    for encoding, rows in lines:
        assert encoding["y"]["field"] == "mean"
    titles = [panel["title"] for panel in spec["hconcat"]]
    assert titles == ["train loss", "train accuracy (%)", "test accuracy (%)"]


def test_learning_curves_order_defaults_to_the_curves_order():
    curves = synthetic_tables()["curves"]
    spec = learning_curves(curves.iloc[::-1]).to_dict()
    colours = [encoding["color"]["sort"] for _, encoding, _ in marks(spec) if "color" in encoding]
    assert colours[0] == list(reversed(CONFIGS))


def test_final_accuracy_draws_every_seed_and_the_summary_mean_and_std():
    tables = synthetic_tables()
    finals, summary = tables["finals"], tables["summary"]
    finals.loc[finals.index[-1], "status"] = "diverged"  # only finished seeds are drawn
    spec = assert_computes_nothing(final_accuracy(finals, summary))
    drawn = {mark: (encoding, rows) for mark, encoding, rows in marks(spec)}
    dots_encoding, dots = drawn["circle"]
    assert dots_encoding["x"]["field"] == "final_test_accuracy" and dots_encoding["y"]["sort"] == list(CONFIGS)
    ok = finals[finals["status"] == "ok"]
    assert sorted(row["final_test_accuracy"] for row in dots) == pytest.approx(sorted(ok["final_test_accuracy"] * 100))
    bar_encoding, bars = drawn["rule"]
    assert (bar_encoding["x"]["field"], bar_encoding["x2"]["field"]) == ("low", "high")
    mean = summary.set_index("config")["final_test_accuracy_mean"] * 100
    std = summary.set_index("config")["final_test_accuracy_std"] * 100
    assert by_config(bars, "low") == pytest.approx((mean - std).to_dict())
    assert by_config(bars, "high") == pytest.approx((mean + std).to_dict())
    assert by_config(drawn["tick"][1], "mean") == pytest.approx(mean.to_dict())
    assert by_config(bars, "high")["mlp"] == pytest.approx(84.0)  # 82 % ± 2 points


def test_dot_plot_with_ci_draws_the_given_interval():
    tables = synthetic_tables()
    summary_ci = pd.DataFrame(
        {
            "config": list(CONFIGS),
            "mean": [0.82, 0.89, 0.93],
            "ci_low": [0.79, 0.87, 0.91],
            "ci_high": [0.85, 0.9, 0.95],
        }
    )
    spec = assert_computes_nothing(dot_plot_with_ci(tables["finals"], summary_ci))
    bars = next(rows for mark, _, rows in marks(spec) if mark == "rule")
    assert by_config(bars, "low") == pytest.approx({"mlp": 79.0, "twin-<sharing>": 87.0, "twin_aux": 91.0})
    assert by_config(bars, "high") == pytest.approx({"mlp": 85.0, "twin-<sharing>": 90.0, "twin_aux": 95.0})
    assert "95% CI" in spec["title"]


def test_accuracy_vs_parameters_uses_a_log_axis_and_the_summary_numbers():
    summary = synthetic_tables()["summary"]
    spec = assert_computes_nothing(accuracy_vs_parameters(summary))
    drawn = {mark: (encoding, rows) for mark, encoding, rows in marks(spec)}
    point_encoding, points = drawn["point"]
    assert point_encoding["x"]["field"] == "parameter_count" and point_encoding["x"]["scale"]["type"] == "log"
    assert point_encoding["y"]["field"] == "final_test_accuracy_mean"
    assert by_config(points, "final_test_accuracy_mean") == pytest.approx(
        {"mlp": 82.0, "twin-<sharing>": 89.0, "twin_aux": 93.0}
    )
    assert by_config(points, "parameter_count") == PARAMETERS
    assert drawn["text"][0]["text"]["field"] == "config"
    assert by_config(drawn["rule"][1], "low") == pytest.approx({"mlp": 80.0, "twin-<sharing>": 88.0, "twin_aux": 92.0})


def test_forest_plot_draws_given_intervals_in_percentage_points():
    comparisons = synthetic_comparisons()
    spec = assert_computes_nothing(forest_plot(comparisons))
    drawn = list(marks(spec))
    rules = [(encoding, rows) for mark, encoding, rows in drawn if mark == "rule"]
    zero = next(rows for encoding, rows in rules if "y" not in encoding)
    assert zero == [{"zero": 0.0}]
    encoding, bars = next((encoding, rows) for encoding, rows in rules if "y" in encoding)
    assert (encoding["x"]["field"], encoding["x2"]["field"], encoding["y"]["sort"]) == ("ci_low", "ci_high", None)
    assert [row["ci_low"] for row in bars] == pytest.approx([9.0, -1.0])
    assert [row["ci_high"] for row in bars] == pytest.approx([13.0, 8.0])
    points = next(rows for mark, _, rows in drawn if mark == "point")
    assert [row["mean_difference"] for row in points] == pytest.approx([11.0, 4.0])
    assert "percentage points" in encoding["x"]["title"]


def test_save_chart_writes_offline_html_png_and_svg(tmp_path):
    tables = synthetic_tables()
    paths = save_chart(final_accuracy(tables["finals"], tables["summary"]), tmp_path / "charts" / "final_accuracy")
    assert set(paths) == {"html", "png", "svg"} and all(path.exists() for path in paths.values())
    assert paths["html"].name == "final_accuracy.html"
    page = paths["html"].read_text()
    assert "vegaEmbed" in page and "<script" in page
    assert not re.search(r"<script[^>]*\bsrc=", page) and "cdn.jsdelivr" not in page
    assert not re.search(r"""<(link|img|iframe)[^>]*(src|href)=["']?(https?:)?//""", page)
    assert paths["png"].read_bytes()[:8] == PNG_MAGIC
    assert paths["svg"].read_text().lstrip().startswith("<svg")


@pytest.mark.parametrize("name", ["learning_curves", "final_accuracy", "accuracy_vs_parameters", "forest_plot"])
def test_every_chart_renders_to_svg(name, tmp_path):
    tables = synthetic_tables()
    chart = {
        "learning_curves": lambda: learning_curves(tables["curves"]),
        "final_accuracy": lambda: final_accuracy(tables["finals"], tables["summary"]),
        "accuracy_vs_parameters": lambda: accuracy_vs_parameters(tables["summary"]),
        "forest_plot": lambda: forest_plot(synthetic_comparisons()),
    }[name]()
    svg = save_chart(chart, tmp_path / name, formats=("svg",))["svg"].read_text()
    assert svg.startswith("<svg") and svg.count("<path") + svg.count("<line") > 10


def test_prefixed_svg_ids_keep_their_references():
    svg = '<svg><clipPath id="clip1"><rect/></clipPath><g clip-path="url(#clip1)"/><use href="#clip1"/></svg>'
    prefixed = prefix_svg_ids(svg, "chart-a")
    assert (
        'id="chart-a-clip1"' in prefixed and "url(#chart-a-clip1)" in prefixed and 'href="#chart-a-clip1"' in prefixed
    )
