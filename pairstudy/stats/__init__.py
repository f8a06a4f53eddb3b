"""Statistics over final results: summaries, paired comparisons by seed, 2x2 factorial effects, baselines.

Pure functions over DataFrames, results as DataFrames. Intervals are t intervals unless a
caller asks for a BCa bootstrap, which draws only from a numpy Generator the caller passes.
Nothing here reads or writes files, and nothing imports torch.
The names below are imported on first use, so a reader of stored statistics loads no scipy.
"""

import importlib

EXPORTS = {
    "BASELINE_COLUMNS": "baselines",
    "COMPARISON_COLUMNS": "paired",
    "FACTORIAL_COLUMNS": "factorial",
    "INTERVALS": "intervals",
    "Interval": "intervals",
    "MIN_SEEDS": "words",
    "NoFullBlockError": "factorial",
    "PairingError": "pairing",
    "STATISTICS_SEED": "study",
    "STUDY_TABLES": "study",
    "SUMMARY_COLUMNS": "summary",
    "TOO_FEW_SEEDS": "words",
    "baseline_comparisons": "baselines",
    "effect_sentence": "sentences",
    "factorial_effects": "factorial",
    "format_pvalue": "sentences",
    "leader_comparisons": "baselines",
    "mean_interval": "intervals",
    "one_sample_t": "significance",
    "paired_comparisons": "paired",
    "paired_t_power": "power",
    "planned_seeds": "power",
    "signed_rank": "significance",
    "smallest_effect_of": "units",
    "study_statistics": "study",
    "summarize_configs": "summary",
}

__all__ = sorted(EXPORTS)


# pairstudy.lazy.lazy_exports inlined: importing pairstudy.stats loads no other pairstudy module
def __getattr__(name: str):
    if name not in EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{EXPORTS[name]}", __name__), name)
