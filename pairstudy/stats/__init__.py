"""Statistics over final results: summaries, paired comparisons by seed, 2x2 factorial effects.

Pure functions over DataFrames, results as DataFrames; every resampling function takes an
explicit numpy Generator. Nothing here draws, and nothing imports torch.
"""

from .factorial import FACTORIAL_COLUMNS, factorial_effects
from .intervals import SUMMARY_COLUMNS, bootstrap_mean_ci, summarize_configs
from .paired import COMPARISON_COLUMNS, paired_comparisons
from .pairing import PairingError
from .sentences import effect_sentence, format_pvalue
from .significance import holm, one_sample_t, signed_rank

__all__ = [
    "COMPARISON_COLUMNS",
    "FACTORIAL_COLUMNS",
    "PairingError",
    "SUMMARY_COLUMNS",
    "bootstrap_mean_ci",
    "effect_sentence",
    "factorial_effects",
    "format_pvalue",
    "holm",
    "one_sample_t",
    "paired_comparisons",
    "signed_rank",
    "summarize_configs",
]
