import pandas as pd
import torch
from test_train import hyperparameters

from pairstudy.data import generate_pair_sets, load_pools
from pairstudy.train import train_run
from pairstudy.train.augment import augment_batch, repaired


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


def test_swap_recomputes_the_target_from_the_swapped_classes():
    pairs = pair_sets().train
    x, target, classes = augment_batch(
        pairs.input, pairs.classes, {"augment_swap": True}, torch.Generator().manual_seed(0)
    )
    swapped = (classes != pairs.classes).any(1)
    assert 0.3 < swapped.float().mean() < 0.7
    assert torch.equal(target, (classes[:, 0] <= classes[:, 1]).long())
    assert torch.equal(x[swapped], pairs.input[swapped].flip(1))


def test_shift_moves_digits_by_at_most_the_setting():
    pairs = pair_sets().train
    x, target, classes = augment_batch(
        pairs.input, pairs.classes, {"augment_shift": 1}, torch.Generator().manual_seed(0)
    )
    assert torch.equal(target, pairs.target) and not torch.equal(x, pairs.input)
    assert torch.allclose(x.sum((2, 3)), pairs.input.sum((2, 3)), atol=1e-3)  # a roll keeps every pixel
    moved = (x != pairs.input).flatten(1).any(1).float().mean()
    assert moved > 0.8


def test_repairing_keeps_the_digits_and_labels_consistent():
    pairs = pair_sets().train
    new = repaired(pairs, torch.Generator().manual_seed(0))
    assert sorted(new.classes.flatten().tolist()) == sorted(pairs.classes.flatten().tolist())
    assert torch.equal(new.target, (new.classes[:, 0] <= new.classes[:, 1]).long())
    assert not torch.equal(new.classes, pairs.classes)


def test_augmented_run_is_deterministic_and_records_validation_accuracy():
    hp = hyperparameters(
        "twin", aux=True, augment_swap=True, augment_shift=1, repair_pairs=True, model={"comparator": "softmax"}
    )
    hp["data"]["validation_pairs"] = 50
    first, again = (pd.DataFrame(train_run(hp, 0).rows) for _ in range(2))
    pd.testing.assert_frame_equal(first.drop(columns="epoch_seconds"), again.drop(columns="epoch_seconds"))
    assert first["validation_accuracy"].between(0, 1).all()
