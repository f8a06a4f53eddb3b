"""Write a study's aggregate tables: data only (Parquet and CSV), each Parquet carrying the study and its provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pairstudy.metrics import HEADLINE_METRIC, read_run_metadata, write_table

from .tables import (
    configurations,
    factor_names,
    final_rows,
    learning_curves,
    read_epochs,
    run_status,
    summarize,
    with_factor_columns,
)


def best_run_errors(finals: pd.DataFrame, summary: pd.DataFrame, run_files: dict) -> dict:
    """The stored misclassified test pairs of the best configuration's first finished seed."""
    ranked = summary.dropna(subset=[f"{HEADLINE_METRIC}_mean"]).sort_values(f"{HEADLINE_METRIC}_mean", ascending=False)
    if ranked.empty:
        return {}
    config = ranked["config"].iloc[0]
    finished = finals[(finals["config"] == config) & (finals["status"] == "ok")].sort_values("seed")
    seed = int(finished["seed"].iloc[0])
    pairs = read_run_metadata(run_files[(config, seed)]).get("misclassified", {}).get(str(seed), [])
    return {"config": config, "seed": seed, "pairs": pairs}


def write_study_tables(expected: list[dict], outputs: dict, *, study: dict, provenance: dict, min_seeds: int) -> None:
    """Read every run file once, checked against `expected`, and write the study's tables to `outputs`.

    `outputs` maps epochs, finals, curves, summary, configurations, run_status, misclassified to paths.
    Every Parquet's metadata holds the study spec, the provenance and the ordered factor names.
    """
    epochs = read_epochs(expected)
    declared = [*study.get("factors", {}), *(key for entry in study.get("include", []) for key in entry)]
    names = factor_names(epochs, list(dict.fromkeys(declared)))
    finals = final_rows(epochs, names)
    summary = summarize(finals, names, min_seeds)
    run_files = {(entry["config"], seed): entry["path"] for entry in expected for seed in entry["seeds"]}
    metadata = {"study": study, "provenance": provenance, "factors": names}
    for path in outputs.values():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_table(with_factor_columns(epochs, names).drop(columns=["hyperparameters"]), outputs["epochs"], metadata)
    write_table(finals, outputs["finals"], metadata)
    write_table(learning_curves(epochs), outputs["curves"], metadata)
    write_table(configurations(epochs, names), outputs["configurations"], metadata)
    write_table(summary, outputs["summary"], metadata)
    summary.to_csv(outputs["summary_csv"], index=False)
    run_status(finals, run_files).to_csv(outputs["run_status"], index=False)
    Path(outputs["misclassified"]).write_text(json.dumps(best_run_errors(finals, summary, run_files)))
