"""The study report: one self-contained HTML page that fits any screen width, and its Markdown twin."""

from __future__ import annotations

import html
import re
from pathlib import Path

from .definitions import definition_list_html, definition_list_markdown, label
from .sections import Section
from .tables import markdown_text

# everything the page shows is inside it: the browser is told to fetch nothing at all
CONTENT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# pixels: below it charts switch to their narrow drawing, the results table to two columns and the statistics tables
# to their key columns (a difference table on two lines a row: what is compared, then difference, interval, verdict)
NARROW_SCREEN = 700
STYLE = f"""
* {{ box-sizing: border-box; }}
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 1.5rem; color: #222; line-height: 1.45; }}
h1 {{ margin: .2rem 0 .4rem; font-size: 1.7rem; }}
h2 {{ border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2.2rem; }}
h3 {{ margin: 1.4rem 0 .4rem; font-size: 1.05rem; }}
h1, h2, h3, p, li, dd, figcaption {{ overflow-wrap: anywhere; }}
nav ul {{ list-style: none; padding: 0; margin: .4rem 0 0; display: flex; flex-wrap: wrap; gap: .2rem 1.1rem;
         font-size: .9rem; }}
p.lead {{ font-size: 1.1rem; font-weight: 600; }}
table {{ border-collapse: collapse; font-size: .9rem; margin: .6rem 0; }}
th, td {{ padding: .3rem .7rem; border-bottom: 1px solid #e4e4e4; text-align: right; white-space: nowrap; }}
th {{ border-bottom: 2px solid #bbb; white-space: normal; vertical-align: bottom; }}
th:first-child, td:first-child, th.text, td.text {{ text-align: left; }}
td.text {{ white-space: normal; min-width: 7em; }}
.scroll {{ overflow-x: auto; max-width: 100%; }}
.results-full, .keys-full {{ display: none; }}
.name {{ white-space: nowrap; hyphens: none; overflow-wrap: normal; }}
.chart {{ margin: 1.4rem 0 1.8rem; }}
.chart svg {{ display: block; width: 100%; height: auto; }}
.chart .narrow {{ display: none; }}
figcaption, .chart-note {{ font-size: .9rem; color: #444; }}
figcaption .links {{ white-space: nowrap; }}
dl {{ display: grid; grid-template-columns: minmax(8rem, max-content) minmax(0, 1fr); gap: .25rem 1.2rem; }}
dt {{ font-weight: 600; }} dd {{ margin: 0; }}
ul.values {{ margin: 0; padding-left: 1.1rem; }}
footer {{ margin-top: 3rem; font-size: .85rem; color: #555; }}
@media (max-width: {NARROW_SCREEN}px) {{
  body {{ padding: .8rem; }}
  .chart .wide {{ display: none; }}
  .chart .narrow {{ display: block; max-width: 560px; }}
  .results-main th:not(.key), .results-main td:not(.key) {{ display: none; }}
  .results-main th, .results-main td {{ white-space: normal; overflow-wrap: anywhere; }}
  .results-main td.key:last-child {{ white-space: nowrap; }}
  .results-full, .keys-full {{ display: block; }}
  .keys-main th:not(.key), .keys-main td:not(.key) {{ display: none; }}
  .keys-main th, .keys-main td {{ white-space: normal; padding: .3rem .45rem; }}
  table.stacked, table.stacked thead, table.stacked tbody {{ display: block; }}
  table.stacked tr {{ display: flex; flex-wrap: wrap; padding: .3rem 0; border-bottom: 1px solid #e4e4e4; }}
  table.stacked thead tr {{ border-bottom: 2px solid #bbb; }}
  table.stacked tr::after {{ content: ""; flex-basis: 100%; order: 2; }}
  table.stacked th, table.stacked td {{ flex: 0 0 33.333%; order: 3; min-width: 0; border: 0; padding: .1rem .45rem;
                                       text-align: left; }}
  table.stacked .what {{ flex: 1 0 50%; order: 1; min-width: auto; }}
  table.stacked .what.whole {{ flex-basis: 100%; }}
  dl {{ grid-template-columns: minmax(0, 1fr); }}
  dd {{ margin: 0 0 .5rem .8rem; }}
}}
"""


def section_id(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "section"


def write_report(
    out_dir: str | Path, *, title: str, sections: list[Section], provenance: dict, subtitle: str = ""
) -> dict[str, Path]:
    """Write out_dir/index.html (self-contained: styles inline, charts as inline SVG, nothing fetched) and
    out_dir/report.md. `sections` come in page order; their HTML fragments are trusted (escaped when built).
    Returns the paths: "html" and "markdown"."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sections = [Section(*section) for section in sections]
    ids = [section_id(section.title) for section in sections]
    provenance_items = [(label(key), value) for key, value in provenance.items()]
    nav = "".join(
        f'<li><a href="#{anchor}">{html.escape(section.title)}</a></li>' for anchor, section in zip(ids, sections)
    )
    page = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_POLICY}">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<header><h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(subtitle)}</p>" if subtitle else "",
        f'<nav><ul>{nav}<li><a href="#provenance">Provenance</a></li></ul></nav></header><main>',
    ]
    markdown = [f"# {markdown_text(title)}", ""] + ([markdown_text(subtitle), ""] if subtitle else [])
    for anchor, section in zip(ids, sections):
        page += [f'<section id="{anchor}"><h2>{html.escape(section.title)}</h2>', section.html, "</section>"]
        markdown += [f"## {markdown_text(section.title)}", "", section.markdown.strip(), ""]
    page += [
        '</main><footer id="provenance"><h2>Provenance</h2>',
        definition_list_html(provenance_items),
        "</footer></body></html>",
    ]
    markdown += ["## Provenance", "", definition_list_markdown(provenance_items)]
    paths = {"html": out_dir / "index.html", "markdown": out_dir / "report.md"}
    paths["html"].write_text("\n".join(page) + "\n", encoding="utf-8")
    paths["markdown"].write_text("\n".join(markdown), encoding="utf-8")
    return paths
