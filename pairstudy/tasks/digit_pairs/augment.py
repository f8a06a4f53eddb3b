"""Pair-level augmentation of training batches: swapped digits, shifted digits, new pairings.

All randomness comes from the run's own CPU generator, so runs stay deterministic.
"""

from __future__ import annotations

import torch

from pairstudy.data import comparison_target, make_pairs


def uses_augmentation(settings: dict) -> bool:
    return bool(settings["augment_swap"] or settings["augment_shift"] or settings["repair_pairs"])


def repaired(pairs: dict, generator: torch.Generator) -> dict:
    """The same training digits, drawn into new pairs."""
    n = len(pairs["target"])
    digits = pairs["input"].reshape(2 * n, 1, 14, 14)
    index = torch.randperm(2 * n, generator=generator).to(digits.device).view(n, 2)
    new = make_pairs(digits, pairs["classes"].reshape(2 * n), index)
    return {"input": new.input, "target": new.target, "classes": new.classes}


def augment_batch(batch: dict, settings: dict, generator: torch.Generator) -> dict:
    """Swap the digits of a random half of the pairs and shift each digit; the target follows the classes."""
    x, classes = batch["input"], batch["classes"]
    if settings["augment_swap"]:
        swap = (torch.rand(len(x), generator=generator) < 0.5).to(x.device)
        x = torch.where(swap[:, None, None, None], x.flip(1), x)
        classes = torch.where(swap[:, None], classes.flip(1), classes)
    pixels = settings["augment_shift"]
    if pixels:
        # digits sit inside a blank border of at least two pixels, so a roll moves only background around
        shifts = torch.randint(-pixels, pixels + 1, (len(x), 2, 2), generator=generator).to(x.device)
        shifted = x.clone()
        for channel in range(2):
            for dy in range(-pixels, pixels + 1):
                for dx in range(-pixels, pixels + 1):
                    chosen = (shifts[:, channel, 0] == dy) & (shifts[:, channel, 1] == dx)
                    shifted[chosen, channel] = x[chosen, channel].roll((dy, dx), dims=(1, 2))
        x = shifted
    return {"input": x, "target": comparison_target(classes), "classes": classes}
