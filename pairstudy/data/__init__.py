"""Digit sources, pools and the digit-pair sets."""

from .sources import SOURCES, DataSourceError, DigitPools, load_pools, read_idx
from .pairs import PairSet, PairSets, generate_pair_sets

__all__ = ["SOURCES", "DataSourceError", "DigitPools", "load_pools", "read_idx", "PairSet", "PairSets", "generate_pair_sets"]
