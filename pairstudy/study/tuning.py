"""A study's tuning block -> the cells it trains on the tuning seeds, and the study's configurations at the settings
the selection step chose.

A tuning cell is an ordinary configuration of the study, named `tuning.<configuration>.<setting>`, trained on the
tuning seeds by the same training jobs as the study's own. Points of the space that change nothing a configuration
trains (momentum under Adam) collapse into one cell, so no run is trained twice. With `per: architecture`,
`chosen_on` may name the configurations an architecture's setting is chosen on; its other configurations are not
tuned and take that setting. The selection step
(`pairstudy.aggregate.tuning`) ranks each group's settings on validation data alone and writes the choice to
results/<study>/tuning/selected.yaml with the plan's fingerprint; `tuned_configurations` gives the study's
configurations at the chosen settings, and a selection written for another plan counts as none.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from pairstudy.metrics.identity import canonical_json, hyperparameter_hash
from pairstudy.paths import TUNING_SELECTION

from .grid import Configuration, configuration_name, matches, seed_blocks, seed_list
from .resolve import applies, resolve
from .rules import allowed_factors, check_level, check_resolved
from .schema import ConfigError
from .stages import blocks_of_count, decided_counts, read_decision, study_looks
from .trainer import check_trainer_setting, resolve_trainer

CELL_PREFIX = "tuning."
SELECTION_PREFIX = "final_validation_"  # the only run metrics a setting may be chosen on


@dataclass(frozen=True)
class TuningPlan:
    """What a study's tuning trains and how it chooses: `cells` (name -> the cell as a configuration), `settings`
    (name -> its levels, in the space's order), `assignment` ((tuned configuration, setting) -> the cell that trains
    it), `groups` (configuration -> the group whose setting it takes: its architecture or itself), `tried_settings`
    (group -> the settings its configurations may take) and `untuned` ((configuration, setting) -> a configuration
    `chosen_on` leaves out, at that setting)."""

    study: str
    space: dict
    per: str
    seeds: tuple[int, ...]
    select: str
    higher_is_better: bool
    cells: dict[str, Configuration]
    settings: dict[str, dict]
    assignment: dict[tuple[str, str], str]
    groups: dict[str, str]
    tried_settings: dict[str, tuple[str, ...]]
    untuned: dict[tuple[str, str], Configuration]

    @functools.cached_property
    def fingerprint(self) -> str:
        """Equal for plans that train the same cells on the same seeds and choose the same way."""
        return hyperparameter_hash(
            {
                "seeds": list(self.seeds),
                "select": self.select,
                "per": self.per,
                "cells": {name: hyperparameter_hash(cell.hyperparameters) for name, cell in self.cells.items()},
                "assignment": [[*key, cell] for key, cell in sorted(self.assignment.items())],
                "groups": self.groups,
            }
        )

    def tried(self, configuration: str) -> list[str]:
        """The settings a configuration may take (those `tuning.exclude` leaves its group), in the space's order."""
        return list(self.tried_settings[self.groups[configuration]])

    def is_tuned(self, configuration: str) -> bool:
        """Whether tuning trains the configuration itself (`chosen_on` names it, or names nothing)."""
        return (configuration, self.tried(configuration)[0]) in self.assignment

    def at(self, configuration: str, setting: str) -> Configuration:
        """The configuration at a setting: the cell that trains it, or the untuned point with the same settings."""
        if (configuration, setting) in self.assignment:
            return self.cells[self.assignment[configuration, setting]]
        return self.untuned[configuration, setting]

    def applied(self, configuration: str, setting: str) -> dict:
        """The setting's levels that change what the configuration trains (no momentum under Adam)."""
        factors = self.at(configuration, setting).factors
        return {key: level for key, level in self.settings[setting].items() if key in factors}

    def space_tried(self, configuration: str) -> dict[str, list]:
        """Each space key with the values a configuration tried, in the space's order."""
        tried = [self.settings[setting] for setting in self.tried(configuration)]
        return {
            key: [value for value in values if any(s[key] == value for s in tried)]
            for key, values in self.space.items()
        }

    def cells_of(self, configuration: str) -> list[str]:
        """The distinct cells a configuration is tuned on, in the space's order (none for an untuned one)."""
        if not self.is_tuned(configuration):
            return []
        return list(dict.fromkeys(self.assignment[configuration, setting] for setting in self.tried(configuration)))

    def members(self, group: str) -> list[str]:
        return [name for name, member_of in self.groups.items() if member_of == group]

    def tuned_members(self, group: str) -> list[str]:
        """The group's configurations whose runs its setting is chosen on."""
        return [name for name in self.members(group) if self.is_tuned(name)]

    def budget(self, configuration: str) -> dict:
        """What tuning spent on one configuration: settings tried, runs, and epochs where its settings say them (all
        zero for a configuration `chosen_on` leaves out)."""
        cells = self.cells_of(configuration)
        epochs = [self.cells[cell].hyperparameters.get("epochs") for cell in cells]
        known = all(isinstance(count, int) for count in epochs)
        return {
            "settings": len(cells),
            "runs": len(cells) * len(self.seeds),
            "epochs": sum(epochs) * len(self.seeds) if known else None,
        }


def tuning_where(study_name: str) -> str:
    return f"studies.{study_name}.tuning"


def check_space(study_name: str, study: dict, architectures: list[str]) -> None:
    """Each space key a setting a factor could vary, with valid levels, and not a factor or include key already."""
    where = tuning_where(study_name)
    compared = set(study["factors"]) | {key for entry in study["include"] for key in entry}
    for key, levels in study["tuning"]["space"].items():
        if key in compared:
            raise ConfigError(
                f"config key {where}.space.{key}: {key} is a factor of the study (studies.{study_name}.factors or "
                "include): a setting is either compared or tuned, not both"
            )
        if len({repr(level) for level in levels}) != len(levels):
            raise ConfigError(f"config key {where}.space.{key}: values repeat: {levels}")
        for index, level in enumerate(levels):
            if "trainer" in study:
                check_trainer_setting(study, f"{where}.space.{key}[{index}]", key, level)
            else:
                allowed = allowed_factors(architectures)
                if key == "architecture" or key not in allowed:
                    raise ConfigError(
                        f"config key {where}.space.{key}: not a setting of the study's architectures "
                        f"{architectures}; allowed: {allowed[1:]}"
                    )
                check_level(f"{where}.space.{key}[{index}]", key, level, architectures)


def check_seeds(study_name: str, study: dict) -> None:
    shared = sorted(set(study["tuning"]["seeds"]) & set(seed_list(study["seeds"])))
    if shared:
        raise ConfigError(
            f"config key {tuning_where(study_name)}.seeds: {shared[:5]} {'is' if len(shared) == 1 else 'are'} also "
            f"among the study's seeds (studies.{study_name}.seeds): the study's runs must be trained on seeds the "
            "selection never saw"
        )


def selection_metric(study_name: str, study: dict, spec) -> tuple[str, bool]:
    """The run metric settings are chosen on (a final validation value) and whether higher is better."""
    where = tuning_where(study_name)
    metrics = spec.run_metrics()
    allowed = [name for name in metrics if name.startswith(SELECTION_PREFIX)]
    select = study["tuning"]["select"]
    if select is None:
        if spec.validation_column is None:
            raise ConfigError(
                f"config key {where}: the task's headline {spec.headline!r} is not measured on validation data, so "
                f"no setting can be chosen on it; name a validation metric in {where}.select: {allowed}"
            )
        select = f"final_{spec.validation_column}"
    if select not in allowed:
        raise ConfigError(
            f"config key {where}.select: {select!r} is not a final validation metric (a setting chosen on test "
            f"values would make the test numbers a selection, not an estimate); allowed: {allowed}"
        )
    return select, metrics[select][0].higher_is_better


def check_validation_data(study_name: str, study: dict, cell: Configuration) -> None:
    """A study of a task must give validation data for tuning to choose on."""
    if "trainer" in study:
        return  # a training function measures what it declares; the selection step refuses empty values
    from pairstudy.tasks import get_task
    from pairstudy.tasks.registry import data_defaults

    task = get_task(cell.hyperparameters["task"])
    if task(cell.hyperparameters).sizes().get("validation", 0) > 0:
        return
    keys = [key for key in data_defaults(study["task"]) if "validation" in key]
    key = f"studies.{study_name}.data.{keys[0]}" if keys else f"studies.{study_name}.data"
    raise ConfigError(
        f"config key {tuning_where(study_name)}: tuning chooses on validation data and the study has none: set "
        f"{key} above 0 (e.g. 250)"
    )


def check_size(study_name: str, study: dict, tuned: int, configurations: int) -> None:
    space = study["tuning"]["space"]
    points = math.prod(len(levels) for levels in space.values())
    runs = tuned * points * len(study["tuning"]["seeds"])
    finals = configurations * len(seed_list(study["seeds"]))
    if runs + finals > study["max_runs"]:
        raise ConfigError(
            f"config key {tuning_where(study_name)}.space: up to {tuned} configurations x {points} settings x "
            f"{len(study['tuning']['seeds'])} tuning seeds = {runs} tuning runs, with the study's {finals} more than "
            f"studies.{study_name}.max_runs = {study['max_runs']}; fewer values, or raise max_runs"
        )


def point_of(configuration: Configuration) -> dict:
    """The configuration's factor levels with its architecture: what exclude and chosen_on entries match."""
    return {"architecture": configuration.architecture, **configuration.factors}


def chosen_on(study_name: str, study: dict, configurations: list[Configuration]) -> set[str]:
    """The configurations tuning trains: those a `tuning.chosen_on` entry matches (every one without entries), each
    architecture keeping at least one, and `per: architecture` the only grouping that can leave some out."""
    where = f"{tuning_where(study_name)}.chosen_on"
    entries = study["tuning"]["chosen_on"]
    if not entries:
        return {c.name for c in configurations}
    if study["tuning"]["per"] != "architecture":
        raise ConfigError(
            f"config key {where}: with per: {study['tuning']['per']} every configuration takes its own setting, so "
            "each must be tuned; drop chosen_on or set per: architecture"
        )
    matched = [{c.name for c in configurations if matches(entry, point_of(c))} for entry in entries]
    for index, (entry, names) in enumerate(zip(entries, matched)):
        if not names:
            raise ConfigError(
                f"config key {where}[{index}]: {entry} matches no configuration of the study; its configurations: "
                f"{[c.name for c in configurations][:8]}"
            )
    tuned = set().union(*matched)
    architectures = {c.architecture for c in configurations}
    left = sorted(architectures - {c.architecture for c in configurations if c.name in tuned})
    if left:
        raise ConfigError(
            f"config key {where}: it names no configuration of {left[0]}, so nothing would choose its setting; add "
            f"an entry such as {{architecture: {left[0]}}}"
        )
    return tuned


def settings_tried(
    study_name: str, study: dict, configurations: list[Configuration], settings: dict, groups: dict
) -> dict[str, list[str]]:
    """Group -> the settings its configurations are tuned on: those no `tuning.exclude` entry drops for any of them
    (the configurations of a group share one setting, so each tries the same ones)."""
    where = tuning_where(study_name)
    entries = study["tuning"]["exclude"]
    known = {"architecture", *study["factors"], *(key for entry in study["include"] for key in entry)}
    for index, entry in enumerate(entries):
        for key in entry:
            if key not in known and key not in study["tuning"]["space"]:
                raise ConfigError(
                    f"config key {where}.exclude[{index}].{key}: neither a factor of the study nor a key of "
                    f"{where}.space; allowed: {sorted(known | set(study['tuning']['space']))}"
                )

    def excluded(configuration: Configuration, levels: dict) -> bool:
        point = {**point_of(configuration), **levels}
        return any(matches(entry, point) for entry in entries)

    tried = {}
    for group in dict.fromkeys(groups.values()):
        members = [c for c in configurations if groups[c.name] == group]
        tried[group] = [
            setting for setting, levels in settings.items() if not any(excluded(c, levels) for c in members)
        ]
        if not tried[group]:
            raise ConfigError(f"config key {where}.exclude: it leaves {group} no setting to try")
    return tried


def cell_of(study: dict, configuration: Configuration, levels: dict) -> tuple[dict, dict]:
    """The factors (the space's that apply among them) and resolved hyperparameters of one configuration at one
    point of the space."""
    point = {**configuration.factors, **levels}
    if "trainer" in study:
        return point, resolve_trainer(study, point)
    point = {"architecture": configuration.architecture, **point}
    factors = {key: level for key, level in point.items() if key not in levels or applies(study, point, key)}
    return factors, resolve(study, configuration.architecture, point)


def tuning_plan(study_name: str, study: dict, configurations: list[Configuration], spec) -> TuningPlan:
    """The plan of a study with a tuning block, every rule checked: keys, levels, seeds, the metric, validation
    data, the run budget, and a space key that changes nothing any configuration trains."""
    tuning = study["tuning"]
    where = tuning_where(study_name)
    check_space(study_name, study, sorted({c.architecture for c in configurations}))
    check_seeds(study_name, study)
    select, higher_is_better = selection_metric(study_name, study, spec)
    tuned = chosen_on(study_name, study, configurations)
    check_size(study_name, study, len(tuned), len(configurations))
    space = tuning["space"]
    settings = {}
    for levels in itertools.product(*space.values()):
        point = dict(zip(space, levels))
        settings[configuration_name("", point, list(space))] = point
    groups = {c.name: c.architecture if tuning["per"] == "architecture" else c.name for c in configurations}
    tried = settings_tried(study_name, study, configurations, settings, groups)
    cells: dict[str, Configuration] = {}
    assignment: dict[tuple[str, str], str] = {}
    untuned: dict[tuple[str, str], Configuration] = {}
    applied: set[str] = set()
    for configuration in configurations:
        seen: dict[str, str] = {}  # hyperparameters -> the cell that trains them
        for setting in tried[groups[configuration.name]]:
            levels = settings[setting]
            factors, hyperparameters = cell_of(study, configuration, levels)
            applied |= {key for key in levels if key in factors}
            if configuration.name not in tuned:
                untuned[configuration.name, setting] = Configuration(
                    study_name, configuration.name, configuration.architecture, factors, hyperparameters
                )
                continue
            key = canonical_json(hyperparameters)
            if key not in seen:
                name = f"{CELL_PREFIX}{configuration.name}.{setting}"
                if name in cells:
                    raise ConfigError(f"config key {where}: two tuning cells are both named {name!r}")
                if "trainer" not in study:
                    check_resolved(where, name, hyperparameters)
                cell = Configuration(study_name, name, configuration.architecture, factors, hyperparameters)
                check_validation_data(study_name, study, cell)
                cells[name] = cell
                seen[key] = name
            assignment[configuration.name, setting] = seen[key]
    idle = [key for key in space if key not in applied]
    if idle:
        raise ConfigError(
            f"config key {where}.space.{idle[0]}: its values change nothing any configuration of the study trains "
            "(e.g. momentum with optimizer adam, a knob no architecture of the study takes)"
        )
    return TuningPlan(
        study_name,
        dict(space),
        tuning["per"],
        tuple(tuning["seeds"]),
        select,
        higher_is_better,
        cells,
        settings,
        assignment,
        groups,
        {group: tuple(names) for group, names in tried.items()},
        untuned,
    )


def selection_path(study_name: str, folder: str | Path = ".") -> Path:
    return Path(folder, TUNING_SELECTION.format(study=study_name))


def read_selection(plan: TuningPlan, folder: str | Path = ".") -> dict[str, str] | None:
    """Configuration -> the setting chosen for it, from the selection step's file; None before the selection, or
    when the file was written for another plan (a changed space, seeds or metric) or cannot be read."""
    path = selection_path(plan.study, folder)
    try:
        written = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(written, dict) or written.get("fingerprint") != plan.fingerprint:
        return None
    chosen = written.get("chosen")
    if not isinstance(chosen, dict) or set(chosen) != set(plan.groups):
        return None
    settings = {name: entry.get("setting") if isinstance(entry, dict) else None for name, entry in chosen.items()}
    return settings if all(setting in plan.tried(name) for name, setting in settings.items()) else None


def tuned_configuration(plan: TuningPlan, configuration: Configuration, setting: str) -> Configuration:
    """`configuration` at a setting of the space: its name and factors, the cell's hyperparameters."""
    return Configuration(
        configuration.study,
        configuration.name,
        configuration.architecture,
        configuration.factors,
        plan.at(configuration.name, setting).hyperparameters,
    )


def tuned_configurations(
    plan: TuningPlan, configurations: list[Configuration], chosen: dict[str, str]
) -> list[Configuration]:
    return [tuned_configuration(plan, configuration, chosen[configuration.name]) for configuration in configurations]


def edge_notes(space: dict, levels: dict) -> list[str]:
    """For each numeric setting chosen at the smallest or largest value the space tried, a sentence saying so."""
    notes = []
    for key, level in levels.items():
        tried = space.get(key, [])
        numbers = [value for value in tried if isinstance(value, (int, float)) and not isinstance(value, bool)]
        if len(numbers) < 2 or level not in numbers or len(numbers) != len(tried):
            continue
        if level == max(numbers):
            notes.append(f"{key} {level:g} is the largest value tried: widen the space")
        elif level == min(numbers):
            notes.append(f"{key} {level:g} is the smallest value tried: widen the space")
    return notes


def study_tuning(study_name: str, study: dict, configurations: list[Configuration]) -> TuningPlan | None:
    """The tuning plan of a validated study (its trainer loaded), None without a tuning block."""
    from .preflight import metric_spec

    return tuning_plan(study_name, study, configurations, metric_spec(study)) if study.get("tuning") else None


def planned_work(
    study: dict, configurations: list[Configuration], plan: TuningPlan | None, folder: str | Path = "."
) -> list[tuple[Configuration, dict[int, tuple[int, ...]]]]:
    """Every configuration whose runs are known now, with its seed blocks: the tuning cells on the tuning seeds, then
    the study's configurations on its seeds (a tuned study's once its settings are chosen)."""
    work = []
    if plan is not None:
        blocks = seed_blocks(plan.seeds, study["seeds_per_job"])
        work += [(cell, blocks) for cell in plan.cells.values()]
        chosen = read_selection(plan, folder)
        if chosen is None:
            return work
        configurations = tuned_configurations(plan, configurations, chosen)
    looks = study_looks(study)
    if looks is None:
        blocks = seed_blocks(seed_list(study["seeds"]), study["seeds_per_job"])
        return work + [(configuration, blocks) for configuration in configurations]
    # a sequential study: the seeds each configuration has from the stages decided so far
    name = configurations[0].study
    counts, _, _ = decided_counts([c.name for c in configurations], looks, lambda k: read_decision(name, k, folder))
    return work + [(c, blocks_of_count(counts[c.name], study["seeds_per_job"])) for c in configurations]


def tuned_settings(plan: TuningPlan, folder: str | Path = ".") -> dict[str, dict]:
    """Configuration -> each tuned setting's chosen value ("-" where it changes nothing the configuration trains), or
    "chosen by tuning" before the selection."""
    chosen = read_selection(plan, folder)
    if chosen is None:
        return {name: dict.fromkeys(plan.space, "chosen by tuning") for name in plan.groups}
    return {name: {key: "-" for key in plan.space} | plan.applied(name, chosen[name]) for name in plan.groups}


def tuning_grid_table(plan: TuningPlan):
    """One row per tuning cell: the configuration it tunes, its group, its setting's levels and its seeds."""
    import pandas as pd

    tunes = {}
    for (configuration, _), cell in plan.assignment.items():
        tunes.setdefault(cell, configuration)
    rows = [
        {
            "cell": name,
            "tunes": tunes[name],
            "group": plan.groups[tunes[name]],
            **{key: cell.factors.get(key, "-") for key in plan.space},
            "seeds": len(plan.seeds),
        }
        for name, cell in plan.cells.items()
    ]
    return pd.DataFrame(rows)
