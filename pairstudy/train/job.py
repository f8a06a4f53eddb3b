"""A training job: the seeds of one configuration's block, trained in a child process, written as one run file.

The supervisor (`run_block_job`, torch-free) takes the block's lock and runs the child
(`python -m pairstudy.train.block JOB_JSON`), which trains what the run store does not already
hold (`pairstudy.train.block.train_block`) and writes the run file last. A run that raises is recorded as failed by
the child; a child killed from outside (the kernel's out-of-memory killer, a native crash)
cannot record anything, so the supervisor records its unfinished seeds as failed and the
study's report goes on. An interrupt (SIGTERM, SIGINT, SIGHUP: a cancelled job, a time limit,
Ctrl-C) writes nothing and keeps checkpoints and finished runs, so the next run resumes; a job
whose run file is already written exits 0 whatever arrives after it.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import site
import subprocess
import sys
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
    code_files: tuple[str, ...] = ()  # files registering a user's architectures and tasks, imported before training
    metrics: dict = field(default_factory=dict)  # the task's MetricSpec, as a dict: the run file's columns
    trainer_file: str = ""  # the file of a training function of one's own (hyperparameters["trainer"] names it)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> BlockJob:
        values = json.loads(text)
        return cls(**{**values, "seeds": tuple(values["seeds"]), "code_files": tuple(values["code_files"])})

    @property
    def spec(self):
        from pairstudy.tasks.metrics import MetricSpec

        return MetricSpec.from_dict(self.metrics)


def killed_message(signal_number: int) -> str:
    name = signal.Signals(signal_number).name
    cause = " (the usual cause: the machine ran out of memory)" if signal_number == signal.SIGKILL else ""
    return f"the training process was killed by {name}{cause}"


def torch_version() -> str:
    """torch's version, without importing torch where it is not imported yet (a supervisor recording a kill)."""
    if "torch" in sys.modules:
        return sys.modules["torch"].__version__
    from importlib.metadata import version

    return version("torch")


def run_table(job: BlockJob, seed: int, result):
    """One run's rows with its identity columns, in the shape `write_runs` expects."""
    import pandas as pd

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
        "torch_version": torch_version(),
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
    write_runs(table, job.output, job.spec, misclassified=misclassified, metadata={**job.metadata, "block": block})


def record_killed_runs(job: BlockJob, message: str) -> list[int]:
    """After a kill: the block's run file from the kept runs, the other seeds recorded as failed; those seeds."""
    from pairstudy.metrics import hyperparameter_hash

    from .result import failed_result
    from .store import RunStore

    store = RunStore(job.store, job.hyperparameters, job.code, beside=job.output, spec=job.spec)
    config_hash = hyperparameter_hash(job.hyperparameters)
    tables, misclassified, failed = {}, {}, []
    for seed in job.seeds:
        kept = store.load(seed, config_hash)
        if kept is not None:
            tables[seed], misclassified[seed] = as_this_job(job, kept[0]), kept[1]
            continue
        tables[seed] = run_table(job, seed, failed_result(job.spec, message))
        failed.append(seed)
    write_block(job, tables, misclassified)
    return failed


def file_state(path: str | Path) -> tuple | None:
    """What tells one file at `path` from another written there later (an atomic write makes a new inode)."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def job_status(status: int, received: list[int], written: bool) -> int | None:
    """The job's exit status from how its child ended; None for a child killed before it wrote the run file.

    `status` is the child's (negative: killed by that signal), `received` the interrupts the supervisor
    passed on to it, `written` whether the child wrote the block's run file.
    """
    if written:
        return 0  # every run is recorded: what arrives after changes nothing
    if received:
        return 128 + received[0]
    if status < 0 and -status in INTERRUPTS:
        return 128 - status
    if status < 0:
        return None
    return status or 1  # a child that exits 0 has written the run file; anything else is an error


def package_root() -> str:
    return str(Path(__file__).resolve().parents[2])


def child_environment() -> dict:
    """The child's environment: it imports this same pairstudy, also where only the supervisor's path finds it."""
    sites = {str(Path(folder).resolve()) for folder in [*site.getsitepackages(), site.getusersitepackages()]}
    if package_root() in sites:
        return dict(os.environ)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root(), os.environ.get("PYTHONPATH")]))}


def run_block_job(
    job: BlockJob, log_path: str | Path | None = None, on_start: Callable[[subprocess.Popen], None] | None = None
) -> int:
    """Train `job` in a child process, both writing to the job's log at `log_path` (the console without one);
    the job's exit status.

    0 when the run file is written (trained, or recorded as failed after a kill); 128 + signal when
    the job was interrupted before; the child's status when it exited with an error (e.g. no GPU).
    """
    from pairstudy.joblog import JobLog

    from .process import BlockBusy, BlockLock, chain_intact, die_with_parent, launcher_chain

    stream = JobLog(log_path) if log_path is not None else sys.stderr
    try:
        lock = BlockLock(job.output)
    except BlockBusy as busy:
        print(f"pairstudy: {busy}", file=stream, flush=True)
        return 1
    try:
        before = file_state(job.output)  # a run file left from before is not this job's
        # the child opens the log itself, so a log it cannot write sends its lines to the console
        command = [sys.executable, "-m", "pairstudy.train.block", job.to_json(), *([str(log_path)] if log_path else [])]
        stream.flush()
        child = subprocess.Popen(
            command,
            env=child_environment(),
            pass_fds=(lock.fd,),
            preexec_fn=functools.partial(die_with_parent, os.getpid()),
        )
        received: list[int] = []

        def forward(signal_number, _frame):
            received.append(signal_number)
            child.send_signal(signal_number)

        previous = {number: signal.signal(number, forward) for number in INTERRUPTS}
        launcher = launcher_chain()
        try:
            if on_start is not None:
                on_start(child)
            status = None
            while status is None:
                try:
                    status = child.wait(timeout=0.2)  # returns as the child ends, not at the next check
                except subprocess.TimeoutExpired:
                    if launcher and not chain_intact(launcher):  # the workflow that started this job is gone
                        print(
                            "pairstudy: the workflow that started this job has ended; stopping", file=stream, flush=True
                        )
                        child.terminate()
                        received.append(signal.SIGTERM)
                        status = child.wait()
        except BaseException:
            child.kill()  # never leave a child training without its supervisor
            child.wait()
            raise
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        written = (after := file_state(job.output)) is not None and after != before
        exit_status = job_status(status, received, written)
        if exit_status is not None:
            if exit_status and not received and status >= 0:
                print(f"pairstudy: the training process exited with status {status}", file=stream, flush=True)
            return exit_status
        message = killed_message(-status)
        seeds = record_killed_runs(job, message)
        print(f"{message}; recorded seeds {seeds} as failed", file=stream, flush=True)
        return 0
    finally:
        lock.release()
