"""The study report: HTML page, Markdown twin, paper-ready tables."""

from .page import write_report
from .tables import display_table, format_mean_std, table_latex, table_markdown

__all__ = ["display_table", "format_mean_std", "table_latex", "table_markdown", "write_report"]
