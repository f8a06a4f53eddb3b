"""The digit-pair task: two 14x14 digits as a 2-channel image, target = first <= second."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .pools import PAIR_IMAGE_SIZE, DigitPools, check_pool_sizes


@dataclass
class PairSet:
    input: torch.Tensor  # float32, n x 2 x 14 x 14
    target: torch.Tensor  # int64, n: 1 if class of channel 0 <= class of channel 1
    classes: torch.Tensor  # int64, n x 2


@dataclass
class PairSets:
    train: PairSet
    test: PairSet
    mean: float = 0.0  # normalisation: input = (pixels - mean) / std, from the train set
    std: float = 1.0
    validation: PairSet | None = None  # from train-pool digits the training pairs do not use
    # split -> (mean, std) each split was normalised with: the train set's for all, or each set's own
    statistics: dict[str, tuple[float, float]] = field(default_factory=dict)


def grey_levels(normalized: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """Normalised inputs back to 0-255 grey levels (uint8, on the CPU)."""
    return (normalized.cpu() * std + mean).round().clamp(0, 255).to(torch.uint8)


def comparison_target(pair_classes: torch.Tensor) -> torch.Tensor:
    """The task's label from the two digit classes (n x 2): 1 when the first is <= the second."""
    return (pair_classes[:, 0] <= pair_classes[:, 1]).long()


def make_pairs(digits: torch.Tensor, classes: torch.Tensor, index: torch.Tensor) -> PairSet:
    """Pairs from digit indices (n x 2): channels are the two digits, target from their classes."""
    pair_input = torch.cat((digits[index[:, 0]], digits[index[:, 1]]), dim=1)
    pair_classes = classes[index]
    return PairSet(pair_input, comparison_target(pair_classes), pair_classes)


def to_pair_size(images: torch.Tensor) -> torch.Tensor:
    """Pool images (n x 1 x S x S) down to the pair size: 2x2 averages for 28x28, unchanged at 14x14."""
    factor = images.shape[-1] // PAIR_IMAGE_SIZE
    return F.avg_pool2d(images, kernel_size=factor) if factor > 1 else images


def pool_to_pairs(n: int, images: torch.Tensor, classes: torch.Tensor, generator: torch.Generator, extra: int = 0):
    """Draw n pairs of distinct digits from a pool, as the course prologue does.

    With `extra` > 0, also `extra` more pairs from digits the n pairs do not use (the first
    n pairs are the same either way); returns (pairs, extra pairs or None). The pool must
    hold 2 * (n + extra) digits (`check_pool_sizes`).
    """
    needed = 2 * (n + extra)
    pooled = to_pair_size(images)
    order = torch.randperm(len(images), generator=generator)
    pairs = make_pairs(pooled, classes, order[: 2 * n].view(n, 2))
    more = make_pairs(pooled, classes, order[2 * n : needed].view(extra, 2)) if extra else None
    return pairs, more


NORMALIZE_BY = ("train_set", "each_set")


def generate_pair_sets(
    n: int,
    seed: int,
    pools: DigitPools,
    normalize: bool = True,
    validation: int = 0,
    normalize_by: str = "train_set",
) -> PairSets:
    """n train pairs from the train pool and n test pairs from the test pool.

    The same seed gives the same pairs on every machine (CPU generator). With
    `normalize`, the sets are standardised: all with the train set's mean and std
    (`normalize_by` "train_set"), or each set with its own mean and std ("each_set",
    as report 000's code does to its train and test sets). `validation` pairs come
    from train-pool digits that no training pair uses.
    Raises PoolTooSmallError (also a ValueError) when the pools are too small.
    """
    if normalize_by not in NORMALIZE_BY:
        raise ValueError(f"normalize_by must be one of {list(NORMALIZE_BY)}, got {normalize_by!r}")
    check_pool_sizes(len(pools.train_images), len(pools.test_images), n, validation, pools.name)
    generator = torch.Generator().manual_seed(seed)

    def as_tensors(images, classes):
        return torch.from_numpy(images).float().unsqueeze(1), torch.from_numpy(classes).long()

    train, held_out = pool_to_pairs(
        n, *as_tensors(pools.train_images, pools.train_classes), generator, extra=validation
    )
    test, _ = pool_to_pairs(n, *as_tensors(pools.test_images, pools.test_classes), generator)
    if not normalize:
        return PairSets(train, test, validation=held_out)
    train_mean, train_std = train.input.mean(), train.input.std()
    statistics = {}
    for name, split in (("train", train), ("test", test), ("validation", held_out)):
        if split is None:
            continue
        mean, std = (split.input.mean(), split.input.std()) if normalize_by == "each_set" else (train_mean, train_std)
        split.input = (split.input - mean) / std
        statistics[name] = (mean.item(), std.item())
    return PairSets(train, test, train_mean.item(), train_std.item(), validation=held_out, statistics=statistics)
