"""The study report: one self-contained HTML page (charts inline as SVG) and a Markdown twin."""

from __future__ import annotations

import html
import json
from pathlib import Path

import altair as alt
import pandas as pd

from pairstudy.charts import chart_svg, save_chart

from .tables import display_table, factor_columns, html_table

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; line-height: 1.45; }
h1 { margin-bottom: .2rem; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: .9rem; margin: .6rem 0; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #e4e4e4; text-align: right; }
th:first-child, td:first-child { text-align: left; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dt { font-weight: 600; } .chart { margin: 1rem 0; overflow-x: auto; } footer { margin-top: 3rem; font-size: .8rem; color: #666; }
"""


def describe_value(value) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def write_report(
    out_dir: str | Path,
    *,
    study: dict,
    summary: pd.DataFrame,
    charts: dict[str, alt.TopLevelMixin],
    provenance: dict,
    sections: list[tuple[str, str, str]] = (),
) -> dict[str, Path]:
    """Write index.html, report.md and each chart as HTML/PNG/SVG under out_dir.

    `sections` are (title, HTML fragment, Markdown fragment) triples placed after the table.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = display_table(summary, factor_columns(summary))
    title = study.get("title") or f"Study {study['name']}"

    run_items = [(key, describe_value(value)) for key, value in study.items() if key not in ("title",) and value not in (None, "", {}, [])]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<h2>What was run</h2><dl>",
        *[f"<dt>{html.escape(key)}</dt><dd>{html.escape(value)}</dd>" for key, value in run_items],
        "</dl>",
        "<h2>Results</h2>",
        "<p>Mean ± sample standard deviation over the finished seeds; accuracies in percent.</p>",
        html_table(table),
    ]
    markdown = [f"# {title}", "", "## What was run", ""]
    markdown += [f"- **{key}**: {value}" for key, value in run_items]
    markdown += ["", "## Results", "", "Mean ± sample standard deviation over the finished seeds; accuracies in percent.", ""]
    header = "| " + " | ".join(table.columns) + " |"
    markdown += [header, "|" + "|".join("---" for _ in table.columns) + "|"]
    markdown += ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]

    for section_title, fragment_html, fragment_markdown in sections:
        parts += [f"<h2>{html.escape(section_title)}</h2>", fragment_html]
        markdown += ["", f"## {section_title}", "", fragment_markdown]

    paths = {}
    parts.append("<h2>Charts</h2>")
    markdown += ["", "## Charts", ""]
    for name, chart in charts.items():
        saved = save_chart(chart, out_dir / "charts" / name)
        png = out_dir / f"{name}.png"
        png.write_bytes(saved["png"].read_bytes())
        paths[name] = png
        parts.append(f'<div class="chart" id="chart-{html.escape(name)}">{chart_svg(chart)}</div>')
        parts.append(f'<p><a href="charts/{html.escape(name)}.html">interactive version</a></p>')
        markdown.append(f"![{name}]({name}.png)")

    parts.append("<footer><h2>Provenance</h2><dl>")
    parts += [f"<dt>{html.escape(key)}</dt><dd>{html.escape(describe_value(value))}</dd>" for key, value in provenance.items()]
    parts.append("</dl></footer></body></html>")
    markdown += ["", "## Provenance", ""] + [f"- **{key}**: {describe_value(value)}" for key, value in provenance.items()]

    paths["html"] = out_dir / "index.html"
    paths["html"].write_text("\n".join(parts), encoding="utf-8")
    paths["markdown"] = out_dir / "report.md"
    paths["markdown"].write_text("\n".join(markdown) + "\n", encoding="utf-8")
    return paths
