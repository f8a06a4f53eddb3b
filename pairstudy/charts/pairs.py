"""Pictures of digit pairs: both digits with their classes, target and (for errors) the prediction."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd


def pairs_frame(images: np.ndarray, labels: list[str]) -> pd.DataFrame:
    """Long table of pixels: pair, digit (0/1), row, col, value, and the pair's label; images n x 2 x 14 x 14."""
    count = len(images)
    pair, digit, row, col = np.meshgrid(np.arange(count), np.arange(2), np.arange(14), np.arange(14), indexing="ij")
    return pd.DataFrame(
        {
            "pair": pair.ravel(),
            "digit": digit.ravel(),
            "row": row.ravel(),
            "col": col.ravel(),
            "value": images.reshape(-1),
            "label": np.repeat(np.asarray(labels, dtype=object), 2 * 14 * 14),
        }
    )


def pair_labels(classes, targets) -> list[str]:
    return [f"{a} vs {b}: target {t}" for (a, b), t in zip(classes, targets)]


def pairs_chart(frame: pd.DataFrame, columns: int = 4, title: str = ""):
    """A grid of pairs, both digits side by side under the pair's label."""
    pixel = (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("col:O", axis=None),
            y=alt.Y("row:O", axis=None),
            color=alt.Color("value:Q", scale=alt.Scale(scheme="greys"), legend=None),
        )
        .properties(width=56, height=56)
    )
    pair = pixel.facet(column=alt.Column("digit:O", header=None), spacing=2)
    return (
        alt.concat(
            *[
                pair.transform_filter(alt.datum.pair == index).properties(title=label)
                for index, label in frame.groupby("pair")["label"].first().items()
            ],
            columns=columns,
        )
        .properties(title=title)
        .configure_view(stroke=None)
        .configure_title(fontSize=11)
    )


def misclassified_chart(errors: dict):
    """The stored wrongly compared test pairs of one run: truth, predicted comparison, predicted digits."""
    records = errors["pairs"]
    images = np.array([record["pixels"] for record in records], dtype=float).reshape(-1, 2, 14, 14)
    labels = []
    for record in records:
        (first, second), truth = record["classes"], record["target"]
        label = f"{first} vs {second}: true {truth}, predicted {record['predicted']}"
        if record["predicted_digits"] is not None:
            label += f" (read {record['predicted_digits'][0]} vs {record['predicted_digits'][1]})"
        labels.append(label)
    title = f"Misclassified test pairs: {errors['config']}, seed {errors['seed']} (1 = first digit <= second)"
    return pairs_chart(pairs_frame(images, labels), columns=4, title=title)
