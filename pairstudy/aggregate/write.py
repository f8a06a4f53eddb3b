"""Write a study's aggregate files."""

from __future__ import annotations

import json
from pathlib import Path

from pairstudy.metrics import read_misclassified

from .tables import final_rows, learning_curves, read_epochs, run_status, summarize


def best_run_errors(run_paths, finals, summary) -> dict:
    """The stored misclassified test pairs of the best configuration's first finished seed."""
    ranked = summary.dropna(subset=["final_test_accuracy_mean"]).sort_values(
        "final_test_accuracy_mean", ascending=False
    )
    if ranked.empty:
        return {}
    config = ranked["config"].iloc[0]
    finished = finals[(finals["config"] == config) & (finals["status"] == "ok")].sort_values("seed")
    seed = int(finished["seed"].iloc[0])
    path = next(p for p in run_paths if Path(p).parent.name == config and Path(p).name == f"seed{seed}.parquet")
    return {"config": config, "seed": seed, "pairs": read_misclassified(path)}


def write_study_tables(run_paths, outputs: dict, study: str, min_seeds: int = 1) -> None:
    """Read every run file once and write epochs/finals/curves Parquet and the summary as CSV, Markdown, LaTeX.

    `outputs` maps epochs, finals, curves, summary, markdown, latex, run_status, misclassified to paths.
    """
    from pairstudy.report.tables import summary_table_latex, summary_table_markdown

    epochs, factor_names = read_epochs(run_paths)
    finals = final_rows(epochs, factor_names)
    summary = summarize(finals, factor_names, min_seeds=min_seeds)
    for key in outputs:
        Path(outputs[key]).parent.mkdir(parents=True, exist_ok=True)
    epochs.drop(columns=["factors", "hyperparameters"]).to_parquet(outputs["epochs"], index=False)
    finals.to_parquet(outputs["finals"], index=False)
    learning_curves(epochs).to_parquet(outputs["curves"], index=False)
    summary.to_csv(outputs["summary"], index=False)
    run_status(finals, study).to_csv(outputs["run_status"], index=False)
    Path(outputs["misclassified"]).write_text(json.dumps(best_run_errors(run_paths, finals, summary)))
    Path(outputs["markdown"]).write_text(summary_table_markdown(summary))
    Path(outputs["latex"]).write_text(summary_table_latex(summary))
