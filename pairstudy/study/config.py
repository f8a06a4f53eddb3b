"""The whole config: schema, the model files it names, and every study's rules, in one call."""

from __future__ import annotations

from pathlib import Path

from .grid import expand_configurations, fewest_seeds
from .published import published_entries
from .schema import ConfigError, read_yaml, validate_against_schema
from .stages import check_seed_plan
from .trainer import check_trainer_study, load_trainer
from .tuning import study_tuning

CODE_FILE_KEYS = ("model_files", "task_files")


def load_model_files_of(config: dict, base_dir: str | Path) -> list[Path]:
    """Import the config's model and task files (relative to `base_dir`, the config file's folder) so their
    architectures and tasks register; their paths."""
    from pairstudy.models import ModelFileError, load_model_files

    paths = []
    for key in CODE_FILE_KEYS:
        for index, path in enumerate(config.get(key, [])):
            path = Path(base_dir) / path
            if not path.is_file():
                raise ConfigError(f"config key {key}[{index}]: {path} is not a file")
            paths.append(path)
    try:
        load_model_files(paths)
    except ModelFileError as error:
        raise ConfigError(str(error)) from None
    return paths


def validate_config(config: dict, base_dir: str | Path = ".") -> dict:
    """Validate a config dict (schema, model files, then every study's rules); return it with defaults filled."""
    resolved = validate_against_schema(config)
    check_study_names(resolved["studies"])
    load_model_files_of(resolved, base_dir)
    for name, study in resolved["studies"].items():
        if "trainer" in study:
            load_trainer(name, study["trainer"], base_dir)
            check_trainer_study(name, study, written_keys=set(config["studies"][name]))
        elif "architecture" not in study["factors"]:
            raise ConfigError(
                f"config key studies.{name}.factors: needs architecture (the models to compare), or name a "
                f"training function of your own with studies.{name}.trainer"
            )
        configurations = expand_configurations(name, study)
        check_seed_plan(name, study, configurations)
        study_tuning(name, study, configurations)  # its rules checked before any job
        names = [configuration.name for configuration in configurations]
        check_published_levels(name, study, configurations)
        for key, listed in (
            ("baselines", study["baselines"]),
            ("published.results", study.get("published", {}).get("results", {})),
        ):
            for configuration in listed:
                if configuration not in names:
                    raise ConfigError(
                        f"config key studies.{name}.{key}.{configuration}: not a configuration of this study; "
                        f"configurations: {names}"
                    )
    if "min_seeds" in config:  # the default (2) must not refuse a one-seed try, e.g. `pairstudy train`
        check_min_seeds(resolved)
    check_bootstrap_seeds(resolved)
    return resolved


def check_published_levels(study_name: str, study: dict, configurations) -> None:
    """Published numbers keyed by factor levels each match a configuration, and every explanation's causes are
    marked (before any job, naming the key)."""
    levels = {configuration.name: dict(configuration.factors) for configuration in configurations}
    try:
        published_entries(study.get("published") or {}, levels, f"studies.{study_name}.published")
    except ValueError as error:
        raise ConfigError(str(error)) from None


def check_study_names(studies: dict) -> None:
    """Two study names that differ only in case share their folders on a case-insensitive file system (macOS,
    Windows): each would read the other's runs."""
    seen: dict[str, str] = {}
    for name in studies:
        other = seen.setdefault(name.lower(), name)
        if other != name:
            raise ConfigError(
                f"config key studies.{name}: differs from studies.{other} only in case; their folders under results/ "
                "would be one on a case-insensitive file system: rename one"
            )


def check_min_seeds(config: dict) -> None:
    """A study with fewer seeds than a written min_seeds would give tables with no configuration in them."""
    for name, study in config["studies"].items():
        seeds = fewest_seeds(study["seeds"])
        if config["min_seeds"] > seeds:
            raise ConfigError(
                f"config key min_seeds: {config['min_seeds']} is more than the {seeds} seeds of studies.{name}.seeds, "
                "so no configuration could enter its tables; lower min_seeds or add seeds"
            )


def check_bootstrap_seeds(config: dict) -> None:
    """A BCa bootstrap interval over fewer seeds than BOOTSTRAP_MIN_SEEDS covers far less than it says."""
    if config.get("report", {}).get("interval") != "bootstrap":
        return
    from pairstudy.stats.intervals import BOOTSTRAP_MIN_SEEDS  # numpy, only for a config that asks a bootstrap

    for name, study in config["studies"].items():
        seeds = fewest_seeds(study["seeds"])
        if seeds < BOOTSTRAP_MIN_SEEDS:
            raise ConfigError(
                f"config key report.interval: bootstrap needs at least {BOOTSTRAP_MIN_SEEDS} seeds to cover what it "
                f"says, but studies.{name}.seeds gives {seeds}; use interval t (the default) or add seeds"
            )


def load_config(path: str | Path) -> dict:
    return validate_config(read_yaml(path), Path(path).parent)
