"""Digit pools: the train and test digits pairs are drawn from, and how many pairs they can give."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import PoolTooSmallError

# the side of the digits in a pair; sources of 28x28 digits are average-pooled 2x2 down to it
PAIR_IMAGE_SIZE = 14
POOL_IMAGE_SIZES = (PAIR_IMAGE_SIZE, 2 * PAIR_IMAGE_SIZE)


@dataclass(frozen=True)
class DigitPools:
    """Disjoint train and test pools of digit images (N x S x S, S = 28 or 14) with int64 classes.

    Images are uint8 grey levels 0-255, or float32 on the same 0-255 scale when a source
    provides float pixels.
    """

    train_images: np.ndarray
    train_classes: np.ndarray
    test_images: np.ndarray
    test_classes: np.ndarray
    name: str

    def __post_init__(self):
        for split in ("train", "test"):
            images, classes = getattr(self, f"{split}_images"), getattr(self, f"{split}_classes")
            if images.ndim != 3 or images.shape[1] != images.shape[2] or images.shape[1] not in POOL_IMAGE_SIZES:
                raise ValueError(
                    f"{self.name}: {split} images have shape {images.shape}, need N x 28 x 28 or N x 14 x 14"
                )
            if len(images) != len(classes):
                raise ValueError(f"{self.name}: {len(images)} {split} images but {len(classes)} classes")
        if self.train_images.shape[1:] != self.test_images.shape[1:]:
            train_size, test_size = self.train_images.shape[1:], self.test_images.shape[1:]
            raise ValueError(f"{self.name}: train images are {train_size} but test images {test_size}")

    @property
    def image_size(self) -> int:
        """The side of the pool images: 28 (pooled to 14 when pairs are drawn) or 14 (used as they are)."""
        return self.train_images.shape[1]


def stratified_split(classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the train and test pools: within each class 0-9, even positions train, odd positions test.

    The rule uses no random numbers, so the pools are identical on every machine; the
    indices come class by class, in file order within a class.
    """
    train_index, test_index = [], []
    for digit in range(10):
        members = np.flatnonzero(classes == digit)
        train_index.append(members[0::2])
        test_index.append(members[1::2])
    return np.concatenate(train_index), np.concatenate(test_index)


def split_pools(images: np.ndarray, classes: np.ndarray, name: str) -> DigitPools:
    """One set of digits split into train and test pools by `stratified_split`."""
    train_index, test_index = stratified_split(classes)
    return DigitPools(images[train_index], classes[train_index], images[test_index], classes[test_index], name)


def split_sizes(classes: np.ndarray) -> tuple[int, int]:
    """The train and test pool sizes `split_pools` gives for these classes."""
    train_index, test_index = stratified_split(classes)
    return len(train_index), len(test_index)


def check_pool_sizes(train_size: int, test_size: int, n_pairs: int, validation_pairs: int, where: str) -> None:
    """Raise PoolTooSmallError unless the pools give n_pairs + validation_pairs train pairs and n_pairs test pairs.

    Every digit is used at most once, so the train pool needs 2 * (n_pairs + validation_pairs)
    digits and the test pool 2 * n_pairs.
    """
    train_needed, test_needed = 2 * (n_pairs + validation_pairs), 2 * n_pairs
    if train_needed <= train_size and test_needed <= test_size:
        return
    raise PoolTooSmallError(
        f"{where}: n_pairs={n_pairs} with validation_pairs={validation_pairs} needs {train_needed} distinct train "
        f"digits and {test_needed} distinct test digits, but the train pool has {train_size} and the test pool "
        f"{test_size}; use at most {train_size // 2} pairs in all from the train pool (n_pairs + validation_pairs) "
        f"and at most {test_size // 2} from the test pool"
    )
