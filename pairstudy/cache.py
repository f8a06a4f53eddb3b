"""The per-user cache folder, and storing an entry in it so that concurrent jobs never read a half-written one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pairstudy.atomic import write_atomically

CACHE_ENV = "PAIRSTUDY_CACHE"
Entry = TypeVar("Entry")


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


def cached_text(path: Path, build: Callable[[], str], parse: Callable[[str], Entry] = str) -> Entry:
    """`parse` of the text kept at `path`; where there is none, or `parse` rejects it with a ValueError, `build()`'s
    text, stored there for the next process."""
    try:
        return parse(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass  # not built yet, or unreadable: built again, and stored where the cache can be written
    text = build()
    store_in_cache(path, lambda temporary: Path(temporary).write_text(text, encoding="utf-8"))
    return parse(text)
