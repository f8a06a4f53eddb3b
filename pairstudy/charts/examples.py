"""Pictures of test examples a model got wrong: each example's images side by side under the label its task
wrote (what the target was, what was predicted).

An example is {"images": [pixels row-major, 0-255, one list per image], "shape": [height, width], "label": text},
whatever the task: any number of images of any one shape per example. Each image is one small greyscale PNG inside
the chart (a data URL), not one mark per pixel: a grid of sixteen examples stays a few kilobytes in an inline SVG.
"""

from __future__ import annotations

import base64
import struct
import zlib

import altair as alt
import numpy as np
import pandas as pd

from .layout import CHARACTER_WIDTH, Layout, styled, title, wrap_title

IMAGE_HEIGHT = 56  # pixels an image is drawn at, whatever its own height
LABEL_FONT_SIZE = 10
IMAGE_GAP = 4


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


def image_url(pixels, shape) -> str:
    """One image (0-255, row-major) as a data URL, dark ink on white."""
    ink = np.clip(np.asarray(pixels, dtype=float).reshape(shape) / 255.0, 0, 1)
    return "data:image/png;base64," + base64.b64encode(grey_png(np.round(255 * (1 - ink)).astype(np.uint8))).decode()


def image_width(shape) -> float:
    """The drawn width of one image of `shape` (height, width) at IMAGE_HEIGHT."""
    height, width = shape
    return IMAGE_HEIGHT * width / height


def examples_frame(examples: list[dict]) -> pd.DataFrame:
    """One row per image: example (its index), image (its index within the example), url, and the example's
    label."""
    rows = [
        {"example": index, "image": position, "url": image_url(pixels, example["shape"]), "label": example["label"]}
        for index, example in enumerate(examples)
        for position, pixels in enumerate(example["images"])
    ]
    return pd.DataFrame(rows, columns=["example", "image", "url", "label"])


def example_panel(frame: pd.DataFrame, example: dict, index: int):
    """One example: its images side by side, its label above them in lines that fit their width."""
    width = len(example["images"]) * (image_width(example["shape"]) + IMAGE_GAP)
    chars = max(12, int(width / (LABEL_FONT_SIZE * CHARACTER_WIDTH)))
    return (
        alt.Chart(frame[["example", "image", "url"]])
        .transform_filter(alt.datum.example == index)
        .mark_image(width=image_width(example["shape"]), height=IMAGE_HEIGHT, smooth=False)
        .encode(
            x=alt.X("image:O", axis=None, scale=alt.Scale(paddingInner=0.04)),
            y=alt.value(IMAGE_HEIGHT / 2),
            url="url:N",
        )
        .properties(
            width=width,
            height=IMAGE_HEIGHT,
            title=alt.TitleParams(wrap_title(example["label"], chars), fontSize=LABEL_FONT_SIZE, lineHeight=13),
        )
    )


def examples_grid(examples: list[dict], columns: int = 4, title=""):
    """A grid of examples, `columns` to a row."""
    frame = examples_frame(examples)
    panels = [example_panel(frame, example, index) for index, example in enumerate(examples)]
    return alt.concat(*panels, columns=columns, spacing=14).properties(title=title)


def examples_chart(examples: list[dict], columns: int = 4, title: str = ""):
    """examples_grid, ready to save on its own (e.g. a preview of a task's data)."""
    return examples_grid(examples, columns, title).configure_view(stroke=None).configure_title(fontSize=11)


def misclassified_chart(errors: dict, layout: Layout):
    """The stored wrongly predicted test examples of one run (errors: config, seed, examples), each under its
    task's label."""
    caption = f"Wrongly predicted test examples of {errors['config']}, seed {errors['seed']}"
    grid = examples_grid(errors["examples"], layout.examples_per_row, title(caption, layout))
    return styled(grid, layout).configure_view(stroke=None)
