"""A task of one's own (from a file, lower-is-better headline) and a training function of one's own, each a study of
one config, through the workflow to their reports in one Snakemake run: runs that raise, log an unknown column or
log nothing are recorded as failed with the reason; editing the task file reruns exactly that study's jobs."""

import json
from pathlib import Path

import pandas as pd
import pytest

from pairstudy.metrics import read_runs
from tests.helpers import copy_workflow, output_of, planned, snakemake
from tests.test_training_function import TRAINER

USER_TASK = Path(__file__).with_name("data") / "regression_task.py"
FAILING_SEED = 1  # the task's data for this seed cannot be loaded
TASK_SOURCE = USER_TASK.read_text().replace(
    "    def load(self, seed, device):\n",
    f"    def load(self, seed, device):\n        if seed == {FAILING_SEED}:\n"
    "            raise RuntimeError('no data for this seed')\n",
)
CONFIG = {
    "task_files": ["my_task.py"],
    "report": {"charts": ["learning_curves", "final_accuracy", "paired_differences"]},
    "studies": {
        "value": {
            "task": "digit_value",
            "seeds": 4,
            "seeds_per_job": 4,
            "data": {"n_train": 300, "n_test": 200},
            "training": {"epochs": 3, "lr": 0.01, "batch_size": 50},
            "factors": {"architecture": ["value_mlp"], "hidden": [2, 32]},
        },
        "fit": {
            "trainer": "fit.py:fit",
            "seeds": 4,
            "seeds_per_job": 4,
            "settings": {"epochs": 4},
            "factors": {"width": [1, 8]},
        },
    },
}


@pytest.fixture(scope="module")
def own_code(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("own_code") / "work")
    (workdir / "my_task.py").write_text(TASK_SOURCE)
    (workdir / "fit.py").write_text(TRAINER)
    (workdir / "config.yaml").write_text(json.dumps(CONFIG))
    result = snakemake(workdir)
    return workdir, result


def test_the_reports_are_written_and_the_failed_runs_named(own_code):
    workdir, result = own_code
    assert result.returncode != 0, output_of(result)  # the reports are written, then the failed runs fail it
    assert "seeds 1 failed (RuntimeError: no data for this seed)" in result.stdout + result.stderr
    for study in CONFIG["studies"]:
        assert (workdir / "reports" / study / "index.html").is_file()


def test_a_task_of_ones_own_gives_its_columns_its_best_and_no_digit_pair_words(own_code):
    workdir, _ = own_code
    runs = read_runs(workdir / "results/value/runs/value_mlp-hidden32/block0.parquet")
    assert {"train_mse", "test_mse", "validation_mse"} <= set(runs.columns)
    failed = runs[runs["seed"] == FAILING_SEED]
    assert failed["status"].tolist() == ["failed"] and "no data for this seed" in failed["message"].iloc[0]
    finals = pd.read_parquet(workdir / "results/value/finals.parquet")
    means = finals[finals["status"] == "ok"].groupby("config")["final_test_mse"].mean()
    assert means["value_mlp-hidden32"] < means["value_mlp-hidden2"]  # the wider net fits better
    report = (workdir / "reports/value/report.md").read_text()
    assert "Best configuration: value\\_mlp-hidden32" in report and "squared error" in report
    for word in ("digit pair", "comparison loss", "comparison accuracy", "digit accuracy", "<= the second"):
        assert word not in report.lower()


def test_a_training_function_records_each_misbehaving_seed_with_its_reason(own_code):
    workdir, _ = own_code
    runs = read_runs(workdir / "results/fit/runs/width8/block0.parquet")
    status = runs.groupby("seed")["status"].first().to_dict()
    messages = runs.groupby("seed")["message"].first().to_dict()
    assert status == {0: "ok", 1: "failed", 2: "failed", 3: "failed"}
    assert "RuntimeError: this seed breaks" in messages[1]
    assert "unknown column(s) ['test_accuracy']" in messages[2]
    assert "logged no epoch" in messages[3]
    assert runs.loc[runs["seed"] == 0, "epoch"].tolist() == [1, 2, 3, 4] and "test_mse" in runs.columns
    assert "width8" in (workdir / "reports/fit/index.html").read_text()


def test_editing_the_task_file_reruns_exactly_its_studys_jobs(own_code):
    workdir, _ = own_code
    task_file = workdir / "my_task.py"
    try:
        task_file.write_text(TASK_SOURCE.replace("F.mse_loss(", "0.5 * F.mse_loss("))
        jobs = planned(workdir)
        assert sorted(jobs["train_block"]) == [
            "results/value/runs/value_mlp-hidden2/block0.parquet",
            "results/value/runs/value_mlp-hidden32/block0.parquet",
        ]
    finally:
        task_file.write_text(TASK_SOURCE)
