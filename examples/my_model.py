"""A model of one's own: a tiny two-tower net registered as "mynet".

Name this file among the study's model files (or call `pairstudy.models.load_model_files`); "mynet" is then an
architecture like the built-in ones, its knobs (the builder's parameters) usable in configs and as factors.
"""

import torch
from torch import nn

from pairstudy.models import register_model


def conv_tower(width: int) -> nn.Module:
    """One 14x14 digit -> 10 digit logits: two 3x3 convs with max-pooling, then a linear layer."""
    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * width * 3 * 3, 10),
    )


class MyNet(nn.Module):
    """forward(x) -> (comparison logits N x 2, digit logits N x 2 x 10)."""

    predicts_digits = True

    def __init__(self, sharing: bool, width: int):
        super().__init__()
        self.tower1 = conv_tower(width)
        self.tower2 = self.tower1 if sharing else conv_tower(width)
        self.head = nn.Linear(20, 2)

    def forward(self, x: torch.Tensor):
        digits = torch.stack((self.tower1(x[:, 0:1]), self.tower2(x[:, 1:2])), dim=1)
        return self.head(digits.flatten(1)), digits


@register_model("mynet", predicts_digits=True)
def mynet(sharing: bool = True, width: int = 8) -> MyNet:
    """a tiny two-tower conv net, a linear head on the 20 digit logits"""
    return MyNet(sharing, width)
