"""The `idx` source: a folder of IDX files (the format MNIST and Fashion-MNIST are distributed in), plain or gzipped."""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .errors import DataSourceError
from .pools import DigitPools

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_classes": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_classes": "t10k-labels-idx1-ubyte",
}
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
GZIP_MAGIC = b"\x1f\x8b"


def read_idx_header(handle: BinaryIO, path: Path) -> tuple[np.dtype, tuple[int, ...], int]:
    """The element type, shape and header length of the IDX data `handle` starts with."""
    start = handle.read(4)
    if len(start) < 4 or start[0] != 0 or start[1] != 0:
        raise DataSourceError(f"{path} is not an IDX file (bad magic number)")
    type_code, n_dims = start[2], start[3]
    if type_code not in IDX_DTYPES:
        raise DataSourceError(f"{path}: unknown IDX element type 0x{type_code:02x}")
    dimensions = handle.read(4 * n_dims)
    if len(dimensions) < 4 * n_dims:
        raise DataSourceError(f"{path}: truncated IDX file (the header names {n_dims} dimensions but ends early)")
    shape = struct.unpack(f">{n_dims}I", dimensions)
    return np.dtype(IDX_DTYPES[type_code]), shape, 4 + 4 * n_dims


def data_bytes(dtype: np.dtype, shape: tuple[int, ...]) -> int:
    return int(np.prod(shape, dtype=np.int64)) * dtype.itemsize


def length_error(path: Path, shape: tuple[int, ...], expected: int, found: int) -> DataSourceError:
    kind = "truncated IDX file" if found < expected else "IDX file longer than its header says"
    return DataSourceError(f"{path}: {kind}: the header's shape {shape} takes {expected} bytes, the file has {found}")


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped) into a numpy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DataSourceError(f"{path}: cannot read ({error})") from error
    dtype, shape, header_length = read_idx_header(io.BytesIO(data), path)
    expected = header_length + data_bytes(dtype, shape)
    if len(data) != expected:
        raise length_error(path, shape, expected, len(data))
    return np.frombuffer(data, dtype=dtype, offset=header_length).reshape(shape)


def idx_shape(path: Path) -> tuple[int, ...]:
    """The shape an IDX file's header declares, after checking the file holds exactly that much data.

    A plain file's length is compared with the header. A gzipped file's uncompressed length
    is read from the gzip trailer; only when that disagrees (a truncated file, or one made of
    several gzip members) is the file decompressed to count its bytes.
    """
    try:
        if path.suffix != ".gz":
            with open(path, "rb") as handle:
                dtype, shape, header_length = read_idx_header(handle, path)
            found = path.stat().st_size
        else:
            with open(path, "rb") as raw:
                if raw.read(2) != GZIP_MAGIC:
                    raise DataSourceError(f"{path} is not a gzip file (bad magic number)")
            with gzip.open(path, "rb") as handle:
                dtype, shape, header_length = read_idx_header(handle, path)
            expected = header_length + data_bytes(dtype, shape)
            found = gzip_trailer_length(path)
            if found != expected % 2**32:
                found = gzip_length(path)
    except (OSError, EOFError, zlib.error) as error:
        raise DataSourceError(f"{path}: cannot read ({error})") from error
    expected = header_length + data_bytes(dtype, shape)
    if found != expected:
        raise length_error(path, shape, expected, found)
    return shape


def gzip_trailer_length(path: Path) -> int:
    """The uncompressed length modulo 2**32 that a single-member gzip file's last four bytes record."""
    with open(path, "rb") as raw:
        raw.seek(-4, 2)
        return int.from_bytes(raw.read(4), "little")


def gzip_length(path: Path) -> int:
    """The uncompressed length of a gzip file, by decompressing it; a truncated file raises DataSourceError."""
    total = 0
    try:
        with gzip.open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                total += len(chunk)
    except EOFError as error:
        raise DataSourceError(f"{path}: truncated gzip file ({error})") from error
    except gzip.BadGzipFile as error:
        raise DataSourceError(f"{path}: corrupt gzip file ({error})") from error
    return total


def find_idx_file(root: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (root / name).exists():
            return root / name
    raise DataSourceError(f"data source 'idx': no {stem}[.gz] in {root}")


def idx_folder(root: str | Path) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise DataSourceError(f"data source 'idx': {root} is not a directory")
    return root


def check_idx_split(root: Path, split: str, image_shape: tuple[int, ...], class_shape: tuple[int, ...]) -> None:
    """The images of a split are N x 28 x 28 and there is one label per image."""
    if len(image_shape) != 3 or tuple(image_shape[1:]) != (28, 28):
        raise DataSourceError(f"data source 'idx': {split} images in {root} have shape {image_shape}, need N x 28 x 28")
    if len(class_shape) != 1:
        raise DataSourceError(f"data source 'idx': {split} labels in {root} have shape {class_shape}, need N")
    if class_shape[0] != image_shape[0]:
        raise DataSourceError(
            f"data source 'idx': {image_shape[0]} {split} images but {class_shape[0]} labels in {root}"
        )


def load_idx(root: str | Path) -> DigitPools:
    """A directory of standard IDX files: train-*/t10k-* images and labels."""
    root = idx_folder(root)
    arrays = {key: read_idx(find_idx_file(root, stem)) for key, stem in IDX_FILES.items()}
    for split in ("train", "test"):
        check_idx_split(root, split, arrays[f"{split}_images"].shape, arrays[f"{split}_classes"].shape)
    return DigitPools(
        arrays["train_images"].astype(np.uint8),
        arrays["train_classes"].astype(np.int64),
        arrays["test_images"].astype(np.uint8),
        arrays["test_classes"].astype(np.int64),
        f"idx:{root}",
    )


def idx_pool_sizes(root: str | Path) -> tuple[int, int]:
    """The train and test pool sizes of an IDX folder, from the file headers (each file's length checked)."""
    root = idx_folder(root)
    shapes = {key: idx_shape(find_idx_file(root, stem)) for key, stem in IDX_FILES.items()}
    for split in ("train", "test"):
        check_idx_split(root, split, shapes[f"{split}_images"], shapes[f"{split}_classes"])
    return shapes["train_images"][0], shapes["test_images"][0]
