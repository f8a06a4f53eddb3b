import os

import pandas as pd
import pytest

from pairstudy.metrics import RUN_SCHEMA, RunFileError, read_run, write_run


def run_frame(epochs=3, **overrides):
    rows = []
    for epoch in range(1, epochs + 1):
        rows.append(
            {
                "epoch": epoch,
                "train_loss": 1.0 / epoch,
                "train_accuracy": 0.5 + 0.1 * epoch,
                "test_loss": 1.1 / epoch,
                "test_accuracy": 0.5 + 0.05 * epoch,
                "test_digit_accuracy": None,
                "validation_accuracy": None,
                "epoch_seconds": 0.1,
                "learning_rate": 1e-3,
            }
        )
    frame = pd.DataFrame(rows)
    identity = {
        "study": "s",
        "config": "mlp",
        "architecture": "mlp",
        "seed": 0,
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


def test_write_then_read_round_trip(tmp_path):
    path = write_run(run_frame(), tmp_path / "run.parquet")
    table = read_run(path)
    assert list(table.columns) == RUN_SCHEMA.names
    assert table["test_accuracy"].tolist() == pytest.approx([0.55, 0.6, 0.65])
    assert [p.name for p in tmp_path.iterdir()] == ["run.parquet"]  # no temporary left behind


@pytest.mark.parametrize(
    "frame, message",
    [
        (run_frame(status="crashed"), "status"),
        (run_frame().drop(columns=["seed"]), "missing columns"),
        (run_frame().assign(extra=1), "unknown columns"),
        (run_frame().assign(test_accuracy=93.0), "fraction"),
        (run_frame().assign(epoch=[1, 3, 4]), "epochs must be"),
    ],
)
def test_invalid_tables_are_refused_on_write(tmp_path, frame, message):
    with pytest.raises(RunFileError, match=message):
        write_run(frame, tmp_path / "run.parquet")
    assert not (tmp_path / "run.parquet").exists()


def test_failed_write_leaves_no_file_and_keeps_old_one(tmp_path, monkeypatch):
    path = write_run(run_frame(), tmp_path / "run.parquet")
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("pairstudy.metrics.io.pq.write_table", explode)
    with pytest.raises(KeyboardInterrupt):
        write_run(run_frame(epochs=5), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["run.parquet"]


def test_partial_file_is_refused_on_read(tmp_path):
    path = write_run(run_frame(), tmp_path / "run.parquet")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(RunFileError, match="not a readable Parquet"):
        read_run(path)


def test_failed_run_is_one_row_at_epoch_zero(tmp_path):
    failed = run_frame(epochs=1, status="failed", message="ValueError: boom").assign(
        epoch=0,
        test_accuracy=None,
        train_accuracy=None,
        train_loss=None,
        test_loss=None,
        epoch_seconds=None,
        learning_rate=None,
        validation_accuracy=None,
    )
    table = read_run(write_run(failed, tmp_path / "failed.parquet"))
    assert table["status"].iloc[0] == "failed" and table["message"].iloc[0] == "ValueError: boom"
    with pytest.raises(RunFileError, match="one row, epoch 0"):
        write_run(run_frame(epochs=2, status="failed"), tmp_path / "bad.parquet")


def test_an_epoch_row_has_exactly_the_epoch_columns():
    from pairstudy.metrics import EPOCH_COLUMNS, epoch_row

    values = {name: 0.5 for name in EPOCH_COLUMNS} | {"epoch": 3}
    assert list(epoch_row(**values)) == list(EPOCH_COLUMNS)
    with pytest.raises(ValueError, match=r"lacks \['learning_rate'\] and has unknown \['lr'\]"):
        epoch_row(**{key: value for key, value in values.items() if key != "learning_rate"}, lr=0.1)
