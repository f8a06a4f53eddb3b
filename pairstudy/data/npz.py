"""The `npz` source: digits a user brings in a numpy .npz file (`numpy.savez`).

Two layouts are read:

- arrays `images` and `labels`: one set of digits, split into train and test pools by the
  same rule as mnist5k (within each class, even positions train, odd positions test);
- arrays `train_images`, `train_labels`, `test_images` and `test_labels`: the pools as given.

Images are N x 28 x 28 (average-pooled 2x2 when pairs are drawn, like the other sources)
or N x 14 x 14 (used as they are). Pixels are grey levels: any integer type with values
0-255 (kept as uint8), or floats, finite and either in [0, 1] (scaled by 255) or in
[0, 255] (kept). A float array whose largest value is at most 1 counts as [0, 1]; all
float image arrays of a file must use the same scale. Labels are integers 0-9.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from .errors import DataSourceError
from .pools import POOL_IMAGE_SIZES, DigitPools, split_pools, split_sizes

WHOLE = {"images": "labels"}
SPLIT = {"train_images": "train_labels", "test_images": "test_labels"}
LAYOUTS = (
    "arrays 'images' and 'labels' (split into train and test pools within each class), or 'train_images', "
    "'train_labels', 'test_images' and 'test_labels'"
)


def npz_file(root: str | Path | None) -> Path:
    """The .npz file named by data.root, after checking it exists and is a zip archive."""
    if root is None:
        raise DataSourceError("data source 'npz' needs a file: set data.root to an .npz file (numpy.savez)")
    path = Path(root)
    if not path.exists():
        raise DataSourceError(f"data source 'npz': {path} does not exist")
    if path.is_dir():
        raise DataSourceError(f"data source 'npz': {path} is a directory, not an .npz file")
    if not zipfile.is_zipfile(path):
        raise DataSourceError(
            f"data source 'npz': {path} is not an .npz file (not a zip archive); write one with "
            "numpy.savez(path, images=..., labels=...)"
        )
    return path


class NpzDigits:
    """An open .npz file of digits: its layout, array headers and checked arrays; use as a context manager."""

    def __init__(self, root: str | Path | None):
        self.path = npz_file(root)
        try:
            self.npz = np.load(self.path, allow_pickle=False)
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise self.error(f"cannot be read ({error})") from error
        try:
            self.pairs = self.layout()
        except DataSourceError:
            self.npz.close()
            raise

    def __enter__(self) -> NpzDigits:
        return self

    def __exit__(self, *exc_info) -> None:
        self.npz.close()

    def error(self, message: str) -> DataSourceError:
        return DataSourceError(f"data source 'npz': {self.path}: {message}")

    def layout(self) -> dict[str, str]:
        """The image arrays and their label arrays: WHOLE or SPLIT, whichever the file holds completely."""
        names = set(self.npz.files)
        whole, split = set(WHOLE) | set(WHOLE.values()), set(SPLIT) | set(SPLIT.values())
        if whole <= names and split <= names:
            raise self.error(f"holds both layouts ({', '.join(sorted(whole | split))}); keep one: {LAYOUTS}")
        if whole <= names:
            return WHOLE
        if split <= names:
            return SPLIT
        found = ", ".join(repr(name) for name in sorted(names)) or "no arrays"
        raise self.error(f"found {found}; need {LAYOUTS}")

    def header(self, name: str) -> tuple[tuple[int, ...], np.dtype]:
        """An array's shape and type from its .npy header, without reading its data."""
        member = f"{name}.npy" if f"{name}.npy" in self.npz.zip.namelist() else name
        try:
            with self.npz.zip.open(member) as handle:
                version = np.lib.format.read_magic(handle)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
                else:
                    array = self.read(name)
                    shape, dtype = array.shape, array.dtype
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise self.error(f"array {name!r} cannot be read ({error})") from error
        return tuple(shape), np.dtype(dtype)

    def read(self, name: str) -> np.ndarray:
        try:
            return self.npz[name]
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise self.error(f"array {name!r} cannot be read ({error})") from error

    def check_headers(self) -> dict[str, int]:
        """Check every array's shape and type; return the number of digits of each image array."""
        counts, sizes = {}, {}
        for images, labels in self.pairs.items():
            shape, dtype = self.header(images)
            if len(shape) != 3 or shape[1] != shape[2] or shape[1] not in POOL_IMAGE_SIZES:
                raise self.error(f"array {images!r} has shape {shape}, need N x 28 x 28 or N x 14 x 14")
            if dtype.kind not in "uif":
                raise self.error(
                    f"array {images!r} has type {dtype}; images must be integers 0-255 or floats in [0, 1] or [0, 255]"
                )
            label_shape, label_dtype = self.header(labels)
            if len(label_shape) != 1:
                raise self.error(f"array {labels!r} has shape {label_shape}, need one label per image (N)")
            if label_dtype.kind not in "ui":
                raise self.error(f"array {labels!r} has type {label_dtype}; labels must be integer classes 0-9")
            if label_shape[0] != shape[0]:
                raise self.error(f"array {images!r} holds {shape[0]} images but {labels!r} {label_shape[0]} labels")
            counts[images], sizes[images] = shape[0], shape[1]
        if len(set(sizes.values())) > 1:
            raise self.error(f"the image arrays differ in size ({sizes}); use one size, 28 x 28 or 14 x 14")
        return counts

    def labels(self, name: str) -> np.ndarray:
        """A label array as int64, after checking every label is a class 0-9."""
        labels = self.read(name)
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise self.error(f"array {name!r} holds labels outside 0-9 (from {labels.min()} to {labels.max()})")
        return labels.astype(np.int64)

    def grey_levels(self) -> dict[str, np.ndarray]:
        """Every image array as 0-255 grey levels: uint8 from integers, float32 from floats."""
        images = {name: self.read(name) for name in self.pairs}
        for name, array in images.items():
            if array.dtype.kind == "f" and not np.isfinite(array).all():
                raise self.error(f"array {name!r} holds NaN or infinite values")
            if array.size and (array.min() < 0 or array.max() > 255):
                accepted = (
                    "integer images must be 0-255"
                    if array.dtype.kind in "ui"
                    else "floats must lie in [0, 1] or [0, 255]"
                )
                raise self.error(f"array {name!r} holds values from {array.min()} to {array.max()}; {accepted}")
        float_maxima = {
            name: float(a.max()) for name, a in images.items() if a.dtype.kind == "f" and a.size and a.max() > 0
        }
        unit = {name: top <= 1 for name, top in float_maxima.items()}
        if len(set(unit.values())) > 1:
            raise self.error(
                f"float image arrays mix the [0, 1] and [0, 255] scales (largest values {float_maxima}); use one scale"
            )
        scale = 255.0 if any(unit.values()) else 1.0
        return {
            name: array.astype(np.uint8)
            if array.dtype.kind in "ui"
            else (array.astype(np.float64) * scale).astype(np.float32)
            for name, array in images.items()
        }


def load_npz(root: str | Path | None) -> DigitPools:
    """The train and test pools of an .npz file (see the module docstring for what it may hold)."""
    with NpzDigits(root) as digits:
        digits.check_headers()
        images = digits.grey_levels()
        classes = {name: digits.labels(labels) for name, labels in digits.pairs.items()}
        name = f"npz:{digits.path}"
        if digits.pairs is WHOLE:
            return split_pools(images["images"], classes["images"], name)
        return DigitPools(
            images["train_images"], classes["train_images"], images["test_images"], classes["test_images"], name
        )


def npz_pool_sizes(root: str | Path | None) -> tuple[int, int]:
    """The train and test pool sizes, from the array headers (and the labels, for a file to be split)."""
    with NpzDigits(root) as digits:
        counts = digits.check_headers()
        if digits.pairs is WHOLE:
            return split_sizes(digits.labels("labels"))
        return counts["train_images"], counts["test_images"]
