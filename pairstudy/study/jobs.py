"""The grid as a table, and seed blocks: which seeds one training job trains together."""

from __future__ import annotations

import pandas as pd

from .grid import expand_configurations, seed_list


def study_grid_table(study_name: str, study: dict) -> tuple[pd.DataFrame, int]:
    """One row per configuration: name, architecture, factor levels, seeds; and the run count."""
    seeds = seed_list(study["seeds"])
    rows = []
    for configuration in expand_configurations(study_name, study):
        row = {"config": configuration.name}
        row.update({name: configuration.factors.get(name, "-") for name in study["factors"]})
        row["seeds"] = len(seeds)
        rows.append(row)
    table = pd.DataFrame(rows)
    return table, len(rows) * len(seeds)


def seed_blocks(seeds: list[int], seeds_per_job: int) -> list[list[int]]:
    """Fixed blocks by seed value (block = seed // seeds_per_job), so adding seeds leaves old blocks alone."""
    blocks: dict[int, list[int]] = {}
    for seed in sorted(seeds):
        blocks.setdefault(seed // seeds_per_job, []).append(seed)
    return list(blocks.values())
