"""Architectures (and tasks) from outside the package: Python files named by the user, and installed packages that
register through the entry-point group `pairstudy.models`. An error in such code names its file and line.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
import traceback
from importlib import metadata
from pathlib import Path

from .registry import BUILT_IN, ModelRegistrationError, get_architecture, registered_now, unregister

ENTRY_POINT_GROUP = "pairstudy.models"


class ModelFileError(ValueError):
    """A model file or entry point whose code fails: the message names the file, the line and the original error."""


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:16]


def line_in(error: BaseException, file: str) -> int | None:
    """The line of the deepest traceback frame that lies in `file` (where user code went wrong), None if none does."""
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if Path(frame.filename).resolve() == Path(file).resolve():
            line = frame.lineno
    return line


def describe(error: BaseException) -> str:
    """The original error text; a registration error speaks for itself, others keep their type's name."""
    if isinstance(error, ModelRegistrationError):
        return str(error)
    return f"{type(error).__name__}: {error}"


# resolved path -> names it registered, and its module; the content hash of what was executed, per file
_loaded_files: dict[Path, list[str]] = {}
_modules: dict[Path, object] = {}
_file_hashes: dict[str, str] = {}


def module_name_for(path: Path) -> str:
    """A module name of its own per file, so two files called model.py do not replace each other."""
    stem = re.sub(r"\W", "_", path.stem)
    return f"pairstudy_model_file_{stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"


def load_model_file(path: Path) -> list[str]:
    """Import one model file (resolved path) and return the names it registered."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise ModelFileError(f"model file {path}: cannot be read: {error}") from error
    try:
        # compiled from the bytes hashed below, so the hash is that of the code that runs
        code = compile(content, str(path), "exec")
    except SyntaxError as error:
        raise ModelFileError(f"{path}:{error.lineno}: SyntaxError: {error.msg}") from error
    name = module_name_for(path)
    module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(name, path))
    before = registered_now()
    # in sys.modules while it runs, as for any import (dataclasses and pickling look modules up there)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except Exception as error:
        unregister(registered_now() - before)
        del sys.modules[name]
        line = line_in(error, str(path))
        raise ModelFileError(f"{path}:{line}: {describe(error)}") from error
    names = sorted(registered_now() - before)
    _file_hashes[str(path)] = content_hash(content)
    _loaded_files[path] = names
    _modules[path] = module
    return names


def load_function(given: str | Path, name: str):
    """The function `name` of a Python file, the file imported like a model file (once per process)."""
    path = Path(given).resolve()
    load_model_files([path])
    function = getattr(_modules[path], name, None)
    if not callable(function):
        raise ModelFileError(f"{path}: defines no function {name!r}")
    return function


def load_model_files(paths: list[str | Path]) -> list[str]:
    """Import each model file so its `@register_model` builders register; returns the names the files registered.

    A file already loaded in this process is not imported again (its names are returned again).
    """
    names = []
    for given in paths:
        path = Path(given).resolve()
        if not path.is_file():
            raise ModelFileError(f"model file {given}: no such file")
        names += _loaded_files[path] if path in _loaded_files else load_model_file(path)
    return names


def entry_point_place(entry_point: metadata.EntryPoint, error: BaseException) -> str:
    """The entry point, its distribution, and the line of its module where the error arose (if it arose there)."""
    distribution = f", distribution {entry_point.dist.name}" if entry_point.dist else ""
    place = f"entry point {entry_point.name} = {entry_point.value} (group {ENTRY_POINT_GROUP}{distribution})"
    try:
        spec = importlib.util.find_spec(entry_point.module)
    except Exception:  # a parent package that fails to import
        spec = None
    origin = spec.origin if spec and spec.has_location else None
    line = line_in(error, origin) if origin else None
    return f"{place} at {origin}:{line}" if line else place


_entry_points: dict[str, object] = {"state": "not loaded", "names": [], "error": None}


def load_entry_point_models() -> list[str]:
    """Import the modules that installed packages name in the entry-point group `pairstudy.models`, once per process.

    Returns the names they registered. A failing module is an error naming the entry point, raised again at every
    later call, since the registry stays incomplete.
    """
    if _entry_points["state"] == "loaded":
        return list(_entry_points["names"])
    if _entry_points["state"] == "failed":
        raise _entry_points["error"]
    if _entry_points["state"] == "loading":  # a module being loaded reads the registry
        return []
    _entry_points["state"] = "loading"
    before = registered_now()
    failures = []
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry_point.load()
        except Exception as error:
            failures.append((entry_point, error))
    names = sorted(registered_now() - before)
    for name in names:
        source = get_architecture(name).source
        if source != BUILT_IN and Path(source).is_file():
            _file_hashes.setdefault(source, content_hash(Path(source).read_bytes()))
    _entry_points["names"] = names
    if failures:
        messages = [f"{entry_point_place(entry_point, error)}: {describe(error)}" for entry_point, error in failures]
        _entry_points["state"] = "failed"
        _entry_points["error"] = ModelFileError("; ".join(messages))
        raise _entry_points["error"] from failures[0][1]
    _entry_points["state"] = "loaded"
    return names


def source_hash(source: str) -> str | None:
    """sha256 (16 hex digits) of a registering file as loaded; None for the package's own code."""
    if source == BUILT_IN:
        return None
    if source not in _file_hashes:
        _file_hashes[source] = content_hash(Path(source).read_bytes())
    return _file_hashes[source]


def architecture_code_hash(name: str) -> str | None:
    """sha256 (16 hex digits) of the file that registered a user architecture, as loaded; None for built-ins."""
    return source_hash(get_architecture(name).source)
