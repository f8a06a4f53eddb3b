"""Statistics over final results: summaries, paired comparisons by seed, 2x2 factorial effects, baselines.

Pure functions over DataFrames, results as DataFrames. Intervals are t intervals unless a
caller asks for a BCa bootstrap, which draws only from a numpy Generator the caller passes.
Nothing here reads or writes files, and nothing imports torch.
"""

from .baselines import BASELINE_COLUMNS, baseline_comparisons, leader_comparisons
from .factorial import FACTORIAL_COLUMNS, NoFullBlockError, factorial_effects
from .intervals import INTERVALS, MIN_SEEDS, Interval, mean_interval
from .paired import COMPARISON_COLUMNS, paired_comparisons
from .pairing import PairingError
from .power import SeedsNeeded, paired_t_power, seeds_needed
from .sentences import effect_sentence, format_pvalue
from .significance import holm, one_sample_t, signed_rank
from .study import STATISTICS_SEED, STUDY_TABLES, study_statistics
from .summary import SUMMARY_COLUMNS, summarize_configs

__all__ = [
    "BASELINE_COLUMNS",
    "COMPARISON_COLUMNS",
    "FACTORIAL_COLUMNS",
    "INTERVALS",
    "MIN_SEEDS",
    "STATISTICS_SEED",
    "STUDY_TABLES",
    "SUMMARY_COLUMNS",
    "Interval",
    "NoFullBlockError",
    "PairingError",
    "SeedsNeeded",
    "baseline_comparisons",
    "effect_sentence",
    "factorial_effects",
    "format_pvalue",
    "holm",
    "leader_comparisons",
    "mean_interval",
    "one_sample_t",
    "paired_comparisons",
    "paired_t_power",
    "seeds_needed",
    "signed_rank",
    "study_statistics",
    "summarize_configs",
]
