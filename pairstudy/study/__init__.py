"""Studies: config.yaml -> validated config -> configurations (resolved hyperparameters) -> seed blocks."""

from .config import load_config, validate_config
from .grid import (
    NAME_PATTERN,
    Configuration,
    baseline_names,
    expand_configurations,
    seed_blocks,
    seed_list,
    study_grid_table,
)
from .resolve import TRAINING_KEYS, resolve
from .schema import SCHEMA_PATH, ConfigError, read_yaml, schema_defaults, schema_property, validate_against_schema

__all__ = [
    "NAME_PATTERN",
    "SCHEMA_PATH",
    "TRAINING_KEYS",
    "ConfigError",
    "Configuration",
    "baseline_names",
    "expand_configurations",
    "load_config",
    "read_yaml",
    "resolve",
    "schema_defaults",
    "schema_property",
    "seed_blocks",
    "seed_list",
    "study_grid_table",
    "validate_against_schema",
    "validate_config",
]
