"""How far configurations are ahead of the baselines, and the leader ahead of the rest.

Each pair is compared on the seeds both configurations finished (differences are
configuration - baseline, or leader - other, per seed), in the family `families` gives it
(without them each function's rows form one family).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .contrasts import comparison_table
from .families import Families, family_of, own_family
from .paired import DIFFERENCE_COLUMNS, paired_difference
from .pairing import ordered_configs, paired_matrix, seed_values
from .selection import ranked_configs
from .words import AGAINST_BASELINES, BASELINE, BEST, LEADER_VS_BASELINE, LEADER_VS_RUNNER_UP

BASELINE_COLUMNS = ["kind", "config_a", "config_b", *DIFFERENCE_COLUMNS]


def check_baselines(configs: Sequence[object], baselines: Sequence[object]) -> None:
    unknown = [baseline for baseline in baselines if baseline not in configs]
    if unknown:
        raise ValueError(f"baselines {unknown} have no runs; the configs are {list(configs)}")
    if len(set(baselines)) != len(baselines):
        raise ValueError(f"baselines {list(baselines)} name a config twice")


def compare_pairs(
    by_config: dict[object, pd.Series],
    pairs: list[tuple[str, object, object]],
    confidence: float,
    families: Families | None,
    family_name: str,
    smallest_effect: float | None,
) -> pd.DataFrame:
    """BASELINE_COLUMNS for (kind, config_a, config_b) pairs, each paired on its common seeds and tested in its
    family of `families` (without them, all in one family `family_name`)."""
    table_family = own_family(family_name, len(pairs))
    rows = []
    for kind, config_a, config_b in pairs:
        _, values = paired_matrix(by_config, [config_a, config_b], on_mismatch="intersect")
        family = family_of(families, config_a, config_b, table_family)
        rows.append(
            {
                "kind": kind,
                "config_a": config_a,
                "config_b": config_b,
                **paired_difference(values, confidence, family, smallest_effect),
            }
        )
    return comparison_table(rows, BASELINE_COLUMNS)


def baseline_pairs(configs: Sequence[object], baselines: Sequence[object]) -> list[tuple[str, object, object]]:
    """(BASELINE, baseline, config) for every config (in the given order) that is not a baseline, per baseline."""
    check_baselines(configs, baselines)
    others = [config for config in configs if config not in baselines]
    return [(BASELINE, baseline, config) for baseline in baselines for config in others]


def baseline_comparisons(
    finals: pd.DataFrame,
    baselines: Sequence[str],
    value: str,
    *,
    confidence: float = 0.95,
    order: Sequence[str] | None = None,
    families: Families | None = None,
    smallest_effect: float | None = None,
) -> pd.DataFrame:
    """Every config that is not a baseline against each baseline, paired on their common seeds.

    `finals`: one row per finished run, columns config, seed and `value`. Rows: for each
    baseline in the given order, every other config in `order` (configs it does not list
    follow in order of first appearance). Columns BASELINE_COLUMNS: kind ("baseline"),
    config_a (the baseline), config_b (the config), then the statistics of
    paired_comparisons for the per-seed difference config - baseline, each tested in its
    family of `families` (without them the table is one family).
    """
    by_config = seed_values(finals, value)
    pairs = baseline_pairs(ordered_configs(list(by_config), order), baselines)
    return compare_pairs(by_config, pairs, confidence, families, AGAINST_BASELINES, smallest_effect)


def leader_pairs(
    finals: pd.DataFrame,
    baselines: Sequence[str],
    select_on: str,
    *,
    higher_is_better: bool,
    order: Sequence[str] | None = None,
) -> list[tuple[str, object, object]]:
    """(kind, other, leader) pairs: the leader (the best mean `select_on`) against each baseline, then against the
    runner-up (a runner-up that is a baseline appears once, as the runner-up); a leader that is itself a baseline is
    compared with the runner-up only."""
    ranking = seed_values(finals, select_on)
    check_baselines(list(ranking), baselines)
    ranked = ranked_configs(ranking, order, higher_is_better)
    leader, runner_up = ranked[0], ranked[1] if len(ranked) > 1 else None
    pairs = []
    if leader not in baselines:
        pairs += [(LEADER_VS_BASELINE, baseline, leader) for baseline in baselines if baseline != runner_up]
    if runner_up is not None:
        pairs.append((LEADER_VS_RUNNER_UP, runner_up, leader))
    return pairs


def leader_comparisons(
    finals: pd.DataFrame,
    baselines: Sequence[str],
    value: str,
    *,
    higher_is_better: bool,
    confidence: float = 0.95,
    order: Sequence[str] | None = None,
    select_on: str | None = None,
    families: Families | None = None,
    smallest_effect: float | None = None,
) -> pd.DataFrame:
    """The leader (best mean `value` over its seeds: the highest, or with `higher_is_better` False the lowest)
    against each baseline and the runner-up.

    Rows: kind "leader vs baseline" for each baseline in the given order, then kind "leader
    vs runner-up" against the config with the second-best mean (a runner-up that is a
    baseline appears once, as the runner-up). A leader that is itself a baseline is compared
    with the runner-up only. config_a is the other config, config_b the leader; the other
    columns are those of baseline_comparisons. The leader and runner-up are ranked on
    `select_on` (another column, e.g. a validation metric; `value` by default): ranked on
    `value` itself, the leader's lead over the runner-up is biased upward.
    """
    pairs = leader_pairs(finals, baselines, select_on or value, higher_is_better=higher_is_better, order=order)
    return compare_pairs(seed_values(finals, value), pairs, confidence, families, BEST, smallest_effect)
