"""A study's statistics in one call: intervals, one-factor comparisons, factor effects, baselines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .baselines import BASELINE_COLUMNS, baseline_comparisons, baseline_pairs, leader_comparisons, leader_pairs
from .factorial import FACTORIAL_COLUMNS, NoFullBlockError, factorial_effects
from .families import claim
from .intervals import INTERVALS
from .paired import COMPARISON_COLUMNS, paired_comparisons
from .pairing import config_levels, ordered_configs
from .partners import one_factor_pairs
from .robust import beats_share, median_interval, scores_by_seed
from .selection import best_of, selection_column
from .summary import SUMMARY_COLUMNS, summarize_configs
from .words import AGAINST_BASELINES, BEST, ONE_FACTOR

if TYPE_CHECKING:
    from pairstudy.tasks.metrics import MetricSpec

STATISTICS_SEED = 0  # the bootstrap's generator: the same runs give the same numbers
NOT_CROSSED = ("architecture",)  # a family of models, compared pairwise but never crossed in the 2x2
# per configuration: its runs and how many failed or diverged; the best's row says what it was chosen on, among
# how many, and its interval corrected for the choice (selection)
# how many runs failed or diverged, and the median with those counted as the worst outcome (robust)
INTERVAL_COLUMNS = [
    *SUMMARY_COLUMNS,
    "runs",
    "failed",
    "median",
    "median_ci_low",
    "median_ci_high",
    "chosen_on",
    "candidates",
    "best_ci_low",
    "best_ci_high",
]
# on how many of the seeds both ran (ties aside) config_b beats config_a, failures counted as losses (robust)
BEATS_COLUMNS = ["wins", "decided", "wins_ci_low", "wins_ci_high"]
STUDY_TABLES = {
    "intervals": INTERVAL_COLUMNS,
    "comparisons": COMPARISON_COLUMNS,
    "effects": FACTORIAL_COLUMNS,
    "baselines": [*BASELINE_COLUMNS, *BEATS_COLUMNS],
}


def crossed_factors(finals: pd.DataFrame, factors: Sequence[str]) -> list[str]:
    """The factors (NOT_CROSSED aside) with exactly two levels among the runs, a missing level aside."""
    return [name for name in factors if name not in NOT_CROSSED and finals[name].dropna().nunique() == 2]


def varies(finished: pd.DataFrame, factor: str) -> bool:
    """Whether the finished runs hold more than one level of `factor` (one level splits no block)."""
    return finished[factor].map(repr).nunique() > 1


def with_runs_and_best(intervals: pd.DataFrame, finals: pd.DataFrame, value: str, best, spec) -> pd.DataFrame:
    """`intervals` with INTERVAL_COLUMNS: each configuration's runs (every status), failed ones (failed or
    diverged) and robust.median_interval over all of them, and on the best's row what it was chosen on, among how
    many, and its corrected interval."""
    status = finals.groupby("config")["status"]
    higher_is_better = spec.headline_metric.higher_is_better
    medians = [
        median_interval(scores_by_seed(finals, config, value, higher_is_better)) for config in intervals["config"]
    ]
    table = intervals.assign(
        runs=intervals["config"].map(status.size()).astype(int),
        failed=intervals["config"].map(status.agg(lambda found: int((found != "ok").sum()))).astype(int),
        median=[found[0] for found in medians],
        median_ci_low=[found[1] for found in medians],
        median_ci_high=[found[2] for found in medians],
        chosen_on="",
        candidates=pd.NA,
        best_ci_low=float("nan"),
        best_ci_high=float("nan"),
    )
    if best is not None:
        at = table["config"] == best.config
        table.loc[at, ["chosen_on", "best_ci_low", "best_ci_high"]] = [best.chosen_on, best.low, best.high]
        table["candidates"] = pd.array([best.candidates if chosen else pd.NA for chosen in at], dtype="Int64")
    return table[INTERVAL_COLUMNS]


def with_beats(baselines: pd.DataFrame, finals: pd.DataFrame, value: str, higher_is_better: bool) -> pd.DataFrame:
    """`baselines` with BEATS_COLUMNS: robust.beats_share of config_b over config_a on every run, failed or not."""
    shares = [
        beats_share(
            scores_by_seed(finals, row["config_a"], value, higher_is_better),
            scores_by_seed(finals, row["config_b"], value, higher_is_better),
            higher_is_better,
        )
        for _, row in baselines.iterrows()
    ]
    return baselines.assign(
        wins=[share.wins for share in shares],
        decided=[share.decided for share in shares],
        wins_ci_low=[share.low for share in shares],
        wins_ci_high=[share.high for share in shares],
    )


def study_statistics(
    finals: pd.DataFrame,
    factors: list[str],
    *,
    spec: MetricSpec,
    baselines: list[str],
    interval: str = "t",
    order: list[str] | None = None,
    smallest_effect: float | None = None,
) -> dict[str, pd.DataFrame]:
    """The statistics of the finished (status "ok") runs of one study, as four tables, on the task's headline
    (`spec.headline_run_metric`, the leader chosen by its direction).

    `finals`: one row per run, columns config, seed, status, the headline run metric and each of `factors`
    (the factor columns the study varies, "architecture" included when it varies it).
    Keys and tables:
      intervals   -- summarize_configs, rows in `order` (configs it does not list follow),
                     with INTERVAL_COLUMNS' runs, failed and the best's (selection.best_of:
                     chosen on the validation headline where every finished run has one);
      comparisons -- paired_comparisons of configs one factor apart, on their common seeds;
      effects     -- factorial_effects of the first two crossed_factors, blocked by the
                     other factors, on the seeds all four cells ran (empty when no full
                     2x2 block exists);
      baselines   -- baseline_comparisons then leader_comparisons (the `baselines` that
                     have finished runs; the leader is the best of intervals).
    Each comparison is tested in exactly one family (families): a pair of configurations one
    factor apart in ONE_FACTOR, else against a baseline in AGAINST_BASELINES, else in BEST;
    a pair that two tables show has the same numbers in both. The effects are their own
    family. `smallest_effect` (the smallest difference worth finding, in the headline's
    stored unit; None for none) sets the verdicts' equivalence and the seeds planned.
    The intervals of the configurations' means are t intervals, or with interval="bootstrap"
    BCa bootstrap ones drawn from a numpy Generator seeded STATISTICS_SEED, which ci_method
    then names; every difference has its family's t interval (contrasts).
    A table with nothing to compute (one config, no finished run) is empty but has its columns.
    """
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}, got {interval!r}")
    tables = {name: pd.DataFrame(columns=columns) for name, columns in STUDY_TABLES.items()}
    finished = finals[finals["status"] == "ok"]
    value = spec.headline_run_metric
    if finished.empty:
        return tables

    higher_is_better = spec.headline_metric.higher_is_better
    validation = f"final_{spec.validation_column}" if spec.validation_column else None
    select_on = selection_column(finished, value, validation)
    rng = np.random.default_rng(STATISTICS_SEED) if interval == "bootstrap" else None
    intervals = summarize_configs(finished, value, interval=interval, rng=rng)
    config_order = ordered_configs(list(intervals["config"]), order)
    tables["intervals"] = with_runs_and_best(
        intervals.set_index("config").loc[config_order].reset_index(),
        finals,
        value,
        best_of(finished, value, select_on, higher_is_better=higher_is_better, order=order),
        spec,
    )
    run_baselines = [baseline for baseline in baselines if baseline in config_order]
    levels = config_levels(finished, factors)
    families = claim({}, ONE_FACTOR, [(a, b) for a, b, _ in one_factor_pairs(levels, factors)])
    families = claim(families, AGAINST_BASELINES, [(a, b) for _, a, b in baseline_pairs(config_order, run_baselines)])
    lead = leader_pairs(finished, run_baselines, select_on, higher_is_better=higher_is_better, order=order)
    families = claim(families, BEST, [(a, b) for _, a, b in lead])
    planned = {"smallest_effect": smallest_effect}
    tables["comparisons"] = paired_comparisons(
        finished, factors, value, on_mismatch="intersect", families=families, **planned
    )
    crossed = crossed_factors(finished, factors)
    if len(crossed) >= 2:
        try:
            tables["effects"] = factorial_effects(
                finished,
                crossed[:2],
                value,
                block_factors=[name for name in factors if name not in crossed[:2] and varies(finished, name)],
                on_mismatch="intersect",
                **planned,
            )
        except NoFullBlockError:
            pass
    against_baselines = [
        baseline_comparisons(finished, run_baselines, value, order=order, families=families, **planned),
        leader_comparisons(
            finished,
            run_baselines,
            value,
            higher_is_better=higher_is_better,
            order=order,
            select_on=select_on,
            families=families,
            **planned,
        ),
    ]
    found = [table for table in against_baselines if not table.empty]
    if found:
        tables["baselines"] = with_beats(pd.concat(found, ignore_index=True), finals, value, higher_is_better)
    if interval == "bootstrap":
        bootstrapped = tables["intervals"]["ci_method"].str.startswith("BCa")
        tables["intervals"].loc[bootstrapped, "ci_method"] += f", numpy generator seed {STATISTICS_SEED}"
    return tables
