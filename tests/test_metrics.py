"""Run files: the schema checked on write and read, atomic writes, and a file proven to be the one asked for."""

import os

import pandas as pd
import pytest

from pairstudy.metrics import (
    RunFileError,
    RunIdentity,
    epoch_columns,
    epoch_row,
    read_metadata,
    read_run_metadata,
    read_run_spec,
    read_runs,
    run_schema,
    write_runs,
)
from tests.helpers import DIGIT_PAIRS

EPOCH_COLUMNS = epoch_columns(DIGIT_PAIRS)


def run_frame(epochs=3, seed=0, **overrides):
    rows = [
        {
            "epoch": epoch,
            "train_loss": 1.0 / epoch,
            "train_comparison_loss": 0.9 / epoch,
            "train_accuracy": 0.5 + 0.1 * epoch,
            "test_comparison_loss": 1.1 / epoch,
            "test_accuracy": 0.5 + 0.05 * epoch + 0.01 * seed,
            "test_digit_accuracy": None,
            "validation_accuracy": None,
            "validation_comparison_loss": None,
            "epoch_seconds": 0.1,
            "learning_rate": 1e-3,
        }
        for epoch in range(1, epochs + 1)
    ]
    frame = pd.DataFrame(rows)
    identity = {
        "study": "s",
        "config": "mlp",
        "architecture": "mlp",
        "seed": seed,
        "factors": "{}",
        "hyperparameters": "{}",
        "config_hash": "abc",
        "parameter_count": 10,
        "device": "cpu",
        "torch_version": "x",
        "status": "ok",
        "message": "",
    }
    identity.update(overrides)
    for key, value in identity.items():
        frame[key] = value
    return frame


def block(*seeds, **overrides):
    return pd.concat([run_frame(seed=seed, **overrides) for seed in seeds], ignore_index=True)


def test_write_then_read_round_trip_with_several_seeds(tmp_path):
    path = write_runs(
        block(0, 1), tmp_path / "block0.parquet", DIGIT_PAIRS, misclassified={1: [{"index": 4}]}, metadata={"x": 1}
    )
    table = read_runs(path, RunIdentity("s", "mlp", (0, 1), "abc"))
    assert list(table.columns) == run_schema(DIGIT_PAIRS).names and len(table) == 6
    assert read_run_spec(path) == DIGIT_PAIRS
    assert table.loc[table["seed"] == 1, "test_accuracy"].tolist() == pytest.approx([0.56, 0.61, 0.66])
    assert read_run_metadata(path)["misclassified"] == {"1": [{"index": 4}]} and read_metadata(path)["x"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["block0.parquet"]  # no temporary left behind


@pytest.mark.parametrize(
    "expected, message",
    [
        (RunIdentity("s", "mlp", (0, 2), "abc"), r"holds study 's', configuration 'mlp', seeds \[0, 1\]"),
        (RunIdentity("s", "cnn", (0, 1), "abc"), r"expected study 's', configuration 'cnn'"),
        (RunIdentity("other", "mlp", (0, 1), "abc"), r"expected study 'other'"),
        (RunIdentity("s", "mlp", (0, 1), "def"), r"config hash abc; expected .* config hash def"),
    ],
)
def test_a_file_that_is_not_the_one_asked_for_is_refused_naming_both(tmp_path, expected, message):
    path = write_runs(block(0, 1), tmp_path / "block0.parquet", DIGIT_PAIRS)
    with pytest.raises(RunFileError, match=message):
        read_runs(path, expected)


@pytest.mark.parametrize(
    "frame, message",
    [
        (run_frame().drop(columns=["test_accuracy"]), "missing columns"),
        (run_frame().assign(extra=1), "unknown columns"),
        (run_frame().iloc[0:0], "no runs"),
        (run_frame().assign(status="weird"), "status 'weird'"),
        (run_frame().assign(test_accuracy=93.0), "fraction"),
        (run_frame().assign(epoch=[1, 3, 4]), "epochs must be"),
        (pd.concat([run_frame(seed=0), run_frame(seed=1, config="cnn")]), "differs between runs"),
        (pd.concat([run_frame(seed=0), run_frame(seed=0)]), "epochs must be"),
    ],
)
def test_invalid_tables_are_refused_on_write(tmp_path, frame, message):
    with pytest.raises(RunFileError, match=message):
        write_runs(frame, tmp_path / "run.parquet", DIGIT_PAIRS)
    assert not (tmp_path / "run.parquet").exists()


def test_failed_write_leaves_no_file_and_keeps_old_one(tmp_path, monkeypatch):
    path = write_runs(run_frame(), tmp_path / "run.parquet", DIGIT_PAIRS)
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("pairstudy.metrics.parquet.pq.write_table", explode)
    with pytest.raises(KeyboardInterrupt):
        write_runs(run_frame(epochs=5), path, DIGIT_PAIRS)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["run.parquet"]


def test_partial_and_missing_files_are_refused_on_read_with_the_fix(tmp_path):
    path = write_runs(run_frame(), tmp_path / "run.parquet", DIGIT_PAIRS)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(RunFileError, match=r"not a readable Parquet file.*Delete it and run the workflow again"):
        read_runs(path)
    with pytest.raises(RunFileError, match="the run file is missing"):
        read_runs(tmp_path / "absent.parquet")


def test_written_files_get_the_usual_permissions(tmp_path):
    mask = os.umask(0o027)
    try:
        path = write_runs(run_frame(), tmp_path / "run.parquet", DIGIT_PAIRS)
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o640


def test_failed_run_is_one_row_at_epoch_zero(tmp_path):
    failed = run_frame(epochs=1, status="failed", message="ValueError: boom").assign(
        epoch=0, **{name: None for name in EPOCH_COLUMNS if name != "epoch"}
    )
    table = read_runs(write_runs(failed, tmp_path / "failed.parquet", DIGIT_PAIRS))
    assert table["status"].iloc[0] == "failed" and table["message"].iloc[0] == "ValueError: boom"
    with pytest.raises(RunFileError, match="one row, epoch 0"):
        write_runs(run_frame(epochs=2, status="failed"), tmp_path / "bad.parquet", DIGIT_PAIRS)


def test_an_epoch_row_has_exactly_the_epoch_columns():
    values = {name: 0.5 for name in EPOCH_COLUMNS} | {"epoch": 3}
    assert list(epoch_row(DIGIT_PAIRS, **values)) == list(EPOCH_COLUMNS)
    with pytest.raises(ValueError, match=r"lacks \['learning_rate'\] and has unknown \['lr'\]"):
        epoch_row(DIGIT_PAIRS, **{key: value for key, value in values.items() if key != "learning_rate"}, lr=0.1)
