"""Load and validate a config against the JSON schema, filling in its defaults."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).with_name("config.schema.yaml")


class ConfigError(ValueError):
    """The config breaks a rule; the message names the key path and what is allowed."""


def load_schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _with_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


DefaultFillingValidator = _with_defaults(jsonschema.Draft202012Validator)


def key_path(parts) -> str:
    return ".".join(str(part) for part in parts) or "(top level)"


def describe_error(error: jsonschema.ValidationError) -> str:
    path = key_path(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        if allowed:
            return f"config key {path}: unknown key(s) {unknown}; allowed keys: {allowed}"
    if error.validator == "enum":
        return f"config key {path}: {error.instance!r} is not allowed; allowed values: {error.validator_value}"
    if error.validator == "oneOf" and error.schema.get("description"):
        return f"config key {path}: {error.instance!r} is not valid; expected {error.schema['description']}"
    if error.validator == "propertyNames":
        return f"config key {path}: name {error.instance!r} is not allowed ({error.message})"
    return f"config key {path}: {error.message}"


def validate_against_schema(config: dict) -> dict:
    """Return a copy of `config` with the schema's defaults filled in, or raise ConfigError."""
    if not isinstance(config, dict):
        raise ConfigError(f"the config must be a mapping with a 'studies' key, got {type(config).__name__}")
    resolved = copy.deepcopy(config)
    validator = DefaultFillingValidator(load_schema())
    errors = sorted(
        validator.iter_errors(resolved), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path)))
    )
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        raise ConfigError(describe_error(error))
    # overrides share the training definition, but only the keys a user wrote may override
    for name, study in resolved["studies"].items():
        study["overrides"] = copy.deepcopy(config["studies"][name].get("overrides", {}))
    return resolved


def schema_defaults(definition: str) -> dict:
    """The defaults of one definition of the schema (e.g. 'training' or 'data')."""
    properties = load_schema()["definitions"][definition]["properties"]
    return {name: copy.deepcopy(spec["default"]) for name, spec in properties.items() if "default" in spec}


def read_yaml(path: str | Path) -> dict:
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError as error:
        raise ConfigError(f"config file {path} does not exist") from error
    except yaml.YAMLError as error:
        raise ConfigError(f"config file {path} is not valid YAML: {error}") from error
