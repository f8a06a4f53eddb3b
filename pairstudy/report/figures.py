"""The charts a study's config lists, drawn and written: inline SVG at both layouts for the page, a PNG beside
report.md (the workflow's declared output), interactive HTML under charts/, PDF and SVG under paper/."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pairstudy.charts import CHARTS, LAYOUTS, NARROW, WIDE, note_chart, prefix_svg_ids, rendered

from .sections import Section
from .tables import markdown_text


@dataclass(frozen=True)
class Figure:
    name: str
    caption: str
    note: str = ""  # why nothing is drawn; empty when the chart is drawn
    svgs: tuple[tuple[str, str], ...] = ()  # (layout name, inline SVG)


def draw_figure(name: str, tables: Mapping, out_dir: Path, paper_dir: Path, note: str = "") -> Figure:
    """Draw one listed chart and write its files; a chart with nothing to draw writes its note as the PNG."""
    kind = CHARTS[name]
    caption = kind.caption_for(tables["spec"])
    wide = note or kind.draw(tables, WIDE)
    if isinstance(wide, str):
        (out_dir / f"{name}.png").write_bytes(rendered(note_chart(f"{name}: {wide}"), ("png",))["png"])
        return Figure(name, caption, note=wide)
    files = rendered(wide, ("svg", "png", "pdf", "html"), title=f"{name}: {caption}")
    (out_dir / f"{name}.png").write_bytes(files["png"])
    (out_dir / "charts" / f"{name}.html").write_text(files["html"], encoding="utf-8")
    (paper_dir / f"{name}.pdf").write_bytes(files["pdf"])
    (paper_dir / f"{name}.svg").write_text(files["svg"], encoding="utf-8")
    svgs = {WIDE.name: files["svg"], NARROW.name: rendered(kind.draw(tables, NARROW), ("svg",))["svg"]}
    return Figure(
        name,
        caption,
        svgs=tuple((layout.name, prefix_svg_ids(svgs[layout.name], f"{name}-{layout.name}")) for layout in LAYOUTS),
    )


def draw_figures(names, tables: Mapping, out_dir: Path, paper_dir: Path, note: str = "") -> list[Figure]:
    """Exactly the charts `names` lists, in its order; `note`, when given, replaces every chart (no data).
    `tables` holds the stored tables, the statistics, "misclassified", "order" and "spec" (the task's metrics)."""
    unknown = [name for name in names if name not in CHARTS]
    if unknown:
        raise ValueError(f"unknown charts {unknown}; the report draws {list(CHARTS)}")
    (out_dir / "charts").mkdir(parents=True, exist_ok=True)
    paper_dir.mkdir(parents=True, exist_ok=True)
    return [draw_figure(name, tables, out_dir, paper_dir, note) for name in names]


def figure_html(figure: Figure) -> str:
    caption = html.escape(figure.caption)
    if figure.note:
        return (
            f'<figure class="chart note" id="chart-{figure.name}">'
            f'<p class="chart-note">{caption} Not drawn: {html.escape(figure.note)}.</p></figure>'
        )
    drawings = "".join(f'<div class="drawing {layout}">{svg}</div>' for layout, svg in figure.svgs)
    links = (
        f'<a href="charts/{figure.name}.html">interactive</a> · '
        f'<a href="paper/{figure.name}.pdf">PDF</a> · <a href="paper/{figure.name}.svg">SVG</a>'
    )
    return (
        f'<figure class="chart" id="chart-{figure.name}">{drawings}'
        f'<figcaption>{caption} <span class="links">{links}</span></figcaption></figure>'
    )


def figure_markdown(figure: Figure) -> str:
    if figure.note:
        return f"{markdown_text(figure.caption)} Not drawn: {markdown_text(figure.note)}.\n"
    return (
        f"![{markdown_text(figure.caption)}]({figure.name}.png)\n\n"
        f"[Interactive version](charts/{figure.name}.html), [PDF](paper/{figure.name}.pdf), "
        f"[SVG](paper/{figure.name}.svg)\n"
    )


def charts_section(figures: list[Figure]) -> Section | None:
    if not figures:
        return None
    return Section(
        "Charts",
        "\n".join(figure_html(figure) for figure in figures),
        "\n".join(figure_markdown(figure) for figure in figures),
    )
