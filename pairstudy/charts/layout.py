"""The two sizes every chart is drawn at, the font, and the text wrapping that keeps every label whole.

A page shows the wide drawing on a wide screen and the narrow one on a phone; both are scaled to the
width of their column, so each is laid out for the width it will be shown at and its text stays legible.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

import altair as alt

# the font text is measured in (vl-convert) and shown in (the page's browser); DejaVu Sans is wide, so a
# browser that falls back to a narrower font draws every label inside the room measured for it
FONT = "DejaVu Sans, Verdana, sans-serif"
LABEL_SIZE = 11
TITLE_SIZE = 14
LINE_HEIGHT = 14
CHARACTER_WIDTH = 0.62  # of the font size: DejaVu Sans's mean advance, enough for lower-case names and numerals


@dataclass(frozen=True)
class Layout:
    """How wide a drawing is (axes and legends included) and how its text wraps to fit."""

    name: str
    width: int  # pixels
    label_chars: int  # a label longer than this wraps onto more lines
    title_chars: int
    panels_per_row: int  # learning-curve panels side by side
    examples_per_row: int  # wrongly predicted examples side by side
    axis_title_chars: int


# titles are bold: about 0.68 of the font size a character, so 84 and 36 characters fit 900 and 400 pixels
WIDE = Layout("wide", 900, label_chars=40, title_chars=84, panels_per_row=3, examples_per_row=7, axis_title_chars=60)
NARROW = Layout(
    "narrow", 400, label_chars=20, title_chars=36, panels_per_row=1, examples_per_row=3, axis_title_chars=30
)
LAYOUTS = (WIDE, NARROW)

# a label breaks after a dash, underscore or slash, after a space, and before an arrow or minus sign (so
# "a → b" wraps as "a" / "→ b")
BREAK = re.compile(r"(?<=[-_/])|(?<=[^→−] )(?![→−])|(?= [→−])")


def wrap_label(text: str, chars: int) -> list[str]:
    """`text` in lines of at most `chars` characters, broken where BREAK allows (a longer piece is cut where
    it must); nothing is dropped."""
    lines: list[str] = []
    line = ""
    for piece in BREAK.split(str(text)):
        if line and len(line) + len(piece.rstrip()) > chars:
            lines.append(line)
            line = ""
        if not line:
            piece = piece.lstrip()
        while len(piece) > chars:
            lines.append(piece[:chars])
            piece = piece[chars:]
        line += piece
    if line or not lines:
        lines.append(line)
    return [item.rstrip() for item in lines]


def wrapped(text: str, chars: int) -> str:
    """`text` wrapped as wrap_label does, its lines joined by "\\n" (what MULTILINE axis labels split)."""
    return "\n".join(wrap_label(text, chars))


def wrap_title(text: str, chars: int) -> list[str]:
    """A title in lines of at most `chars` characters, broken between words."""
    return textwrap.wrap(text, chars, break_long_words=True) or [""]


def text_width(text: str, size: int = LABEL_SIZE) -> float:
    """About how many pixels `text` takes in FONT at `size`."""
    return len(text) * size * CHARACTER_WIDTH


def label_lines(labels) -> int:
    """The most lines any wrapped label takes ("\\n"-joined)."""
    return max((str(label).count("\n") + 1 for label in labels), default=1)


def multiline_axis(**options) -> alt.Axis:
    """An axis whose labels hold "\\n"-joined lines: Vega draws each line, the block centred on its tick."""
    return alt.Axis(
        labelExpr="split(datum.label, '\\n')",
        labelBaseline="middle",
        labelLineHeight=LINE_HEIGHT,
        labelOffset={"expr": f"-(length(split(datum.label, '\\n')) - 1) * {LINE_HEIGHT / 2}"},
        **options,
    )


def axis_title(text: str, layout: Layout) -> list[str]:
    """An axis title in lines that fit under the layout's plot."""
    return wrap_title(text, layout.axis_title_chars)


def title(text: str, layout: Layout, **options) -> alt.TitleParams:
    """A figure title wrapped to the layout, from the left edge of the whole figure (Vega centres a concatenated
    figure's title on its left edge, not its middle)."""
    text = text[:1].upper() + text[1:]
    return alt.TitleParams(wrap_title(text, layout.title_chars), anchor="start", frame="bounds", offset=10, **options)


def styled(chart, layout: Layout, legend_columns: int = 1):
    """The common look: FONT, label sizes, no label ever cut short (limit 0), white background, legend below."""
    return (
        chart.configure(font=FONT, padding=10, background="white")
        .configure_axis(labelFontSize=LABEL_SIZE, titleFontSize=12, labelLimit=0, titleLimit=0)
        .configure_legend(
            labelFontSize=LABEL_SIZE,
            titleFontSize=12,
            labelLimit=0,
            titleLimit=0,
            orient="bottom",
            direction="vertical",
            columns=legend_columns,
            columnPadding=18,
        )
        .configure_title(fontSize=TITLE_SIZE, limit=0, lineHeight=18)
        .configure_header(labelLimit=0, titleLimit=0)
    )


def legend_columns(labels, layout: Layout) -> int:
    """How many legend columns of these labels fit the layout's width."""
    widest = max((text_width(str(label)) for label in labels), default=0) + 50
    return max(1, min(len(list(labels)) or 1, int(layout.width // widest)))
