"""A sequential study's seeds: the comparisons that drive them, and the decision after each stage.

The drivers are the report's "What helped" comparisons (configurations one factor apart, the ONE_FACTOR family)
and the 2 x 2 factor effects (FACTOR_EFFECTS); with `until: {precision: h, of: configurations}`, each
configuration's mean. They are found from every configuration's levels, so they are the same at every stage. Each
stage's decision is computed afresh from the runs so far: a comparison's seeds at a later stage extend those of an
earlier one, so one that stopped stays stopped. `until: resolved` applies `sequential.resolved_looks` with alpha
Bonferroni-split within each family (as the report's families are); `until: {precision: h}` stops a comparison
once its interval (`sequential.precision_look`, family-wise) is at most h wide on each side. The configurations
the open drivers need get the next stage's seeds; the others stop where they are.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import sequential
from .factorial import NoFullBlockError, block_label, find_blocks, interaction_name
from .pairing import config_levels, seed_values
from .partners import one_factor_pairs
from .words import FACTOR_EFFECTS, ONE_FACTOR

CONFIGURATIONS = "configurations"  # the family of a configuration's own mean, under `of: configurations`
ALPHA = 0.05
STOPPED = (sequential.RESOLVED, sequential.FUTILE, sequential.BUDGET_REACHED, sequential.PRECISE)


@dataclass(frozen=True)
class Driver:
    """A quantity whose interval decides a configuration's seeds: sum(weight x value) over `configs`, per seed."""

    name: str
    family: str
    configs: tuple[str, ...]
    weights: tuple[float, ...]
    factor: str = ""  # the factor of a pair, the effect of a 2 x 2 contrast
    block: str = ""


def pair_driver(first: str, second: str, factor: str) -> Driver:
    return Driver(f"{first} → {second}", ONE_FACTOR, (first, second), (-1.0, 1.0), factor)


def effect_drivers(levels: dict, crossed: Sequence[str], factors: Sequence[str]) -> list[Driver]:
    """The three contrasts (two main effects, the interaction) of every full 2 x 2 block of the first two crossed
    factors, as factorial.factorial_effects computes them."""
    if len(crossed) < 2:
        return []
    first, second = crossed[:2]
    block_factors = [
        name
        for name in factors
        if name not in (first, second) and len({repr(found[name]) for found in levels.values()}) > 1
    ]
    try:
        blocks = find_blocks(levels, [first, second], block_factors)
    except (NoFullBlockError, ValueError):
        return []
    contrasts = {
        first: (-0.5, -0.5, 0.5, 0.5),
        second: (-0.5, 0.5, -0.5, 0.5),
        interaction_name(first, second): (0.5, -0.5, -0.5, 0.5),
    }
    drivers = []
    for block_levels, configs in blocks:
        block = block_label(block_levels)
        for effect, weights in contrasts.items():
            name = effect if block == "all" else f"{effect} ({block})"
            drivers.append(Driver(name, FACTOR_EFFECTS, tuple(configs), weights, effect, block))
    return drivers


def study_drivers(finals: pd.DataFrame, factors: Sequence[str], crossed: Sequence[str], of: str) -> list[Driver]:
    """The drivers of a study from its runs' configurations and levels (`finals`: config and factor columns)."""
    configs = list(pd.unique(finals["config"]))
    if of == CONFIGURATIONS:
        return [Driver(config, CONFIGURATIONS, (config,), (1.0,)) for config in configs]
    levels = config_levels(finals.drop_duplicates("config"), list(factors))
    pairs = [pair_driver(a, b, factor) for a, b, factor in one_factor_pairs(levels, list(factors))]
    return pairs + effect_drivers(levels, crossed, factors)


def per_seed(driver: Driver, by_config: dict) -> np.ndarray:
    """The driver's value on each seed every one of its configurations finished, in seed order."""
    seeds = sorted(set.intersection(*(set(by_config[config].index) for config in driver.configs)))
    values = np.column_stack([by_config[config].loc[seeds].to_numpy(dtype=float) for config in driver.configs])
    return values.reshape(len(seeds), len(driver.configs)) @ np.asarray(driver.weights)


@functools.cache
def family_plan(looks: tuple[int, ...], alpha: float) -> sequential.SequentialPlan:
    return sequential.sequential_plan(looks, alpha)


def resolved_row(driver: Driver, values: np.ndarray, looks: tuple[int, ...], size: int, smallest) -> dict:
    """`until: resolved`: the driver's last look so far, with its family's alpha (ALPHA / size)."""
    plan = family_plan(looks, ALPHA / size)
    if len(values) < looks[0]:
        return {"decision": sequential.CONTINUE, "reason": f"{len(values)} paired seeds, fewer than the first look"}
    last = sequential.resolved_looks(plan, values, smallest_effect=smallest)[-1]
    fixed = None
    if smallest is not None and last.sd > 0:
        # the seeds one t test at the end would need for the power this plan has at the smallest difference
        size_in_sds = smallest / last.sd
        fixed = sequential.fixed_design_seeds(sequential.plan_power(plan, size_in_sds), size_in_sds, ALPHA / size)
    return {
        "decision": last.decision,
        "reason": last.reason,
        "seeds": int(last.seeds),
        "look": int(last.look),
        "sd": float(last.sd),
        "fixed_design_seeds": int(fixed) if fixed is not None and np.isfinite(fixed) else None,
        "mean": float(last.mean),
        "low": float(last.low),
        "high": float(last.high),
        "t": float(last.t),
        "p": float(last.p_value),
        # Bonferroni within the family, as every other p of the report: the look's p times the family's size
        "adjusted_p": float(min(1.0, last.p_value * size)),
    }


def precision_row(values: np.ndarray, looks: tuple[int, ...], size: int, precision: float) -> dict:
    """`until: {precision: h}`: whether the driver's family-wise interval is at most h wide on each side."""
    seeds = len(values)
    if seeds < 3:
        return {"decision": sequential.CONTINUE, "reason": f"{seeds} seeds, too few for an interval"}
    confidence = 1 - ALPHA / size
    sd = np.array([values.std(ddof=1)])
    look = sequential.precision_look(sd, seeds, looks[-1], precision, confidence)
    low, high = sequential.precision_intervals(np.array([values.mean()]), sd, seeds, confidence)
    return {
        "decision": look.decision,
        "reason": look.reason,
        "seeds": seeds,
        "sd": float(sd[0]),
        "fixed_design_seeds": fixed_precision_seeds(float(sd[0]), precision, confidence, looks[-1] * 10),
        "mean": float(values.mean()),
        "low": float(low[0]),
        "high": float(high[0]),
    }


def fixed_precision_seeds(sd: float, precision: float, confidence: float, most: int) -> int | None:
    """The fewest seeds whose plain t interval at `confidence` is at most `precision` wide on each side at this
    spread (a fixed design of the same precision); None beyond `most`."""
    import scipy.stats

    for seeds in range(3, most + 1):
        if scipy.stats.t.ppf(1 - (1 - confidence) / 2, seeds - 1) * sd / np.sqrt(seeds) <= precision:
            return seeds
    return None


def stage_decision(
    finals: pd.DataFrame,
    value: str,
    drivers: list[Driver],
    looks: tuple[int, ...],
    stage: int,
    until,
    smallest_effect: float | None,
) -> dict:
    """The decision after stage `stage` (1-based): every driver's state on the finished runs so far, and the
    configurations the open ones need, which get the next stage's seeds (none after the last stage)."""
    finished = finals[finals["status"] == "ok"]
    by_config = seed_values(finished, value) if len(finished) else {}
    sizes = pd.Series([driver.family for driver in drivers]).value_counts().to_dict()
    rows = []
    for driver in drivers:
        if any(config not in by_config for config in driver.configs):
            row = {"decision": sequential.BUDGET_REACHED, "reason": "a configuration of it has no finished run"}
        else:
            values = per_seed(driver, by_config)
            if until == "resolved":
                row = resolved_row(driver, values, looks, sizes[driver.family], smallest_effect)
            else:
                row = precision_row(values, looks, sizes[driver.family], until["precision"])
            if row["decision"] == sequential.CONTINUE and stage == len(looks):
                row = {**row, "decision": sequential.BUDGET_REACHED, "reason": f"max seeds ({looks[-1]}) reached"}
        rows.append(
            {
                "name": driver.name,
                "family": driver.family,
                "family_size": int(sizes[driver.family]),
                "configs": list(driver.configs),
                "factor": driver.factor,
                "block": driver.block,
                **row,
            }
        )
    open_configs = list(dict.fromkeys(c for row in rows if row["decision"] not in STOPPED for c in row["configs"]))
    return {
        "stage": stage,
        "seeds": looks[stage - 1],
        "looks": list(looks),
        "until": until,
        # each configuration's seeds (failed runs too) when this decision was taken
        "seeds_by_configuration": {
            str(c): int(n) for c, n in finals.groupby("config", sort=False)["seed"].nunique().items()
        },
        "drivers": rows,
        "next": open_configs if stage < len(looks) else [],
        "done": stage == len(looks) or not open_configs,
    }


def sequential_method(decision: dict) -> str:
    looks = ", ".join(str(seeds) for seeds in decision["looks"])
    if decision["until"] == "resolved":
        return (
            f"repeated confidence interval, 95% family-wise (Bonferroni within the family), of a group-sequential "
            f"test with O'Brien-Fleming-type alpha spending over looks at {looks} seeds"
        )
    return (
        f"t interval widened for the stopping rule (sd at its 55% upper bound), 95% family-wise, looks at {looks} seeds"
    )


def stop_text(row: dict) -> str:
    """Where and why a driver's seeds stopped, for the report's sentences."""
    seeds = row.get("seeds")
    at = f" at {seeds} seeds" if seeds is not None else ""
    return {
        sequential.RESOLVED: f"resolved by the sequential test{at}",
        sequential.FUTILE: f"stopped as futile{at}: more seeds could not resolve the smallest difference worth finding",
        sequential.BUDGET_REACHED: f"not resolved by the most seeds the plan allows{at}",
        sequential.PRECISE: f"interval narrow enough{at}",
        sequential.CONTINUE: f"still open{at}",
    }[row["decision"]]


def apply_decision(
    tables: dict[str, pd.DataFrame], decision: dict, smallest_effect: float | None
) -> dict[str, pd.DataFrame]:
    """The statistics tables with each driver's row (its pair in comparisons and baselines, its contrast in effects)
    holding the sequential analysis at the look it stopped at: difference, interval, adjusted p, the verdict they
    give, and the stop in `seeds_decision` instead of a planned seed count. A fixed-sample p of a comparison whose
    seeds its own outcome decided would claim differences more often than it says."""
    from .families import verdict_of

    tables = {name: table.copy() for name, table in tables.items()}
    for row in decision["drivers"]:
        if row["family"] == CONFIGURATIONS or "low" not in row:
            continue
        p = row.get("adjusted_p", float("nan"))
        values = {
            "adjusted_t_pvalue": p,
            "t_pvalue": row.get("p", float("nan")),
            "t_statistic": row.get("t", float("nan")),
            "ci_method": sequential_method(decision),
            "seeds_needed": pd.NA,
            "seeds_decision": stop_text(row),
            "n": row["seeds"],
        }
        if row["family"] == FACTOR_EFFECTS:
            table = tables["effects"]
            at = (table["effect"] == row["factor"]) & (table["block"] == row["block"])
            targets = [("effects", at, "estimate")]
        else:
            targets = []
            for name in ("comparisons", "baselines"):
                table = tables[name]
                if table.empty:
                    continue
                pair = set(row["configs"])
                at = [{a, b} == pair for a, b in zip(table["config_a"], table["config_b"])]
                targets.append((name, pd.Series(at, index=table.index), "mean_difference"))
        for name, at, difference in targets:
            table = tables[name]
            for column in ("wilcoxon_statistic", "wilcoxon_pvalue", "adjusted_wilcoxon_pvalue"):
                if column in table:  # a fixed-sample test: it has no reading under the looks
                    table.loc[at, column] = float("nan")
            if "seeds_decision" not in table:
                table["seeds_decision"] = pd.Series([None] * len(table), index=table.index, dtype=object)
            sign = 1.0
            if difference == "mean_difference" and at.any():
                first = table.loc[at, "config_a"].iloc[0]
                sign = 1.0 if first == row["configs"][0] else -1.0
            low, high = sorted((sign * row["low"], sign * row["high"]))
            oriented = {
                "ci_low": low,
                "ci_high": high,
                difference: sign * row["mean"],
                "verdict": verdict_of(low, high, p, ALPHA, smallest_effect),
            }
            for column, value in {**values, **oriented}.items():
                table.loc[at, column] = value
            tables[name] = table
    return tables
