"""Save a chart offline: interactive HTML with the Vega libraries inlined, PNG and SVG via vl-convert."""

from __future__ import annotations

from pathlib import Path

import altair as alt


def save_chart(chart: alt.TopLevelMixin, stem: str | Path, formats=("html", "png", "svg")) -> dict[str, Path]:
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind in formats:
        path = stem.with_suffix(f".{kind}")
        if kind == "html":
            chart.save(str(path), inline=True)
        elif kind == "png":
            chart.save(str(path), scale_factor=2)
        else:
            chart.save(str(path))
        paths[kind] = path
    return paths


def chart_svg(chart: alt.TopLevelMixin) -> str:
    import vl_convert

    return vl_convert.vegalite_to_svg(chart.to_dict())
