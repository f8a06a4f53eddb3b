"""Pair-level augmentation: swapped digits, shifted digits, new pairings, validation pairs; augmented runs stay
deterministic and train seed after seed."""

import pandas as pd
import pytest
import torch

from pairstudy.data import generate_pair_sets, load_pools
from pairstudy.tasks.digit_pairs.augment import augment_batch, repaired, uses_augmentation
from pairstudy.train import train_run
from pairstudy.train.block import trains_together
from tests.helpers import frame, hyperparameters, quiet

pytestmark = pytest.mark.usefixtures("one_thread")  # one thread, as a job trains by default


def pair_sets(validation=0):
    return generate_pair_sets(300, 1, load_pools("mnist5k"), validation=validation)


def test_validation_pairs_use_other_train_pool_digits_and_leave_training_pairs_alone():
    plain, with_validation = pair_sets(), pair_sets(validation=100)
    assert torch.equal(plain.train.input, with_validation.train.input) and torch.equal(
        plain.test.input, with_validation.test.input
    )
    training = {digit.numpy().tobytes() for digit in with_validation.train.input.reshape(-1, 14, 14)}
    held_out = {digit.numpy().tobytes() for digit in with_validation.validation.input.reshape(-1, 14, 14)}
    assert (
        len(with_validation.validation.target) == 100 and len(training & held_out) <= 2
    )  # the embedded set repeats a few images


def batch_of(pairs) -> dict:
    return {"input": pairs.input, "target": pairs.target, "classes": pairs.classes}


def test_swap_recomputes_the_target_from_the_swapped_classes():
    pairs = pair_sets().train
    augmented = augment_batch(
        batch_of(pairs), {"augment_swap": True, "augment_shift": 0}, torch.Generator().manual_seed(0)
    )
    x, target, classes = augmented["input"], augmented["target"], augmented["classes"]
    swapped = (classes != pairs.classes).any(1)
    assert 0.3 < swapped.float().mean() < 0.7
    assert torch.equal(target, (classes[:, 0] <= classes[:, 1]).long())
    assert torch.equal(x[swapped], pairs.input[swapped].flip(1))


def test_shift_moves_digits_by_at_most_the_setting():
    pairs = pair_sets().train
    augmented = augment_batch(
        batch_of(pairs), {"augment_swap": False, "augment_shift": 1}, torch.Generator().manual_seed(0)
    )
    x, target, classes = augmented["input"], augmented["target"], augmented["classes"]
    assert torch.equal(target, pairs.target) and torch.equal(classes, pairs.classes) and not torch.equal(x, pairs.input)
    assert torch.allclose(x.sum((2, 3)), pairs.input.sum((2, 3)), atol=1e-3)  # a roll keeps every pixel
    moved = (x != pairs.input).flatten(1).any(1).float().mean()
    assert moved > 0.8


def test_repairing_keeps_the_digits_and_labels_consistent():
    pairs = pair_sets().train
    new = repaired(batch_of(pairs), torch.Generator().manual_seed(0))
    assert sorted(new["classes"].flatten().tolist()) == sorted(pairs.classes.flatten().tolist())
    assert torch.equal(new["target"], (new["classes"][:, 0] <= new["classes"][:, 1]).long())
    assert not torch.equal(new["classes"], pairs.classes)
    digits = {digit.numpy().tobytes() for digit in pairs.input.reshape(-1, 14, 14)}
    assert {digit.numpy().tobytes() for digit in new["input"].reshape(-1, 14, 14)} == digits


def test_augmented_run_is_deterministic_and_records_validation_accuracy():
    hp = hyperparameters(
        "twin", aux=True, augment_swap=True, augment_shift=1, repair_pairs=True, model={"comparator": "softmax"}
    )
    hp["data"]["validation_pairs"] = 50
    first, again = (frame(train_run(hp, 0, device="cpu", log=quiet)) for _ in range(2))
    pd.testing.assert_frame_equal(first, again)
    assert first["validation_accuracy"].between(0, 1).all()
    plain = frame(train_run({**hp, "augment_swap": False, "augment_shift": 0, "repair_pairs": False}, 0, log=quiet))
    assert not plain["train_loss"].equals(first["train_loss"])


@pytest.mark.parametrize("setting", [{"augment_swap": True}, {"augment_shift": 1}, {"repair_pairs": True}])
def test_augmented_configurations_train_seed_after_seed_even_on_a_gpu(setting):
    hp = hyperparameters("twin", **setting)
    assert uses_augmentation(hp)
    assert not trains_together(torch.device("cuda"), [0, 1], hp)
    plain = hyperparameters("twin")
    assert trains_together(torch.device("cuda"), [0, 1], plain)
    assert not trains_together(torch.device("cuda"), [0], plain) and not trains_together(
        torch.device("cpu"), [0, 1], plain
    )


def test_augmentation_needs_both_of_its_settings():
    pairs = pair_sets().train
    with pytest.raises(KeyError, match="augment_shift"):
        augment_batch(batch_of(pairs), {"augment_swap": True}, torch.Generator())
