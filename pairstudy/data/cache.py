"""A per-user cache of arrays parsed from slow-to-read source files.

A cache entry is an uncompressed .npz file whose name holds the source file's path, size
and modification time, so a changed source is parsed again. Entries are written to a
temporary file and renamed into place, so concurrent jobs never read a half-written
entry; when the cache folder cannot be written, arrays are parsed every time.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pairstudy.cache import cache_folder, store_in_cache

# bump when the arrays stored for a source change meaning, so old entries are no longer read
CACHE_FORMAT = 1


def cache_path(name: str, source_file: Path) -> Path:
    """The cache entry for `source_file` as it is now (raises OSError when it cannot be read)."""
    stat = source_file.stat()
    key = f"{source_file.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0{CACHE_FORMAT}"
    return cache_folder() / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"


def select(arrays: dict[str, np.ndarray], keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    return {key: arrays[key] for key in keys}


def cached_arrays(
    name: str, source_file: Path, parse: Callable[[], dict[str, np.ndarray]], keys: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """The arrays `keys` of `parse()`, read from the cache when it holds an entry for `source_file`.

    On a miss, `parse()` runs and its arrays are stored for the next process.
    """
    try:
        path = cache_path(name, source_file)
    except OSError:
        # the source is missing or unreadable: let the parser raise its own error
        return select(parse(), keys)
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {key: stored[key] for key in keys}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        pass  # no entry yet, or an unreadable one that the write below replaces
    arrays = parse()
    store(path, arrays)
    return select(arrays, keys)


def store(path: Path, arrays: dict[str, np.ndarray]) -> bool:
    """Write an entry atomically; False (and nothing written) when the folder is not writable."""

    def write(temporary: str) -> None:
        with open(temporary, "wb") as file:  # through a handle: np.savez would add .npz to a path
            np.savez(file, **arrays)

    return store_in_cache(path, write)
