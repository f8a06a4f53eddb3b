"""Checks that read files, run before any job: the data each study draws from and the user's models.

Each problem is a ConfigError naming the key, file or value.
"""

from __future__ import annotations

from .grid import Configuration
from .schema import ConfigError


def check_data(study_name: str, study: dict) -> str | None:
    """The study's data source opens and its pools hold the pairs it asks for; a note when it cannot be checked yet."""
    from pairstudy.data import DataSourceError, check_pairs_fit

    data = study["data"]
    try:
        check_pairs_fit(data["source"], data["root"], data["n_pairs"], data["validation_pairs"])
    except DataSourceError as error:
        if data["source"] == "torchvision":
            return f"studies.{study_name}.data: {error}"
        raise ConfigError(f"config key studies.{study_name}.data: {error}") from None
    return None


def check_user_models(configurations: list[Configuration]) -> None:
    """Build every configuration of an architecture from a model file or an installed package, and check its outputs."""
    from pairstudy.models import get_architecture
    from pairstudy.models.check import check_architecture

    checked = set()
    for configuration in configurations:
        hyperparameters = configuration.hyperparameters
        if get_architecture(configuration.architecture).source == "pairstudy":
            continue
        key = (configuration.architecture, repr(sorted(hyperparameters["model"].items())))
        if key in checked:
            continue
        checked.add(key)
        result = check_architecture(configuration.architecture, hyperparameters["model"])
        if result.problems:
            raise ConfigError(f"studies.{configuration.study}, configuration {configuration.name}: {result.message()}")
