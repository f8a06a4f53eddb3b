"""Run a training job's seed block in a child process and stand in for it when it is killed.

A run that raises is recorded as failed by the trainer itself. A child killed from outside
(the kernel's out-of-memory killer, a crash in native code) cannot record anything, so the
supervisor writes a failed run for every seed the child left without a Parquet file; the
study's report then goes on and names those seeds. An interrupt (SIGTERM, SIGINT, SIGHUP: a
cancelled job, a time limit, Ctrl-C) is not a failure: the job stops, writes nothing, and keeps
its checkpoints, so the next run resumes.

Torch-free: torch is imported only in the child, or here once a killed child leaves seeds to record.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

INTERRUPTS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def killed_message(signal_number: int) -> str:
    name = signal.Signals(signal_number).name
    cause = " (the usual cause: the machine ran out of memory)" if signal_number == signal.SIGKILL else ""
    return f"the training process was killed by {name}{cause}"


def record_killed_runs(spec: dict, message: str) -> list[int]:
    """Write a failed run for each seed of `spec` whose Parquet file is missing; return those seeds.

    Every checkpoint stays, so re-running the block resumes its seeds, the finished ones included.
    """
    from pairstudy.metrics import write_run
    from pairstudy.train import run_table
    from pairstudy.train.loop import failed_result

    recorded = []
    for seed, out in zip(spec["seeds"], spec["outputs"]):
        if Path(out).exists():
            continue
        result = failed_result(RuntimeError(message))
        result.message = message
        write_run(run_table(result, seed=seed, **spec["identity"]), out)
        recorded.append(seed)
    return recorded


def run_supervised(spec: dict, log=None, on_start: Callable[[subprocess.Popen], None] | None = None) -> int:
    """Train `spec` (see `pairstudy.train.job`) in a child process; the job's exit status.

    0 when every seed has its Parquet file (trained, or recorded as failed after a kill);
    128 + signal when the job was interrupted; the child's status when it exited with an error.
    """
    command = [sys.executable, "-m", "pairstudy.train.job", json.dumps(spec)]
    child = subprocess.Popen(command, stdout=log, stderr=log)
    received: list[int] = []

    def forward(signal_number, _frame):
        received.append(signal_number)
        child.send_signal(signal_number)

    previous = {number: signal.signal(number, forward) for number in INTERRUPTS}
    try:
        if on_start is not None:
            on_start(child)
        status = child.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if received:
        return 128 + received[0]
    if status >= 0:
        return status
    if -status in INTERRUPTS:
        return 128 - status
    message = killed_message(-status)
    seeds = record_killed_runs(spec, message)
    print(f"{message}; recorded seeds {seeds} as failed", file=log or sys.stderr, flush=True)
    return 0
