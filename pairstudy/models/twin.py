"""The twin structure: one digit tower per channel (shared or not), a head on the 20 digit logits."""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from .flat import conv_stack


class TwinNet(nn.Module):
    """forward(x) -> (comparison logits N x 2, digit logits N x 2 x 10)."""

    def __init__(self, make_tower: Callable[[], nn.Module], head: nn.Module, sharing: bool, softmax_digits: bool = False):
        super().__init__()
        self.tower1 = make_tower()
        # the same module object twice: one set of parameters serves both channels
        self.tower2 = self.tower1 if sharing else make_tower()
        self.head = head
        self.softmax_digits = softmax_digits

    def forward(self, x: torch.Tensor):
        digits1 = self.tower1(x[:, 0:1])
        digits2 = self.tower2(x[:, 1:2])
        digits = torch.stack((digits1, digits2), dim=1)
        head_input = torch.cat((digits1, digits2), dim=1)
        if self.softmax_digits:
            head_input = torch.cat((digits1.softmax(1), digits2.softmax(1)), dim=1)
        return self.head(head_input), digits


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


def lenet_style_tower(channels, hidden: int, batch_norm: bool, dropout: float) -> nn.Module:
    """Report 004's tower: conv 3x3, ReLU, avg-pool 2, twice; FC hidden, [BN], [Dropout], FC 10."""
    first, second = channels
    layers: list[nn.Module] = [
        nn.Conv2d(1, first, 3), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(first, second, 3), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(second * 2 * 2, hidden),
    ]
    if batch_norm:
        layers.append(nn.BatchNorm1d(hidden))
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, 10))
    return nn.Sequential(*layers)


def build_twin(sharing, channels, hidden, batch_norm, dropout, softmax_digits) -> nn.Module:
    """With `softmax_digits` the head compares the two digit probability vectors instead of raw logits."""
    return TwinNet(
        lambda: lenet_style_tower(channels, hidden, batch_norm, dropout),
        small_head(10, batch_norm, dropout),
        sharing,
        softmax_digits=softmax_digits,
    )


def build_auxnet(sharing, channels, hidden, head, dropout) -> nn.Module:
    """Report 000's AuxNet: its ConvNet per digit (to 10 classes); head on the two softmax outputs."""

    def tower():
        features, width = conv_stack(1, channels, True, dropout)
        return nn.Sequential(features, nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    layers: list[nn.Module] = []
    width = 20
    for size in head:
        layers += [nn.Linear(width, size), nn.ReLU(), nn.BatchNorm1d(size), nn.Dropout(dropout)]
        width = size
    layers.append(nn.Linear(width, 2))
    return TwinNet(tower, nn.Sequential(*layers), sharing, softmax_digits=True)


def build_siamese(sharing, channels, hidden, dropout) -> nn.Module:
    """Report 001's Siamese net, read as: conv 3x3 + tanh + avg-pool twice, dropout, FC hidden + tanh, FC 10;
    the comparison from the 20 digit logits through tanh, FC 20->hidden//4, tanh, FC 2."""
    first, second = channels

    def tower():
        return nn.Sequential(
            nn.Conv2d(1, first, 3), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(first, second, 3), nn.Tanh(), nn.AvgPool2d(2),
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(second * 2 * 2, hidden), nn.Tanh(), nn.Linear(hidden, 10),
        )

    head = nn.Sequential(nn.Tanh(), nn.Linear(20, hidden // 4), nn.Tanh(), nn.Linear(hidden // 4, 2))
    return TwinNet(tower, head, sharing)
