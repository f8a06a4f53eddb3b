"""Benchmark: does torch.compile pay for a 25-epoch twin-net run on the CPU? Plain vs compiled, side by side.

Each variant trains the same runs (the default study's twin net with weight sharing and aux
loss) in a fresh process, so the compiled variant pays its compilation as a workflow job would.

    python bench/compile.py --runs 3                # CPU
    python bench/compile.py --runs 3 --device cuda  # a GPU machine
    python bench/compile.py --runs 2 --epochs 2     # a quick check of the script
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ONE_PROCESS = """
import json, sys, time, torch
import pairstudy.train.loop as loop
from pairstudy.study import expand_configurations, validate_config
mode, runs, device, threads, epochs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
if mode != "plain":
    build = loop.create_model
    compile_mode = None if mode == "compile" else mode
    loop.create_model = lambda *args, **kwargs: torch.compile(build(*args, **kwargs), mode=compile_mode)
twin = {"architecture": ["twin"], "sharing": [True], "aux": [True]}
study = {"seeds": 1, "factors": twin, "training": {"lr": 0.005, "epochs": epochs}}
(configuration,) = expand_configurations("bench", validate_config({"studies": {"bench": study}})["studies"]["bench"])
seconds, accuracy = [], []
for seed in range(runs):
    started = time.perf_counter()
    result = loop.train_run(configuration.hyperparameters, seed, device=device)
    seconds.append(time.perf_counter() - started)
    accuracy.append(result.rows[-1]["test_accuracy"])
print(json.dumps({"seconds": seconds, "accuracy": accuracy}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs (seeds) per process")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument(
        "--modes", default="plain,compile", help="plain, compile, reduce-overhead, max-autotune (comma-separated)"
    )
    args = parser.parse_args()
    print(
        f"twin net, sharing + aux, {args.epochs} epochs, {args.runs} runs per process, device {args.device}, "
        f"{args.threads} thread(s)"
    )
    # the child imports this checkout's pairstudy, whatever is installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    print(f"{'mode':16s} {'first run s':>12s} {'later runs s':>13s} {'process wall s':>15s} {'mean test acc':>14s}")
    for mode in args.modes.split(","):
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", ONE_PROCESS, mode, str(args.runs), args.device, str(args.threads), str(args.epochs)],
            capture_output=True,
            text=True,
            env=env,
        )
        wall = time.perf_counter() - started
        if result.returncode != 0:
            last_line = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode
            print(f"{mode:16s} failed: {last_line}")
            continue
        numbers = json.loads(result.stdout.strip().splitlines()[-1])
        later = numbers["seconds"][1:]
        later_mean = f"{sum(later) / len(later):13.2f}" if later else f"{'-':>13s}"
        accuracy = sum(numbers["accuracy"]) / len(numbers["accuracy"])
        print(f"{mode:16s} {numbers['seconds'][0]:12.2f} {later_mean} {wall:15.1f} {accuracy:14.4f}")


if __name__ == "__main__":
    main()
