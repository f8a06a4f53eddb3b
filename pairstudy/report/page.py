"""The study report: one self-contained HTML page (charts inline as SVG) and its Markdown twin."""

from __future__ import annotations

import html
import re
from pathlib import Path

import altair as alt
import pandas as pd

from pairstudy.charts import prefix_svg_ids, save_chart

from .tables import html_table, markdown_text, table_markdown

# the study keys the report knows, in the order a reader wants them; any other key follows under its own name
STUDY_LABELS = {
    "name": "study",
    "description": "description",
    "data_source": "data source",
    "factors": "factors and levels",
    "seeds": "seeds",
    "epochs": "epochs",
    "n_runs": "number of runs",
}
TABLE_NOTE = "Mean ± sample standard deviation over the finished seeds; accuracies in percent."
CHART_NAME = re.compile(r"^[A-Za-z0-9_-]+$")

# everything the page shows is inside it: the browser is told to fetch nothing at all
CONTENT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1200px;
       padding: 0 1.5rem; color: #222; line-height: 1.45; }
h1 { margin-bottom: .2rem; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2.2rem; }
table { border-collapse: collapse; font-size: .9rem; margin: .6rem 0; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid #e4e4e4; text-align: right; white-space: nowrap; }
th { border-bottom: 2px solid #bbb; white-space: normal; vertical-align: bottom; }
th:first-child, td:first-child { text-align: left; }
.scroll, .chart { overflow-x: auto; }
.chart { margin: 1.2rem 0 .3rem; }
dl { display: grid; grid-template-columns: max-content auto; gap: .25rem 1.2rem; }
dt { font-weight: 600; } dd { margin: 0; }
ul.values { margin: 0; padding-left: 1.1rem; }
footer { margin-top: 3rem; font-size: .85rem; color: #555; }
"""


def label(key) -> str:
    return str(key).replace("_", " ")


def scalar(value) -> bool:
    return not isinstance(value, (dict, list, tuple))


def value_html(value) -> str:
    """A study or provenance value as escaped HTML: lists inline, dicts as nested lists."""
    if not scalar(value) and not value:
        return "–"
    if isinstance(value, dict):
        items = "".join(
            f"<li><strong>{html.escape(label(key))}</strong>: {value_html(item)}</li>" for key, item in value.items()
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
        return " –"
    if isinstance(value, dict):
        return "".join(
            f"\n{indent}- **{markdown_text(label(key))}**:{value_markdown(item, depth + 1)}"
            for key, item in value.items()
        )
    if isinstance(value, (list, tuple)):
        if all(scalar(item) for item in value):
            return " " + markdown_text(", ".join(map(str, value)))
        return "".join(f"\n{indent}-{value_markdown(item, depth + 1)}" for item in value)
    return " " + markdown_text(value)


def study_items(study: dict) -> list[tuple[str, object]]:
    """(label, value) of each study key worth showing: the known keys first, then the rest."""
    keys = [key for key in STUDY_LABELS if key in study] + [
        key for key in study if key not in STUDY_LABELS and key != "title"
    ]
    return [(STUDY_LABELS.get(key, label(key)), study[key]) for key in keys if study[key] not in (None, "", {}, [], ())]


def definition_list_html(items) -> str:
    rows = "".join(f"<dt>{html.escape(str(key))}</dt><dd>{value_html(value)}</dd>" for key, value in items)
    return f"<dl>{rows}</dl>"


def definition_list_markdown(items) -> list[str]:
    return [f"- **{markdown_text(key)}**:{value_markdown(value)}" for key, value in items]


def section_parts(section) -> tuple[str, str, str]:
    """A section as (title, HTML, Markdown); a (title, HTML) pair puts its HTML in the Markdown too."""
    if len(section) == 2:
        title, fragment = section
        return title, fragment, fragment
    title, fragment_html, fragment_markdown = section
    return title, fragment_html, fragment_markdown


def write_report(
    out_dir: str | Path,
    *,
    study: dict,
    table: pd.DataFrame,
    charts: dict[str, alt.TopLevelMixin],
    provenance: dict,
    sections=(),
) -> dict[str, Path]:
    """Write out_dir/index.html (self-contained, charts as inline SVG), out_dir/report.md with a PNG per chart
    beside it, and each chart as interactive HTML, PNG and SVG under out_dir/charts/.

    `study` holds name, description, data_source, epochs, seeds, factors, n_runs (an optional `title`, and any
    other key, shown under its own name). `sections` are (title, HTML fragment) pairs or (title, HTML, Markdown)
    triples, placed after the summary table; their fragments are trusted HTML. Returns the paths: "html",
    "markdown", and each chart's name -> its PNG beside report.md.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in charts:
        if not CHART_NAME.match(name) or name in ("html", "markdown"):
            raise ValueError(f"chart name {name!r} is not a plain file stem (letters, digits, - and _)")
    title = study.get("title") or study.get("description") or f"Study {study['name']}"
    run_items = study_items(study)
    provenance_items = [(label(key), value) for key, value in provenance.items()]
    sections = [section_parts(section) for section in sections]

    page = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_POLICY}">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<header><h1>{html.escape(title)}</h1></header><main>",
        "<section><h2>What was run</h2>",
        definition_list_html(run_items),
        "</section><section><h2>Results</h2>",
        f"<p>{html.escape(TABLE_NOTE)}</p>",
        f'<div class="scroll">{html_table(table)}</div></section>',
    ]
    markdown = [f"# {markdown_text(title)}", "", "## What was run", "", *definition_list_markdown(run_items), ""]
    markdown += ["## Results", "", TABLE_NOTE, "", table_markdown(table)]

    for section_title, fragment_html, fragment_markdown in sections:
        page += [f"<section><h2>{html.escape(section_title)}</h2>", fragment_html, "</section>"]
        markdown += [f"## {markdown_text(section_title)}", "", fragment_markdown.strip(), ""]

    paths: dict[str, Path] = {}
    if charts:
        page.append("<section><h2>Charts</h2>")
        markdown += ["## Charts", ""]
    for name, chart in charts.items():
        saved = save_chart(chart, out_dir / "charts" / name)
        paths[name] = out_dir / f"{name}.png"
        paths[name].write_bytes(saved["png"].read_bytes())
        svg = prefix_svg_ids(saved["svg"].read_text(encoding="utf-8"), f"chart-{name}")
        page.append(f'<figure class="chart" id="chart-{name}">{svg}</figure>')
        page.append(f'<p><a href="charts/{name}.html">Interactive version</a> (tooltips; opens offline)</p>')
        markdown += [f"![{name}]({name}.png)", "", f"[Interactive version](charts/{name}.html)", ""]
    if charts:
        page.append("</section>")

    page += ["</main><footer><h2>Provenance</h2>", definition_list_html(provenance_items), "</footer></body></html>"]
    markdown += ["## Provenance", "", *definition_list_markdown(provenance_items)]

    paths["html"] = out_dir / "index.html"
    paths["html"].write_text("\n".join(page) + "\n", encoding="utf-8")
    paths["markdown"] = out_dir / "report.md"
    paths["markdown"].write_text("\n".join(markdown) + "\n", encoding="utf-8")
    return paths
