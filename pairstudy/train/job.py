"""A training job's child process: `python -m pairstudy.train.job SPEC_JSON` (see `pairstudy.supervise`).

SPEC_JSON holds outputs, seeds, identity (study, config, factors, hyperparameters), device,
checkpoint_every and threads.
"""

import json
import sys

import torch

from .block import train_seed_block


def main(spec: dict) -> None:
    torch.set_num_threads(spec["threads"])
    train_seed_block(
        spec["outputs"],
        seeds=spec["seeds"],
        **spec["identity"],
        device=spec["device"],
        checkpoint_every=spec["checkpoint_every"],
        record_failures=True,
        on_run=lambda seed, result: print(f"seed {seed}: {result.summary()}", flush=True),
    )


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
