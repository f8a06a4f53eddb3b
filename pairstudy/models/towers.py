"""Report 002's digit towers (LeNet, ResNet, AlexNet, fully connected) inside the twin structure.

The report reads the comparison off the two predicted digits (comparator "digits", trained by the
digit losses alone); comparator "logits" has the twin head learn it from the 20 digit logits, so
the tower trains with or without the auxiliary digit losses.
"""

from __future__ import annotations

import torch
from torch import nn

from .twin import TwinNet, small_head


def maybe(module_class, enabled: bool, size: int) -> nn.Module:
    """module_class(size) when enabled, else a pass-through (keeps the layer list readable)."""
    return module_class(size) if enabled else nn.Identity()


def build_lenet(sharing, kernel_size, batch_norm, dropout, comparator) -> nn.Module:
    """conv 6 and conv 16 (padded, so 14x14 fits), ReLU, max-pool; FC 120, 84, 10.

    With kernel 5: 31,690 parameters shared, 63,128 not (the report: about 60,000).
    """
    if kernel_size not in (3, 5, 7):
        raise ValueError(f"lenet kernel_size must be 3, 5 or 7, got {kernel_size}")
    padding = kernel_size // 2

    def tower():
        return nn.Sequential(
            nn.Conv2d(1, 6, kernel_size, padding=padding),
            maybe(nn.BatchNorm2d, batch_norm, 6),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size, padding=padding),
            maybe(nn.BatchNorm2d, batch_norm, 16),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 3 * 3, 120),
            maybe(nn.BatchNorm1d, batch_norm, 120),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(120, 84),
            maybe(nn.BatchNorm1d, batch_norm, 84),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(84, 10),
        )

    return TwinNet(tower, small_head(10, batch_norm, dropout), sharing, comparator=comparator)


class ResidualBlock(nn.Module):
    def __init__(self, channels: int, kernel_size: int, batch_norm: bool, dropout: float):
        super().__init__()
        padding = kernel_size // 2
        self.conv1 = nn.Conv2d(channels, channels, kernel_size, padding=padding)
        self.norm1 = maybe(nn.BatchNorm2d, batch_norm, channels)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size, padding=padding)
        self.norm2 = maybe(nn.BatchNorm2d, batch_norm, channels)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        y = torch.relu(self.norm1(self.conv1(x)))
        y = self.norm2(self.conv2(self.dropout(y)))
        return torch.relu(x + y)


def build_resnet(sharing, blocks, channels, kernel_size, batch_norm, dropout, comparator) -> nn.Module:
    """One conv, `blocks` residual blocks of two convs, global average pooling, FC 10.

    Defaults (2 blocks x 16 channels, kernel 7): 51,622 parameters shared (the report: about 50,000).
    """
    if kernel_size % 2 == 0:
        raise ValueError(f"resnet kernel_size must be odd, got {kernel_size}")

    def tower():
        return nn.Sequential(
            nn.Conv2d(1, channels, kernel_size, padding=kernel_size // 2),
            maybe(nn.BatchNorm2d, batch_norm, channels),
            nn.ReLU(),
            *[ResidualBlock(channels, kernel_size, batch_norm, dropout) for _ in range(blocks)],
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(channels, 10),
        )

    return TwinNet(tower, small_head(10, batch_norm, dropout), sharing, comparator=comparator)


def build_alexnet(sharing, dropout, comparator) -> nn.Module:
    """Five 3x3 convs (32, 64, 96, 96, 64) with max-pools after the 1st, 2nd and 5th; FC 256, 256, 10.

    Narrower than the report's adaptation (about 1.8M parameters): 297,862 shared.
    """

    def tower():
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 96, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(96, 96, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(96, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(64, 256),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(256, 256),
            nn.ReLU(),
            nn.Linear(256, 10),
        )

    return TwinNet(tower, small_head(10, True, 0.0), sharing, comparator=comparator)


def build_linear(sharing, layers, nodes, dropout, comparator) -> nn.Module:
    """Fully connected tower on one 14x14 digit: `layers` x (Linear nodes, ReLU, Dropout), Linear 10.

    2 x 128 gives a 43,018-parameter tower (the report states 42,018).
    """

    def tower():
        modules: list[nn.Module] = [nn.Flatten()]
        width = 14 * 14
        for _ in range(layers):
            modules += [nn.Linear(width, nodes), nn.ReLU(), nn.Dropout(dropout)]
            width = nodes
        modules.append(nn.Linear(width, 10))
        return nn.Sequential(*modules)

    return TwinNet(tower, small_head(10, True, 0.0), sharing, comparator=comparator)
