"""Pictures of digit pairs: both digits with their classes, target and (for errors) the prediction.

Each digit is one small greyscale PNG inside the chart (a data URL), not one mark per pixel: a grid of
sixteen pairs stays a few kilobytes in an inline SVG.
"""

from __future__ import annotations

import base64
import struct
import zlib

import altair as alt
import numpy as np
import pandas as pd

from .layout import Layout, styled, title

DIGIT_SIZE = 56  # pixels a 14 x 14 digit is drawn at


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def grey_png(image: np.ndarray) -> bytes:
    """An 8-bit greyscale PNG of a 2-D uint8 array."""
    height, width = image.shape
    rows = b"".join(b"\x00" + row.tobytes() for row in np.ascontiguousarray(image, dtype=np.uint8))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(rows, 9))
        + png_chunk(b"IEND", b"")
    )


def digit_url(image: np.ndarray, brightest: float) -> str:
    """A digit as a data URL, dark ink on white (grey levels scaled by the brightest pixel of the set)."""
    ink = np.clip(image.astype(float) / (brightest or 1.0), 0, 1)
    return "data:image/png;base64," + base64.b64encode(grey_png(np.round(255 * (1 - ink)).astype(np.uint8))).decode()


def pairs_frame(images: np.ndarray, labels: list[str]) -> pd.DataFrame:
    """One row per digit: pair, digit (0/1), url (the digit as a PNG data URL) and the pair's label; images
    n x 2 x 14 x 14 in any grey scale."""
    images = np.asarray(images, dtype=float).reshape(-1, 2, 14, 14)
    brightest = float(images.max()) if images.size else 1.0
    rows = [
        {"pair": pair, "digit": digit, "url": digit_url(images[pair, digit], brightest), "label": labels[pair]}
        for pair in range(len(images))
        for digit in range(2)
    ]
    return pd.DataFrame(rows, columns=["pair", "digit", "url", "label"])


def pair_labels(classes, targets) -> list[str]:
    return [f"{a} vs {b}: target {t}" for (a, b), t in zip(classes, targets)]


def pairs_grid(frame: pd.DataFrame, columns: int = 4, title=""):
    """A grid of pairs, both digits side by side under the pair's label (a "\\n" in it starts a new line)."""
    digits = (
        alt.Chart(frame[["pair", "digit", "url"]])
        .mark_image(width=DIGIT_SIZE, height=DIGIT_SIZE, smooth=False)
        .encode(
            x=alt.X("digit:O", axis=None, scale=alt.Scale(paddingInner=0.04)),
            y=alt.value(DIGIT_SIZE / 2),
            url="url:N",
        )
        .properties(width=2 * DIGIT_SIZE + 4, height=DIGIT_SIZE)
    )
    return alt.concat(
        *[
            digits.transform_filter(alt.datum.pair == index).properties(
                title=alt.TitleParams(label.split("\n"), fontSize=10, lineHeight=13)
            )
            for index, label in frame.groupby("pair")["label"].first().items()
        ],
        columns=columns,
        spacing=14,
    ).properties(title=title)


def pairs_chart(frame: pd.DataFrame, columns: int = 4, title: str = ""):
    """pairs_grid, ready to save on its own."""
    return pairs_grid(frame, columns, title).configure_view(stroke=None).configure_title(fontSize=11)


def misclassified_chart(errors: dict, layout: Layout):
    """The stored wrongly compared test pairs of one run: truth, predicted comparison, predicted digits, each
    pair's label on short lines so it stays within its pair."""
    records = errors["pairs"]
    images = np.array([record["pixels"] for record in records], dtype=float).reshape(-1, 2, 14, 14)
    labels = []
    for record in records:
        (first, second), truth = record["classes"], record["target"]
        lines = [f"{first} vs {second}", f"true {truth}, predicted {record['predicted']}"]
        if record["predicted_digits"] is not None:
            lines.append(f"read {record['predicted_digits'][0]} vs {record['predicted_digits'][1]}")
        labels.append("\n".join(lines))
    caption = (
        f"Misclassified test pairs of {errors['config']}, seed {errors['seed']} "
        "(target 1: the first digit is <= the second)"
    )
    grid = pairs_grid(pairs_frame(images, labels), layout.pairs_per_row, title(caption, layout))
    return styled(grid, layout).configure_view(stroke=None)
