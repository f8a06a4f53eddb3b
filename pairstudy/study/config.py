"""The whole config: schema, the model files it names, and every study's rules, in one call."""

from __future__ import annotations

from pathlib import Path

from .grid import expand_configurations
from .schema import ConfigError, read_yaml, validate_against_schema


def load_model_files_of(config: dict, base_dir: str | Path) -> list[Path]:
    """Import the config's model files (relative to `base_dir`, the config file's folder) so their architectures
    register; their paths."""
    from pairstudy.models import ModelFileError, load_model_files

    paths = [Path(base_dir) / path for path in config.get("model_files", [])]
    for index, path in enumerate(paths):
        if not path.is_file():
            raise ConfigError(f"config key model_files[{index}]: {path} is not a file")
    try:
        load_model_files(paths)
    except ModelFileError as error:
        raise ConfigError(str(error)) from None
    return paths


def validate_config(config: dict, base_dir: str | Path = ".") -> dict:
    """Validate a config dict (schema, model files, then every study's rules); return it with defaults filled."""
    resolved = validate_against_schema(config)
    load_model_files_of(resolved, base_dir)
    for name, study in resolved["studies"].items():
        names = [configuration.name for configuration in expand_configurations(name, study)]
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
    return resolved


def load_config(path: str | Path) -> dict:
    return validate_config(read_yaml(path), Path(path).parent)
