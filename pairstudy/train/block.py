"""The child's work in a training job (`python -m pairstudy.train.block JOB_JSON`, started by the supervisor in
job.py): train the seeds of one block that the run store does not hold (one vectorised stack on a GPU, seed after
seed elsewhere), keep them, and write the block's run file."""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from collections.abc import Callable

from .job import BlockJob, as_this_job, run_table, write_block


def trains_together(device, seeds: list[int], hyperparameters: dict) -> bool:
    """Whether a block's seeds train as one vectorised model: on a GPU, several seeds, no augmentation, not a
    training function of one's own."""
    from .vectorised import vectorisable

    if "trainer" in hyperparameters:
        return False
    return len(seeds) > 1 and device.type == "cuda" and vectorisable(hyperparameters)


def train_one(job: BlockJob, seed: int, checkpoint, progress, log):
    """One seed of the block alone: the plain loop, or the study's own training function."""
    from .loop import train_run

    checkpointed = checkpoint if job.checkpoint_every > 0 else None
    if "trainer" in job.hyperparameters:
        from pairstudy.models.files import load_function

        from .function import run_training_function

        function = load_function(job.trainer_file, job.hyperparameters["architecture"])  # the function's name
        settings = job.hyperparameters["settings"]
        return run_training_function(function, settings, seed, device=job.device, checkpoint=checkpointed, log=log)
    return train_run(
        job.hyperparameters,
        seed,
        device=job.device,
        checkpoint=checkpoint,
        checkpoint_every=job.checkpoint_every,
        on_epoch=progress,
        log=log,
    )


def train_block(job: BlockJob, log: Callable[[str], None] = print) -> None:
    """Train the seeds the store does not hold, keep them there, and write the block's run file.

    On a GPU the seeds train as one vectorised model, checkpointed as one; elsewhere (and for
    augmented configurations) seed after seed, each with its own checkpoint.
    """
    import torch

    from pairstudy.metrics import hyperparameter_hash

    from .checkpoint import remove_checkpoint
    from .device import resolve_device
    from .result import failed_result
    from .store import RunStore
    from .vectorised import Member, train_vectorised

    if job.code_files:
        from pairstudy.models import load_model_files

        load_model_files(job.code_files)
    torch.set_num_threads(job.threads)
    device = resolve_device(job.device)  # a missing GPU fails the job: nothing about the runs is known yet
    store = RunStore(job.store, job.hyperparameters, job.code, beside=job.output, spec=job.spec)
    config_hash = hyperparameter_hash(job.hyperparameters)
    tables, misclassified = {}, {}
    for seed in job.seeds:
        kept = store.load(seed, config_hash)
        if kept is not None:
            tables[seed], misclassified[seed] = as_this_job(job, kept[0]), kept[1]
            log(f"{job.config} seed {seed}: kept run reused ({store.run_path(seed)})")
    todo = [seed for seed in job.seeds if seed not in tables]
    headline = job.spec.headline_column
    title = headline.replace("_", " ")
    total = len(todo)
    started = time.perf_counter()

    def finish(seed, result, checkpoint):
        table = run_table(job, seed, result)
        tables[seed], misclassified[seed] = table, result.misclassified
        if result.status != "failed":
            store.keep(table, seed, result.misclassified)
            remove_checkpoint(checkpoint)
        log(f"{job.config} seed {seed}: {result.summary()}")

    if trains_together(device, todo, job.hyperparameters):
        checkpoint = store.checkpoint_path(todo)
        epochs = job.hyperparameters["epochs"]

        def progress(epoch, rows):
            values = [row[headline] for row in rows if row is not None]
            log(
                f"{job.config} seeds {todo[0]}-{todo[-1]} epoch {epoch}/{epochs} after "
                f"{time.perf_counter() - started:.1f} s: {title} mean {sum(values) / len(values):.4f}, "
                f"range {min(values):.4f}-{max(values):.4f} over {len(values)} seeds"
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
            results = [failed_result(job.spec, error) for _ in todo]
        for seed, result in zip(todo, results):
            finish(seed, result, checkpoint)
    else:
        for number, seed in enumerate(todo, 1):
            checkpoint = store.checkpoint_path([seed])

            def progress(row, seed=seed, number=number):
                epoch = f"epoch {row['epoch']}/{job.hyperparameters['epochs']}"
                log(
                    f"{job.config} seed {seed} ({number}/{total}) {epoch}: train loss {row['train_loss']:.4f}, "
                    f"{title} {row[headline]:.4f} ({row['epoch_seconds']:.2f} s)"
                )

            try:
                result = train_one(job, seed, checkpoint, progress, log)
            except Exception as error:
                result = failed_result(job.spec, error)
            finish(seed, result, checkpoint)
    write_block(job, tables, misclassified)


def main(argument: str, log_path: str | None = None) -> None:
    from pairstudy.joblog import JobLog

    stream = JobLog(log_path, mode="a") if log_path else sys.stdout
    try:
        train_block(BlockJob.from_json(argument), log=lambda line: print(line, file=stream, flush=True))
    except Exception:
        traceback.print_exc(file=stream)
        stream.flush()
        sys.exit(1)
    except KeyboardInterrupt:
        # end by the signal itself: the supervisor tells an interrupt from an error by how the child ended
        # (an uncaught KeyboardInterrupt under `python -m` exits with status 1)
        print("pairstudy: training interrupted (SIGINT)", flush=True)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)


if __name__ == "__main__":
    main(*sys.argv[1:3])
    # the run file is written and every log line flushed: end without tearing torch down (a third of a second)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
