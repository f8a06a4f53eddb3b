"""Benchmark (CPU): a training epoch of each built-in architecture with torch's default (contiguous) layout and with
the channels-last layout pairstudy trains in on the CPU, side by side in one process, at one thread.

Each epoch is 1000 random pairs in batches of 100 with Adam; the fastest of --epochs epochs counts. Prints one line
per architecture and writes bench/results/layout.json.

    python bench/layout.py
    python bench/layout.py --epochs 2 --architectures cnn twin    # a quick check of the script
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's pairstudy, installed or not

from bench.harness import RESULTS, machine, now, write_json  # noqa: E402
from pairstudy.models import ARCHITECTURES, create_model  # noqa: E402
from pairstudy.train.loop import in_training_layout  # noqa: E402

PAIRS, BATCH = 1000, 100
FULL_EPOCHS = 6


def fastest_epoch(architecture: str, channels_last: bool, epochs: int) -> float:
    torch.manual_seed(0)
    model = create_model(architecture)
    model = in_training_layout(model, torch.device("cpu")) if channels_last else model
    inputs, targets = torch.randn(PAIRS, 2, 14, 14), torch.randint(0, 2, (PAIRS,))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    seconds = []
    for _ in range(epochs):
        started = time.perf_counter()
        for first in range(0, PAIRS, BATCH):
            comparison_logits, _ = model(inputs[first : first + BATCH])
            loss = F.cross_entropy(comparison_logits, targets[first : first + BATCH])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        seconds.append(time.perf_counter() - started)
    return min(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=FULL_EPOCHS)
    parser.add_argument("--architectures", nargs="+", default=list(ARCHITECTURES))
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    results = {}
    for architecture in arguments.architectures:
        contiguous = fastest_epoch(architecture, False, arguments.epochs)
        channels_last = fastest_epoch(architecture, True, arguments.epochs)
        results[architecture] = {
            "contiguous_seconds": contiguous,
            "channels_last_seconds": channels_last,
            "ratio": channels_last / contiguous,
        }
        print(
            f"{architecture:10s} contiguous {contiguous:.3f} s/epoch, channels-last {channels_last:.3f} s/epoch, "
            f"ratio {channels_last / contiguous:.2f}",
            flush=True,
        )
    trial = arguments.epochs < FULL_EPOCHS or arguments.architectures != list(ARCHITECTURES)
    write_json(
        RESULTS / ("layout-trial.json" if trial else "layout.json"),
        {
            "machine": machine(),
            "torch": torch.__version__,
            "date": now(),
            "command": "python " + " ".join(sys.argv),
            "threads": 1,
            "pairs": PAIRS,
            "batch_size": BATCH,
            "architectures": results,
        },
    )


if __name__ == "__main__":
    main()
