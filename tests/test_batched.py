"""Seeds trained together as one vectorised model equal the same seeds trained alone."""

import numpy as np
import pandas as pd
import pytest

from pairstudy.metrics import read_run
from pairstudy.models import ARCHITECTURES
from pairstudy.study import expand_configurations, validate_config
from pairstudy.study.jobs import seed_blocks
from pairstudy.train import checkpoint_path_for, train_run, train_runs_batched, train_seed_block


def hyperparameters(architecture, epochs=2, n_pairs=200, **training):
    model = training.pop("model", {})
    study = {
        "factors": {"architecture": [architecture]},
        "training": {"epochs": epochs, "batch_size": 50, **training, "model": model},
        "data": {"n_pairs": n_pairs},
    }
    (configuration,) = expand_configurations("t", validate_config({"studies": {"t": study}})["studies"]["t"])
    return configuration.hyperparameters


def no_dropout(architecture):
    return {"dropout": 0.0} if "dropout" in ARCHITECTURES[architecture].factors else {}


@pytest.mark.parametrize("architecture", ["mlp", "cnn", "twin", "auxnet", "siamese", "lenet", "linear"])
def test_a_seed_inside_a_batch_equals_the_seed_alone(architecture):
    hp = hyperparameters(
        architecture, aux=True, weight_decay=1e-4, lr_step=1, lr_gamma=0.5, model=no_dropout(architecture)
    )
    seeds = [0, 1, 2]
    together = train_runs_batched(hp, seeds)
    for seed, batched in zip(seeds, together):
        alone = pd.DataFrame(train_run(hp, seed).rows)
        inside = pd.DataFrame(batched.rows)
        assert batched.status == "ok" and len(inside) == len(alone)
        assert inside["learning_rate"].tolist() == alone["learning_rate"].tolist()
        for column in ("train_loss", "test_loss"):
            np.testing.assert_allclose(inside[column], alone[column], rtol=2e-3, atol=2e-4)
        for column in ("train_accuracy", "test_accuracy", "test_digit_accuracy"):
            np.testing.assert_allclose(inside[column].astype(float), alone[column].astype(float), atol=0.011)


def test_first_epoch_matches_to_float_precision():
    hp = hyperparameters("twin", epochs=1, aux=True, model={"dropout": 0.0})
    (batched,) = train_runs_batched(hp, [4])
    alone = train_run(hp, 4).rows[0]
    assert batched.rows[0]["train_loss"] == pytest.approx(alone["train_loss"], rel=1e-5)
    assert batched.rows[0]["test_accuracy"] == pytest.approx(alone["test_accuracy"], abs=1e-6)


def test_with_dropout_the_batch_mean_matches_lone_runs_within_noise():
    hp = hyperparameters("twin", epochs=4, n_pairs=300, aux=True)
    seeds = list(range(10))
    batched = np.array([result.rows[-1]["test_accuracy"] for result in train_runs_batched(hp, seeds)])
    alone = np.array([train_run(hp, seed).rows[-1]["test_accuracy"] for seed in seeds])
    noise = np.sqrt(batched.var(ddof=1) / len(seeds) + alone.var(ddof=1) / len(seeds))
    assert abs(batched.mean() - alone.mean()) < 3 * noise + 0.01


def test_diverged_member_does_not_disturb_the_others():
    hp = hyperparameters("mlp", optimizer="sgd", lr=1e30, epochs=3, model={"batch_norm": False, "dropout": 0.0})
    results = train_runs_batched(hp, [0, 1])
    assert all(result.status == "diverged" for result in results)
    ok = hyperparameters("mlp", epochs=2)
    assert all(result.status == "ok" for result in train_runs_batched(ok, [0, 1]))


@pytest.mark.parametrize("vectorise", [False, True])
def test_seed_block_writes_one_parquet_per_seed(tmp_path, vectorise):
    hp = hyperparameters("twin", aux=True)
    outputs = [tmp_path / f"seed{seed}.parquet" for seed in (0, 1)]
    block = dict(study="t", config="twin-aux", factors={"aux": True}, hyperparameters=hp, vectorise=vectorise)
    train_seed_block(outputs, seeds=[0, 1], **block)
    tables = [read_run(path) for path in outputs]
    assert [table["seed"].iloc[0] for table in tables] == [0, 1]
    assert all(len(table) == 2 for table in tables)


def test_a_restarted_block_does_not_train_its_finished_seeds_again(tmp_path):
    hp = hyperparameters("twin", aux=True, epochs=3)
    outputs = [tmp_path / f"seed{seed}.parquet" for seed in (0, 1)]
    block = dict(
        seeds=[0, 1], study="t", config="twin-aux", factors={"aux": True}, hyperparameters=hp, checkpoint_every=1
    )

    def interrupt_after_seed_0(seed, result):
        if seed == 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_seed_block(outputs, on_run=interrupt_after_seed_0, **block)
    first_try = read_run(outputs[0])
    assert checkpoint_path_for(outputs[0]).exists()
    outputs[0].unlink()  # Snakemake deletes every output of a job it runs again
    resumed_from = {}
    train_seed_block(
        outputs, on_run=lambda seed, result: resumed_from.update({seed: result.resumed_from_epoch}), **block
    )
    assert resumed_from == {0: 3, 1: 0}
    pd.testing.assert_frame_equal(read_run(outputs[0]), first_try)
    assert not any(checkpoint_path_for(out).exists() for out in outputs)


def test_seed_blocks_are_fixed_by_seed_value():
    assert seed_blocks([0, 1, 2, 3, 4], 2) == [[0, 1], [2, 3], [4]]
    # adding seeds 5..9 leaves the finished blocks as they were
    assert seed_blocks(list(range(10)), 2)[:2] == [[0, 1], [2, 3]]
    assert seed_blocks([7, 3], 1) == [[3], [7]]


@pytest.mark.parametrize("seeds, vectorise", [([0], None), ([0, 1], False), ([0, 1], True)])
def test_a_raising_run_is_recorded_as_failed(tmp_path, seeds, vectorise):
    hp = hyperparameters("cnn", model={"channels": [8, 16, 32]})
    outputs = [tmp_path / f"seed{seed}.parquet" for seed in seeds]
    block = dict(seeds=seeds, study="t", config="cnn", factors={}, hyperparameters=hp, vectorise=vectorise)
    with pytest.raises(ValueError, match="shrink"):
        train_seed_block(outputs, **block)
    train_seed_block(outputs, record_failures=True, **block)
    for path in outputs:
        table = read_run(path)
        assert table["status"].iloc[0] == "failed" and "shrink a 14x14 input" in table["message"].iloc[0]
