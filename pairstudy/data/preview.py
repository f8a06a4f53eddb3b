"""A picture of some pairs: both digits, their classes and the target."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def pairs_frame(images: np.ndarray, classes: np.ndarray, targets: np.ndarray, predicted=None) -> pd.DataFrame:
    """Long table of pixels: pair, digit (0/1), row, col, value, and a label per pair."""
    count = len(images)
    pair, digit, row, col = np.meshgrid(np.arange(count), np.arange(2), np.arange(14), np.arange(14), indexing="ij")
    labels = []
    for index in range(count):
        label = f"{classes[index][0]} vs {classes[index][1]}: target {targets[index]}"
        if predicted is not None:
            label += f", predicted {predicted[index]}"
        labels.append(label)
    return pd.DataFrame(
        {
            "pair": pair.ravel(),
            "digit": digit.ravel(),
            "row": row.ravel(),
            "col": col.ravel(),
            "value": images.reshape(-1),
            "label": np.repeat(labels, 2 * 14 * 14),
        }
    )


def pairs_chart(frame: pd.DataFrame, columns: int = 4):
    import altair as alt

    pixel = alt.Chart(frame).mark_rect().encode(
        x=alt.X("col:O", axis=None),
        y=alt.Y("row:O", axis=None),
        color=alt.Color("value:Q", scale=alt.Scale(scheme="greys"), legend=None),
    ).properties(width=56, height=56)
    pair = pixel.facet(column=alt.Column("digit:O", header=None), spacing=2)
    return alt.concat(
        *[
            pair.transform_filter(alt.datum.pair == index).properties(title=label)
            for index, label in frame.groupby("pair")["label"].first().items()
        ],
        columns=columns,
    ).configure_view(stroke=None).configure_title(fontSize=11)


def preview_pairs(out: str | Path, *, seed: int = 0, source: str = "mnist5k", root=None, count: int = 16, split: str = "train") -> Path:
    """Draw the first `count` pairs of a seed's train or test set."""
    from .pairs import generate_pair_sets
    from .sources import load_pools

    sets = generate_pair_sets(count, seed, load_pools(source, root), normalize=False)
    pairs = sets.train if split == "train" else sets.test
    frame = pairs_frame(pairs.input.numpy(), pairs.classes.numpy(), pairs.target.numpy())
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pairs_chart(frame).save(str(out), **({"inline": True} if out.suffix == ".html" else {}))
    return out
