"""The results table: every configuration's numbers; a narrow screen keeps the configuration and its final
headline in view and offers the full table in a box that scrolls sideways."""

from __future__ import annotations

import html

import pandas as pd

from pairstudy.tasks.metrics import MetricSpec

from .sections import Section
from .tables import CONFIGURATION, headline_title, html_table, table_markdown

TABLE_NOTE = (
    "Mean ± sample standard deviation over the finished seeds; metrics marked (%) in percent, the others as "
    "measured; – where a configuration has no value."
)
FULL_TABLE = "All columns"


def results_section(table: pd.DataFrame, spec: MetricSpec) -> Section:
    headline = headline_title(spec)
    keys = [CONFIGURATION, headline] if headline in table else [CONFIGURATION]
    fragment = (
        f"<p>{html.escape(TABLE_NOTE)}</p>"
        f'<div class="results-main">{html_table(table, "summary main", keys)}</div>'
        f'<details class="results-full"><summary>{FULL_TABLE}</summary>'
        f'<div class="scroll">{html_table(table, "summary full")}</div></details>'
    )
    return Section("Results", fragment, f"{TABLE_NOTE}\n\n{table_markdown(table)}")
