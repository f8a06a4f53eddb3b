"""A study's statistics in one call: intervals, one-factor comparisons, factor effects, baselines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .baselines import BASELINE_COLUMNS, baseline_comparisons, leader_comparisons
from .factorial import FACTORIAL_COLUMNS, NoFullBlockError, factorial_effects
from .intervals import INTERVALS
from .paired import COMPARISON_COLUMNS, paired_comparisons
from .pairing import ordered_configs

if TYPE_CHECKING:
    from pairstudy.tasks.metrics import MetricSpec
from .summary import SUMMARY_COLUMNS, summarize_configs

STATISTICS_SEED = 0  # the bootstrap's generator: the same runs give the same numbers
NOT_CROSSED = ("architecture",)  # a family of models, compared pairwise but never crossed in the 2x2
STUDY_TABLES = {
    "intervals": SUMMARY_COLUMNS,
    "comparisons": COMPARISON_COLUMNS,
    "effects": FACTORIAL_COLUMNS,
    "baselines": BASELINE_COLUMNS,
}


def crossed_factors(finals: pd.DataFrame, factors: Sequence[str]) -> list[str]:
    """The factors (NOT_CROSSED aside) with exactly two levels among the runs, a missing level aside."""
    return [name for name in factors if name not in NOT_CROSSED and finals[name].dropna().nunique() == 2]


def varies(finished: pd.DataFrame, factor: str) -> bool:
    """Whether the finished runs hold more than one level of `factor` (one level splits no block)."""
    return finished[factor].map(repr).nunique() > 1


def study_statistics(
    finals: pd.DataFrame,
    factors: list[str],
    *,
    spec: MetricSpec,
    baselines: list[str],
    interval: str = "t",
    order: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The statistics of the finished (status "ok") runs of one study, as four tables, on the task's headline
    (`spec.headline_run_metric`, the leader chosen by its direction).

    `finals`: one row per run, columns config, seed, status, the headline run metric and each of `factors`
    (the factor columns the study varies, "architecture" included when it varies it).
    Keys and tables:
      intervals   -- summarize_configs, rows in `order` (configs it does not list follow);
      comparisons -- paired_comparisons of configs one factor apart, on their common seeds;
      effects     -- factorial_effects of the first two crossed_factors, blocked by the
                     other factors, on the seeds all four cells ran (empty when no full
                     2x2 block exists);
      baselines   -- baseline_comparisons then leader_comparisons (the `baselines` that
                     have finished runs; each function's rows are one Holm family).
    Every interval is a t interval, or with interval="bootstrap" a BCa bootstrap drawn from
    a fresh numpy Generator seeded STATISTICS_SEED per table, which ci_method then names.
    A table with nothing to compute (one config, no finished run) is empty but has its columns.
    """
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}, got {interval!r}")
    tables = {name: pd.DataFrame(columns=columns) for name, columns in STUDY_TABLES.items()}
    finished = finals[finals["status"] == "ok"]
    value = spec.headline_run_metric
    if finished.empty:
        return tables

    def options() -> dict[str, object]:
        rng = np.random.default_rng(STATISTICS_SEED) if interval == "bootstrap" else None
        return {"interval": interval, "rng": rng}

    intervals = summarize_configs(finished, value, **options())
    config_order = ordered_configs(list(intervals["config"]), order)
    tables["intervals"] = intervals.set_index("config").loc[config_order].reset_index()
    tables["comparisons"] = paired_comparisons(finished, factors, value, **options(), on_mismatch="intersect")
    crossed = crossed_factors(finished, factors)
    if len(crossed) >= 2:
        try:
            tables["effects"] = factorial_effects(
                finished,
                crossed[:2],
                value,
                **options(),
                block_factors=[name for name in factors if name not in crossed[:2] and varies(finished, name)],
                on_mismatch="intersect",
            )
        except NoFullBlockError:
            pass
    run_baselines = [baseline for baseline in baselines if baseline in config_order]
    against_baselines = [
        baseline_comparisons(finished, run_baselines, value, **options(), order=order),
        leader_comparisons(
            finished,
            run_baselines,
            value,
            higher_is_better=spec.headline_metric.higher_is_better,
            **options(),
            order=order,
        ),
    ]
    found = [table for table in against_baselines if not table.empty]
    if found:
        tables["baselines"] = pd.concat(found, ignore_index=True)
    if interval == "bootstrap":
        for table in tables.values():
            table["ci_method"] = table["ci_method"] + f", numpy generator seed {STATISTICS_SEED}"
    return tables
