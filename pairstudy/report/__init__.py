"""The study report: HTML page, Markdown twin, table formats."""

from .page import write_report
from .tables import format_mean_std, summary_table_latex, summary_table_markdown

__all__ = ["format_mean_std", "summary_table_latex", "summary_table_markdown", "write_report"]
