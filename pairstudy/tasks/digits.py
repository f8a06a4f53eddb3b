"""Single-image classification: one 14x14 image (a digit, or any 10-class image set in the same formats, such as
Fashion-MNIST's IDX files), the target is its class. Models return class logits N x classes."""

from __future__ import annotations

from typing import Literal

from pairstudy.data.sources import SOURCES

from .base import Splits, Task
from .metrics import Metric
from .registry import register_task


@register_task("digits")
class Digits(Task):
    metrics = (
        Metric("accuracy", "higher", "fraction", "accuracy", "share of images whose class is predicted right"),
        Metric("cross_entropy", "lower", "number", "cross-entropy", "cross-entropy of the class prediction"),
    )
    headline = "accuracy"
    target = "one 14x14 image; the target is its class"

    @staticmethod
    def data_settings(
        source: Literal[SOURCES] = "mnist5k",
        root: str = "",
        n_train: int = 1000,
        n_test: int = 1000,
        normalize: bool = True,
        validation: int = 0,
        class_names: list[str] = [],  # noqa: B006 (a default the registry copies, never changes)
    ):
        """source and root: where the images come from (28x28 images are average-pooled to 14x14); n_train and
        n_test: images drawn from the train and test pools; validation: more train-pool images, none of them in
        the training set, evaluated every epoch; class_names: a name per class, for the report's examples."""

    @classmethod
    def check_data(cls, data: dict) -> None:
        from pairstudy.data import pool_sizes
        from pairstudy.data.sources import check_source

        if data["n_train"] < 1 or data["n_test"] < 1 or data["validation"] < 0:
            raise ValueError("n_train and n_test must be at least 1 and validation at least 0")
        check_source(data["source"], data["root"] or None)
        train_size, test_size = pool_sizes(data["source"], data["root"] or None)
        if data["n_train"] + data["validation"] > train_size or data["n_test"] > test_size:
            raise ValueError(
                f"data source {data['source']!r}: n_train + validation = {data['n_train'] + data['validation']} and "
                f"n_test = {data['n_test']}, but the train pool holds {train_size} images and the test pool {test_size}"
            )

    def sizes(self) -> dict[str, int]:
        return {"train": self.data["n_train"], "validation": self.data["validation"], "test": self.data["n_test"]}

    def load(self, seed: int, device) -> Splits:
        import torch

        from pairstudy.data import load_pools
        from pairstudy.data.pairs import to_pair_size

        data = self.data
        pools = load_pools(data["source"], data["root"] or None)
        generator = torch.Generator().manual_seed(seed)

        def drawn(images, classes, counts):
            order = torch.randperm(len(images), generator=generator)
            pixels = to_pair_size(torch.from_numpy(images).float().unsqueeze(1))
            labels = torch.from_numpy(classes).long()
            sets, start = [], 0
            for count in counts:
                chosen = order[start : start + count]
                sets.append({"input": pixels[chosen], "target": labels[chosen]})
                start += count
            return sets

        train, validation = drawn(pools.train_images, pools.train_classes, (data["n_train"], data["validation"]))
        (test,) = drawn(pools.test_images, pools.test_classes, (data["n_test"],))
        mean, std = (train["input"].mean().item(), train["input"].std().item()) if data["normalize"] else (0.0, 1.0)
        splits = {"train": train, "test": test, "validation": validation if data["validation"] else None}
        for split in splits.values():
            if split is not None:
                split["input"] = ((split["input"] - mean) / std).to(device)
                split["target"] = split["target"].to(device)
        return Splits(**splits, info={"mean": mean, "std": std})

    @classmethod
    def example_batch(cls, size: int) -> dict:
        import torch

        return {"input": torch.randn(size, 1, 14, 14), "target": torch.arange(size) % 10}

    def objective(self, outputs, batch: dict, aux_weight=None):
        import torch.nn.functional as F

        return F.cross_entropy(outputs, batch["target"])

    def measure(self, outputs, batch: dict) -> dict:
        import torch.nn.functional as F

        return {
            "accuracy": (outputs.argmax(-1) == batch["target"]).double(),
            "cross_entropy": F.cross_entropy(outputs, batch["target"], reduction="none"),
        }

    def class_name(self, index: int) -> str:
        names = self.data["class_names"]
        return names[index] if index < len(names) else str(index)

    def picture(self, tensors: dict, info: dict, index: int, label: str) -> dict:
        from pairstudy.data.pairs import grey_levels

        image = grey_levels(tensors["input"][index, 0], info["mean"], info["std"])
        return {"images": [image.flatten().tolist()], "shape": list(image.shape), "label": label}

    def shown(self, tensors: dict, info: dict, count: int) -> list[dict]:
        targets = tensors["target"].cpu().tolist()
        return [
            self.picture(tensors, info, index, self.class_name(targets[index]))
            for index in range(min(count, len(targets)))
        ]

    def examples(self, outputs, test: dict, info: dict, limit: int) -> list[dict]:
        predicted = outputs.argmax(1).cpu()
        target = test["target"].cpu()
        wrong = (predicted != target).nonzero().flatten()[:limit].tolist()
        return [
            self.picture(
                test,
                info,
                index,
                f"{self.class_name(int(target[index]))}, predicted {self.class_name(int(predicted[index]))}",
            )
            for index in wrong
        ]
