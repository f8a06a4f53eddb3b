"""The study rules a JSON schema cannot state: registered architectures, factors that exist, levels that are valid.

Every factor level, include entry and override is checked against the same definitions as the
study's `training` section (types, ranges, allowed values) and, for model knobs, against each
architecture's registered knobs, before any job starts.
"""

from __future__ import annotations

from pairstudy.models import ARCHITECTURES
from pairstudy.models.registry import knob_problem

from .resolve import TRAINING_KEYS
from .schema import ConfigError, check_value


def knobs_of(architectures) -> list[str]:
    return sorted({knob for name in architectures for knob in ARCHITECTURES[name].knobs})


def allowed_factors(architectures) -> list[str]:
    return ["architecture", *TRAINING_KEYS, *(knob for knob in knobs_of(architectures) if knob not in TRAINING_KEYS)]


def check_architectures(where: str, architectures) -> None:
    for index, architecture in enumerate(architectures):
        if architecture not in ARCHITECTURES:
            raise ConfigError(
                f"config key {where}[{index}]: {architecture!r} is not a registered architecture; "
                f"allowed values: {sorted(ARCHITECTURES)}"
            )


def check_level(where: str, factor: str, level, architectures) -> None:
    """One level of a factor: a training setting against the schema, a model knob against every taker."""
    if factor in TRAINING_KEYS:
        check_value("training", factor, level, where)
        return
    for architecture in architectures:
        if ARCHITECTURES[architecture].takes(factor):
            problem = knob_problem(ARCHITECTURES[architecture], factor, level)
            if problem:
                raise ConfigError(f"config key {where}: {problem}")


def check_model_section(where: str, knobs: dict, architectures) -> None:
    """A `model:` section: every knob taken by some architecture, and valid for each that takes it."""
    allowed = knobs_of(architectures)
    for knob, value in knobs.items():
        if knob not in allowed:
            raise ConfigError(
                f"config key {where}.{knob}: no architecture among {list(architectures)} takes it; allowed: {allowed}"
            )
        check_level(f"{where}.{knob}", knob, value, architectures)


def check_task(where: str, study: dict, architectures) -> None:
    """The study's task is registered, its data keys are the task's, and every architecture serves it."""
    from pairstudy.tasks import TASKS
    from pairstudy.tasks.registry import TaskConfigError, check_data_settings

    task = study["task"]
    if task not in TASKS:
        raise ConfigError(
            f"config key {where}.task: {task!r} is not a registered task; allowed values: {sorted(TASKS)}"
        )
    try:
        check_data_settings(task, study["data"], f"{where}.data")
    except TaskConfigError as error:
        raise ConfigError(str(error)) from None
    for index, architecture in enumerate(architectures):
        served = ARCHITECTURES[architecture].tasks
        if task not in served:
            raise ConfigError(
                f"config key {where}.factors.architecture[{index}]: architecture {architecture!r} serves the tasks "
                f"{list(served)}, not the study's task {task!r} (studies.{where.split('.')[-1]}.task)"
            )


def check_study(study_name: str, study: dict) -> None:
    """Raise ConfigError naming the key path of the first rule `study` breaks."""
    where = f"studies.{study_name}"
    architectures = list(study["factors"]["architecture"])
    check_architectures(f"{where}.factors.architecture", architectures)
    check_task(
        where,
        study,
        architectures
        + [
            entry["architecture"]
            for entry in study["include"]
            if "architecture" in entry and entry["architecture"] in ARCHITECTURES
        ],
    )
    allowed = allowed_factors(architectures)
    for factor, levels in study["factors"].items():
        if factor == "model":
            raise ConfigError(
                f"config key {where}.factors.model: name model knobs directly as factors; allowed factors: {allowed}"
            )
        if factor not in allowed_factors(ARCHITECTURES):
            raise ConfigError(
                f"config key {where}.factors.{factor}: unknown factor for architectures {architectures}; "
                f"allowed factors: {allowed}"
            )
        if factor not in allowed:
            takers = sorted(name for name, spec in ARCHITECTURES.items() if spec.takes(factor))
            raise ConfigError(
                f"config key {where}.factors.{factor}: no architecture of this study ({architectures}) takes it; "
                f"architectures that do: {takers}"
            )
        if len({repr(level) for level in levels}) != len(levels):
            raise ConfigError(f"config key {where}.factors.{factor}: levels repeat: {levels}")
        if factor != "architecture":
            for index, level in enumerate(levels):
                check_level(f"{where}.factors.{factor}[{index}]", factor, level, architectures)
    check_model_section(f"{where}.training.model", study["training"].get("model", {}), architectures)
    for architecture, overrides in study["overrides"].items():
        if architecture not in architectures:
            raise ConfigError(
                f"config key {where}.overrides.{architecture}: not an architecture of this study; "
                f"allowed: {architectures}"
            )
        check_model_section(f"{where}.overrides.{architecture}.model", overrides.get("model", {}), [architecture])
    for kind in ("include", "exclude"):
        for index, entry in enumerate(study[kind]):
            entry_where = f"{where}.{kind}[{index}]"
            if kind == "include":
                if "architecture" not in entry:
                    raise ConfigError(f"config key {entry_where}: needs an architecture from {sorted(ARCHITECTURES)}")
                check_architectures(entry_where + ".architecture", [entry["architecture"]])
            takers = [entry["architecture"]] if "architecture" in entry else architectures
            for key, value in entry.items():
                if key not in allowed_factors(takers):
                    raise ConfigError(
                        f"config key {entry_where}.{key}: not a factor of {takers}; "
                        f"allowed factors: {allowed_factors(takers)}"
                    )
                if key != "architecture":
                    check_level(f"{entry_where}.{key}", key, value, takers)
    names = study.get("baselines", [])
    if len(set(names)) != len(names):
        raise ConfigError(f"config key {where}.baselines: names repeat: {names}")


def check_resolved(where: str, name: str, hyperparameters: dict) -> None:
    """The task's rules on a configuration's resolved settings (e.g. a model that learns only through its auxiliary
    terms needs them on)."""
    from pairstudy.tasks import get_task

    problem = get_task(hyperparameters["task"]).settings_problem(hyperparameters)
    if problem:
        raise ConfigError(f"config key {where}: configuration {name!r} {problem}")
