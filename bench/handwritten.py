"""The loop a researcher would write for the digit-pair task: one process, one run after another.

From pairstudy it takes only the digit pools and pairs and the model builder, so the models, pairs,
initialisation and batch order are pairstudy's; the rest is the plain PyTorch loop, recording per
epoch the test accuracy and the mean training loss. No trainer, checkpoints or tables.

`bench/cpu.py` writes the runs to a JSON file and runs this script on it; by hand:

    PYTHONPATH=. python bench/handwritten.py RUNS.json    # from the repository root: this checkout's pairstudy

RUNS.json: {"runs": [{"config": NAME, "seed": S, "architecture": ..., "model": {knobs}, "optimizer":
"adam" or "sgd", "lr", "weight_decay", "momentum", "batch_size", "epochs", "aux", "aux_weight",
"source", "n_pairs"}, ...], "threads": null (torch's choice) or N, "channels_last": false (torch's default layout, as
a researcher's loop has it) or true (pairstudy's CPU layout, for seed-for-seed agreement)}. Prints the thread count,
then one JSON line per run.
"""

import json
import sys
import time

import torch
import torch.nn.functional as F

from pairstudy.data import generate_pair_sets, load_pools
from pairstudy.models import create_model


def train(run: dict, channels_last: bool = False) -> dict:
    seed = run["seed"]
    torch.manual_seed(seed)
    pairs = generate_pair_sets(run["n_pairs"], seed, load_pools(run["source"]), normalize=True)
    train_set, test_set = pairs.train, pairs.test
    model = create_model(run["architecture"], **run["model"])
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    if run["optimizer"] == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=run["lr"], weight_decay=run["weight_decay"])
    else:
        optimizer = torch.optim.SGD(
            model.parameters(), lr=run["lr"], momentum=run["momentum"], weight_decay=run["weight_decay"]
        )
    order_generator = torch.Generator().manual_seed(seed)
    alpha = run["aux_weight"]
    n_train, batch_size = len(train_set.target), run["batch_size"]

    train_losses, test_accuracies = [], []
    for _ in range(run["epochs"]):
        model.train()
        order = torch.randperm(n_train, generator=order_generator)
        total_loss, batches = 0.0, 0
        for first in range(0, n_train, batch_size):
            batch = order[first : first + batch_size]
            x, target, classes = train_set.input[batch], train_set.target[batch], train_set.classes[batch]
            comparison_logits, digit_logits = model(x)
            loss = F.cross_entropy(comparison_logits, target)
            if run["aux"]:
                aux1 = F.cross_entropy(digit_logits[:, 0], classes[:, 0])
                aux2 = F.cross_entropy(digit_logits[:, 1], classes[:, 1])
                loss = alpha * loss + (1 - alpha) / 2 * (aux1 + aux2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
            batches += 1
        model.eval()
        with torch.no_grad():
            comparison_logits, _ = model(test_set.input)
        train_losses.append(total_loss / batches)
        test_accuracies.append((comparison_logits.argmax(1) == test_set.target).float().mean().item())
    return {"train_loss": train_losses, "test_accuracy": test_accuracies}


def main() -> None:
    spec = json.loads(open(sys.argv[1]).read())
    if spec.get("threads"):
        torch.set_num_threads(spec["threads"])
    print(json.dumps({"threads": torch.get_num_threads()}), flush=True)
    for run in spec["runs"]:
        started = time.perf_counter()
        history = train(run, channels_last=spec.get("channels_last", False))
        seconds = time.perf_counter() - started
        print(json.dumps({"config": run["config"], "seed": run["seed"], "seconds": seconds, **history}), flush=True)


if __name__ == "__main__":
    main()
