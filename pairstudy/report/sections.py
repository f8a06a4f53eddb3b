"""Report sections written once for both outputs: each piece goes to the HTML page and the Markdown twin."""

from __future__ import annotations

import html
from typing import NamedTuple

import pandas as pd

from .tables import html_table, markdown_text, table_markdown


class Section(NamedTuple):
    """A titled part of the report: its HTML fragment (trusted, escaped when built) and its Markdown."""

    title: str
    html: str
    markdown: str


class Content:
    """Paragraphs, subheadings, lists and tables, escaped for HTML and Markdown as they are added."""

    def __init__(self) -> None:
        self.html: list[str] = []
        self.markdown: list[str] = []

    def paragraph(self, text: str, css_class: str = "") -> Content:
        attribute = f' class="{css_class}"' if css_class else ""
        self.html.append(f"<p{attribute}>{html.escape(text)}</p>")
        self.markdown += [markdown_text(text), ""]
        return self

    def heading(self, text: str) -> Content:
        self.html.append(f"<h3>{html.escape(text)}</h3>")
        self.markdown += [f"### {markdown_text(text)}", ""]
        return self

    def items(self, texts: list[str]) -> Content:
        if texts:
            self.html.append("<ul>" + "".join(f"<li>{html.escape(text)}</li>" for text in texts) + "</ul>")
            self.markdown += [f"- {markdown_text(text)}" for text in texts] + [""]
        return self

    def table(self, table: pd.DataFrame, css_class: str = "", key_columns=()) -> Content:
        self.html.append(f'<div class="scroll">{html_table(table, css_class, key_columns)}</div>')
        self.markdown += [table_markdown(table)]
        return self

    def raw(self, fragment_html: str, fragment_markdown: str) -> Content:
        """Trusted pieces, already escaped by whoever made them."""
        self.html.append(fragment_html)
        self.markdown += [fragment_markdown.strip(), ""]
        return self

    def section(self, title: str) -> Section:
        return Section(title, "\n".join(self.html), "\n".join(self.markdown).strip() + "\n")


def section(title: str, note: str, table: pd.DataFrame | None = None, items: list[str] | None = None) -> Section:
    """A note followed by a table and/or a list."""
    content = Content().paragraph(note)
    if table is not None:
        content.table(table)
    return content.items(items or []).section(title)
