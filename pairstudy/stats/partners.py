"""Which configurations differ in one factor alone (the pairs a factor's levels are compared on, paired by seed), and
which levels of a factor have no such partner, with the factors that also tell them apart."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from .pairing import is_missing, level_key, level_order, plain


def one_factor_pairs(
    levels: dict[object, dict[str, object]], factors: Sequence[str]
) -> list[tuple[object, object, str]]:
    """(config_a, config_b, factor) for every two configs whose levels differ in exactly one factor.

    config_a holds the lower level (level_order), so b - a reads as turning the factor on or up; between two
    named levels (architectures, say) the one that comes first in config order is config_a. Pairs come grouped
    by factor, in the order of `factors`, then by config order.
    """
    appearance = {factor: {} for factor in factors}
    for found_levels in levels.values():
        for factor in factors:
            appearance[factor].setdefault(level_key(found_levels[factor]), len(appearance[factor]))

    def rank(factor, level):
        if isinstance(plain(level), str):
            return (1, 2, float(appearance[factor][level_key(level)]), "")
        return level_order(level)

    found = {factor: [] for factor in factors}
    for first, second in combinations(levels, 2):
        differing = [f for f in factors if level_key(levels[first][f]) != level_key(levels[second][f])]
        if len(differing) != 1:
            continue
        factor = differing[0]
        if rank(factor, levels[second][factor]) < rank(factor, levels[first][factor]):
            first, second = second, first
        found[factor].append((first, second, factor))
    return [pair for factor in factors for pair in found[factor]]


def unpaired_levels(levels: dict[object, dict[str, object]], factors: Sequence[str]) -> list[dict[str, object]]:
    """The levels of each factor that no two configs compare: one dict per such pair of levels, with keys factor,
    level_a, level_b (in config order) and also (the other factors in which every config at level_a differs from
    every config at level_b, a factor that does not apply to one side among them; may be empty when the grid is
    merely incomplete). Configs the factor does not apply to have no level of it; a factor with one level has nothing
    to compare and gives nothing.
    """
    paired = {
        (factor, frozenset({level_key(levels[a][factor]), level_key(levels[b][factor])}))
        for a, b, factor in one_factor_pairs(levels, factors)
    }
    found = []
    for factor in factors:
        by_level: dict[tuple, list[object]] = {}
        for config, config_levels in levels.items():
            if is_missing(config_levels[factor]):
                continue  # the factor does not apply to this config: no level to compare
            by_level.setdefault(level_key(config_levels[factor]), []).append(config)
        for key_a, key_b in combinations(by_level, 2):
            if (factor, frozenset({key_a, key_b})) in paired:
                continue
            pairs = [(a, b) for a in by_level[key_a] for b in by_level[key_b]]
            also = [
                other
                for other in factors
                if other != factor and all(level_key(levels[a][other]) != level_key(levels[b][other]) for a, b in pairs)
            ]
            first, second = by_level[key_a][0], by_level[key_b][0]
            found.append(
                {"factor": factor, "level_a": levels[first][factor], "level_b": levels[second][factor], "also": also}
            )
    return found
