"""The per-user cache folder, and storing an entry in it so that concurrent jobs never read a half-written one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from pairstudy.atomic import write_atomically

CACHE_ENV = "PAIRSTUDY_CACHE"


def cache_folder() -> Path:
    """$PAIRSTUDY_CACHE, else $XDG_CACHE_HOME/pairstudy, else ~/.cache/pairstudy."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pairstudy"


def store_in_cache(path: Path, write: Callable[[str], None]) -> bool:
    """`write(temporary_path)`, then the entry renamed into place; False (and nothing written) when the cache
    cannot be written: a cache is a saving, never a reason to fail."""
    try:
        write_atomically(path, write)
    except OSError:
        return False
    return True
