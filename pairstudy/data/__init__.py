"""Digit sources, pools and the digit-pair sets."""

from .sources import SOURCES, DataSourceError, DigitPools, load_pools, read_idx
from .pairs import PairSet, PairSets, comparison_target, generate_pair_sets, make_pairs

__all__ = ["SOURCES", "DataSourceError", "DigitPools", "load_pools", "read_idx", "PairSet", "PairSets", "comparison_target", "generate_pair_sets", "make_pairs"]
