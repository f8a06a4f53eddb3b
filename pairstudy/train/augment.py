"""Pair-level augmentation of training batches: swapped digits, shifted digits, new pairings.

All randomness comes from the run's own CPU generator, so runs stay deterministic.
"""

from __future__ import annotations

import torch

from pairstudy.data import PairSet, comparison_target, make_pairs


def uses_augmentation(hyperparameters: dict) -> bool:
    return bool(hyperparameters["augment_swap"] or hyperparameters["augment_shift"] or hyperparameters["repair_pairs"])


def repaired(pairs: PairSet, generator: torch.Generator) -> PairSet:
    """The same training digits, drawn into new pairs."""
    n = len(pairs.target)
    digits = pairs.input.reshape(2 * n, 1, 14, 14)
    index = torch.randperm(2 * n, generator=generator).to(digits.device).view(n, 2)
    return make_pairs(digits, pairs.classes.reshape(2 * n), index)


def augment_batch(x: torch.Tensor, classes: torch.Tensor, hyperparameters: dict, generator: torch.Generator):
    """Swap the digits of a random half of the pairs and shift each digit; returns input, target, classes."""
    if hyperparameters["augment_swap"]:
        swap = (torch.rand(len(x), generator=generator) < 0.5).to(x.device)
        x = torch.where(swap[:, None, None, None], x.flip(1), x)
        classes = torch.where(swap[:, None], classes.flip(1), classes)
    pixels = hyperparameters["augment_shift"]
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
    return x, comparison_target(classes), classes
