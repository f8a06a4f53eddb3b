"""The whole config: schema validation plus the study rules, in one call."""

from __future__ import annotations

from pathlib import Path

from .grid import expand_configurations
from .schema import ConfigError, read_yaml, validate_against_schema


def validate_config(config: dict) -> dict:
    """Validate a config dict (schema, then every study's rules); return it with defaults filled."""
    resolved = validate_against_schema(config)
    for name, study in resolved["studies"].items():
        names = [configuration.name for configuration in expand_configurations(name, study)]
        for published in study.get("published", {}).get("results", {}):
            if published not in names:
                raise ConfigError(
                    f"config key studies.{name}.published.results.{published}: not a configuration of this study; configurations: {names}"
                )
    return resolved


def load_config(path: str | Path) -> dict:
    return validate_config(read_yaml(path))
