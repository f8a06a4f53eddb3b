"""Aggregation on small run files: finals, the epoch chosen on validation, summaries, curves, configurations,
run status, the written tables and `load_study`."""

import json

import numpy as np
import pandas as pd
import pytest

from pairstudy import load_study
from pairstudy.aggregate import (
    best_config,
    configurations,
    factor_names,
    final_rows,
    learning_curves,
    read_epochs,
    run_status,
    summarize,
    write_study_tables,
)
from pairstudy.metrics import RunFileError, canonical_json, failed_row, hyperparameter_hash, read_table, write_runs
from pairstudy.tasks.metrics import Metric, MetricSpec
from tests.helpers import DIGIT_PAIRS

HYPERPARAMETERS = {
    "mlp": {"architecture": "mlp", "model": {"hidden": [8, 4]}, "lr": 0.05, "aux": False, "epochs": 3},
    "twin-aux": {"architecture": "twin", "model": {"hidden": 16}, "lr": 0.005, "aux": True, "aux_weight": 0.2},
    "twin-noaux": {"architecture": "twin", "model": {"hidden": 16}, "lr": 0.005, "aux": False},
}
FACTORS = {
    "mlp": {"architecture": "mlp", "hidden": [8, 4]},
    "twin-aux": {"architecture": "twin", "aux": True, "hidden": 16},
    "twin-noaux": {"architecture": "twin", "aux": False, "hidden": 16},
}
# test accuracy per epoch of seed 0; each further seed adds 0.01; validation peaks at epoch 2
TEST_ACCURACY = {"mlp": [0.70, 0.75, 0.72], "twin-aux": [0.80, 0.90, 0.92], "twin-noaux": [0.78, 0.84, 0.86]}
VALIDATION = [0.6, 0.9, 0.8]


def run_rows(config: str, seed: int, status: str = "ok", validation: bool = True) -> pd.DataFrame:
    trains_digits = HYPERPARAMETERS[config]["aux"]
    if status == "failed":
        rows = [failed_row(DIGIT_PAIRS)]
    else:
        rows = [
            {
                "epoch": epoch,
                "train_loss": 1.0 / epoch,
                "train_comparison_loss": 0.8 / epoch,
                "train_accuracy": 0.6 + 0.1 * epoch,
                "test_comparison_loss": 0.5,
                "test_accuracy": accuracy + 0.01 * seed,
                "test_digit_accuracy": 0.9 if trains_digits else None,
                "validation_accuracy": VALIDATION[epoch - 1] if validation else None,
                "validation_comparison_loss": 0.4 if validation else None,
                "epoch_seconds": 0.5,
                "learning_rate": HYPERPARAMETERS[config]["lr"],
            }
            for epoch, accuracy in enumerate(TEST_ACCURACY[config], 1)
        ]
    frame = pd.DataFrame(rows)
    identity = {
        "study": "s",
        "config": config,
        "architecture": HYPERPARAMETERS[config]["architecture"],
        "seed": seed,
        "factors": canonical_json(FACTORS[config]),
        "hyperparameters": canonical_json(HYPERPARAMETERS[config]),
        "config_hash": hyperparameter_hash(HYPERPARAMETERS[config]),
        "parameter_count": 100 if config == "mlp" else 50,
        "device": "cpu",
        "torch_version": "x",
        "status": status,
        "message": "RuntimeError: boom" if status == "failed" else "",
    }
    return frame.assign(**identity)


@pytest.fixture
def expected(tmp_path):
    """Three configurations x seeds 0-2 in one block each; twin-noaux's seed 2 failed."""
    entries = []
    for config in HYPERPARAMETERS:
        runs = [run_rows(config, seed, "failed" if (config, seed) == ("twin-noaux", 2) else "ok") for seed in range(3)]
        path = write_runs(
            pd.concat(runs, ignore_index=True), tmp_path / "runs" / config / "block0.parquet", DIGIT_PAIRS
        )
        entries.append(
            {
                "path": str(path),
                "study": "s",
                "config": config,
                "seeds": [0, 1, 2],
                "config_hash": hyperparameter_hash(HYPERPARAMETERS[config]),
            }
        )
    return entries


def test_finals_take_the_last_epoch_and_choose_an_epoch_on_validation_only(expected):
    epochs, spec = read_epochs(expected)
    names = factor_names(epochs)
    assert names == ["architecture", "hidden", "aux"] and spec == DIGIT_PAIRS
    finals = final_rows(epochs, names, spec).set_index(["config", "seed"])
    assert finals.loc[("twin-aux", 1), "final_test_accuracy"] == pytest.approx(0.93)
    # the epoch with the best validation accuracy (2), not the best test epoch (3)
    assert finals.loc[("twin-aux", 1), "selected_epoch"] == 2
    assert finals.loc[("twin-aux", 1), "selected_test_accuracy"] == pytest.approx(0.91)
    assert finals.loc[("twin-aux", 1), "oracle_best_epoch"] == 3
    assert finals.loc[("twin-aux", 1), "oracle_best_test_accuracy"] == pytest.approx(0.93)
    # a final value of every metric column of the task, null where a configuration does not measure it
    assert {f"final_{column}" for column in spec.epoch_columns()} <= set(finals.columns)
    assert finals.loc[("twin-aux", 1), "final_test_comparison_loss"] == 0.5
    assert pd.isna(finals.loc[("twin-noaux", 1), "final_test_digit_accuracy"])
    # a factor whose levels are lists for one configuration and numbers for another is tabled as JSON text
    assert finals.loc[("mlp", 0), "hidden"] == "[8,4]" and finals.loc[("twin-aux", 0), "hidden"] == "16"
    assert finals.loc[("mlp", 0), "aux"] is None and finals.loc[("twin-noaux", 2), "status"] == "failed"


def test_without_validation_pairs_no_epoch_is_selected(tmp_path):
    runs = pd.concat([run_rows("mlp", seed, validation=False) for seed in (0, 1)], ignore_index=True)
    path = write_runs(runs, tmp_path / "block0.parquet", DIGIT_PAIRS)
    entry = {"path": str(path), "study": "s", "config": "mlp", "seeds": [0, 1], "config_hash": runs["config_hash"][0]}
    epochs, spec = read_epochs([entry])
    finals = final_rows(epochs, factor_names(epochs), spec)
    assert finals["selected_test_accuracy"].isna().all() and finals["selected_epoch"].isna().all()
    summary = summarize(finals, factor_names(epochs), 2, spec)
    assert summary["selected_test_accuracy_mean"].isna().all()


def test_summary_is_mean_and_sample_std_over_finished_seeds(expected):
    epochs, spec = read_epochs(expected)
    names = factor_names(epochs)
    summary = summarize(final_rows(epochs, names, spec), names, 2, spec).set_index("config")
    assert summary.loc["twin-aux", "final_test_accuracy_mean"] == pytest.approx(0.93)
    assert summary.loc["twin-aux", "final_test_accuracy_std"] == pytest.approx(np.std([0.92, 0.93, 0.94], ddof=1))
    assert summary.loc["twin-noaux", "n_seeds"] == 2  # the failed seed is not averaged
    assert summary.loc["twin-noaux", "final_test_accuracy_mean"] == pytest.approx(0.865)
    too_few = summarize(final_rows(epochs, names, spec), names, 3, spec).set_index("config")
    assert pd.isna(too_few.loc["twin-noaux", "final_test_accuracy_mean"])
    # every run metric of the task gets a mean and a std; a metric a configuration does not measure stays empty
    assert {f"{name}_{kind}" for name in spec.run_metrics() for kind in ("mean", "std")} <= set(summary.columns)
    assert summary.loc["twin-aux", "final_test_digit_accuracy_mean"] == pytest.approx(0.9)
    assert pd.isna(summary.loc["mlp", "final_test_digit_accuracy_mean"])


def test_curves_are_means_and_bands_per_epoch(expected):
    curves = learning_curves(*read_epochs(expected))
    test = curves[(curves["config"] == "mlp") & (curves["metric"] == "test_accuracy")].set_index("epoch")
    assert test.loc[2, "mean"] == pytest.approx(0.76) and test.loc[2, "n"] == 3
    assert test.loc[2, "high"] - test.loc[2, "low"] == pytest.approx(2 * 0.01)
    assert set(curves["metric"]) == set(DIGIT_PAIRS.curve_columns())
    assert "test_comparison_loss" in set(curves["metric"]) and "validation_accuracy" not in set(curves["metric"])


def test_configurations_come_from_the_runs_own_settings(expected):
    epochs, _ = read_epochs(expected)
    table = configurations(epochs, factor_names(epochs)).set_index("config")
    assert json.loads(table.loc["mlp", "hyperparameters"])["lr"] == 0.05
    assert table.loc["twin-aux", "parameter_count"] == 50 and table.loc["twin-aux", "aux"]
    assert not any("digit" in column for column in table.columns)  # what a task measures is the task's own


def test_run_status_names_the_run_file_that_trains_a_failed_seed_again(expected):
    epochs, spec = read_epochs(expected)
    files = {(entry["config"], seed): entry["path"] for entry in expected for seed in entry["seeds"]}
    status = run_status(final_rows(epochs, factor_names(epochs), spec), files).set_index("config")
    assert (
        status.loc["twin-noaux", "failed_seeds"] == "2" and "RuntimeError: boom" in status.loc["twin-noaux", "errors"]
    )
    assert status.loc["twin-noaux", "rerun"] == f"snakemake --cores all --forcerun {files[('twin-noaux', 2)]}"
    assert status.loc["mlp", "rerun"] == ""


def test_a_seed_in_two_files_is_refused(expected, tmp_path):
    twice = dict(expected[0])
    with pytest.raises(RunFileError, match="seeds appear in more than one run file"):
        read_epochs([expected[0], twice])


def test_written_tables_carry_the_study_and_load_in_a_notebook(expected, tmp_path):
    folder = tmp_path / "results" / "s"
    names = ["epochs", "finals", "curves", "summary", "configurations"]
    outputs = {name: folder / f"{name}.parquet" for name in names}
    outputs |= {
        "summary_csv": folder / "summary.csv",
        "run_status": folder / "run_status.csv",
        "misclassified": folder / "misclassified.json",
    }
    study = {
        "name": "s",
        "factors": {"architecture": ["mlp", "twin"], "aux": [False, True]},
        "include": [{"hidden": 16}],
    }
    write_study_tables(expected, outputs, study=study, provenance={"git commit": "abc"}, min_seeds=2)
    frame, metadata = read_table(outputs["finals"])
    # the factors in the study's declared order, not the runs' (sorted) JSON order
    assert metadata["study"] == study and metadata["factors"] == ["architecture", "aux", "hidden"]
    assert metadata["provenance"] == {"git commit": "abc"}
    # every table carries the task's metrics: statistics and report read names, units and directions from there
    for name in names:
        assert read_table(outputs[name])[1]["metrics"] == DIGIT_PAIRS.to_dict(), name
    tables = load_study(folder)
    assert tables.factors == ["architecture", "aux", "hidden"] and tables.study == study
    assert tables.spec == DIGIT_PAIRS
    assert {"hp.lr", "hp.model.hidden", "hp.aux_weight"} <= set(tables.finals.columns)
    twin = tables.summary.set_index("config").loc["twin-aux"]
    assert twin["hp.lr"] == 0.005 and twin["hp.aux_weight"] == 0.2 and twin["aux"]
    assert len(tables.epochs) == 3 * 3 * 3 - 2 and tables.statistics["comparisons"].empty


def test_load_study_names_a_folder_without_tables(tmp_path):
    with pytest.raises(FileNotFoundError, match="no finals.parquet"):
        load_study(tmp_path)


# a task whose headline is lower-is-better: best epochs, best configuration are the lowest
MSE = MetricSpec(
    "regression",
    (Metric("mse", "lower", "number", "MSE", "mean squared error"), Metric("r2", "higher", "number", "R²")),
    "mse",
    "a number per input; the target is that number",
)
VALIDATION_MSE = [0.5, 0.2, 0.2, 0.3]  # the lowest first reached at epoch 2 (tied with epoch 3)
TEST_MSE = {"good": [0.6, 0.4, 0.1, 0.3], "bad": [0.9, 0.8, 0.7, 0.75]}


def mse_rows(config: str, seed: int, study: str = "r") -> pd.DataFrame:
    rows = [
        {
            "epoch": epoch,
            "train_loss": test,
            "epoch_seconds": 0.1,
            "learning_rate": 0.01,
            "train_mse": test / 2,
            "train_r2": 0.5,
            "validation_mse": VALIDATION_MSE[epoch - 1],
            "validation_r2": 0.4,
            "test_mse": test + 0.01 * seed,
            "test_r2": 0.3,
        }
        for epoch, test in enumerate(TEST_MSE[config], 1)
    ]
    identity = run_rows("mlp", seed).iloc[0][["architecture", "device", "torch_version", "status", "message"]]
    hyperparameters = {"architecture": "mlp", "width": config}
    return pd.DataFrame(rows).assign(
        **identity.to_dict(),
        study=study,
        config=config,
        seed=seed,
        factors=canonical_json({"width": config}),
        hyperparameters=canonical_json(hyperparameters),
        config_hash=hyperparameter_hash(hyperparameters),
        parameter_count=10,
    )


def mse_entries(folder, spec: MetricSpec = MSE) -> list[dict]:
    entries = []
    for config in TEST_MSE:
        runs = pd.concat([mse_rows(config, seed) for seed in range(3)], ignore_index=True)
        path = write_runs(runs, folder / config / "block0.parquet", spec)
        entries.append(
            {
                "path": str(path),
                "study": "r",
                "config": config,
                "seeds": [0, 1, 2],
                "config_hash": runs["config_hash"][0],
            }
        )
    return entries


def test_a_lower_is_better_headline_chooses_the_lowest_epochs_and_configuration(tmp_path):
    epochs, spec = read_epochs(mse_entries(tmp_path))
    assert spec == MSE
    finals = final_rows(epochs, ["width"], spec).set_index(["config", "seed"])
    # chosen on the lowest validation MSE, the earliest of ties; the oracle is the lowest test MSE
    assert finals.loc[("good", 1), "selected_epoch"] == 2
    assert finals.loc[("good", 1), "selected_test_mse"] == pytest.approx(0.41)
    assert finals.loc[("good", 1), "oracle_best_epoch"] == 3
    assert finals.loc[("good", 1), "oracle_best_test_mse"] == pytest.approx(0.11)
    assert finals.loc[("good", 1), "final_test_mse"] == pytest.approx(0.31)
    assert "final_test_accuracy" not in finals.columns
    summary = summarize(finals.reset_index(), ["width"], 2, spec)
    assert {"final_test_mse_mean", "selected_test_mse_std", "final_train_r2_mean"} <= set(summary.columns)
    assert best_config(summary, spec) == "good"  # the lowest mean MSE, though "bad" has the highest
    curves = learning_curves(epochs, spec)
    assert set(curves["metric"]) == {"train_mse", "train_r2", "test_mse", "test_r2"}


def test_run_files_of_two_tasks_in_one_study_are_refused_naming_both(tmp_path):
    entries = mse_entries(tmp_path / "mse")
    other = MetricSpec("other", MSE.metrics, "mse", "another target")
    mixed = [entries[0], mse_entries(tmp_path / "other", other)[1]]
    with pytest.raises(RunFileError, match=r"different tasks.*good.*'regression'.*bad.*'other'"):
        read_epochs(mixed)
    renamed = MetricSpec("regression", (MSE.metrics[0], Metric("r2", "lower", "number")), "mse", MSE.target)
    with pytest.raises(RunFileError, match="different metrics"):
        read_epochs([entries[0], mse_entries(tmp_path / "renamed", renamed)[1]])
