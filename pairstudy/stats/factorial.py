"""Main effects and interaction of two two-level factors in a full 2x2 block, paired by seed.

Definition (the classical factorial "effect", as in Box, Hunter & Hunter): with the cells of
one seed written y[a, b] for the low (0) and high (1) level of factors A and B,

    effect of A  = (y[1,0] + y[1,1]) / 2 - (y[0,0] + y[0,1]) / 2
    effect of B  = (y[0,1] + y[1,1]) / 2 - (y[0,0] + y[1,0]) / 2
    A x B        = ((y[1,1] - y[0,1]) - (y[1,0] - y[0,0])) / 2

so the interaction is half of "how much larger A's gain is with B high than with B low", on
the same scale as the main effects. Low and high follow the canonical level order (False
before True, smaller number first). Each contrast is computed per seed, then summarised over
seeds: mean, interval, one-sample two-sided t test, and the seeds needed to resolve it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .contrasts import comparison_table, contrast_statistics
from .families import own_family
from .pairing import config_levels, is_missing, level_key, level_order, paired_matrix, seed_values
from .words import FACTOR_EFFECTS

FACTORIAL_COLUMNS = [
    "block",
    "effect",
    "level_low",
    "level_high",
    "n",
    "estimate",
    "ci_low",
    "ci_high",
    "ci_method",
    "note",
    "family",
    "family_size",
    "t_statistic",
    "t_pvalue",
    "adjusted_t_pvalue",
    "effect_size",
    "smallest_effect",
    "verdict",
    "seeds_needed",
]


class NoFullBlockError(ValueError):
    """No group of configs holds all four cells of the two factors."""


def interaction_name(first: str, second: str) -> str:
    return f"{first} x {second}"


def select_rows(finals: pd.DataFrame, block: Mapping[str, object]) -> pd.DataFrame:
    """Rows whose columns equal the `block` levels (None or NaN selects a missing level)."""
    absent = [column for column in block if column not in finals.columns]
    if absent:
        raise ValueError(f"block names columns {absent} that are not in finals")
    keep = np.ones(len(finals), dtype=bool)
    for column, wanted in block.items():
        keep &= np.array([level_key(level) == level_key(wanted) for level in finals[column]], dtype=bool)
    if not keep.any():
        raise ValueError(f"no runs match block {dict(block)}")
    return finals[keep]


def find_blocks(
    levels: dict[object, dict[str, object]], factors: Sequence[str], block_factors: Sequence[str]
) -> list[tuple[dict[str, object], list[object]]]:
    """Full 2x2 blocks: (levels of block_factors, [config at (low,low), (low,high), (high,low), (high,high)]).

    Configs are grouped by their levels of `block_factors`; a group is a block when both
    factors take two non-missing levels and each of the four cells holds one config.
    Raises ValueError when a cell holds two configs (a factor that tells them apart is
    missing from block_factors), or when no group is a full block.
    """
    first, second = factors
    groups: dict[tuple, list[object]] = {}
    for config, config_level in levels.items():
        groups.setdefault(tuple(level_key(config_level[f]) for f in block_factors), []).append(config)
    blocks, reasons = [], []
    for configs in groups.values():
        block_levels = {f: levels[configs[0]][f] for f in block_factors}
        cells: dict[tuple, list[object]] = {}
        for config in configs:
            cells.setdefault((level_key(levels[config][first]), level_key(levels[config][second])), []).append(config)
        crowded = [cell for cell in cells.values() if len(cell) > 1]
        if crowded:
            raise ValueError(
                f"configs {crowded[0]} share their levels of {first!r} and {second!r}"
                f"{f' within block {block_levels}' if block_levels else ''}; name the factors that tell them "
                "apart in block_factors, or choose one block with block={...}"
            )
        factor_levels = {
            f: sorted({level_key(levels[c][f]): levels[c][f] for c in configs}.values(), key=level_order)
            for f in factors
        }
        if any(len(found) != 2 or any(is_missing(level) for level in found) for found in factor_levels.values()):
            reasons.append(f"{block_levels or 'all configs'}: levels {factor_levels}")
            continue
        (low_a, high_a), (low_b, high_b) = factor_levels[first], factor_levels[second]
        wanted = [(low_a, low_b), (low_a, high_b), (high_a, low_b), (high_a, high_b)]
        corner_keys = [(level_key(a), level_key(b)) for a, b in wanted]
        if any(key not in cells for key in corner_keys):
            reasons.append(f"{block_levels or 'all configs'}: only {len(cells)} of the 4 cells were run")
            continue
        blocks.append((block_levels, [cells[key][0] for key in corner_keys]))
    if not blocks:
        raise NoFullBlockError(
            f"no full 2x2 block of {first!r} x {second!r} with two levels each: " + "; ".join(reasons)
        )
    return blocks


def block_label(levels: Mapping[str, object]) -> str:
    return ", ".join(f"{name}={level}" for name, level in levels.items()) or "all"


def factorial_effects(
    finals: pd.DataFrame,
    factors: Sequence[str],
    value: str,
    *,
    confidence: float = 0.95,
    block_factors: Sequence[str] = (),
    block: Mapping[str, object] | None = None,
    on_mismatch: str = "error",
    smallest_effect: float | None = None,
) -> pd.DataFrame:
    """Main effects and interaction of the two two-level `factors`, per full 2x2 block.

    `finals`: one row per finished run, columns config, seed, `value`, the two factors and
    `block_factors` (the other factors: configs with equal levels of these form one block).
    `block` ({column: level}) keeps only the matching runs first. Every full block found
    gives three rows, in the order factors[0], factors[1], "factors[0] x factors[1]".

    Columns FACTORIAL_COLUMNS: block (label of the block's levels, "all" with none),
    effect, level_low/level_high (None for the interaction), n (paired seeds), estimate
    (mean per-seed contrast, see the module docstring), ci_low/ci_high (the family's t
    interval; NaN below 3 seeds, with note "too few seeds"), ci_method (how the intervals
    are computed), family/family_size (every row of the table is one family,
    FACTOR_EFFECTS: the intervals are at its confidence and adjusted_t_pvalue is the
    one-sample two-sided t test's p adjusted within it, see families), effect_size
    (Cohen's d_z of the contrasts), smallest_effect, verdict and seeds_needed (nullable
    integer; see contrasts.contrast_statistics). The four configs of a block are paired
    on their seeds; on_mismatch="intersect" keeps the seeds all four ran. Raises
    NoFullBlockError when no block holds all four cells.
    """
    factors = list(factors)
    if len(factors) != 2 or factors[0] == factors[1]:
        raise ValueError(f"factorial_effects needs exactly two distinct factors, got {factors}")
    overlap = [f for f in block_factors if f in factors]
    if overlap:
        raise ValueError(f"{overlap} cannot be both a crossed factor and a block factor")
    block = dict(block or {})
    if block:
        finals = select_rows(finals, block)
    by_config = seed_values(finals, value)
    levels = config_levels(finals, [*factors, *block_factors])
    first, second = factors
    blocks = find_blocks(levels, factors, block_factors)
    family = own_family(FACTOR_EFFECTS, 3 * len(blocks))
    rows = []
    for block_levels, configs in blocks:
        _, cells = paired_matrix(by_config, configs, on_mismatch)
        low_low, low_high, high_low, high_high = cells.T
        contrasts = {
            first: (high_low + high_high - low_low - low_high) / 2,
            second: (low_high + high_high - low_low - high_low) / 2,
            interaction_name(first, second): ((high_high - low_high) - (high_low - low_low)) / 2,
        }
        level_pairs = {
            first: (levels[configs[0]][first], levels[configs[3]][first]),
            second: (levels[configs[0]][second], levels[configs[3]][second]),
        }
        for effect, per_seed in contrasts.items():
            statistics = contrast_statistics(per_seed, confidence, family, smallest_effect, wilcoxon=False)
            level_low, level_high = level_pairs.get(effect, (None, None))
            rows.append(
                {
                    "block": block_label({**block, **block_levels}),
                    "effect": effect,
                    "level_low": level_low,
                    "level_high": level_high,
                    "estimate": statistics.pop("mean"),
                    **statistics,
                }
            )
    table = comparison_table(rows, FACTORIAL_COLUMNS)
    for column in ("level_low", "level_high"):
        table[column] = pd.Series([row[column] for row in rows], index=table.index, dtype=object)
    return table
