"""Save a chart offline: interactive HTML with the Vega libraries inlined, PNG and SVG via vl-convert."""

from __future__ import annotations

import re
from pathlib import Path

import altair as alt

# the interactive page offers exports, not links to the online editor
EMBED_OPTIONS = {"actions": {"export": True, "source": False, "compiled": False, "editor": False}}
REMOTE_LOAD = re.compile(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?//""", re.IGNORECASE)


def remote_loads(page: str) -> list[str]:
    """The tags of an HTML page that would fetch something from the network."""
    return [match.group(0) for match in REMOTE_LOAD.finditer(page)]


def save_chart(chart: alt.TopLevelMixin, stem: str | Path, formats=("html", "png", "svg")) -> dict[str, Path]:
    """Write `<stem>.html` (libraries inlined, opens offline), `<stem>.png` and `<stem>.svg`; return the paths by format."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind in formats:
        path = stem.with_name(f"{stem.name}.{kind}")
        if kind == "html":
            chart.save(str(path), inline=True, embed_options=EMBED_OPTIONS)
            remote = remote_loads(path.read_text(encoding="utf-8"))
            if remote:
                raise RuntimeError(f"{path} would load from the network: {remote[:3]}")
        elif kind == "png":
            chart.save(str(path), scale_factor=2)
        else:
            chart.save(str(path))
        paths[kind] = path
    return paths


def prefix_svg_ids(svg: str, prefix: str) -> str:
    """Give every id of an SVG (and each reference to it) a prefix, so two inline SVGs never clash."""
    if not prefix:
        return svg
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
