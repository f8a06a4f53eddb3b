"""A task of one's own for the tests: read a digit's class off its image as a number (lower mse is better)."""

import torch
import torch.nn.functional as F
from torch import nn

from pairstudy.models import register_model
from pairstudy.tasks import Metric, Splits, Task, register_task


@register_task("digit_value")
class DigitValue(Task):
    metrics = (Metric("mse", "lower", "number", "squared error", "mean squared error of the predicted class value"),)
    headline = "mse"
    target = "one 14x14 digit; the target is its class as a number"

    @staticmethod
    def data_settings(n_train: int = 200, n_test: int = 200, validation: int = 0):
        """n_train, n_test and validation images, drawn from the embedded digits."""

    def load(self, seed, device):
        from pairstudy.data import load_pools

        pools = load_pools("mnist5k")
        generator = torch.Generator().manual_seed(seed)
        images = torch.from_numpy(pools.train_images).float().unsqueeze(1)[:, :, ::2, ::2] / 255
        classes = torch.from_numpy(pools.train_classes).float()
        order = torch.randperm(len(images), generator=generator)
        sizes = [self.data["n_train"], self.data["validation"], self.data["n_test"]]
        parts = torch.split(order[: sum(sizes)], sizes)
        sets = [{"input": images[part].to(device), "target": classes[part].to(device)} for part in parts]
        return Splits(sets[0], sets[2], sets[1] if self.data["validation"] else None)

    @classmethod
    def example_batch(cls, size):
        return {"input": torch.randn(size, 1, 14, 14), "target": torch.rand(size) * 9}

    def objective(self, outputs, batch, aux_weight=None):
        return F.mse_loss(outputs[:, 0], batch["target"])

    def measure(self, outputs, batch):
        return {"mse": (outputs[:, 0] - batch["target"]) ** 2}


@register_model("value_mlp", tasks=("digit_value",))
def value_mlp(hidden: int = 16):
    """one hidden layer to one number"""
    return nn.Sequential(nn.Flatten(), nn.Linear(196, hidden), nn.ReLU(), nn.Linear(hidden, 1))
