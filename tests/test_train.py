"""The plain training loop: deterministic rows of every epoch column, train metrics from the pass or an eval pass,
divergence, and no default supplied for a setting the configuration uses."""

import copy
import math
import re

import numpy as np
import pandas as pd
import pytest
import torch

from pairstudy.metrics import epoch_columns
from pairstudy.tasks.digit_pairs import DigitPairs
from pairstudy.train import train_run
from tests.helpers import frame, hyperparameters, quiet

pytestmark = pytest.mark.usefixtures("one_thread")  # one thread, as a job trains by default


def test_the_same_seed_gives_identical_rows_and_other_seeds_differ():
    hp = hyperparameters("twin", epochs=3, aux=True, lr_step=2, model={"dropout": 0.25})
    first, again, other = (frame(train_run(hp, seed, device="cpu", log=quiet)) for seed in (1, 1, 2))
    pd.testing.assert_frame_equal(first, again)
    assert not first["test_comparison_loss"].equals(other["test_comparison_loss"])


@pytest.mark.parametrize("aux", [False, True])
@pytest.mark.parametrize("dropout", [0.0, 0.25])
def test_train_metrics_from_an_eval_pass_leave_training_unchanged(aux, dropout):
    hp = hyperparameters("twin", epochs=3, aux=aux, lr_step=1, lr_gamma=0.5, model={"dropout": dropout})
    from_pass = frame(train_run(hp, 3, device="cpu", log=quiet))
    from_eval = frame(train_run({**hp, "train_metrics": "eval"}, 3, device="cpu", log=quiet))
    # the eval pass draws no random number and updates no batch-norm statistic: training is the same
    same = ["epoch", "train_loss", "test_comparison_loss", "test_accuracy", "test_digit_accuracy", "learning_rate"]
    pd.testing.assert_frame_equal(from_pass[same], from_eval[same])
    assert from_pass["learning_rate"].tolist() == [1e-3, 5e-4, 2.5e-4]
    # ... while the train accuracy and comparison loss are measured another way (eval mode, after the step)
    assert not from_pass["train_comparison_loss"].equals(from_eval["train_comparison_loss"])
    if not aux:  # the objective's batch means against the mean of per-example losses: equal to float tolerance
        np.testing.assert_allclose(from_pass["train_loss"], from_pass["train_comparison_loss"], rtol=1e-5)
    # the digit outputs are measured only where the digit losses train them
    assert from_pass["test_digit_accuracy"].isna().all() != aux


FRACTIONS = ("validation_accuracy", "test_accuracy", "test_digit_accuracy", "train_accuracy")


def test_rows_hold_every_epoch_column():
    twin = train_run(hyperparameters("twin", aux=True, validation_pairs=40), 0, device="cpu", log=quiet)
    mlp = train_run(hyperparameters("mlp"), 0, device="cpu", log=quiet)
    for result in (twin, mlp):
        assert result.status == "ok" and result.device == "cpu"
        assert [list(row) for row in result.rows] == [list(epoch_columns(DigitPairs.spec()))] * 2
        assert [row["epoch"] for row in result.rows] == [1, 2]
    row = twin.rows[-1]
    assert all(isinstance(row[name], float) and 0 <= row[name] <= 1 for name in FRACTIONS)
    assert twin.parameter_count == 9_574
    assert row["train_loss"] != row["train_comparison_loss"]  # with aux the objective holds the digit losses
    assert mlp.rows[-1]["test_digit_accuracy"] is None and mlp.rows[-1]["validation_accuracy"] is None
    # a twin trained without the digit losses has digit outputs, but an untrained head's accuracy means nothing
    plain = train_run(hyperparameters("twin", epochs=1, n_pairs=60), 0, device="cpu", log=quiet)
    assert plain.rows[-1]["test_digit_accuracy"] is None and isinstance(plain.rows[-1]["test_accuracy"], float)


def test_a_non_finite_loss_ends_the_run_as_diverged():
    hp = hyperparameters("mlp", optimizer="sgd", lr=1e30, epochs=6, model={"batch_norm": False, "dropout": 0.0})
    seen = []
    result = train_run(hp, 0, device="cpu", on_epoch=seen.append, log=quiet)
    assert result.status == "diverged" and 1 <= len(result.rows) < 6
    assert not math.isfinite(result.rows[-1]["train_loss"])
    assert all(math.isfinite(row["train_loss"]) for row in result.rows[:-1])
    assert seen == result.rows and result.misclassified == []
    assert result.summary().startswith("diverged on cpu")


USED_KEYS = [
    ({"optimizer": "sgd", "momentum": 0.9}, "momentum"),
    ({"aux": True}, "aux_weight"),
    ({"lr_step": 1}, "lr_gamma"),
    ({}, "train_metrics"),
    ({}, "repair_pairs"),
    ({}, "weight_decay"),
]


@pytest.mark.parametrize("settings, key", USED_KEYS, ids=[key for _, key in USED_KEYS])
def test_no_default_is_supplied_for_a_used_setting(settings, key):
    hp = hyperparameters("twin", epochs=1, n_pairs=60, **settings)
    assert key in hp
    del hp[key]
    with pytest.raises(KeyError, match=key):
        train_run(hp, 0, device="cpu", log=quiet)


def test_settings_a_configuration_does_not_use_are_absent_and_not_needed():
    hp = hyperparameters("mlp", epochs=1, n_pairs=60, aux=True)
    assert not {"momentum", "aux_weight", "lr_gamma"} & hp.keys() and hp["aux"] is False
    assert train_run(hp, 0, device="cpu", log=quiet).status == "ok"


def test_the_objective_weighs_target_and_digit_losses():
    task = DigitPairs(hyperparameters("twin", aux=True, aux_weight=0.2))
    assert task.aux_weight() == 0.2 and DigitPairs(hyperparameters("twin")).aux_weight() is None
    torch.manual_seed(0)
    logits, digits = torch.randn(6, 2), torch.randn(6, 2, 10)
    target, classes = torch.randint(0, 2, (6,)), torch.randint(0, 10, (6, 2))
    batch = {"input": torch.randn(6, 2, 14, 14), "target": target, "classes": classes}
    cross_entropy = torch.nn.functional.cross_entropy
    target_loss = cross_entropy(logits, target)
    plain = task.objective((logits, digits), batch, None)
    weighted = task.objective((logits, digits), batch, task.aux_weight())
    digit_losses = cross_entropy(digits[:, 0], classes[:, 0]) + cross_entropy(digits[:, 1], classes[:, 1])
    expected = 0.2 * target_loss + 0.4 * digit_losses
    assert torch.equal(plain, target_loss) and torch.equal(task.objective((logits, None), batch, None), target_loss)
    assert torch.isclose(weighted, expected)
    assert torch.isclose(task.objective((logits, digits), batch, 1.0), target_loss)
    # a vectorised stack passes one weight per member: the same objective, elementwise
    assert torch.isclose(task.objective((logits, digits), batch, torch.tensor(0.2)), expected)


def test_a_cuda_request_without_a_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        train_run(hyperparameters("mlp", epochs=1, n_pairs=60), 0, device="cuda", log=quiet)


MISCLASSIFIED_LABEL = re.compile(r"(\d) vs (\d): target ([01]), predicted ([01]) \(read (\d) vs (\d)\)")


def test_a_finished_run_names_its_misclassified_test_pairs():
    result = train_run(hyperparameters("twin", aux=True), 0, device="cpu", log=quiet)
    wrong = round((1 - result.rows[-1]["test_accuracy"]) * 100)
    assert len(result.misclassified) == min(16, wrong) > 0
    first = result.misclassified[0]
    assert set(first) == {"images", "shape", "label"} and first["shape"] == [14, 14]
    first_digit, second_digit, target, predicted, *_ = MISCLASSIFIED_LABEL.fullmatch(first["label"]).groups()
    assert predicted != target and int(target) == int(int(first_digit) <= int(second_digit))
    pixels = [pixel for image in first["images"] for pixel in image]
    assert len(first["images"]) == 2 and all(len(image) == 14 * 14 for image in first["images"])
    assert 0 <= min(pixels) and max(pixels) <= 255 and max(pixels) > 100


def test_training_leaves_the_hyperparameters_alone():
    hp = hyperparameters("twin", epochs=1, n_pairs=60, aux=True)
    before = copy.deepcopy(hp)
    train_run(hp, 0, device="cpu", log=quiet)
    assert hp == before


def test_on_the_cpu_convolutions_train_channels_last_with_the_same_function():
    from pairstudy.models import create_model
    from pairstudy.train.loop import in_training_layout

    torch.manual_seed(0)
    contiguous = create_model("cnn").eval()
    trained = in_training_layout(copy.deepcopy(contiguous), torch.device("cpu"))
    convolutions = [module for module in trained.modules() if isinstance(module, torch.nn.Conv2d)]
    assert convolutions and all(c.weight.is_contiguous(memory_format=torch.channels_last) for c in convolutions)
    assert not all(c.weight.is_contiguous() for c in convolutions)
    pairs = torch.randn(8, 2, 14, 14)
    with torch.no_grad():
        torch.testing.assert_close(trained(pairs)[0], contiguous(pairs)[0])
    assert in_training_layout(create_model("mlp"), torch.device("cpu"))(pairs)[0].shape == (8, 2)
