"""A validated study -> its configurations, their names, seeds and seed blocks.

A configuration is one point of the factor grid (plus the study's `include` entries) with a
stable readable name and one resolved hyperparameter dict. Factors that do not change what a
configuration trains are dropped for it (see `resolve`), so no duplicate jobs arise.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from dataclasses import dataclass, field

from .resolve import applies, resolve
from .rules import check_resolved, check_study
from .schema import ConfigError
from .trainer import check_trainer_study, resolve_trainer

NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._=+-]*"


class IncludeExcludedWarning(UserWarning):
    """An include entry that an exclude entry removes."""


@dataclass(frozen=True)
class Configuration:
    study: str
    name: str
    architecture: str
    factors: dict  # the study's factors that apply here, with this configuration's levels
    hyperparameters: dict = field(repr=False)  # everything a run needs, resolved, nothing it does not use


def is_sequential(seeds) -> bool:
    """Whether `seeds` is a sequential plan ({initial, step, max, until}) rather than a count or a list."""
    return isinstance(seeds, dict)


def matches(entry: dict, point: dict) -> bool:
    """Whether `point` (factor or setting -> level) holds every level an exclude entry names."""
    return all(key in point and point[key] == value for key, value in entry.items())


def seed_count(seeds) -> int:
    """How many seeds `seeds` names (a count, a list, or a sequential plan's most), without listing them."""
    if is_sequential(seeds):
        return seeds["max"]
    return seeds if isinstance(seeds, int) else len(seeds)


def fewest_seeds(seeds) -> int:
    """The fewest seeds a configuration may end with: a sequential plan's first stage, else all of them."""
    return seeds["initial"] if is_sequential(seeds) else seed_count(seeds)


def seed_list(seeds) -> list[int]:
    """The seeds `seeds` names; of a sequential plan, all it may run (0..max-1)."""
    if is_sequential(seeds):
        return list(range(seeds["max"]))
    return list(range(seeds)) if isinstance(seeds, int) else list(seeds)


def grid_size(study: dict) -> int:
    """The most configurations a study expands to: the product of its factors' level counts, plus its include
    entries (before factors that do not apply collapse some), counted without building them."""
    return math.prod(len(levels) for levels in study["factors"].values()) + len(study["include"])


def check_size(study_name: str, study: dict) -> None:
    """Refuse a study larger than its max_runs before anything is built from it (a typo in seeds or a factor
    should not exhaust memory)."""
    points, seeds, limit = grid_size(study), seed_count(study["seeds"]), study["max_runs"]
    if points * seeds > limit:
        levels = " x ".join(str(len(levels)) for levels in study["factors"].values())
        include = f" + {len(study['include'])} include entries" if study["include"] else ""
        raise ConfigError(
            f"config key studies.{study_name}.seeds / factors: up to {points} configurations ({levels} levels"
            f"{include}) x {seeds} seeds = {points * seeds} runs, more than studies.{study_name}.max_runs = {limit}; "
            f"fewer seeds or levels, or set studies.{study_name}.max_runs for a really large study"
        )


def seed_blocks(seeds, seeds_per_job: int) -> dict[int, tuple[int, ...]]:
    """Block number -> its seeds, fixed by seed value (seed // seeds_per_job), so adding seeds adds blocks."""
    blocks: dict[int, list[int]] = {}
    for seed in sorted(seeds):
        blocks.setdefault(seed // seeds_per_job, []).append(seed)
    return {block: tuple(members) for block, members in blocks.items()}


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
    parts = [architecture] if architecture else []
    for name in varied:
        if name == "architecture" or name not in factors:
            continue
        value = factors[name]
        if isinstance(value, bool):
            parts.append(name if value else f"no{name}")
        else:
            parts.append(f"{name}{format_level(value)}")
    return "-".join(parts)


def expand_configurations(study_name: str, study: dict) -> list[Configuration]:
    """All configurations of one validated study, in factor-declaration order, duplicates removed."""
    check_size(study_name, study)
    trainer = "trainer" in study
    if trainer:
        check_trainer_study(study_name, study, written_keys=())
    else:
        check_study(study_name, study)
    factor_names = list(study["factors"])
    points = [dict(zip(factor_names, levels)) for levels in itertools.product(*study["factors"].values())]
    points += [dict(entry) for entry in study["include"]]
    named = list(dict.fromkeys([*factor_names, *(key for entry in study["include"] for key in entry)]))
    levels = {name: [point[name] for point in points if name in point] for name in named}
    levels = {
        name: [level for i, level in enumerate(found) if level not in found[:i]] for name, found in levels.items()
    }

    configurations: dict[str, Configuration] = {}
    applying: list[dict] = []  # every point's applying factors, excluded points too: they name the configurations
    first_include = len(points) - len(study["include"])
    for index, point in enumerate(points):
        factors = {name: level for name, level in point.items() if trainer or applies(study, point, name)}
        applying.append(factors)
        excluded_by = [number for number, entry in enumerate(study["exclude"]) if matches(entry, factors)]
        if excluded_by and index >= first_include:
            # a warning, not a refusal: exclude also cuts a study down to a few configurations to try (the presets'
            # tests do), includes among them; but never without a word
            warnings.warn(
                f"config key studies.{study_name}.include[{index - first_include}]: "
                f"studies.{study_name}.exclude[{excluded_by[0]}] removes it, so it is not trained; drop one of the "
                "two entries to silence this",
                IncludeExcludedWarning,
                stacklevel=2,
            )
        if excluded_by:
            continue
        if trainer:
            hyperparameters = resolve_trainer(study, point)
        else:
            hyperparameters = resolve(study, point["architecture"], point)
            check_resolved(f"studies.{study_name}", repr(factors), hyperparameters)
        configurations[repr(sorted(factors.items()))] = Configuration(
            study_name, "", hyperparameters["architecture"], factors, hyperparameters
        )
    idle = [name for name in named if len(levels[name]) > 1 and not any(name in factors for factors in applying)]
    if idle:
        raise ConfigError(
            f"config key studies.{study_name}.factors.{idle[0]}: its levels change nothing any configuration trains "
            "(e.g. momentum with optimizer adam, aux_weight without aux, a knob no architecture of the study takes)"
        )
    if not configurations:
        raise ConfigError(f"studies.{study_name}: exclude removes every configuration")
    varied = [name for name in named if len({repr(factors[name]) for factors in applying if name in factors}) > 1]
    named_configurations: dict[str, Configuration] = {}
    for configuration in configurations.values():
        prefix = "" if trainer else configuration.architecture
        name = configuration_name(prefix, configuration.factors, varied) or configuration.architecture
        existing = named_configurations.get(name)
        if existing is not None:
            if existing.hyperparameters == configuration.hyperparameters:
                continue
            raise ConfigError(f"studies.{study_name}: two different configurations are both named {name!r}")
        named_configurations[name] = Configuration(
            study_name, name, configuration.architecture, configuration.factors, configuration.hyperparameters
        )
    return list(named_configurations.values())


def baseline_names(configurations: list[Configuration], study: dict) -> list[str]:
    """The study's named baselines, else the configurations of architectures that take none of its other factors
    (an MLP among twin nets that vary sharing and aux); none when that is every configuration."""
    if study["baselines"]:
        return list(study["baselines"])
    plain = [c.name for c in configurations if set(c.factors) <= {"architecture"}]
    return plain if len(plain) < len(configurations) else []


def study_grid_table(configurations: list[Configuration], study: dict, tuned: dict[str, dict] | None = None):
    """One row per configuration: name, factor levels ('-' where a factor does not apply), seeds; for a tuned study
    its tuned settings (`tuned`: configuration -> setting -> value, see tuning.tuned_settings)."""
    import pandas as pd

    seeds = len(seed_list(study["seeds"]))
    names = list(dict.fromkeys([*study["factors"], *(key for entry in study["include"] for key in entry)]))
    rows = [
        {"config": c.name, **{name: c.factors.get(name, "-") for name in names}, **(tuned or {}).get(c.name, {})}
        for c in configurations
    ]
    return pd.DataFrame(rows).assign(seeds=seeds)
