"""The per-user cache folder, and writing into it so that concurrent jobs never read a half-written entry."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

CACHE_ENV = "PAIRSTUDY_CACHE"


def cache_folder() -> Path:
    """$PAIRSTUDY_CACHE, else $XDG_CACHE_HOME/pairstudy, else ~/.cache/pairstudy."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pairstudy"


def write_atomically(path: Path, content: bytes) -> bool:
    """Write an entry through a temporary file renamed into place; False (and nothing written) when the folder is
    not writable."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a cache entry is no secret
        os.replace(temporary, path)
        return True
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        return False
