"""A small CNN of one's own for the fashion task, with the knobs the study ablates: batch norm, dropout and
augmentation (random shifts of up to two pixels while training, done inside the model)."""

import torch
from torch import nn

from pairstudy.models import register_model


class RandomShift(nn.Module):
    """In training mode, roll the batch's images by one random shift of up to `pixels` each way (torch's generator)."""

    def __init__(self, pixels: int):
        super().__init__()
        self.pixels = pixels

    def forward(self, x):
        if not self.training or not self.pixels:
            return x
        shifts = torch.randint(-self.pixels, self.pixels + 1, (2,)).tolist()
        return x.roll(shifts, dims=(2, 3))


@register_model("smallcnn", tasks=("fashion",))
def smallcnn(batch_norm: bool = False, dropout: float = 0.0, augment: bool = False, width: int = 16):
    """two 3x3 conv blocks and a linear layer to 10 classes"""
    norm = (lambda channels: nn.BatchNorm2d(channels)) if batch_norm else (lambda channels: nn.Identity())
    return nn.Sequential(
        RandomShift(2 if augment else 0),
        nn.Conv2d(1, width, 3, padding=1),
        norm(width),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1),
        norm(2 * width),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(2 * width * 3 * 3, 10),
    )
