"""A validated study -> its configurations and runs.

A configuration is one point of the factor grid with a stable readable name and one
resolved hyperparameter dict; a run is a configuration with a seed. Factors that do
not apply to an architecture are dropped for it, so no duplicate jobs arise.
"""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import dataclass, field

from pairstudy.models.catalog import ARCHITECTURES

from .schema import ConfigError, schema_defaults

TRAINING_KEYS = tuple(key for key in schema_defaults("training") if key != "model")
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._=+-]*"


@dataclass(frozen=True)
class Configuration:
    study: str
    name: str
    architecture: str
    factors: dict  # the study's factors that apply here, with this configuration's levels
    hyperparameters: dict = field(repr=False)  # everything a run needs, fully resolved


@dataclass(frozen=True)
class Run:
    configuration: Configuration
    seed: int

    @property
    def study(self) -> str:
        return self.configuration.study

    @property
    def config(self) -> str:
        return self.configuration.name


def seed_list(seeds) -> list[int]:
    return list(range(seeds)) if isinstance(seeds, int) else list(seeds)


def factor_applies(factor: str, architecture: str, levels: dict) -> bool:
    """Whether `factor` changes anything for `architecture` given the other levels."""
    spec = ARCHITECTURES[architecture]
    if factor == "architecture":
        return True
    if factor == "aux":
        return spec.predicts_digits
    if factor == "aux_weight":
        return spec.predicts_digits and bool(levels.get("aux"))
    if factor in TRAINING_KEYS:
        return True
    return factor in spec.factors


def allowed_factors(architectures) -> list[str]:
    knobs = sorted({knob for name in architectures for knob in ARCHITECTURES[name].factors})
    return ["architecture", *TRAINING_KEYS, *knobs]


def format_level(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return "x".join(format_level(item) for item in value)
    if isinstance(value, float):
        return f"{value:g}"
    return re.sub(r"[^A-Za-z0-9.+-]", "", str(value))


def configuration_name(architecture: str, factors: dict, varied: list[str]) -> str:
    """'twin-sharing-aux' style names: architecture, then each varied factor in declared order."""
    parts = [architecture]
    for name in varied:
        if name == "architecture" or name not in factors:
            continue
        value = factors[name]
        if isinstance(value, bool):
            parts.append(name if value else f"no{name}")
        else:
            parts.append(f"{name}{format_level(value)}")
    return "-".join(parts)


def check_study(study_name: str, study: dict) -> None:
    """Rules the schema cannot state: registered architectures, factors that exist and apply."""
    where = f"studies.{study_name}"
    architectures = study["factors"]["architecture"]
    for architecture in architectures:
        if architecture not in ARCHITECTURES:
            raise ConfigError(
                f"config key {where}.factors.architecture: {architecture!r} is not a registered architecture; "
                f"allowed values: {sorted(ARCHITECTURES)}"
            )
    allowed = allowed_factors(architectures)
    for factor, levels in study["factors"].items():
        if factor == "model":
            raise ConfigError(
                f"config key {where}.factors.model: name model knobs directly as factors; allowed factors: {allowed}"
            )
        known_anywhere = factor in allowed_factors(ARCHITECTURES)
        if not known_anywhere:
            raise ConfigError(
                f"config key {where}.factors.{factor}: unknown factor for architectures {architectures}; allowed factors: {allowed}"
            )
        if not any(factor_applies(factor, name, {"aux": True}) for name in architectures):
            takers = sorted(name for name in ARCHITECTURES if factor_applies(factor, name, {"aux": True}))
            raise ConfigError(
                f"config key {where}.factors.{factor}: no architecture of this study ({architectures}) takes it; architectures that do: {takers}"
            )
        if len({repr(level) for level in levels}) != len(levels):
            raise ConfigError(f"config key {where}.factors.{factor}: levels repeat: {levels}")
    for architecture, overrides in study["overrides"].items():
        if architecture not in architectures:
            raise ConfigError(
                f"config key {where}.overrides.{architecture}: not an architecture of this study; allowed: {architectures}"
            )
        check_model_knobs(f"{where}.overrides.{architecture}.model", overrides.get("model", {}), [architecture])
    check_model_knobs(f"{where}.training.model", study["training"].get("model", {}), architectures)
    for kind in ("include", "exclude"):
        for index, entry in enumerate(study[kind]):
            for key in entry:
                if key not in allowed:
                    raise ConfigError(
                        f"config key {where}.{kind}[{index}].{key}: unknown factor; allowed factors: {allowed}"
                    )
            if kind == "include":
                if "architecture" not in entry or entry["architecture"] not in ARCHITECTURES:
                    raise ConfigError(
                        f"config key {where}.include[{index}]: needs an architecture from {sorted(ARCHITECTURES)}"
                    )
                for key in entry:
                    if not factor_applies(key, entry["architecture"], entry):
                        raise ConfigError(
                            f"config key {where}.include[{index}].{key}: architecture {entry['architecture']!r} does not take "
                            f"factor {key!r}; it takes: {allowed_factors([entry['architecture']])}"
                        )


def check_model_knobs(where: str, knobs: dict, architectures) -> None:
    allowed = sorted({knob for name in architectures for knob in ARCHITECTURES[name].factors})
    for knob in knobs:
        if knob not in allowed:
            raise ConfigError(
                f"config key {where}.{knob}: no architecture among {list(architectures)} takes it; allowed: {allowed}"
            )


def resolve_hyperparameters(study: dict, architecture: str, factors: dict) -> dict:
    """Schema defaults <- study training <- per-architecture overrides <- factor levels."""
    spec = ARCHITECTURES[architecture]
    training = {**schema_defaults("training"), **study["training"]}
    overrides = study["overrides"].get(architecture, {})
    training.update({key: value for key, value in overrides.items() if key != "model"})
    model = dict(spec.factors)
    model.update({key: value for key, value in study["training"].get("model", {}).items() if key in spec.factors})
    model.update(overrides.get("model", {}))
    for factor, level in factors.items():
        if factor == "architecture":
            continue
        if factor in spec.factors and factor not in TRAINING_KEYS:
            model[factor] = level
        else:
            training[factor] = level
    if not spec.predicts_digits:
        training["aux"] = False
    training.pop("model", None)
    data = {**schema_defaults("data"), **study["data"]}
    return copy.deepcopy({"architecture": architecture, "model": model, **training, "data": data})


def expand_configurations(study_name: str, study: dict) -> list[Configuration]:
    """All configurations of one validated study, in factor-declaration order, duplicates removed."""
    check_study(study_name, study)
    factor_names = list(study["factors"])
    points = [dict(zip(factor_names, levels)) for levels in itertools.product(*study["factors"].values())]
    points += [dict(entry) for entry in study["include"]]
    named = list(dict.fromkeys([*factor_names, *(key for entry in study["include"] for key in entry)]))
    varied = [name for name in named if len({repr(point[name]) for point in points if name in point}) > 1]

    configurations: dict[str, Configuration] = {}
    for point in points:
        architecture = point["architecture"]
        factors = {name: level for name, level in point.items() if factor_applies(name, architecture, point)}
        if any(all(factors.get(key, object()) == value for key, value in entry.items()) for entry in study["exclude"]):
            continue
        name = configuration_name(architecture, factors, varied)
        hyperparameters = resolve_hyperparameters(study, architecture, factors)
        existing = configurations.get(name)
        if existing is not None and existing.hyperparameters != hyperparameters:
            raise ConfigError(f"studies.{study_name}: two different configurations are both named {name!r}")
        configurations[name] = Configuration(study_name, name, architecture, factors, hyperparameters)
    if not configurations:
        raise ConfigError(f"studies.{study_name}: exclude removes every configuration")
    return list(configurations.values())


def expand_runs(study_name: str, study: dict) -> list[Run]:
    seeds = seed_list(study["seeds"])
    return [Run(configuration, seed) for configuration in expand_configurations(study_name, study) for seed in seeds]
