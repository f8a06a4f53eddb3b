"""The twin structure: one digit tower per channel (shared or not), a head on the 20 digit outputs."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .flat import as_output, check_output, conv_stack, initialise

COMPARATORS = ("logits", "softmax", "probability", "digits")
ACTIVATIONS = ("none", "relu")


def probability_of_order(digits1: torch.Tensor, digits2: torch.Tensor) -> torch.Tensor:
    """Comparison logits from digit probabilities: log P(d1 > d2) and log P(d1 <= d2), no parameters."""
    p1, p2 = digits1.softmax(1), digits2.softmax(1)
    at_least = p2.flip(1).cumsum(1).flip(1)  # at_least[:, i] = P(d2 >= i)
    less_or_equal = (p1 * at_least).sum(1).clamp(1e-6, 1 - 1e-6)
    return torch.stack((torch.log1p(-less_or_equal), torch.log(less_or_equal)), dim=1)


def order_of_argmax(digits1: torch.Tensor, digits2: torch.Tensor) -> torch.Tensor:
    """Comparison logits read off the two predicted digits: (0, 1) where argmax1 <= argmax2, else (1, 0).

    Without gradient: a model comparing this way learns only through its digit losses.
    """
    less_or_equal = (digits1.argmax(1) <= digits2.argmax(1)).to(digits1.dtype)
    return torch.stack((1 - less_or_equal, less_or_equal), dim=1).detach()


class TwinNet(nn.Module):
    """forward(x) -> (comparison logits N x 2, digit logits N x 2 x 10).

    The head compares the two digit logit vectors (comparator "logits") or the two digit
    probability vectors (comparator "softmax"); "probability" has no head and gives the exact
    probability that the first digit is <= the second under the two softmax vectors; "digits" has
    no head and compares the two predicted digits (see order_of_argmax). With output "probabilities" both outputs
    are returned as their softmax (see flat.as_output); the head reads what the comparator says either way.
    """

    predicts_digits = True

    def __init__(
        self,
        make_tower: Callable[[], nn.Module],
        head: nn.Module,
        sharing: bool,
        comparator: str = "logits",
        output: str = "logits",
    ):
        super().__init__()
        if comparator not in COMPARATORS:
            raise ValueError(f"comparator must be one of {list(COMPARATORS)}, got {comparator!r}")
        self.tower1 = make_tower()
        # the same module object twice: one set of parameters serves both channels
        self.tower2 = self.tower1 if sharing else make_tower()
        self.head = head if comparator in ("logits", "softmax") else None
        self.comparator = comparator
        self.output = check_output(output)

    def forward(self, x: torch.Tensor):
        digits1 = self.tower1(x[:, 0:1])
        digits2 = self.tower2(x[:, 1:2])
        digits = torch.stack((digits1, digits2), dim=1)
        if self.comparator == "probability":
            comparison = probability_of_order(digits1, digits2)
        elif self.comparator == "digits":
            comparison = order_of_argmax(digits1, digits2)
        elif self.comparator == "softmax":
            comparison = self.head(torch.cat((digits1.softmax(1), digits2.softmax(1)), dim=1))
        else:
            comparison = self.head(torch.cat((digits1, digits2), dim=1))
        return as_output(comparison, self.output), as_output(digits, self.output)


def small_head(hidden: int, batch_norm: bool, dropout: float) -> nn.Module:
    """Report 004's head: ReLU, FC 20->hidden, [BN], ReLU, [Dropout], FC hidden->2."""
    layers: list[nn.Module] = [nn.ReLU(), nn.Linear(20, hidden)]
    if batch_norm:
        layers.append(nn.BatchNorm1d(hidden))
    layers.append(nn.ReLU())
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, 2))
    return nn.Sequential(*layers)


def lenet_style_tower(channels, hidden: int, batch_norm: bool, dropout: float, activation: str) -> nn.Module:
    """Report 004's tower: conv 3x3, ReLU, avg-pool 2, twice; FC hidden, [BN], [ReLU], [Dropout], FC 10.

    The report has no activation after its hidden layer ("none"); "relu" adds one.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
    first, second = channels
    layers: list[nn.Module] = [
        nn.Conv2d(1, first, 3),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Conv2d(first, second, 3),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(second * 2 * 2, hidden),
    ]
    if batch_norm:
        layers.append(nn.BatchNorm1d(hidden))
    if activation == "relu":
        layers.append(nn.ReLU())
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, 10))
    return nn.Sequential(*layers)


def build_twin(sharing, channels, hidden, batch_norm, dropout, activation, comparator) -> nn.Module:
    """Report 004's TwinNet (two conv widths); its head reads the digit logits, or with "softmax" their
    probabilities; "probability" replaces the head by the exact order probability, "digits" by the
    order of the two predicted digits (no gradient: only the digit losses train it)."""
    return TwinNet(
        lambda: lenet_style_tower(channels, hidden, batch_norm, dropout, activation),
        small_head(10, batch_norm, dropout),
        sharing,
        comparator=comparator,
    )


def build_auxnet(sharing, channels, hidden, head, dropout, init, comparator, output="logits") -> nn.Module:
    """Report 000's AuxNet: its ConvNet per digit (to 10 classes); head on the two softmax outputs, as the report
    states ("softmax"), or on the digit logits ("logits"), or no head ("probability" or "digits", see TwinNet).
    output "probabilities": the comparison and digit outputs returned as their softmax, as the report's code."""

    def tower():
        features, width = conv_stack(1, channels, True, dropout)
        return nn.Sequential(features, nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    layers: list[nn.Module] = []
    width = 20
    for size in head:
        layers += [nn.Linear(width, size), nn.ReLU(), nn.BatchNorm1d(size), nn.Dropout(dropout)]
        width = size
    layers.append(nn.Linear(width, 2))
    return initialise(TwinNet(tower, nn.Sequential(*layers), sharing, comparator=comparator, output=output), init)


def build_siamese(sharing, channels, hidden, head, dropout) -> nn.Module:
    """Report 001's Siamese net, read as follows (its figure is not in the text).

    Tower: conv 3x3 + tanh + 2x2 average pool, twice (14 -> 6 -> 2), dropout, FC hidden + tanh, FC 10.
    Head on the 20 digit logits: tanh, FC head, tanh, FC 2. The report ends both outputs in a sigmoid
    with a binary cross-entropy; here they stay logits for the trainer's cross-entropy.
    """
    first, second = channels

    def tower():
        return nn.Sequential(
            nn.Conv2d(1, first, 3),
            nn.Tanh(),
            nn.AvgPool2d(2),
            nn.Conv2d(first, second, 3),
            nn.Tanh(),
            nn.AvgPool2d(2),
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(second * 2 * 2, hidden),
            nn.Tanh(),
            nn.Linear(hidden, 10),
        )

    return TwinNet(tower, nn.Sequential(nn.Tanh(), nn.Linear(20, head), nn.Tanh(), nn.Linear(head, 2)), sharing)
