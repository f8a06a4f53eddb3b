"""Digit pairs as pictures: both digits as 0-255 pixels with their classes and target, and the test pairs a
finished run gets wrong, kept with the run so a report can show them."""

from __future__ import annotations

import torch

from pairstudy.data.pairs import grey_levels


def pixels_of(tensors: dict, info: dict, split: str = "train") -> torch.Tensor:
    """The pairs' inputs back on the 0-255 grey scale (the normalisation of `split` undone: the train set's, unless
    each set was normalised with its own statistics)."""
    mean, std = info.get("statistics", {}).get(split, (info.get("mean", 0.0), info.get("std", 1.0)))
    return grey_levels(tensors["input"], mean, std)


def pair_picture(pixels: torch.Tensor, classes: list[int], label: str) -> dict:
    return {"images": [pixels[channel].flatten().tolist() for channel in range(2)], "shape": [14, 14], "label": label}


def shown_pairs(tensors: dict, info: dict, count: int) -> list[dict]:
    """The first `count` pairs, each labelled with its classes and target."""
    pixels = pixels_of(tensors, info)
    pictures = []
    for index in range(min(count, len(tensors["target"]))):
        first, second = tensors["classes"][index].cpu().tolist()
        label = f"{first} vs {second}: target {int(tensors['target'][index])}"
        pictures.append(pair_picture(pixels[index], [first, second], label))
    return pictures


def misclassified_pairs(test: dict, info: dict, outputs, limit: int) -> list[dict]:
    """The first `limit` wrongly compared test pairs, labelled with their classes, the target, the prediction and
    (for a model with digit outputs) the digits it read."""
    comparison_logits, digit_logits = outputs
    predicted = comparison_logits.argmax(1).cpu()
    target = test["target"].cpu()
    wrong = (predicted != target).nonzero().flatten()[:limit].tolist()
    digits = digit_logits.argmax(2).cpu() if digit_logits is not None else None
    pixels = pixels_of(test, info, "test")
    examples = []
    for index in wrong:
        first, second = test["classes"][index].cpu().tolist()
        label = f"{first} vs {second}: target {int(target[index])}, predicted {int(predicted[index])}"
        if digits is not None:
            label += f" (read {digits[index, 0].item()} vs {digits[index, 1].item()})"
        examples.append(pair_picture(pixels[index], [first, second], label))
    return examples
