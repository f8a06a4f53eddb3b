"""A sequential seed plan (`seeds: {initial, step, max, until}`): its looks, its rules, and each configuration's
seeds at a stage from the decisions written after the stages before it (see pairstudy.stats.stages).

Stage k trains seeds 0..looks[k]-1 of the configurations the decision after stage k-1 kept open. Seed blocks are
fixed by seed value, and seeds_per_job divides `initial` and `step`, so a stage adds whole blocks and never changes
a block an earlier decision read.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import yaml

from pairstudy.paths import SEEDS_DECISION

from .grid import Configuration, is_sequential, seed_blocks
from .schema import ConfigError


def study_looks(study: dict) -> tuple[int, ...] | None:
    """The cumulative seeds at each look of a sequential study; None for a fixed seed count or list."""
    if not is_sequential(study["seeds"]):
        return None
    from pairstudy.stats.sequential import planned_looks

    plan = study["seeds"]
    return planned_looks(plan["initial"], plan["step"], plan["max"])


def check_seed_plan(study_name: str, study: dict, configurations: list[Configuration]) -> None:
    """A plan whose stages add whole seed blocks, with something to compare."""
    if not is_sequential(study["seeds"]):
        return
    plan, where = study["seeds"], f"studies.{study_name}"
    if plan["max"] < plan["initial"]:
        raise ConfigError(f"config key {where}.seeds.max: {plan['max']} is below initial ({plan['initial']})")
    per_job = study["seeds_per_job"]
    if plan["initial"] % per_job or plan["step"] % per_job:
        raise ConfigError(
            f"config key {where}.seeds_per_job: with a sequential seed plan it must divide initial "
            f"({plan['initial']}) and step ({plan['step']}), so each stage adds whole seed blocks; e.g. "
            f"seeds_per_job: {math.gcd(plan['initial'], plan['step'])}"
        )
    of = plan["until"].get("of") if isinstance(plan["until"], dict) else "comparisons"
    if of == "comparisons" and len(configurations) < 2:
        raise ConfigError(
            f"config key {where}.seeds.until: the study has one configuration, so no comparison can decide its "
            "seeds; use until: {precision: H, of: configurations}, or a fixed seed count"
        )
    if "tuning" in study:
        raise ConfigError(
            f"config key {where}.seeds: a sequential seed plan and a tuning block cannot be combined yet; give the "
            "study a fixed seed count"
        )


def decision_path(study_name: str, stage: int, folder: str | Path = ".") -> Path:
    return Path(folder, SEEDS_DECISION.format(study=study_name, stage=stage))


def read_decision(study_name: str, stage: int, folder: str | Path = ".") -> dict | None:
    """The decision written after a stage; None before it is written (or when it cannot be read)."""
    try:
        decision = yaml.safe_load(decision_path(study_name, stage, folder).read_text())
    except (OSError, yaml.YAMLError):
        return None
    return decision if isinstance(decision, dict) and "next" in decision and "done" in decision else None


def counts_at_stage(
    configurations: list[str], looks: tuple[int, ...], stage: int, decisions: Callable[[int], dict | None]
) -> dict[str, int]:
    """Each configuration's seed count at `stage` (1-based): the first look's for all, then the next look's for
    those each earlier decision kept open. `decisions(k)` gives the decision after stage k."""
    counts = dict.fromkeys(configurations, looks[0])
    for earlier in range(1, stage):
        for name in decisions(earlier)["next"]:
            counts[name] = looks[earlier]
    return counts


def decided_counts(
    configurations: list[str], looks: tuple[int, ...], decisions: Callable[[int], dict | None]
) -> tuple[dict[str, int], int, bool]:
    """(each configuration's seeds so far, the stage the study is at, whether it is done) from the decisions
    written; `decisions(k)` is None for a stage not decided yet."""
    stage = 1
    while True:
        decision = decisions(stage)
        if decision is None or decision["done"] or stage == len(looks):
            counts = counts_at_stage(configurations, looks, stage, decisions)
            return counts, stage, decision is not None
        stage += 1


def blocks_of_count(count: int, seeds_per_job: int) -> dict[int, tuple[int, ...]]:
    return seed_blocks(range(count), seeds_per_job)
