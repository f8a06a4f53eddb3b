"""Digit sources, pools and the digit-pair sets."""

from .pairs import PairSet, PairSets, comparison_target, generate_pair_sets, make_pairs
from .sources import SOURCES, DataSourceError, DigitPools, load_pools, read_idx

__all__ = [
    "SOURCES",
    "DataSourceError",
    "DigitPools",
    "load_pools",
    "read_idx",
    "PairSet",
    "PairSets",
    "comparison_target",
    "generate_pair_sets",
    "make_pairs",
]
