"""Checkpoints of the plain loop: a resumed run equals an uninterrupted one; a checkpoint that is truncated, holds
code, or belongs to another run is never trusted."""

import os
import pickle
import re
from pathlib import Path

import pandas as pd
import pytest
import torch

import pairstudy
from pairstudy.metrics import hyperparameter_hash
from pairstudy.train import train_run
from pairstudy.train.checkpoint import load_checkpoint, save_checkpoint
from tests.helpers import frame, hyperparameters, quiet

pytestmark = pytest.mark.usefixtures("one_thread")  # one thread, as a job trains by default

CONFIGURATIONS = {
    "dropout-aux-schedule": dict(aux=True, lr_step=2, lr_gamma=0.5, model={"dropout": 0.25}),
    "augmented": dict(aux=True, augment_swap=True, augment_shift=1, repair_pairs=True),
    "sgd-momentum": dict(optimizer="sgd", lr=0.05, momentum=0.9, weight_decay=1e-4),
}


def configuration(name="dropout-aux-schedule"):
    return hyperparameters("linear", epochs=4, **CONFIGURATIONS[name])


def interrupted_after(epoch):
    """An on_epoch callback that stops training (as Ctrl-C would) once `epoch` has ended."""

    def stop(row):
        if row["epoch"] == epoch:
            raise KeyboardInterrupt

    return stop


def write_checkpoint_of_epoch_2(hp, seed, checkpoint):
    with pytest.raises(KeyboardInterrupt):
        train_run(hp, seed, device="cpu", checkpoint=checkpoint, checkpoint_every=2, on_epoch=interrupted_after(3))
    assert checkpoint.exists()


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path, name):
    hp = configuration(name)
    whole = train_run(hp, 5, device="cpu", log=quiet)
    checkpointed = train_run(hp, 5, device="cpu", checkpoint=tmp_path / "fresh.ckpt", checkpoint_every=2, log=quiet)
    pd.testing.assert_frame_equal(frame(checkpointed), frame(whole))  # saving disturbs nothing

    checkpoint = tmp_path / "run.ckpt"
    write_checkpoint_of_epoch_2(hp, 5, checkpoint)
    resumed = train_run(hp, 5, device="cpu", checkpoint=checkpoint, checkpoint_every=2, log=quiet)
    assert resumed.resumed_from_epoch == 2 and "resumed from epoch 2" in resumed.summary()
    pd.testing.assert_frame_equal(frame(resumed), frame(whole))
    assert resumed.misclassified == whole.misclassified


def test_without_checkpoint_every_a_checkpoint_is_neither_read_nor_written(tmp_path):
    hp = configuration()
    checkpoint = tmp_path / "run.ckpt"
    write_checkpoint_of_epoch_2(hp, 5, checkpoint)
    before = checkpoint.read_bytes()
    result = train_run(hp, 5, device="cpu", checkpoint=checkpoint, checkpoint_every=0, log=quiet)
    assert result.resumed_from_epoch == 0 and checkpoint.read_bytes() == before


def test_a_truncated_checkpoint_is_moved_aside_and_the_run_starts_over(tmp_path):
    hp = configuration()
    checkpoint = tmp_path / "run.ckpt"
    write_checkpoint_of_epoch_2(hp, 5, checkpoint)
    data = checkpoint.read_bytes()
    checkpoint.write_bytes(data[: len(data) // 2])
    lines = []
    result = train_run(hp, 5, device="cpu", checkpoint=checkpoint, checkpoint_every=2, log=lines.append)
    aside = tmp_path / "run.ckpt.corrupt"
    assert aside.read_bytes() == data[: len(data) // 2]
    assert [line for line in lines if str(checkpoint) in line and str(aside) in line and "starting over" in line]
    assert result.resumed_from_epoch == 0
    pd.testing.assert_frame_equal(frame(result), frame(train_run(hp, 5, device="cpu", log=quiet)))


class Payload:
    """Unpickling this runs a shell command that leaves a marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def write_plain_pickle(content, path):
    with open(path, "wb") as file:
        pickle.dump(content, file, protocol=2)


@pytest.mark.parametrize("save", [torch.save, write_plain_pickle], ids=["torch.save", "pickle"])
def test_a_checkpoint_holding_code_is_not_run_and_is_moved_aside(tmp_path, save):
    hp = configuration()
    marker = tmp_path / "payload-ran"
    owner = {"config_hash": hyperparameter_hash(hp), "seeds": [5]}
    checkpoint = tmp_path / "run.ckpt"
    save({"owner": owner, "state": Payload(marker)}, checkpoint)

    # the payload is live: an unrestricted load would run it
    control = tmp_path / "control.ckpt"
    save({"owner": owner, "state": Payload(marker)}, control)
    with open(control, "rb") as file:
        pickle.load(file) if save is write_plain_pickle else torch.load(file, weights_only=False)  # noqa: S301
    assert marker.exists()
    marker.unlink()

    lines = []
    result = train_run(hp, 5, device="cpu", checkpoint=checkpoint, checkpoint_every=2, log=lines.append)
    assert not marker.exists()
    assert (tmp_path / "run.ckpt.corrupt").exists() and any("run.ckpt.corrupt" in line for line in lines)
    assert result.status == "ok" and result.resumed_from_epoch == 0
    pd.testing.assert_frame_equal(frame(result), frame(train_run(hp, 5, device="cpu", log=quiet)))


def test_a_checkpoint_that_does_not_fit_the_model_is_moved_aside_and_the_run_starts_over(tmp_path):
    """A checkpoint of the same run saved by other code (here: a model state missing a tensor)."""
    hp = configuration()
    checkpoint = tmp_path / "run.ckpt"
    write_checkpoint_of_epoch_2(hp, 5, checkpoint)
    saved = torch.load(checkpoint, weights_only=True)
    saved["state"]["model"].popitem()
    save_checkpoint(checkpoint, saved["owner"], saved["state"])
    lines = []
    result = train_run(hp, 5, device="cpu", checkpoint=checkpoint, checkpoint_every=2, log=lines.append)
    assert (tmp_path / "run.ckpt.corrupt").exists() and any("does not fit this run" in line for line in lines)
    assert result.resumed_from_epoch == 0
    pd.testing.assert_frame_equal(frame(result), frame(train_run(hp, 5, device="cpu", log=quiet)))


@pytest.mark.parametrize("other", ["seed", "hyperparameters"])
def test_a_checkpoint_of_another_run_is_ignored(tmp_path, other):
    hp = configuration()
    checkpoint = tmp_path / "run.ckpt"
    if other == "seed":
        write_checkpoint_of_epoch_2(hp, 6, checkpoint)
    else:
        write_checkpoint_of_epoch_2({**hp, "lr": 0.01}, 5, checkpoint)
    lines = []
    result = train_run(hp, 5, device="cpu", checkpoint=checkpoint, checkpoint_every=2, log=lines.append)
    assert result.resumed_from_epoch == 0 and any("belongs to" in line for line in lines)
    assert not (tmp_path / "run.ckpt.corrupt").exists()
    pd.testing.assert_frame_equal(frame(result), frame(train_run(hp, 5, device="cpu", log=quiet)))


def test_checkpoints_round_trip_plain_data_and_name_their_owner(tmp_path):
    owner = {"config_hash": "abc", "seeds": [1, 2]}
    state = {"tensor": torch.arange(3.0), "rows": [{"epoch": 1, "x": None}], "flag": torch.tensor([True, False])}
    path = tmp_path / "a.ckpt"
    save_checkpoint(path, owner, state)
    loaded = load_checkpoint(path, owner, quiet)
    assert torch.equal(loaded["tensor"], state["tensor"]) and loaded["rows"] == state["rows"]
    assert load_checkpoint(path, {**owner, "seeds": [1]}, quiet) is None and path.exists()
    assert load_checkpoint(tmp_path / "missing.ckpt", owner, quiet) is None
    assert [p.name for p in tmp_path.iterdir()] == ["a.ckpt"]  # no temporary file left behind


def test_every_torch_load_in_the_package_refuses_code():
    root = Path(pairstudy.__file__).parent
    sources = {path: path.read_text() for path in root.rglob("*.py")}
    assert not [path for path, text in sources.items() if "weights_only=False" in text]
    calls = [(path, call) for path, text in sources.items() for call in re.findall(r"torch\.load\([^)]*\)", text)]
    assert calls and all("weights_only=True" in call for _, call in calls)
    assert not [path for path, text in sources.items() if re.search(r"\bpickle\.loads?\(|allow_pickle=True", text)]
