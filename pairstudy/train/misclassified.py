"""The test pairs a finished run gets wrong: kept with the run so a report can show them."""

from __future__ import annotations

import torch

from pairstudy.data import PairSets

RECORDED_ERRORS = 16


def misclassified_pairs(
    pairs: PairSets, comparison_logits: torch.Tensor, digit_logits, limit: int = RECORDED_ERRORS
) -> list[dict]:
    """The first `limit` wrongly compared test pairs: classes, target, prediction, predicted digits, 0-255 pixels."""
    predicted = comparison_logits.argmax(1).cpu()
    target = pairs.test.target.cpu()
    wrong = (predicted != target).nonzero().flatten()[:limit].tolist()
    digits = digit_logits.argmax(2).cpu() if digit_logits is not None else None
    pixels = pairs.pixels(pairs.test.input.cpu()).round().clamp(0, 255).to(torch.uint8)
    return [
        {
            "index": index,
            "classes": pairs.test.classes[index].cpu().tolist(),
            "target": int(target[index]),
            "predicted": int(predicted[index]),
            "predicted_digits": digits[index].tolist() if digits is not None else None,
            "pixels": pixels[index].flatten().tolist(),
        }
        for index in wrong
    ]
