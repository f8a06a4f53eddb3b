"""Studies that name a training function of one's own (`trainer: file.py:function`) instead of a task and
architectures: the function's keyword parameters are the settings its factors vary, checked against their declared
types before any job, and a configuration's resolved dict is the function's settings."""

from __future__ import annotations

import copy
from pathlib import Path

from .schema import ConfigError

# the study keys a trainer study has no use for: its settings are the function's
NOT_WITH_TRAINER = ("task", "data", "training", "overrides")

_functions: dict[str, tuple[str, object]] = {}  # "file.py:function" as written -> (resolved file, function)


def split_trainer(written: str) -> tuple[str, str]:
    file, _, function = written.rpartition(":")
    return file, function


def load_trainer(study_name: str, written: str, base_dir: str | Path) -> None:
    """Import the study's training function (relative to the config's folder) and check its declaration."""
    from pairstudy.models import ModelFileError
    from pairstudy.models.files import load_function
    from pairstudy.train.function import TrainingFunctionError, declaration_of

    file, name = split_trainer(written)
    path = Path(base_dir) / file
    where = f"config key studies.{study_name}.trainer"
    if not path.is_file():
        raise ConfigError(f"{where}: {path} is not a file")
    try:
        function = load_function(path, name)
        declaration_of(function, f"{where}: {path}")
    except (ModelFileError, TrainingFunctionError) as error:
        raise ConfigError(str(error)) from None
    _functions[written] = (str(path.resolve()), function)


def trainer_function(written: str):
    """The loaded training function a study names (after `load_trainer`)."""
    return _functions[written][1]


def trainer_file(written: str) -> str:
    return _functions[written][0]


def trainer_settings(written: str) -> dict:
    from pairstudy.train.function import declaration_of

    return declaration_of(trainer_function(written), written).settings


def check_trainer_setting(study: dict, key_path: str, key: str, value) -> None:
    """One setting (or factor level) of a study with a trainer: a keyword parameter of its function, of its kind."""
    settings = trainer_settings(study["trainer"])
    function = trainer_function(study["trainer"])
    place = f"{function.__code__.co_filename}:{function.__code__.co_firstlineno}"
    if key not in settings:
        raise ConfigError(
            f"config key {key_path}: the training function {study['trainer']} ({place}) takes no setting "
            f"{key!r}; its settings: {sorted(settings)}"
        )
    if not settings[key].accepts(value):
        raise ConfigError(
            f"config key {key_path}: {value!r} is not allowed for {study['trainer']} ({place}); "
            f"{settings[key].allowed()}"
        )


def check_trainer_study(study_name: str, study: dict, written_keys) -> None:
    """Settings and factor levels that the function takes, with values of their declared kinds."""
    where = f"studies.{study_name}"
    unused = [key for key in NOT_WITH_TRAINER if key in written_keys]
    if unused:
        raise ConfigError(
            f"config key {where}.{unused[0]}: a study with a trainer sets the function's settings under "
            f"{where}.settings and varies them as factors"
        )
    for key, value in study["settings"].items():
        check_trainer_setting(study, f"{where}.settings.{key}", key, value)
    for factor, levels in study["factors"].items():
        for index, level in enumerate(levels):
            check_trainer_setting(study, f"{where}.factors.{factor}[{index}]", factor, level)
        if len({repr(level) for level in levels}) != len(levels):
            raise ConfigError(f"config key {where}.factors.{factor}: levels repeat: {levels}")
    for kind in ("include", "exclude"):
        for index, entry in enumerate(study[kind]):
            for key, value in entry.items():
                check_trainer_setting(study, f"{where}.{kind}[{index}].{key}", key, value)


def resolve_trainer(study: dict, levels: dict) -> dict:
    """The function's settings for these factor levels: its defaults <- the study's settings <- the levels."""
    file, name = split_trainer(study["trainer"])
    defaults = {key: copy.deepcopy(knob.default) for key, knob in trainer_settings(study["trainer"]).items()}
    settings = {**defaults, **copy.deepcopy(study["settings"]), **copy.deepcopy(levels)}
    return {"trainer": study["trainer"], "architecture": name, "settings": settings}
