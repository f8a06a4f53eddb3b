"""Write a study's aggregate files."""

from __future__ import annotations

from pathlib import Path

from .tables import final_rows, learning_curves, read_epochs, run_status, summarize


def write_study_tables(run_paths, outputs: dict, study: str, min_seeds: int = 1) -> None:
    """Read every run file once and write epochs/finals/curves Parquet and the summary as CSV, Markdown, LaTeX.

    `outputs` maps epochs, finals, curves, summary, markdown, latex, run_status to paths.
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
    Path(outputs["markdown"]).write_text(summary_table_markdown(summary))
    Path(outputs["latex"]).write_text(summary_table_latex(summary))
