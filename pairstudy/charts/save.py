"""Save a chart offline: SVG via vl-convert, PNG and PDF (fonts embedded) from that SVG, and an interactive HTML
page with the Vega libraries inlined that fills its window's width."""

from __future__ import annotations

import functools
import html
import importlib.metadata
import json
import re
from pathlib import Path

import altair as alt
import vl_convert

from pairstudy.cache import cache_folder, cached_text

# the Vega-Lite version Altair writes its specs in, which vl-convert then renders
VEGALITE_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
# the interactive page offers exports, not links to the online editor
EMBED_OPTIONS = {"actions": {"export": True, "source": False, "compiled": False, "editor": False}}
REMOTE_LOAD = re.compile(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?//""", re.IGNORECASE)
FORMATS = ("html", "png", "svg", "pdf")
INTERACTIVE_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body {{ margin: 1rem; }} #chart {{ width: 100%; }} #chart.vega-embed {{ display: block; }}</style>
<script>{bundle}</script></head>
<body><div id="chart"></div>
<script>vegaEmbed("#chart", {spec}, {options}).catch(console.error);</script>
</body></html>
"""


def remote_loads(page: str) -> list[str]:
    """The tags of an HTML page that would fetch something from the network."""
    return [match.group(0) for match in REMOTE_LOAD.finditer(page)]


def bundle_path() -> Path:
    """Where the user's cache keeps the bundle of this vl-convert and Vega-Lite version."""
    version = importlib.metadata.version("vl-convert-python")
    return cache_folder() / f"vega-bundle-{version}-vega-lite-{VEGALITE_VERSION}.js"


@functools.cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script: the same for every chart, so built once per vl-convert and
    Vega-Lite version and kept in the user's cache (building it takes vl-convert seconds)."""
    return cached_text(bundle_path(), lambda: vl_convert.javascript_bundle(vl_version=VEGALITE_VERSION))


def container_width(spec: dict) -> dict:
    """The spec filling its page's width where Vega-Lite can (a single or layered view with a fixed width)."""
    if isinstance(spec.get("width"), (int, float)) and not any(key in spec for key in ("concat", "hconcat", "vconcat")):
        return {**spec, "width": "container"}
    return spec


def interactive_page(spec: dict, title: str) -> str:
    """A page that draws `spec` with tooltips, everything inline (opens offline)."""
    script_json = json.dumps(container_width(spec)).replace("</", "<\\/")  # no string can end the script early
    page = INTERACTIVE_PAGE.format(
        title=html.escape(title), bundle=vega_bundle(), spec=script_json, options=json.dumps(EMBED_OPTIONS)
    )
    if remote_loads(page):
        raise RuntimeError(f"the chart's page would load from the network: {remote_loads(page)[:3]}")
    return page


def rendered(chart: alt.TopLevelMixin, formats=FORMATS, title: str = "chart") -> dict[str, str | bytes]:
    """The chart in each of `formats`: text for html and svg, bytes for png and pdf. Vega lays it out once, to
    SVG; the PNG (twice the pixels) and the PDF (fonts embedded) are made from that SVG."""
    unknown = [kind for kind in formats if kind not in FORMATS]
    if unknown:
        raise ValueError(f"formats must be among {FORMATS}, got {unknown}")
    # the chart builders' specs are validated by their tests; validating each again costs more than drawing it
    spec = chart.to_dict(validate=False)
    contents: dict[str, str | bytes] = {}
    if {"svg", "png", "pdf"} & set(formats):
        svg = vl_convert.vegalite_to_svg(spec, vl_version=VEGALITE_VERSION)
    for kind in formats:
        if kind == "html":
            contents[kind] = interactive_page(spec, title)
        elif kind == "svg":
            contents[kind] = svg
        elif kind == "png":
            contents[kind] = vl_convert.svg_to_png(svg, scale=2)
        else:
            contents[kind] = vl_convert.svg_to_pdf(svg)
    return contents


def save_chart(chart: alt.TopLevelMixin, stem: str | Path, formats=FORMATS) -> dict[str, Path]:
    """Write `<stem>.<format>` for each of `formats`; return the paths by format."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind, content in rendered(chart, formats, title=stem.name).items():
        paths[kind] = stem.with_name(f"{stem.name}.{kind}")
        if isinstance(content, str):
            paths[kind].write_text(content, encoding="utf-8")
        else:
            paths[kind].write_bytes(content)
    return paths


def prefix_svg_ids(svg: str, prefix: str) -> str:
    """Give every id of an SVG (and each reference to it) a prefix, so two inline SVGs never clash."""
    if not prefix:
        return svg
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
