"""Digit sources, pools and the digit-pair sets.

The pair names (PairSet, PairSets, comparison_target, generate_pair_sets, make_pairs) need
torch and are imported on first use, so `import pairstudy.data` and the source functions
stay cheap where only pool sizes are checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pairstudy.lazy import lazy_exports

from .errors import DataSourceError, PoolTooSmallError
from .idx import read_idx
from .pools import DigitPools
from .sources import OFFLINE_SOURCES, SOURCES, check_pairs_fit, load_pools, pool_sizes

if TYPE_CHECKING:
    from .pairs import PairSet, PairSets, comparison_target, generate_pair_sets, make_pairs

PAIR_NAMES = ("PairSet", "PairSets", "comparison_target", "generate_pair_sets", "make_pairs")

__all__ = [
    "SOURCES",
    "OFFLINE_SOURCES",
    "DataSourceError",
    "PoolTooSmallError",
    "DigitPools",
    "load_pools",
    "pool_sizes",
    "check_pairs_fit",
    "read_idx",
    "PairSet",
    "PairSets",
    "comparison_target",
    "generate_pair_sets",
    "make_pairs",
]


__getattr__ = lazy_exports(__name__, dict.fromkeys(PAIR_NAMES, "pairs"))


def __dir__():
    return sorted([*globals(), *PAIR_NAMES])
