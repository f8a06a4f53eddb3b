"""Digit sources by name: their pools, and their pool sizes without loading the pixels.

Every source gives a `DigitPools`: disjoint train and test pools of images (N x 28 x 28,
or N x 14 x 14 for an npz file of 14 x 14 digits) with int64 class labels. Pairs are drawn
from these pools. This module does not import torch, so a workflow can check pool sizes
cheaply when it is parsed.
"""

from __future__ import annotations

import functools

from .errors import DataSourceError
from .idx import idx_pool_sizes, load_idx
from .mnist5k import load_mnist5k, mnist5k_pool_sizes
from .mnist_download import load_torchvision, torchvision_pool_sizes
from .npz import load_npz, npz_pool_sizes
from .pools import DigitPools, check_pool_sizes

SOURCES = ("mnist5k", "idx", "torchvision", "npz")
OFFLINE_SOURCES = ("mnist5k", "idx", "npz")
DEFAULT_DOWNLOAD_ROOT = "data"


def unknown_source(source: str) -> DataSourceError:
    return DataSourceError(f"unknown data source {source!r}; choose one of {', '.join(SOURCES)}")


def idx_root(root: str | None) -> str:
    if root is None:
        raise DataSourceError("data source 'idx' needs a directory: set data.root to a folder of IDX files")
    return root


@functools.lru_cache(maxsize=4)
def load_pools(source: str = "mnist5k", root: str | None = None) -> DigitPools:
    """Load the train and test digit pools of a named source (cached per process)."""
    if source == "mnist5k":
        return load_mnist5k()
    if source == "idx":
        return load_idx(idx_root(root))
    if source == "npz":
        return load_npz(root)
    if source == "torchvision":
        return load_torchvision(root or DEFAULT_DOWNLOAD_ROOT)
    raise unknown_source(source)


def pool_sizes(source: str, root: str | None = None) -> tuple[int, int]:
    """(train pool size, test pool size) of a source, reading as little as it can.

    mnist5k reads its classes (from the per-user cache once it exists), idx the file
    headers (checking each file's length against its header), npz the array headers (and
    the labels when the file is split here). torchvision reads an earlier download under
    root; before there is one it raises DataSourceError, as the data arrives only when a
    job starts.
    """
    if source == "mnist5k":
        return mnist5k_pool_sizes()
    if source == "idx":
        return idx_pool_sizes(idx_root(root))
    if source == "npz":
        return npz_pool_sizes(root)
    if source == "torchvision":
        return torchvision_pool_sizes(root or DEFAULT_DOWNLOAD_ROOT)
    raise unknown_source(source)


ROOTED_SOURCES = ("idx", "npz", "torchvision")


def check_source(source: str, root: str | None) -> None:
    """Raise DataSourceError when a source's settings cannot be what they say: a root the source does not read
    (a folder of IDX files without `source: idx` would train on the default digits without a word), or an .npz
    file whose pixels or labels are not valid (NaN pixels would otherwise pass until a job loads them)."""
    if root and source not in ROOTED_SOURCES:
        raise DataSourceError(
            f"root {root!r} is used only by the sources {', '.join(ROOTED_SOURCES[:-1])} and {ROOTED_SOURCES[-1]}, "
            f"not by source {source!r}: "
            "set source to the kind of data root holds, or remove root"
        )
    if source == "npz":
        load_pools(source, root)  # reads and checks every array (cached for the process)


def check_pairs_fit(source: str, root: str | None, n_pairs: int, validation_pairs: int = 0) -> None:
    """Raise PoolTooSmallError (a DataSourceError) when the source's pools cannot give the pairs.

    The same rule as when the pairs are drawn: the train pool needs 2 * (n_pairs +
    validation_pairs) distinct digits, the test pool 2 * n_pairs.
    """
    train_size, test_size = pool_sizes(source, root)
    where = f"data source {source!r}" + (f" ({root})" if root else "")
    check_pool_sizes(train_size, test_size, n_pairs, validation_pairs, where)
