"""Pairing runs by seed, and the factor levels of each configuration.

A seed fixes the data, so two configurations are compared seed by seed. Everything
here refuses to guess: a config that ran a seed twice, or configs run on different seeds,
is an error unless the caller asks for the common seeds.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd

ON_MISMATCH = ("error", "intersect")


class PairingError(ValueError):
    """Runs cannot be paired by seed: a duplicated seed, or configs with different seed sets."""


def seed_values(finals: pd.DataFrame, value: str) -> dict[object, pd.Series]:
    """Map each config (in order of first appearance) to its values indexed by sorted seed."""
    missing = [name for name in ("config", "seed", value) if name not in finals.columns]
    if missing:
        raise ValueError(f"finals is missing columns {missing}; it has {list(finals.columns)}")
    if finals.empty:
        raise ValueError("finals has no rows")
    runs = finals[["config", "seed", value]].sort_values("seed", kind="stable")
    seeds = runs["seed"].to_numpy()
    values = runs[value].to_numpy(dtype=float, na_value=np.nan)
    positions = runs.groupby("config", sort=False).indices
    result = {}
    for config in pd.unique(finals["config"]):
        at = positions[config]
        config_seeds, config_values = seeds[at], values[at]
        repeated = config_seeds[1:][config_seeds[1:] == config_seeds[:-1]]
        if len(repeated):
            raise PairingError(f"config {config!r} has more than one run for seeds {np.unique(repeated).tolist()}")
        unfinished = config_seeds[np.isnan(config_values)]
        if len(unfinished):
            raise ValueError(f"config {config!r} has no {value} for seeds {unfinished.tolist()}")
        result[config] = pd.Series(config_values, index=pd.Index(config_seeds, name="seed"), name=value)
    return result


def paired_matrix(
    by_config: dict[object, pd.Series], configs: Sequence[object], on_mismatch: str = "error"
) -> tuple[list[int], np.ndarray]:
    """Align `configs` on their seeds: (seeds, values of shape n_seeds x len(configs)).

    on_mismatch="error" raises PairingError naming each config and the seeds it lacks;
    "intersect" keeps only the seeds every config has.
    """
    if on_mismatch not in ON_MISMATCH:
        raise ValueError(f"on_mismatch must be one of {ON_MISMATCH}, got {on_mismatch!r}")
    seed_sets = [set(by_config[config].index.tolist()) for config in configs]
    common = set.intersection(*seed_sets)
    if on_mismatch == "error" and any(seeds != common for seeds in seed_sets):
        union = set.union(*seed_sets)
        lacking = "; ".join(
            f"{config!r} lacks seeds {sorted(union - seeds)}"
            for config, seeds in zip(configs, seed_sets)
            if seeds != union
        )
        names = ", ".join(repr(config) for config in configs)
        raise PairingError(
            f"configs {names} were not run on the same seeds: {lacking}. "
            "Pass on_mismatch='intersect' to pair on the common seeds only."
        )
    seeds = sorted(common)
    values = np.column_stack([by_config[config].loc[seeds].to_numpy(dtype=float) for config in configs])
    return seeds, values.reshape(len(seeds), len(configs))


def ordered_configs(configs: Sequence[object], order: Sequence[object] | None) -> list[object]:
    """`configs` in the order of `order`, then those it does not list in their own order."""
    if order is None:
        return list(configs)
    listed = [config for config in dict.fromkeys(order) if config in configs]
    return listed + [config for config in configs if config not in listed]


def is_missing(level: object) -> bool:
    """A factor that does not apply to a config is stored as None or NaN."""
    return level is None or level is pd.NA or (isinstance(level, (float, np.floating)) and np.isnan(level))


def plain(level: object) -> object:
    """None for a missing level, a Python scalar for a numpy one."""
    if is_missing(level):
        return None
    return level.item() if isinstance(level, np.generic) else level


def level_key(level: object) -> tuple:
    """Hashable key under which all missing levels are equal (NaN != NaN otherwise)."""
    return ("missing",) if is_missing(level) else ("level", plain(level))


def level_order(level: object) -> tuple:
    """Sort key: missing first, then False before True, numbers ascending, other values as text."""
    if is_missing(level):
        return (0, 0, 0.0, "")
    level = plain(level)
    if isinstance(level, bool):
        return (1, 0, float(level), "")
    if isinstance(level, numbers.Real):
        return (1, 1, float(level), "")
    return (1, 2, 0.0, str(level))


def config_levels(finals: pd.DataFrame, factors: Sequence[str]) -> dict[object, dict[str, object]]:
    """Map each config (in order of first appearance) to its level of each factor.

    A factor must take one level per config (a missing level counts as one level).
    """
    absent = [factor for factor in factors if factor not in finals.columns]
    if absent:
        raise ValueError(f"factor columns {absent} are not in finals; it has {list(finals.columns)}")
    result = {}
    for config, runs in finals.groupby("config", sort=False):
        levels = {}
        for factor in factors:
            keys = {level_key(level) for level in runs[factor]}
            if len(keys) > 1:
                found = sorted((plain(level) for level in runs[factor].drop_duplicates()), key=level_order)
                raise ValueError(f"config {config!r} has several levels of factor {factor!r}: {found}")
            levels[factor] = plain(runs[factor].iloc[0])
        result[config] = levels
    return result
