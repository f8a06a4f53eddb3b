"""Tasks other than digit pairs through the real aggregate, statistics and report steps: every title, unit,
direction and sentence comes from the task's metrics, whichever way its headline is better."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from pairstudy.metrics import canonical_json, hyperparameter_hash, read_table, run_schema, write_runs
from pairstudy.tasks.digits import Digits
from pairstudy.tasks.metrics import Metric, MetricSpec
from tests.helpers import (
    ALL_CHARTS,
    aggregate_and_compare,
    misclassified_examples,
    render_results,
    section_of,
    visible_text,
)

# a task of one's own whose headline is better when lower
REGRESSION = MetricSpec(
    "regression",
    (
        Metric("mse", "lower", "number", "MSE", "mean squared error", splits=("train", "test")),
        Metric("accuracy", "higher", "fraction", "accuracy within 0.1", splits=("test",)),
    ),
    "mse",
    "one curve sampled at 16 points; the target is its value at the next point",
)
# mean final test value of the headline per configuration; the best MSE is the lowest
MSE = {"small": 0.30, "medium": 0.20, "large": 0.10}
ACCURACY = {"small": 0.80, "medium": 0.85, "large": 0.90}
SEEDS = [0, 1, 2, 3]
EPOCHS = 3


def headline_values(spec: MetricSpec, config: str) -> dict[str, float]:
    """Each epoch column's final value: a fraction metric's from ACCURACY, a number's from MSE."""
    return {
        column: (ACCURACY if metric.percent else MSE)[config] for column, (metric, _) in spec.epoch_columns().items()
    }


def runs_of(spec: MetricSpec, study: str, config: str) -> pd.DataFrame:
    rng = np.random.default_rng(len(config))
    hyperparameters = {"architecture": "mlp", "width": config, "lr": 0.01}
    rows = []
    for seed in SEEDS:
        shift = rng.normal(0, 0.005)
        for epoch in range(1, EPOCHS + 1):
            metrics = {}
            for column, (metric, _) in spec.epoch_columns().items():
                final = headline_values(spec, config)[column] + shift
                metrics[column] = final + (0.05 if metric.higher_is_better else -0.05) * (epoch - EPOCHS)
            rows.append(
                {
                    "epoch": epoch,
                    "train_loss": 1.0 / epoch,
                    "epoch_seconds": 0.2,
                    "learning_rate": 0.01,
                    **metrics,
                    "study": study,
                    "config": config,
                    "architecture": "mlp",
                    "seed": seed,
                    "factors": canonical_json({"width": config}),
                    "hyperparameters": canonical_json(hyperparameters),
                    "config_hash": hyperparameter_hash(hyperparameters),
                    "parameter_count": {"small": 100, "medium": 1000, "large": 10000}[config],
                    "device": "cpu",
                    "torch_version": "2.0 (synthetic)",
                    "status": "ok",
                    "message": "",
                }
            )
    return pd.DataFrame(rows, columns=run_schema(spec).names)


def task_report(folder, spec: MetricSpec, study: dict, examples: list[dict]):
    """Run files of `spec`'s task for each configuration, then aggregate, statistics and the report."""
    name = study["name"]
    results = folder / "results" / name
    expected = []
    for config in MSE:
        path = write_runs(
            runs_of(spec, name, config),
            results / "runs" / config / "block0.parquet",
            spec,
            misclassified={seed: examples for seed in SEEDS},
        )
        hyperparameters = {"architecture": "mlp", "width": config, "lr": 0.01}
        expected.append(
            {
                "path": str(path),
                "study": name,
                "config": config,
                "seeds": SEEDS,
                "config_hash": hyperparameter_hash(hyperparameters),
            }
        )
    aggregate_and_compare(results, expected, study, ["small"])
    paths = render_results(folder, study, ALL_CHARTS)
    return paths, paths["html"].read_text(encoding="utf-8"), paths["markdown"].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def regression(tmp_path_factory):
    study = {
        "name": "regression",
        "description": "Does a wider network predict the curve better?",
        "seeds": SEEDS,
        "factors": {"width": list(MSE)},
        "data": {"points": 16, "noise": 0.1},
    }
    examples = misclassified_examples(count=3, images=1, shape=(4, 16))
    return task_report(tmp_path_factory.mktemp("regression"), REGRESSION, study, examples)


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    study = {
        "name": "widths",
        "description": "Which width classifies single images best?",
        "seeds": SEEDS,
        "factors": {"width": list(MSE)},
        "data": {"source": "mnist5k", "n_train": 1000, "n_test": 1000},
    }
    examples = misclassified_examples(count=3, images=1, shape=(14, 14))
    return task_report(tmp_path_factory.mktemp("digits"), Digits.spec(), study, examples)


def test_a_lower_is_better_headline_names_the_lowest_best_and_a_lower_value_helped(regression):
    paths, page, markdown = regression
    helped = visible_text(section_of(page, "What helped"))
    # the best configuration has the lowest mean MSE, shown as a plain number with its direction
    assert re.match(r"Best configuration: large, final test MSE 0\.\d{4} ± 0\.\d{4} \(", helped.lstrip())
    assert "(lower is better; mean ± sample std over 4 seeds" in helped
    # large minus each other configuration is a drop in MSE: better, and a factor change to it helped
    assert re.search(r"against baseline small: large vs small: 0\.\d+ lower MSE \[-0\.\d+, -0\.\d+\], better", helped)
    assert re.search(r"width \(small → large\): 0\.\d+ lower MSE \[-0\.\d+, -0\.\d+\], helped", helped)
    # a plain number is never shown in percent nor in percentage points
    statistics = visible_text(section_of(page, "Statistics in detail"))
    for text in (helped, statistics):
        assert not re.search(r"MSE[^.;]*%|% [^.;]*MSE|points[^.;]*MSE", text), text
    assert "mean (%)" not in statistics and "difference (points)" not in statistics
    results = visible_text(section_of(page, "Results"))
    assert "test MSE (final)" in results and "test MSE (%)" not in results
    assert "test accuracy within 0.1 (%)" in results  # the task's fraction metric in percent


def test_a_lower_is_better_headline_is_stored_and_charted_the_same_way(regression):
    paths, _, _ = regression
    results = paths["html"].parents[2] / "results" / "regression"
    summary, metadata = read_table(results / "summary.parquet")
    assert MetricSpec.from_dict(metadata["metrics"]) == REGRESSION
    assert summary.set_index("config")["final_test_mse_mean"].idxmin() == "large"
    baselines = pd.read_csv(results / "statistics" / "baselines.csv")
    leader = baselines[baselines["kind"] == "leader vs baseline"].iloc[0]
    assert leader["config_b"] == "large" and leader["mean_difference"] < 0
    # the curves: MSE is drawn as stored (no percent axis), the fraction metric in percent
    from pairstudy.charts import WIDE, learning_curves

    curves = read_table(results / "curves.parquet")[0]
    spec = learning_curves(curves, WIDE, REGRESSION).to_dict(validate=False)
    panels = {tuple(panel["title"]): panel for panel in spec["concat"]}
    mse_panel = panels[("test MSE", "lower is better")]
    assert "%" not in mse_panel["layer"][0]["encoding"]["y"]["title"]
    drawn = [row for rows in spec["datasets"].values() for row in rows if row.get("metric") == "test_mse"]
    stored = curves[curves["metric"] == "test_mse"]
    assert sorted(row["mean"] for row in drawn) == pytest.approx(sorted(stored["mean"]))  # not times 100
    assert ("test accuracy within 0.1 (%)", "higher is better") in panels
    finals = (paths["html"].parent / "charts" / "final_accuracy.html").read_text()
    assert "lower is better" in finals and "test MSE (final)" in finals


def test_the_report_of_a_single_image_task_has_no_digit_pair_wording(digits):
    paths, page, markdown = digits
    # the built-in task's own name aside
    text = (visible_text(page) + markdown).replace(f"task {Digits.name}", "task").replace(Digits.name, "")
    for wording in (r"\bdigits?\b", r"\bpairs?\b", r"comparison loss", r"<=", r"≤", r"first digit"):
        assert not re.search(wording, text, flags=re.IGNORECASE), wording
    # what the target means comes from the task, as do the data settings the study wrote
    settings = visible_text(section_of(page, "What was run"))
    assert f"task {Digits.name}" in settings and Digits.target in settings and "n_train" in settings
    assert "final test accuracy, in percent (higher is better)" in settings
    assert "test cross-entropy" in visible_text(section_of(page, "Results"))
