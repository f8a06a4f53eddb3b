"""Checks that read files, run before any job: the data each study draws from and the user's models.

Each problem is a ConfigError naming the key, file or value.
"""

from __future__ import annotations

from pathlib import Path

from .grid import Configuration
from .schema import ConfigError


def metric_spec(study: dict):
    """The study's MetricSpec: its training function's, or its task's."""
    if "trainer" in study:
        from pairstudy.train.function import declaration_of

        from .trainer import trainer_function

        return declaration_of(trainer_function(study["trainer"]), study["trainer"]).spec
    from pairstudy.tasks import get_task

    return get_task(study["task"]).spec()


def check_data(study_name: str, study: dict) -> str | None:
    """The study's task can give the data it asks for (a data source that opens, pools that hold enough examples);
    a note when it cannot be checked yet (a download that happens when the jobs start)."""
    from pairstudy.data import DataSourceError
    from pairstudy.tasks import get_task
    from pairstudy.tasks.registry import data_defaults

    if "trainer" in study:  # the function loads its own data
        return None
    data = {**data_defaults(study["task"]), **study["data"]}
    try:
        get_task(study["task"]).check_data(data)
    except DataSourceError as error:
        if data.get("source") == "torchvision":
            return f"studies.{study_name}.data: {error}"
        raise ConfigError(f"config key studies.{study_name}.data: {error}") from None
    except ValueError as error:
        raise ConfigError(f"config key studies.{study_name}.data: {error}") from None
    return None


def check_user_models(configurations: list[Configuration]) -> None:
    """Build every configuration of an architecture from a model file or an installed package, and check its outputs."""
    from pairstudy.models import get_architecture
    from pairstudy.models.check import check_architecture

    checked = set()
    for configuration in configurations:
        hyperparameters = configuration.hyperparameters
        if "trainer" in hyperparameters or get_architecture(configuration.architecture).source == "pairstudy":
            continue
        key = (configuration.architecture, repr(sorted(hyperparameters["model"].items())))
        if key in checked:
            continue
        checked.add(key)
        result = check_architecture(configuration.architecture, hyperparameters["model"])
        if result.problems:
            raise ConfigError(f"studies.{configuration.study}, configuration {configuration.name}: {result.message()}")


def preflight(config: dict, configurations: dict[str, list[Configuration]]) -> list[str]:
    """Every check that reads files, for every study of a validated config (`configurations`: study -> its
    configurations): its data, the user's models, its task of one's own. The workflow and `pairstudy grid` both run
    this, so neither passes a config the other refuses. Notes on what can be checked only when the jobs start."""
    from pairstudy.tasks.check import check_task_study

    notes = []
    for study_name, study in config["studies"].items():
        note = check_data(study_name, study)
        if note:
            notes.append(f"{note}; it is checked when the jobs start")
        check_user_models(configurations[study_name])
        if "trainer" not in study:
            check_task_study(study_name, study, configurations[study_name])
    return notes


def stale_lock_note(project: str | Path = ".") -> str | None:
    """What to do about Snakemake's lock in `project`, when one is there: a Snakemake killed with kill -9 (or a lost
    session) leaves it behind, and every later run refuses to start until `snakemake --unlock` removes it.

    Only a person can tell a stale lock from a live one: a Snakemake on another host of a shared file system holds
    its lock invisibly to this one, and two of them writing the same results would mix their runs."""
    locks = Path(project) / ".snakemake" / "locks"
    if not locks.is_dir() or not any(locks.iterdir()):
        return None
    return (
        f"{locks} holds a lock. If no Snakemake runs in this folder now (one was killed, or its session lost), "
        "remove the stale lock with `snakemake --unlock`, then run again"
    )
