"""The statistics sections of a report: intervals, paired comparisons and factor effects."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from pairstudy.stats import effect_sentence, factorial_effects, paired_comparisons, summarize_configs

FACTOR_LABELS = {"aux": "auxiliary loss", "sharing": "weight sharing", "architecture": "architecture"}
STATISTICS_SEED = 0  # fixed bootstrap generator: the same runs give the same report
RESAMPLES = 10_000


def two_level_factors(finals: pd.DataFrame, factor_names) -> list[str]:
    return [name for name in factor_names if name != "architecture" and finals[name].dropna().nunique() == 2]


def interval_table(finals: pd.DataFrame) -> pd.DataFrame:
    table = summarize_configs(finals, rng=np.random.default_rng(STATISTICS_SEED), n_resamples=RESAMPLES)
    return pd.DataFrame(
        {
            "configuration": table["config"],
            "n": table["n"],
            "mean (%)": (table["mean"] * 100).round(2),
            "std": (table["std"] * 100).round(2),
            "s.e.": (table["sem"] * 100).round(2),
            "95% CI": [f"[{low * 100:.2f}, {high * 100:.2f}]" for low, high in zip(table["ci_low"], table["ci_high"])],
        }
    )


def statistics_sections(finals: pd.DataFrame, factor_names: list[str]) -> tuple[list[tuple[str, str, str]], pd.DataFrame | None]:
    """Report sections (title, HTML, Markdown) and the paired comparisons (for the forest plot)."""
    ok = finals[finals["status"] == "ok"]
    sections = []
    intervals = interval_table(ok)
    method = f"percentile bootstrap of the mean over seeds, {RESAMPLES:,} resamples, generator seed {STATISTICS_SEED}"
    sections.append(
        (
            "Confidence intervals",
            f"<p>Final test accuracy per configuration; 95% CI by {html.escape(method)}.</p>" + intervals.to_html(index=False, border=0),
            f"Final test accuracy per configuration; 95% CI by {method}.\n\n" + intervals.to_markdown(index=False),
        )
    )
    comparisons = None
    if len(ok["config"].unique()) > 1:
        comparisons = paired_comparisons(
            ok, factor_names, rng=np.random.default_rng(STATISTICS_SEED), n_resamples=RESAMPLES, on_mismatch="intersect"
        )
    if comparisons is not None and len(comparisons):
        shown = pd.DataFrame(
            {
                "comparison": [f"{a} → {b}" for a, b in zip(comparisons["config_a"], comparisons["config_b"])],
                "factor": comparisons["factor"],
                "n": comparisons["n"],
                "difference (points)": (comparisons["mean_difference"] * 100).round(2),
                "95% CI": [f"[{l * 100:.2f}, {h * 100:.2f}]" for l, h in zip(comparisons["ci_low"], comparisons["ci_high"])],
                "paired t p (Holm)": comparisons["holm_t_pvalue"].map(lambda p: f"{p:.3g}"),
                "Wilcoxon p (Holm)": comparisons["holm_wilcoxon_pvalue"].map(lambda p: f"{p:.3g}"),
                "d_z": comparisons["effect_size"].round(2),
            }
        )
        note = (
            "Configurations that differ in exactly one factor, paired by seed (a seed fixes the data pairs). "
            "Difference = second minus first; p-values Holm-corrected across the comparisons shown; d_z = mean / sd of the paired differences."
        )
        sections.append(("Paired comparisons", f"<p>{note}</p>" + shown.to_html(index=False, border=0), note + "\n\n" + shown.to_markdown(index=False)))
    sentences = []
    candidates = two_level_factors(ok, factor_names)
    if len(candidates) >= 2:
        block_factors = [name for name in factor_names if name not in candidates[:2]]
        try:
            effects = factorial_effects(
                ok, candidates[:2], rng=np.random.default_rng(STATISTICS_SEED), block_factors=block_factors,
                n_resamples=RESAMPLES, on_mismatch="intersect",
            )
        except ValueError:
            effects = None
        if effects is not None:
            for block, rows in effects.groupby("block", sort=False):
                for _, row in rows.iterrows():
                    sentences.append(f"{block}: {effect_sentence(row, labels=FACTOR_LABELS)}")
    if sentences:
        note = "Main effects and interaction of the 2 x 2 factorial block, estimated per seed (95% bootstrap CI, one-sample t test)."
        sections.insert(
            0,
            (
                "What helped",
                f"<p>{note}</p><ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in sentences) + "</ul>",
                note + "\n\n" + "\n".join(f"- {s}" for s in sentences),
            ),
        )
    return sections, comparisons
