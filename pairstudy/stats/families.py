"""The one multiplicity rule every claim follows: Bonferroni within a declared family of comparisons.

Each comparison is tested in exactly one family of m comparisons. Its p-value is m times the raw one (at most 1)
and its interval is the t interval at confidence 1 - alpha / m, so the interval excludes zero exactly when the
adjusted p is below alpha: the word, the interval and the p printed beside each other always agree, and the
chance that any interval of a family misses its true difference is at most alpha.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from .intervals import IntervalChoice, percent
from .words import EQUIVALENT, HIGHER, INCONCLUSIVE, LOWER, TOO_FEW_SEEDS


class Family(NamedTuple):
    """The family a comparison is tested in: its name and how many comparisons it holds."""

    name: str
    size: int


def own_family(name: str, size: int) -> Family:
    """A table that is its own family (a caller that declares none)."""
    return Family(name, max(1, size))


def family_choice(choice: IntervalChoice, family: Family) -> IntervalChoice:
    """The interval each comparison of `family` gets: `choice` at confidence 1 - (1 - confidence) / size."""
    alpha = 1 - choice.confidence
    return IntervalChoice(choice.interval, round(1 - alpha / family.size, 12), choice.rng, choice.n_resamples)


def family_method(choice: IntervalChoice, family: Family) -> str:
    """The ci_method text of an interval of `family`, e.g. 't interval, 95% family-wise (Bonferroni over 10
    comparisons: 99.50% each), n-1 degrees of freedom'."""
    if family.size == 1:
        return choice.method
    each = family_choice(choice, family).confidence
    wide = f"{percent(choice.confidence)} family-wise (Bonferroni over {family.size} comparisons: {each:.2%} each)"
    return choice.method.replace(percent(choice.confidence), wide, 1)


def adjusted_pvalue(pvalue: float, family: Family) -> float:
    """Bonferroni: the raw p times the family's size, at most 1 (NaN stays NaN)."""
    return pvalue if math.isnan(pvalue) else min(1.0, pvalue * family.size)


def verdict_of(low: float, high: float, adjusted_p: float, alpha: float, smallest_effect: float | None) -> str:
    """What a family-wise interval [low, high] of a difference shows: HIGHER or LOWER where it lies on one side of
    zero and the adjusted p agrees (NaN p: no spread, the interval decides), EQUIVALENT where it lies within
    +/- `smallest_effect` (a two one-sided tests' equivalence at least at alpha), else INCONCLUSIVE; TOO_FEW_SEEDS
    without an interval."""
    if math.isnan(low) or math.isnan(high):
        return TOO_FEW_SEEDS
    significant = not adjusted_p >= alpha
    if low > 0 and significant:
        return HIGHER
    if high < 0 and significant:
        return LOWER
    if smallest_effect is not None and -smallest_effect < low and high < smallest_effect:
        return EQUIVALENT
    return INCONCLUSIVE


Families = dict[frozenset, Family]  # the family each pair of configurations is tested in, by its two configurations


def pair_key(config_a: object, config_b: object) -> frozenset:
    return frozenset((config_a, config_b))


def claim(families: Families, name: str, pairs) -> Families:
    """`families` with every pair of (config_a, config_b) `pairs` that no family holds yet put in a new family
    `name`, sized by how many pairs it takes; a pair already held stays in its first family (one test, one p)."""
    new = list(dict.fromkeys(pair_key(a, b) for a, b in pairs if pair_key(a, b) not in families))
    return {**families, **{key: Family(name, len(new)) for key in new}}


def family_of(families: Families | None, config_a: object, config_b: object, default: Family) -> Family:
    """The family that holds the pair, or `default` (a table that is its own family) without declared families."""
    if families is None:
        return default
    return families[pair_key(config_a, config_b)]
