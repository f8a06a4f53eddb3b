"""Classifiers of one 1 x 14 x 14 image (the digits task): forward(x) -> class logits (N, classes)."""

from __future__ import annotations

from torch import nn

from .flat import conv_stack, mlp


def build_image_mlp(hidden, batch_norm, dropout, classes) -> nn.Module:
    """The MLP (flat.mlp) on the 196 flattened pixels, to the class logits."""
    return mlp(14 * 14, hidden, batch_norm, dropout, classes)


def build_image_cnn(channels, hidden, batch_norm, dropout, classes) -> nn.Module:
    """1 or 2 conv blocks (conv_stack), a hidden layer, class logits."""
    features, width = conv_stack(1, channels, batch_norm, dropout)
    return nn.Sequential(features, nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, classes))
