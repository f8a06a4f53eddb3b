"""Studies: config.yaml -> validated config -> configurations -> runs."""

from .config import load_config, validate_config
from .grid import NAME_PATTERN, TRAINING_KEYS, Configuration, Run, expand_configurations, expand_runs, seed_list
from .schema import SCHEMA_PATH, ConfigError, read_yaml, schema_defaults, validate_against_schema

__all__ = [
    "NAME_PATTERN",
    "SCHEMA_PATH",
    "TRAINING_KEYS",
    "ConfigError",
    "Configuration",
    "Run",
    "expand_configurations",
    "expand_runs",
    "load_config",
    "read_yaml",
    "schema_defaults",
    "seed_list",
    "validate_against_schema",
    "validate_config",
]
