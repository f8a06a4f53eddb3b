"""A training function of one's own: a small MLP on single MNIST digits, trained by a plain loop written here.

pairstudy calls `train(run, **settings)` once per seed (its random generators already seeded with it); the function
logs one row per epoch and may save a checkpoint to resume from. Its keyword parameters are the study's settings.
"""

import torch
import torch.nn.functional as F
from torch import nn

from pairstudy import Metric, training_function
from pairstudy.data import load_pools


def digits(seed: int, n_train: int, n_validation: int, n_test: int, device):
    """Train, validation and test digits (flattened 28x28 pixels scaled to [0, 1]) drawn for this seed."""
    pools = load_pools("mnist5k")
    generator = torch.Generator().manual_seed(seed)
    train_order = torch.randperm(len(pools.train_images), generator=generator)
    test_order = torch.randperm(len(pools.test_images), generator=generator)

    def split(images, classes, index):
        x = torch.from_numpy(images[index.numpy()]).float().flatten(1) / 255
        return x.to(device), torch.from_numpy(classes[index.numpy()]).long().to(device)

    return (
        split(pools.train_images, pools.train_classes, train_order[:n_train]),
        split(pools.train_images, pools.train_classes, train_order[n_train : n_train + n_validation]),
        split(pools.test_images, pools.test_classes, test_order[:n_test]),
    )


@training_function(
    metrics=[
        Metric("accuracy", "higher", "fraction", "accuracy"),
        Metric("cross_entropy", "lower", "number", "cross-entropy"),
    ],
    headline="accuracy",
    target="one 28x28 MNIST digit; the target is its class",
)
def train(
    run,
    hidden: int = 64,
    weight_decay: float = 0.0,
    lr: float = 0.01,
    epochs: int = 10,
    batch_size: int = 100,
    n_train: int = 1000,
):
    (x, y), (x_validation, y_validation), (x_test, y_test) = digits(run.seed, n_train, 500, 1000, run.device)
    model = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10)).to(run.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    saved = run.restore()
    if saved is not None:  # resumed: the weights and optimiser as they were after epoch run.epoch
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
    order_generator = torch.Generator().manual_seed(run.seed)
    for _ in range(run.epoch):  # the data orders of the epochs already done
        torch.randperm(len(y), generator=order_generator)
    for _epoch in range(run.epoch + 1, epochs + 1):
        model.train()
        total, correct = 0.0, 0
        for index in torch.randperm(len(y), generator=order_generator).split(batch_size):
            logits = model(x[index])
            loss = F.cross_entropy(logits, y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
            correct += (logits.argmax(1) == y[index]).sum().item()
        model.eval()
        with torch.no_grad():
            test_logits, validation_logits = model(x_test), model(x_validation)
        run.log(
            train_loss=total / len(y),
            train_cross_entropy=total / len(y),
            train_accuracy=correct / len(y),
            validation_accuracy=(validation_logits.argmax(1) == y_validation).double().mean().item(),
            validation_cross_entropy=F.cross_entropy(validation_logits, y_validation).item(),
            test_accuracy=(test_logits.argmax(1) == y_test).double().mean().item(),
            test_cross_entropy=F.cross_entropy(test_logits, y_test).item(),
        )
        run.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()})
    return sum(parameter.numel() for parameter in model.parameters())
