"""A training job: the seeds of one configuration's block, trained in a child process, written as one run file.

The supervisor (`run_block_job`, torch-free) takes the block's lock and runs the child
(`python -m pairstudy.train.job JOB_JSON`), which trains what the run store does not already
hold (`train_block`) and writes the run file last. A run that raises is recorded as failed by
the child; a child killed from outside (the kernel's out-of-memory killer, a native crash)
cannot record anything, so the supervisor records its unfinished seeds as failed and the
study's report goes on. An interrupt (SIGTERM, SIGINT, SIGHUP: a cancelled job, a time limit,
Ctrl-C) writes nothing and keeps checkpoints and finished runs, so the next run resumes; a job
whose run file is already written exits 0 whatever arrives after it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

INTERRUPTS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@dataclass(frozen=True)
class BlockJob:
    study: str
    config: str
    seeds: tuple[int, ...]
    factors: dict
    hyperparameters: dict
    code: str  # fingerprint of the code that trains the configuration: kept runs of other code are not reused
    output: str  # the block's run file
    store: str | None  # where finished runs and checkpoints are kept; None: checkpoints beside the output
    device: str = "auto"
    checkpoint_every: int = 0
    threads: int = 1
    metadata: dict = field(default_factory=dict)  # study spec and provenance, for the run file's metadata

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> BlockJob:
        values = json.loads(text)
        return cls(**{**values, "seeds": tuple(values["seeds"])})


def killed_message(signal_number: int) -> str:
    name = signal.Signals(signal_number).name
    cause = " (the usual cause: the machine ran out of memory)" if signal_number == signal.SIGKILL else ""
    return f"the training process was killed by {name}{cause}"


def run_table(job: BlockJob, seed: int, result):
    """One run's rows with its identity columns, in the shape `write_runs` expects."""
    import pandas as pd
    import torch

    from pairstudy.metrics import canonical_json, hyperparameter_hash

    table = pd.DataFrame(result.rows)
    identity = {
        "study": job.study,
        "config": job.config,
        "architecture": job.hyperparameters["architecture"],
        "seed": seed,
        "factors": canonical_json(job.factors),
        "hyperparameters": canonical_json(job.hyperparameters),
        "config_hash": hyperparameter_hash(job.hyperparameters),
        "parameter_count": result.parameter_count,
        "device": result.device,
        "torch_version": torch.__version__,
        "status": result.status,
        "message": result.message,
    }
    for name, value in identity.items():
        table[name] = value
    return table


def as_this_job(job: BlockJob, table):
    """A kept run under this job's study, configuration name and factors (its training is the same)."""
    from pairstudy.metrics import canonical_json

    return table.assign(study=job.study, config=job.config, factors=canonical_json(job.factors))


def write_block(job: BlockJob, tables: dict, misclassified: dict) -> None:
    """The block's run file from one table per seed, in seed order: the last thing a job writes."""
    import pandas as pd

    from pairstudy.metrics import hyperparameter_hash, write_runs

    block = {
        "study": job.study,
        "config": job.config,
        "seeds": list(job.seeds),
        "config_hash": hyperparameter_hash(job.hyperparameters),
        "code": job.code,
    }
    table = pd.concat([tables[seed] for seed in job.seeds], ignore_index=True)
    write_runs(table, job.output, misclassified=misclassified, metadata={**job.metadata, "block": block})


def train_block(job: BlockJob, log: Callable[[str], None] = print) -> None:
    """Train the seeds the store does not hold, keep them there, and write the block's run file.

    On a GPU the seeds train as one vectorised model, checkpointed as one; elsewhere (and for
    augmented configurations) seed after seed, each with its own checkpoint.
    """
    import torch

    from pairstudy.metrics import hyperparameter_hash

    from .checkpoint import remove_checkpoint
    from .device import resolve_device
    from .loop import failed_result, train_run
    from .store import RunStore
    from .vectorised import Member, train_vectorised, vectorisable

    torch.set_num_threads(job.threads)
    device = resolve_device(job.device)  # a missing GPU fails the job: nothing about the runs is known yet
    store = RunStore(job.store, job.hyperparameters, job.code, beside=job.output)
    config_hash = hyperparameter_hash(job.hyperparameters)
    tables, misclassified = {}, {}
    for seed in job.seeds:
        kept = store.load(seed, config_hash)
        if kept is not None:
            tables[seed], misclassified[seed] = as_this_job(job, kept[0]), kept[1]
            log(f"{job.config} seed {seed}: kept run reused ({store.run_path(seed)})")
    todo = [seed for seed in job.seeds if seed not in tables]
    total = len(todo)
    started = time.perf_counter()

    def finish(seed, result, checkpoint):
        table = run_table(job, seed, result)
        tables[seed], misclassified[seed] = table, result.misclassified
        if result.status != "failed":
            store.keep(table, seed, result.misclassified)
            remove_checkpoint(checkpoint)
        log(f"{job.config} seed {seed}: {result.summary()}")

    if len(todo) > 1 and device.type == "cuda" and vectorisable(job.hyperparameters):
        checkpoint = store.checkpoint_path(todo)
        epochs = job.hyperparameters["epochs"]

        def progress(epoch, rows):
            accuracies = [row["test_accuracy"] for row in rows if row is not None]
            log(
                f"{job.config} seeds {todo[0]}-{todo[-1]} epoch {epoch}/{epochs} after "
                f"{time.perf_counter() - started:.1f} s: test accuracy mean {sum(accuracies) / len(accuracies):.4f}, "
                f"range {min(accuracies):.4f}-{max(accuracies):.4f} over {len(accuracies)} seeds"
            )

        try:
            results = train_vectorised(
                [Member(job.hyperparameters, seed) for seed in todo],
                device=job.device,
                checkpoint=checkpoint,
                checkpoint_every=job.checkpoint_every,
                on_epoch=progress,
                log=log,
            )
        except Exception as error:
            results = [failed_result(error) for _ in todo]
        for seed, result in zip(todo, results):
            finish(seed, result, checkpoint)
    else:
        for number, seed in enumerate(todo, 1):
            checkpoint = store.checkpoint_path([seed])

            def progress(row, seed=seed, number=number):
                log(
                    f"{job.config} seed {seed} ({number}/{total}) epoch {row['epoch']}/{job.hyperparameters['epochs']}: "
                    f"train loss {row['train_loss']:.4f}, test accuracy {row['test_accuracy']:.4f} "
                    f"({row['epoch_seconds']:.2f} s)"
                )

            try:
                result = train_run(
                    job.hyperparameters,
                    seed,
                    device=job.device,
                    checkpoint=checkpoint,
                    checkpoint_every=job.checkpoint_every,
                    on_epoch=progress,
                    log=log,
                )
            except Exception as error:
                result = failed_result(error)
            finish(seed, result, checkpoint)
    write_block(job, tables, misclassified)


def record_killed_runs(job: BlockJob, message: str) -> list[int]:
    """After a kill: the block's run file from the kept runs, the other seeds recorded as failed; those seeds."""
    from pairstudy.metrics import hyperparameter_hash

    from .loop import failed_result
    from .store import RunStore

    store = RunStore(job.store, job.hyperparameters, job.code, beside=job.output)
    config_hash = hyperparameter_hash(job.hyperparameters)
    tables, misclassified, failed = {}, {}, []
    for seed in job.seeds:
        kept = store.load(seed, config_hash)
        if kept is not None:
            tables[seed], misclassified[seed] = as_this_job(job, kept[0]), kept[1]
            continue
        result = failed_result(RuntimeError(message))
        result.message = message
        tables[seed] = run_table(job, seed, result)
        failed.append(seed)
    write_block(job, tables, misclassified)
    return failed


def run_block_job(job: BlockJob, log=None, on_start: Callable[[subprocess.Popen], None] | None = None) -> int:
    """Train `job` in a child process; the job's exit status.

    0 when the run file is written (trained, or recorded as failed after a kill); 128 + signal when
    the job was interrupted before; the child's status when it exited with an error (e.g. no GPU).
    """
    from .process import BlockBusy, BlockLock, chain_intact, die_with_parent, launcher_chain

    stream = log or sys.stderr
    try:
        lock = BlockLock(job.output)
    except BlockBusy as busy:
        print(f"pairstudy: {busy}", file=stream, flush=True)
        return 1
    try:
        command = [sys.executable, "-m", "pairstudy.train.job", job.to_json()]
        child = subprocess.Popen(command, stdout=log, stderr=log, pass_fds=(lock.fd,), preexec_fn=die_with_parent)
        received: list[int] = []

        def forward(signal_number, _frame):
            received.append(signal_number)
            child.send_signal(signal_number)

        previous = {number: signal.signal(number, forward) for number in INTERRUPTS}
        launcher = launcher_chain()
        try:
            if on_start is not None:
                on_start(child)
            while (status := child.poll()) is None:
                if launcher and not chain_intact(launcher):  # the workflow that started this job is gone
                    print("pairstudy: the workflow that started this job has ended; stopping", file=stream, flush=True)
                    child.terminate()
                    received.append(signal.SIGTERM)
                    status = child.wait()
                    break
                time.sleep(0.2)
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        if Path(job.output).exists() and status == 0:
            return 0
        if received or (status < 0 and -status in INTERRUPTS):
            return 0 if Path(job.output).exists() else 128 + (received[0] if received else -status)
        if status >= 0:
            return status
        message = killed_message(-status)
        seeds = record_killed_runs(job, message)
        print(f"{message}; recorded seeds {seeds} as failed", file=stream, flush=True)
        return 0
    finally:
        lock.release()


def main(argument: str) -> None:
    train_block(BlockJob.from_json(argument), log=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main(sys.argv[1])
