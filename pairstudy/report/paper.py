"""reports/<study>/paper/: what a paper takes from a study. Each drawn chart as PDF and SVG (figures.py writes
them) and each table as booktabs LaTeX, Markdown and CSV, named as a LaTeX user would \\input them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from pairstudy.tasks.metrics import MetricSpec

from .statistics import PAPER_TABLES
from .tables import table_latex, table_markdown

TABLE_FORMATS = {"tex": table_latex, "md": table_markdown, "csv": lambda table: table.to_csv(index=False)}


def clear_paper_folder(folder: Path) -> Path:
    """An empty paper folder, so it holds exactly what this report writes."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def paper_tables(summary: pd.DataFrame, stored: dict[str, pd.DataFrame], spec: MetricSpec) -> dict[str, pd.DataFrame]:
    """File stem -> display table: the summary, then each statistics table the study has rows for."""
    tables = {"summary": summary}
    tables.update(
        {
            name: build(stored[name], spec.headline_metric)
            for name, build in PAPER_TABLES.items()
            if not stored[name].empty
        }
    )
    return tables


def write_paper_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Each table as <stem>.tex, <stem>.md and <stem>.csv."""
    written = []
    for stem, table in tables.items():
        for suffix, render in TABLE_FORMATS.items():
            path = folder / f"{stem}.{suffix}"
            path.write_text(render(table), encoding="utf-8")
            written.append(path)
    return written
