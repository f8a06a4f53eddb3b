"""The picture of a chart that has nothing to draw: its note, so a declared chart file still exists."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .layout import WIDE, Layout, styled, wrap_title


def note_chart(message: str, layout: Layout = WIDE):
    """A chart that only says why there is nothing to draw."""
    lines = wrap_title(message, layout.title_chars)
    chart = (
        alt.Chart(pd.DataFrame({"text": [lines]}))
        .mark_text(fontSize=14, lineHeight=18)
        .encode(text="text:N")
        .properties(width=layout.width - 40, height=18 * len(lines) + 20)
    )
    return styled(chart, layout).configure_view(stroke=None)
