"""The digit-pair task: two 14x14 digits as a 2-channel image, target = first <= second."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .sources import DigitPools


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

    def pixels(self, normalized: torch.Tensor) -> torch.Tensor:
        """Undo the normalisation: back to 0-255 grey levels."""
        return normalized * self.std + self.mean


def pool_to_pairs(n: int, images: torch.Tensor, classes: torch.Tensor, generator: torch.Generator) -> PairSet:
    """Draw n pairs of distinct digits from a pool, as the course prologue does."""
    if 2 * n > len(images):
        raise ValueError(f"n_pairs={n} needs {2 * n} distinct digits but the pool has {len(images)}; use at most {len(images) // 2}")
    pooled = F.avg_pool2d(images, kernel_size=2)
    index = torch.randperm(len(images), generator=generator)[: 2 * n].view(n, 2)
    pair_input = torch.cat((pooled[index[:, 0]], pooled[index[:, 1]]), dim=1)
    pair_classes = classes[index]
    target = (pair_classes[:, 0] <= pair_classes[:, 1]).long()
    return PairSet(pair_input, target, pair_classes)


def generate_pair_sets(n: int, seed: int, pools: DigitPools, normalize: bool = True) -> PairSets:
    """n train pairs from the train pool and n test pairs from the test pool.

    The same seed gives the same pairs on every machine (CPU generator). With
    `normalize`, both sets are standardised with the train set's mean and std.
    """
    generator = torch.Generator().manual_seed(seed)

    def as_tensors(images, classes):
        return torch.from_numpy(images).float().unsqueeze(1), torch.from_numpy(classes).long()

    train = pool_to_pairs(n, *as_tensors(pools.train_images, pools.train_classes), generator)
    test = pool_to_pairs(n, *as_tensors(pools.test_images, pools.test_classes), generator)
    if not normalize:
        return PairSets(train, test)
    mean, std = train.input.mean(), train.input.std()
    train.input = (train.input - mean) / std
    test.input = (test.input - mean) / std
    return PairSets(train, test, mean.item(), std.item())
