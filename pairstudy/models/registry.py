"""The architecture registry: `@register_model` turns a builder function into an architecture whose knobs are the
builder's keyword parameters, and every knob value is checked against the knob's type and choices before a build.

Torch-free on purpose: config validation and `pairstudy grid` read it without importing torch.
"""

from __future__ import annotations

import copy
import inspect
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
BUILT_IN = "pairstudy"

SCALAR_KINDS = {bool: "bool", int: "int", float: "float", str: "str"}
EXPECTED = {
    "bool": "true or false",
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "list[int]": "a list of integers",
    "list[float]": "a list of numbers",
    "list[str]": "a list of strings",
}


class ModelConfigError(ValueError):
    """A knob or architecture name that no registered architecture accepts."""


class ModelRegistrationError(ValueError):
    """A builder that cannot be registered: a parameter without a usable default, or a name taken twice."""


@dataclass(frozen=True)
class Knob:
    """One keyword parameter of a builder: its default, its kind ("int", "list[str]", ...) and allowed values."""

    name: str
    default: object
    kind: str
    choices: tuple | None = None

    def accepts(self, value) -> bool:
        if not fits_kind(value, self.kind):
            return False
        return self.choices is None or value in self.choices

    def allowed(self) -> str:
        """What the knob accepts, for error messages."""
        if self.choices is not None:
            return f"allowed values: {list(self.choices)}"
        return f"expected {EXPECTED[self.kind]} (default {self.default!r})"


@dataclass(frozen=True)
class Architecture:
    """A registered architecture: its builder, knobs, whether it predicts digits, and where it was registered."""

    name: str
    builder: Callable
    knobs: dict[str, Knob]
    predicts_digits: bool  # forward returns digit logits, so an auxiliary loss applies
    tasks: tuple[str, ...]  # the tasks whose inputs it reads and whose outputs it returns
    description: str
    source: str  # BUILT_IN for the package's own architectures, else the absolute path of the registering file
    line: int

    @property
    def defaults(self) -> dict[str, object]:
        """Knob name -> default; a fresh copy, so callers may change it freely."""
        return {name: copy.deepcopy(knob.default) for name, knob in self.knobs.items()}

    def takes(self, knob: str) -> bool:
        return knob in self.knobs

    @property
    def location(self) -> str:
        """file:line of the registration (for built-ins the package file too)."""
        return f"{self.builder.__code__.co_filename}:{self.line}"


def fits_kind(value, kind: str) -> bool:
    """Whether `value` has the knob kind; a bool is never a number, an int is a float."""
    if kind.startswith("list["):
        return isinstance(value, list) and all(fits_kind(element, kind[5:-1]) for element in value)
    if isinstance(value, bool):
        return kind == "bool"
    if kind == "float":
        return isinstance(value, (int, float))
    return isinstance(value, {"int": int, "str": str, "bool": bool}[kind])


def kind_of_default(default) -> str | None:
    """The kind a default implies, None when it is of no supported kind."""
    if type(default) in SCALAR_KINDS:
        return SCALAR_KINDS[type(default)]
    if isinstance(default, list) and default:
        element_kinds = {kind_of_default(element) for element in default}
        if element_kinds <= {"int", "float"}:
            return "list[float]" if "float" in element_kinds else "list[int]"
        if element_kinds == {"str"}:
            return "list[str]"
    return None


def kind_of_annotation(annotation, default) -> tuple[str | None, tuple | None]:
    """(kind, choices) from a parameter annotation and its default; kind None when the annotation is unsupported."""
    if annotation is inspect.Parameter.empty:
        return kind_of_default(default), None
    if typing.get_origin(annotation) is typing.Literal:
        return kind_of_default(default), typing.get_args(annotation)
    if annotation in SCALAR_KINDS:
        return SCALAR_KINDS[annotation], None
    if annotation is list:
        return kind_of_default(default), None
    if typing.get_origin(annotation) is list:
        (element,) = typing.get_args(annotation)
        if element in (int, float, str):
            return f"list[{SCALAR_KINDS[element]}]", None
    return None, None


def where_defined(builder: Callable) -> tuple[str, int]:
    """(file, line) of a builder; the line is that of its first decorator, where the registration stands."""
    return builder.__code__.co_filename, builder.__code__.co_firstlineno


def knobs_of(name: str, builder: Callable, skip: int = 0, kind: str = "architecture") -> dict[str, Knob]:
    """The builder's parameters (after the first `skip`) as knobs; one that cannot be a knob is a registration
    error."""
    file, line = where_defined(builder)
    role = "builder" if kind == "architecture" else "function"
    place = f"{file}:{line}: {role} {builder.__qualname__} of {kind} {name!r}"
    try:
        hints = typing.get_type_hints(builder)
    except Exception as error:
        raise ModelRegistrationError(f"{place}: its annotations cannot be read: {error}") from error
    knobs = {}
    for parameter in list(inspect.signature(builder).parameters.values())[skip:]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD, parameter.POSITIONAL_ONLY):
            raise ModelRegistrationError(f"{place}: parameter {parameter} cannot be a knob; use plain keywords")
        if parameter.default is parameter.empty:
            raise ModelRegistrationError(
                f"{place}: parameter {parameter.name!r} has no default; every parameter is a knob and needs one"
            )
        default = parameter.default
        kind, choices = kind_of_annotation(hints.get(parameter.name, parameter.empty), default)
        if kind is None:
            raise ModelRegistrationError(
                f"{place}: knob {parameter.name!r} = {default!r} is of no supported kind; use bool, int, float, str "
                "or a non-empty list of int, float or str (annotate an empty list, e.g. list[int])"
            )
        knob = Knob(parameter.name, copy.deepcopy(default), kind, choices)
        if choices is not None and not all(fits_kind(choice, kind) for choice in choices):
            raise ModelRegistrationError(
                f"{place}: knob {parameter.name!r}: choices {list(choices)} are not all {kind}"
            )
        if not knob.accepts(default):
            raise ModelRegistrationError(
                f"{place}: knob {parameter.name!r}: default {default!r} does not fit its annotation; {knob.allowed()}"
            )
        knobs[parameter.name] = knob
    return knobs


def source_of(file: str) -> str:
    """BUILT_IN for a file of this package, else the file's absolute path."""
    path = Path(file).resolve()
    return BUILT_IN if path.is_relative_to(PACKAGE_ROOT) else str(path)


_registered: dict[str, Architecture] = {}


def register_model(
    name: str,
    *,
    predicts_digits: bool = False,
    tasks: tuple[str, ...] = ("digit_pairs",),
    description: str | None = None,
) -> Callable:
    """Register the decorated builder as architecture `name`, a model for `tasks` (their names).

    The builder's keyword parameters are the knobs; each needs a default, whose type (bool, int, float, str or a list
    of these) the knob takes; a `typing.Literal[...]` annotation restricts it to those values. The description
    defaults to the first line of the builder's docstring. The builder is returned unchanged.
    """

    def register(builder: Callable) -> Callable:
        if not inspect.isfunction(builder):
            raise ModelRegistrationError(f"register_model({name!r}) decorates a builder function, not {builder!r}")
        if not isinstance(predicts_digits, bool):
            raise ModelRegistrationError(f"register_model({name!r}): predicts_digits must be True or False")
        file, line = where_defined(builder)
        knobs = knobs_of(name, builder)
        if name in _registered:
            first = _registered[name]
            raise ModelRegistrationError(
                f"architecture {name!r} is registered twice: by {first.builder.__qualname__} at {first.location} "
                f"and by {builder.__qualname__} at {file}:{line}"
            )
        summary = description
        if summary is None:
            summary = (inspect.getdoc(builder) or "").strip().split("\n")[0]
        if isinstance(tasks, str) or not tasks or not all(isinstance(task, str) for task in tasks):
            raise ModelRegistrationError(f"register_model({name!r}): tasks must be a non-empty list of task names")
        _registered[name] = Architecture(
            name, builder, knobs, predicts_digits, tuple(tasks), summary, source_of(file), line
        )
        return builder

    return register


def unregister(names) -> None:
    """Drop architectures again (a model file whose import failed half way leaves none behind)."""
    for name in names:
        _registered.pop(name, None)


def registered_now() -> set[str]:
    """The names registered so far, without loading the installed packages' models."""
    return set(_registered)


def ensure_entry_points_loaded() -> None:
    # imported here: files.py imports this module, and entry points load at the first read of the registry
    from .files import load_entry_point_models

    load_entry_point_models()


class Registry(Mapping):
    """Read-only name -> Architecture; the first read loads the models of installed packages (entry points)."""

    def __getitem__(self, name: str) -> Architecture:
        ensure_entry_points_loaded()
        return _registered[name]

    def __iter__(self) -> Iterator[str]:
        ensure_entry_points_loaded()
        return iter(dict(_registered))

    def __len__(self) -> int:
        ensure_entry_points_loaded()
        return len(_registered)

    def __repr__(self) -> str:
        return f"Registry({sorted(self)})"


ARCHITECTURES: Mapping[str, Architecture] = Registry()


def get_architecture(name: str) -> Architecture:
    """The registered architecture `name`; an unknown name is refused with the registered ones."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ModelConfigError(f"unknown architecture {name!r}; registered: {sorted(ARCHITECTURES)}") from None


def knob_problem(architecture: Architecture, knob: str, value) -> str | None:
    """Why `value` cannot be knob `knob` of `architecture`, None when it can."""
    if knob not in architecture.knobs:
        return f"{architecture.name} takes no knob {knob!r}; allowed knobs: {sorted(architecture.knobs)}"
    spec = architecture.knobs[knob]
    if spec.accepts(value):
        return None
    return f"{value!r} is not allowed for {architecture.name}; {spec.allowed()}"


def check_knob_value(architecture: str, knob: str, value, where: str) -> None:
    """Refuse a value the architecture's knob does not take, naming the config key `where`.`knob`."""
    problem = knob_problem(get_architecture(architecture), knob, value)
    if problem:
        raise ModelConfigError(f"config key {where}.{knob}: {problem}")


def check_knobs(architecture: str, knobs: dict, where: str) -> None:
    """Refuse the first knob (in the given order) the architecture does not take with that value."""
    for knob, value in knobs.items():
        check_knob_value(architecture, knob, value, where)


def create_model(name: str, **knobs):
    """Build a registered architecture: the knobs are checked first, missing ones take their defaults."""
    architecture = get_architecture(name)
    for knob, value in knobs.items():
        problem = knob_problem(architecture, knob, value)
        if problem:
            raise ModelConfigError(f"create_model({name!r}, {knob}={value!r}): {problem}")
    # copied so that no builder can change the registry's defaults or the caller's values
    return architecture.builder(**copy.deepcopy({**architecture.defaults, **knobs}))
