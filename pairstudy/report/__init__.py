"""The study report: HTML page, Markdown twin, paper-ready charts and tables."""

from .page import write_report
from .sections import Content, Section
from .study import render_study_report
from .tables import display_table, format_mean_std, latex_escape, table_latex, table_markdown

__all__ = [
    "Content",
    "Section",
    "display_table",
    "format_mean_std",
    "latex_escape",
    "render_study_report",
    "table_latex",
    "table_markdown",
    "write_report",
]
