"""Study settings and provenance as definition lists: nested values as nested lists, escaped for HTML and Markdown."""

from __future__ import annotations

import html

from .tables import NONE, markdown_text


def label(key) -> str:
    """A top-level key as a label ("finished_runs" -> "finished runs"); nested keys (settings, configuration
    names) are shown as written."""
    return str(key).replace("_", " ")


def scalar(value) -> bool:
    return not isinstance(value, (dict, list, tuple))


def value_html(value) -> str:
    """A study or provenance value as escaped HTML: lists inline, dicts as nested lists."""
    if not scalar(value) and not value:
        return NONE
    if isinstance(value, dict):
        items = "".join(
            f"<li><strong>{html.escape(str(key))}</strong>: {value_html(item)}</li>" for key, item in value.items()
        )
        return f'<ul class="values">{items}</ul>'
    if isinstance(value, (list, tuple)):
        if all(scalar(item) for item in value):
            return html.escape(", ".join(map(str, value)))
        return '<ul class="values">' + "".join(f"<li>{value_html(item)}</li>" for item in value) + "</ul>"
    return html.escape(str(value))


def value_markdown(value, depth: int = 0) -> str:
    """The same value as escaped Markdown: lists inline, dicts as nested bullet lists."""
    indent = "  " * (depth + 1)
    if not scalar(value) and not value:
        return f" {NONE}"
    if isinstance(value, dict):
        return "".join(
            f"\n{indent}- **{markdown_text(key)}**:{value_markdown(item, depth + 1)}" for key, item in value.items()
        )
    if isinstance(value, (list, tuple)):
        if all(scalar(item) for item in value):
            return " " + markdown_text(", ".join(map(str, value)))
        return "".join(f"\n{indent}-{value_markdown(item, depth + 1)}" for item in value)
    return " " + markdown_text(value)


def definition_list_html(items) -> str:
    rows = "".join(f"<dt>{html.escape(str(key))}</dt><dd>{value_html(value)}</dd>" for key, value in items)
    return f"<dl>{rows}</dl>"


def definition_list_markdown(items) -> str:
    return "\n".join(f"- **{markdown_text(key)}**:{value_markdown(value)}" for key, value in items) + "\n"
