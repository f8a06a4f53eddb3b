"""The config schema: loaded once, validated strictly with its defaults filled in, errors that name the key path.

The schema file is the one home of every default: the workflow, the package and the command line
all read it through this module.
"""

from __future__ import annotations

import copy
import difflib
import functools
import math
from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).with_name("config.schema.yaml")


class ConfigError(ValueError):
    """The config breaks a rule; the message names the key path and what is allowed."""


@functools.cache
def load_schema() -> dict:
    """The parsed schema (one parse per process; callers must not change it)."""
    return yaml.safe_load(SCHEMA_PATH.read_text())


def is_strict_integer(_checker, instance) -> bool:
    """An integer is an int: 2.0 is a float and bool is no number (JSON Schema would accept 2.0)."""
    return isinstance(instance, int) and not isinstance(instance, bool)


def _with_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    type_checker = validator_class.TYPE_CHECKER.redefine("integer", is_strict_integer)
    return jsonschema.validators.extend(validator_class, {"properties": set_defaults}, type_checker=type_checker)


DefaultFillingValidator = _with_defaults(jsonschema.Draft202012Validator)
StrictValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", is_strict_integer),
)


def key_path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def number_as_text(value) -> bool:
    """Text that YAML 1.1 did not read as a number, such as 1e-3 (no decimal point)."""
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def suggestion(key, schema: dict) -> str:
    """A hint for an unknown key: "did you mean 'epochs'?" for one close to an allowed key (a typo); for one that
    belongs one level down (`epochs` written beside `training` instead of in it), where it belongs."""
    properties = schema.get("properties", {})
    if not isinstance(key, str):
        return ""
    close = difflib.get_close_matches(key, list(properties), n=1, cutoff=0.7)
    if close:
        return f"did you mean {close[0]!r}?"
    definitions = load_schema()["definitions"]
    homes = []
    for name, spec in properties.items():
        reference = spec.get("$ref", "")
        inner = definitions.get(reference.rsplit("/", 1)[-1], {}) if reference else spec
        if key in inner.get("properties", {}):
            homes.append(name)
    return f"it belongs under {homes[0]!r}" if homes else ""


def describe_error(error: jsonschema.ValidationError, path: str) -> str:
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        if allowed:
            hints = [(key, hint) for key in unknown if (hint := suggestion(key, error.schema))]
            named = len(unknown) > 1  # which key a hint is for
            hint = "".join(f"; {f'{key!r}: ' if named else ''}{text}" for key, text in hints)
            return f"config key {path}: unknown key(s) {unknown}{hint}; allowed keys: {allowed}"
    if error.validator == "enum":
        return f"config key {path}: {error.instance!r} is not allowed; allowed values: {error.validator_value}"
    if error.validator == "type" and number_as_text(error.instance):
        return (
            f"config key {path}: {error.instance!r} is text, not a number: YAML reads a number in exponent form "
            f"without a decimal point as text; write it with one, e.g. {float(error.instance):.1e}"
        )
    if error.validator == "type" and error.validator_value == "integer" and isinstance(error.instance, float):
        return f"config key {path}: {error.instance!r} is not a whole number; write it without a decimal point"
    if error.validator == "oneOf" and error.schema.get("description"):
        return f"config key {path}: {error.instance!r} is not valid; expected {error.schema['description']}"
    if error.validator == "type" and error.schema.get("description"):
        return f"config key {path}: {error.message}; expected {error.schema['description']}"
    if error.validator == "required" and error.schema.get("properties"):
        missing = [name for name in error.validator_value if name not in error.instance]
        if missing:
            where = f"{path}.{missing[0]}" if path != "(top level)" else missing[0]
            about = error.schema["properties"][missing[0]].get("description", "")
            return f"config key {where}: missing" + (f"; expected {about}" if about else "")
    if error.validator == "propertyNames" or "propertyNames" in error.absolute_schema_path:
        name = repr(error.instance)
        if len(name) > 80:
            name = f"{name[:40]}... ({len(error.instance)} characters)"
        rule = (error.schema.get("description") or error.message).strip()
        return f"config key {path}: name {name} is not allowed: {rule}"
    return f"config key {path}: {error.message}"


def first_error(errors, where: str = "") -> str | None:
    """The message of the most relevant error; `where` is the key path of the validated value."""
    errors = sorted(errors, key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not errors:
        return None
    error = jsonschema.exceptions.best_match(errors)
    inner = key_path(error.absolute_path) if error.absolute_path else ""
    if where and inner:
        inner = inner if inner.startswith("[") else f".{inner}"
    return describe_error(error, f"{where}{inner}" or "(top level)")


def check_finite(value, path=()) -> None:
    """Refuse NaN and infinite numbers anywhere (a schema's range checks let NaN through)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"config key {key_path(path)}: {value} is not a finite number")
    if isinstance(value, dict):
        for key, item in value.items():
            check_finite(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_finite(item, (*path, index))


def validate_against_schema(config: dict) -> dict:
    """Return a copy of `config` with the schema's defaults filled in, or raise ConfigError."""
    if not isinstance(config, dict):
        raise ConfigError(f"the config must be a mapping with a 'studies' key, got {type(config).__name__}")
    check_finite(config)
    resolved = copy.deepcopy(config)
    message = first_error(DefaultFillingValidator(load_schema()).iter_errors(resolved))
    if message:
        raise ConfigError(message)
    # overrides share the training definition, but only the keys a user wrote may override
    for name, study in resolved["studies"].items():
        study["overrides"] = copy.deepcopy(config["studies"][name].get("overrides", {}))
    return resolved


def check_value(definition: str, key: str, value, where: str) -> None:
    """Check one value against the schema of `definition`'s property `key` (e.g. a factor level of `lr`)."""
    subschema = {
        **load_schema()["definitions"][definition]["properties"][key],
        "definitions": load_schema()["definitions"],
    }
    message = first_error(StrictValidator(subschema).iter_errors(value), where)
    if message:
        raise ConfigError(message)


@functools.cache
def _defaults(definition: str) -> dict:
    properties = load_schema()["definitions"][definition]["properties"]
    return {name: spec["default"] for name, spec in properties.items() if "default" in spec}


def schema_defaults(definition: str) -> dict:
    """The defaults of one definition of the schema (e.g. 'training' or 'data'), a fresh copy."""
    return copy.deepcopy(_defaults(definition))


def schema_property(definition: str, key: str) -> dict:
    """The schema of one property, e.g. ('training', 'optimizer') for its enum and default."""
    return load_schema()["definitions"][definition]["properties"][key]


# A config file of many studies holds some thousand values; aliases (*name) that repeat an anchored value beyond
# this many would make every later check walk millions of copies (a "billion laughs" file hangs them for minutes).
MAX_YAML_VALUES = 100_000


class UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a mapping that names a key twice (plain YAML keeps the last silently), an alias
    inside the value it names, and aliases that expand to more than MAX_YAML_VALUES values."""

    def compose_document(self):
        self.expanded_sizes: dict[int, int] = {}  # node -> values it holds once its aliases are expanded
        return super().compose_document()

    def compose_node(self, parent, index):
        event = self.peek_event()
        node = super().compose_node(parent, index)
        if isinstance(event, yaml.AliasEvent):
            if id(node) not in self.expanded_sizes:
                raise ConfigError(
                    f"line {event.start_mark.line + 1}: the alias *{event.anchor} lies inside the value it names "
                    "(a value that contains itself); write the value out"
                )
            return node
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = []
        size = 1 + sum(self.expanded_sizes[id(child)] for child in children)
        if size > MAX_YAML_VALUES:
            raise ConfigError(
                f"line {event.start_mark.line + 1}: this value expands, through its YAML aliases (*name), to {size} "
                f"values, more than the {MAX_YAML_VALUES} a config file may hold; write the values out, or fewer"
            )
        self.expanded_sizes[id(node)] = size
        return node


def _construct_unique_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(
                f"key {key!r} appears twice in one mapping (lines {seen[key] + 1} and {key_node.start_mark.line + 1}"
                f"{' of ' + key_node.start_mark.name if key_node.start_mark.name else ''}): the first would be ignored"
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def read_yaml(path: str | Path) -> dict:
    """A config file: a mapping (its `studies` and settings), refusing duplicated keys and alias bombs."""
    path = Path(path)
    try:
        with path.open() as handle:
            written = yaml.load(handle, Loader=UniqueKeyLoader)
    except FileNotFoundError as error:
        raise ConfigError(f"config file {path} does not exist") from error
    except ConfigError as error:
        raise ConfigError(f"config file {path}: {error}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"config file {path} is not valid YAML: {error}") from error
    if written is None:
        raise ConfigError(f"config file {path} is empty: it needs the key studies (name -> study, see the README)")
    if not isinstance(written, dict):
        raise ConfigError(
            f"config file {path}: its top level is a {type(written).__name__}, not a mapping; a config is a mapping "
            "with the key studies (name -> study, see the README)"
        )
    return written
