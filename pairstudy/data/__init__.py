"""Digit sources, pools and the digit-pair sets.

The pair names (PairSet, PairSets, comparison_target, generate_pair_sets, make_pairs) need
torch and are imported on first use, so `import pairstudy.data` and the source functions
stay cheap where only pool sizes are checked.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

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


def __getattr__(name: str):
    if name in PAIR_NAMES:
        return getattr(importlib.import_module(".pairs", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *PAIR_NAMES])
