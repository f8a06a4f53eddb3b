"""Members trained together as one vectorised model equal the same members trained alone: seeds of one
configuration, and configurations that differ only in their per-member settings or dropout rate."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch.func import vmap

import pairstudy
from pairstudy.train import Member, train_run, train_vectorised
from pairstudy.train.checkpoint import save_checkpoint
from pairstudy.train.vectorised import MemberDropout
from tests.helpers import assert_same_run, frame, hyperparameters, quiet

ARCHITECTURES = ["mlp", "cnn", "twin", "auxnet", "siamese", "lenet", "linear"]

pytestmark = pytest.mark.usefixtures("one_thread")  # one thread, as a job trains by default


def alone(member: Member):
    return train_run(member.hyperparameters, member.seed, device="cpu", log=quiet)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_seeds_trained_together_equal_the_seeds_trained_alone(architecture):
    hp = hyperparameters(architecture, aux=True, weight_decay=1e-4, lr_step=1, lr_gamma=0.5, model={"dropout": 0.0})
    members = [Member(hp, seed) for seed in (0, 1, 2)]
    together = train_vectorised(members, device="cpu", log=quiet)
    for member, inside in zip(members, together):
        assert_same_run(inside, alone(member))
    assert together[0].rows[0]["train_loss"] == pytest.approx(alone(members[0]).rows[0]["train_loss"], rel=1e-4)


def twin(**settings):
    return hyperparameters("twin", **{"aux": True, **settings, "model": {"dropout": 0.0}})


def test_configurations_that_differ_in_adam_settings_train_together_as_they_would_alone():
    members = [
        Member(twin(), 0),
        Member(twin(lr=3e-3), 1),
        Member(twin(weight_decay=1e-3), 2),
        Member(twin(aux=False), 0),
        Member(twin(aux_weight=0.6), 1),
        Member(twin(lr_step=1, lr_gamma=0.5), 2),
    ]
    assert "aux_weight" not in members[3].hyperparameters and "lr_gamma" in members[5].hyperparameters
    for member, inside in zip(members, train_vectorised(members, device="cpu", log=quiet)):
        assert_same_run(inside, alone(member))


def test_configurations_that_differ_in_sgd_settings_train_together_as_they_would_alone():
    members = [
        Member(twin(optimizer="sgd", lr=0.05, momentum=0.0), 0),
        Member(twin(optimizer="sgd", lr=0.05, momentum=0.9), 0),
        Member(twin(optimizer="sgd", lr=0.02, momentum=0.5, weight_decay=1e-3), 1),
        Member(twin(optimizer="sgd", lr=0.05, momentum=0.9, lr_step=2, lr_gamma=0.1, aux=False), 2),
    ]
    for member, inside in zip(members, train_vectorised(members, device="cpu", log=quiet)):
        assert_same_run(inside, alone(member))


def test_train_metrics_from_an_eval_pass_and_validation_pairs_match_lone_runs():
    hp = hyperparameters("mlp", train_metrics="eval", validation_pairs=40, model={"dropout": 0.0})
    members = [Member(hp, seed) for seed in (0, 1)]
    for member, inside in zip(members, train_vectorised(members, device="cpu", log=quiet)):
        assert inside.rows[-1]["validation_accuracy"] is not None
        assert_same_run(inside, alone(member), validation_pairs=40)


@pytest.mark.parametrize("architecture", ["mlp", "linear", "twin"])
@pytest.mark.parametrize("rates", [(0.0, 0.3, 0.6), (0.3, 0.0)], ids=["p0-first", "p0-later"])
def test_members_with_their_own_dropout_rates(architecture, rates):
    """A member without dropout trains as it would alone; the others do drop units, each at its own rate."""
    members = [Member(hyperparameters(architecture, model={"dropout": rate}), 0) for rate in rates]
    together = train_vectorised(members, device="cpu", log=quiet)
    without = rates.index(0.0)
    lone = alone(members[without])
    assert_same_run(together[without], lone)
    losses = [tuple(row["train_loss"] for row in result.rows) for result in together]
    assert len(set(losses)) == len(rates)  # every rate gives its own training, none equals the p = 0 run
    assert all(result.status == "ok" for result in together)


def test_member_dropout_drops_each_members_own_fraction():
    dropout = MemberDropout()
    rates = torch.tensor([0.0, 0.5, 0.9])
    x = torch.ones(3, 20_000)
    out = vmap(lambda p, row: torch.func.functional_call(dropout, {"p": p}, (row,)), randomness="different")(rates, x)
    kept = (out != 0).float().mean(1)
    assert torch.allclose(kept, 1 - rates, atol=0.02)
    assert torch.allclose(out.sum(1) / kept.new_tensor(20_000), torch.ones(3), atol=0.1)
    assert torch.equal(out[0], x[0])
    dropout.eval()
    assert torch.equal(dropout(x), x)


def test_with_equal_dropout_the_members_mean_matches_lone_runs_within_noise():
    hp = hyperparameters("linear", epochs=3, model={"dropout": 0.3})
    seeds = range(6)
    members = train_vectorised([Member(hp, seed) for seed in seeds], device="cpu", log=quiet)
    together = np.array([result.rows[-1]["test_comparison_loss"] for result in members])
    apart = np.array([alone(Member(hp, seed)).rows[-1]["test_comparison_loss"] for seed in seeds])
    noise = np.sqrt(together.var(ddof=1) / len(seeds) + apart.var(ddof=1) / len(seeds))
    assert abs(together.mean() - apart.mean()) < 3 * noise + 0.01
    assert not np.allclose(together, apart, rtol=1e-3)  # each member draws its own masks, not its lone run's


def test_two_members_alike_in_everything_draw_their_own_dropout_masks():
    def losses(rate):
        twins = [Member(hyperparameters("linear", model={"dropout": rate}), 0)] * 2
        return [[row["train_loss"] for row in result.rows] for result in train_vectorised(twins, log=quiet)]

    with_dropout, without = losses(0.3), losses(0.0)
    np.testing.assert_allclose(*without, rtol=1e-5)  # the same member twice: the same training, to float noise
    assert not np.allclose(*with_dropout, rtol=1e-3)


def test_a_diverged_member_does_not_disturb_the_others():
    def mlp(lr):
        return hyperparameters("mlp", optimizer="sgd", lr=lr, epochs=3, model={"batch_norm": False, "dropout": 0.0})

    members = [Member(mlp(1e30), 0), Member(mlp(0.01), 0), Member(mlp(0.01), 1)]
    seen = []
    results = train_vectorised(members, device="cpu", on_epoch=lambda epoch, rows: seen.append(rows), log=quiet)
    assert results[0].status == "diverged" and len(results[0].rows) < 3 and results[0].misclassified == []
    assert seen[-1][0] is None and all(rows[1] is not None for rows in seen)
    for member, inside in zip(members[1:], results[1:]):
        assert_same_run(inside, alone(member))


REFUSED = {
    "architecture": (hyperparameters("cnn"), "differ in more than"),
    "batch size": (hyperparameters("mlp", batch_size=20), "differ in more than"),
    "optimizer": (hyperparameters("mlp", optimizer="sgd"), "differ in more than"),
    "model knob": (hyperparameters("mlp", model={"hidden": [32]}), "differ in more than"),
    "data": (hyperparameters("mlp", n_pairs=60), "differ in more than"),
    "epochs": (hyperparameters("mlp", epochs=3), "differ in more than"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_members_that_cannot_stack_are_refused(name):
    other, message = REFUSED[name]
    with pytest.raises(ValueError, match=message):
        train_vectorised([Member(hyperparameters("mlp"), 0), Member(other, 1)], device="cpu", log=quiet)


def test_augmented_configurations_and_empty_stacks_are_refused():
    augmented = hyperparameters("twin", augment_swap=True)
    with pytest.raises(ValueError, match="augmented configurations train in the plain loop"):
        train_vectorised([Member(augmented, 0), Member(augmented, 1)], device="cpu", log=quiet)
    with pytest.raises(ValueError, match="no members"):
        train_vectorised([], device="cpu", log=quiet)


def mixed_group():
    """Members whose stacked state holds every kind of per-member setting: momentum, schedule, dropout rates."""

    def mlp(**settings):
        model = {"hidden": [64, 32], **settings.pop("model")}
        return hyperparameters("mlp", epochs=4, optimizer="sgd", lr=0.05, model=model, **settings)

    return [
        Member(mlp(momentum=0.9, model={"dropout": 0.0}), 0),
        Member(mlp(momentum=0.5, lr_step=1, lr_gamma=0.5, model={"dropout": 0.3}), 1),
        Member(mlp(momentum=0.0, weight_decay=1e-3, model={"dropout": 0.1}), 2),
    ]


def stop_after_epoch(last: int):
    """An on_epoch that interrupts training as an interrupted process would, once epoch `last` is done."""

    def on_epoch(epoch, rows):
        if epoch == last:
            raise KeyboardInterrupt

    return on_epoch


def test_a_stopped_group_resumes_from_its_checkpoint_to_the_same_result(tmp_path):
    members = mixed_group()
    whole = train_vectorised(members, device="cpu", log=quiet)
    checkpoint = tmp_path / "group.ckpt"
    with pytest.raises(KeyboardInterrupt):
        train_vectorised(members, checkpoint=checkpoint, checkpoint_every=2, on_epoch=stop_after_epoch(3), log=quiet)
    resumed = train_vectorised(members, device="cpu", checkpoint=checkpoint, checkpoint_every=2, log=quiet)
    for result, uninterrupted in zip(resumed, whole):
        assert result.resumed_from_epoch == 2
        pd.testing.assert_frame_equal(frame(result), frame(uninterrupted))
        assert result.misclassified == uninterrupted.misclassified
    # the checkpoint belongs to exactly these members: another seed order starts over
    lines = []
    reordered = train_vectorised(members[::-1], checkpoint=checkpoint, checkpoint_every=2, log=lines.append)
    assert reordered[0].resumed_from_epoch == 0 and any("belongs to" in line for line in lines)


def test_a_group_checkpoint_that_does_not_fit_is_moved_aside_and_the_group_starts_over(tmp_path):
    members = [Member(hyperparameters("linear", epochs=3), seed) for seed in (0, 1)]
    checkpoint = tmp_path / "group.ckpt"
    with pytest.raises(KeyboardInterrupt):
        train_vectorised(members, checkpoint=checkpoint, checkpoint_every=1, on_epoch=stop_after_epoch(2), log=quiet)
    saved = torch.load(checkpoint, weights_only=True)
    name = next(iter(saved["state"]["params"]))
    saved["state"]["params"][name] = saved["state"]["params"][name][:1]  # one member's worth: other code's stack
    save_checkpoint(checkpoint, saved["owner"], saved["state"])
    lines = []
    results = train_vectorised(members, device="cpu", checkpoint=checkpoint, checkpoint_every=1, log=lines.append)
    assert any("does not fit these members" in line for line in lines) and (tmp_path / "group.ckpt.corrupt").exists()
    whole = train_vectorised(members, device="cpu", log=quiet)
    for result, uninterrupted in zip(results, whole):
        assert result.resumed_from_epoch == 0
        pd.testing.assert_frame_equal(frame(result), frame(uninterrupted))


GROUP_SCRIPT = """
import json, sys, time
import torch
from tests.test_vectorised import mixed_group
from pairstudy.train import train_vectorised

torch.set_num_threads(1)
checkpoint, out, pause = sys.argv[1] or None, sys.argv[2], float(sys.argv[3])
results = train_vectorised(
    mixed_group(), device="cpu", checkpoint=checkpoint, checkpoint_every=1 if checkpoint else 0,
    on_epoch=lambda epoch, rows: time.sleep(pause), log=lambda line: print(line, flush=True),
)
rows = [[{{k: v for k, v in row.items() if k != "epoch_seconds"}} for row in r.rows] for r in results]
json.dump({{"rows": rows, "resumed": [r.resumed_from_epoch for r in results]}}, open(out, "w"))
"""


def test_a_killed_group_resumes_from_its_checkpoint_to_the_same_result(tmp_path):
    script = tmp_path / "group.py"
    script.write_text(GROUP_SCRIPT.format())
    checkpoint = tmp_path / "group.ckpt"
    env = {**os.environ, "PYTHONPATH": str(Path(pairstudy.__file__).parents[1])}  # this checkout's package

    def run(*arguments):
        subprocess.run([sys.executable, str(script), *arguments], check=True, capture_output=True, env=env)
        return json.loads((tmp_path / "out.json").read_text())

    whole = train_vectorised(mixed_group(), device="cpu", log=quiet)  # one thread, as in the script
    # pausing after each epoch leaves time to kill the group between its first checkpoint and its end
    killed = tmp_path / "killed.json"
    process = subprocess.Popen([sys.executable, str(script), str(checkpoint), str(killed), "1"], env=env)
    deadline = time.monotonic() + 60
    while not checkpoint.exists():
        assert process.poll() is None and time.monotonic() < deadline, "no checkpoint before the group ended"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    assert not killed.exists()

    resumed = run(str(checkpoint), str(tmp_path / "out.json"), "0")
    assert resumed["resumed"][0] >= 1
    assert resumed["rows"] == [
        [{k: v for k, v in row.items() if k != "epoch_seconds"} for row in r.rows] for r in whole
    ]
