"""The task registry: `@register_task("name")` puts a Task class under its name, with its metrics and data settings
checked at registration. Tasks of one's own come from the files a config lists under `task_files` (loaded like
model files) or from installed packages through the entry-point group `pairstudy.tasks`.

Torch-free: config validation reads the registry, the tasks' metrics and their data settings.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterator, Mapping
from importlib import metadata

from pairstudy.models.registry import Knob, ModelRegistrationError, knobs_of, source_of

from .base import Task
from .metrics import MetricSpecError

DEFAULT_TASK = "digit_pairs"
ENTRY_POINT_GROUP = "pairstudy.tasks"
BUILT_IN_MODULES = ("pairstudy.tasks.digit_pairs", "pairstudy.tasks.digits")


class TaskRegistrationError(ValueError):
    """A task class that cannot be registered: bad metrics, a data setting without a default, a name taken twice."""


class TaskConfigError(ValueError):
    """A task name or data setting that no registered task accepts."""


_registered: dict[str, type[Task]] = {}
_data_knobs: dict[str, dict[str, Knob]] = {}
_sources: dict[str, tuple[str, int]] = {}


def register_task(name: str) -> Callable:
    """Register the decorated Task subclass as task `name`; its `data_settings` parameters become its data keys."""

    def register(cls):
        if not (inspect.isclass(cls) and issubclass(cls, Task)):
            raise TaskRegistrationError(f"register_task({name!r}) decorates a subclass of pairstudy.tasks.Task")
        file, line = inspect.getsourcefile(cls) or "?", inspect.getsourcelines(cls)[1]
        place = f"{file}:{line}: task {name!r}"
        if name in _registered:
            first_file, first_line = _sources[name]
            raise TaskRegistrationError(
                f"task {name!r} is registered twice: at {first_file}:{first_line} and at {file}:{line}"
            )
        cls.name = name
        try:
            cls.spec()
        except MetricSpecError as error:
            raise TaskRegistrationError(f"{place}: {error}") from None
        for method in ("load", "objective", "measure"):
            if getattr(cls, method) is getattr(Task, method):
                raise TaskRegistrationError(f"{place}: the class defines no {method}()")
        data_settings = inspect.getattr_static(cls, "data_settings")
        function = data_settings.__func__ if isinstance(data_settings, staticmethod) else data_settings
        try:
            _data_knobs[name] = knobs_of(name, function) if function is not Task.data_settings else {}
        except ModelRegistrationError as error:
            raise TaskRegistrationError(f"{place}: data_settings: {error}") from None
        _registered[name] = cls
        _sources[name] = (file, line)
        return cls

    return register


def unregister(names) -> None:
    for name in names:
        _registered.pop(name, None)
        _data_knobs.pop(name, None)
        _sources.pop(name, None)


def registered_now() -> set[str]:
    return set(_registered)


_loaded = {"state": "not loaded", "error": None}


def ensure_loaded() -> None:
    """Import the built-in tasks and those of installed packages, once per process."""
    if _loaded["state"] in ("loaded", "loading"):
        return
    if _loaded["state"] == "failed":
        raise _loaded["error"]
    _loaded["state"] = "loading"
    import importlib

    for module in BUILT_IN_MODULES:
        importlib.import_module(module)
    failures = []
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry_point.load()
        except Exception as error:
            failures.append(f"entry point {entry_point.name} = {entry_point.value}: {type(error).__name__}: {error}")
    if failures:
        _loaded["state"], _loaded["error"] = "failed", TaskRegistrationError("; ".join(failures))
        raise _loaded["error"]
    _loaded["state"] = "loaded"


class Registry(Mapping):
    """Read-only name -> Task class; the first read loads the built-in tasks and the installed packages' tasks."""

    def __getitem__(self, name: str) -> type[Task]:
        ensure_loaded()
        return _registered[name]

    def __iter__(self) -> Iterator[str]:
        ensure_loaded()
        return iter(dict(_registered))

    def __len__(self) -> int:
        ensure_loaded()
        return len(_registered)


TASKS: Mapping[str, type[Task]] = Registry()


def get_task(name: str) -> type[Task]:
    """The registered task `name`; an unknown name is refused with the registered ones."""
    try:
        return TASKS[name]
    except KeyError:
        raise TaskConfigError(f"unknown task {name!r}; registered: {sorted(TASKS)}") from None


def task_source(name: str) -> str:
    """BUILT_IN for the package's tasks, else the absolute path of the file that registered it."""
    get_task(name)
    return source_of(_sources[name][0])


def data_defaults(name: str) -> dict:
    """The task's data keys with their defaults, a fresh copy."""
    get_task(name)
    return {key: copy.deepcopy(knob.default) for key, knob in _data_knobs[name].items()}


def check_data_settings(name: str, data: dict, where: str) -> None:
    """Refuse a data key the task does not take, or a value of the wrong kind, naming `where`.<key>."""
    knobs = _data_knobs[get_task(name).name]
    for key, value in data.items():
        if key not in knobs:
            raise TaskConfigError(
                f"config key {where}.{key}: task {name!r} takes no data key {key!r}; its keys: {sorted(knobs)}"
            )
        if not knobs[key].accepts(value):
            raise TaskConfigError(
                f"config key {where}.{key}: {value!r} is not allowed for task {name!r}; {knobs[key].allowed()}"
            )
