"""How far a study's training has come: runs and epochs finished out of its grid, and about how long the rest takes.

Everything is read from the study's folders, so the answer is the same wherever it is asked: each training job prints
it when it ends (to the console in a local run; on a cluster, to the job's own output), `pairstudy status` prints it
on demand, and the workflow prints it as it starts.

- The plan: every block of every configuration, with its seeds, epochs and the run key its runs are kept under. The
  workflow writes it as it starts (`PLAN_FILE`), so a job reads it instead of expanding the grid; `pairstudy status`
  makes it from the config.
- A seed is finished when the run store holds it under its configuration's current run key, or when the block's run
  file holds the current settings, seeds and code (which also counts failed runs: the store keeps none).
- A block is training while its lock file, `<run file>.lock`, exists (`pairstudy.train.process.BlockLock`).
- Seconds per epoch: each configuration's from its finished runs (their `epoch_seconds`); a configuration without a
  finished run yet is taken at the mean of the others.
- Time left: the epochs left, at those seconds each, less what the training blocks have done since they started,
  plus each job's own cost beyond its epochs (as the job that prints the line measured its own) for the jobs not
  started yet, shared over the jobs that train at once (those training now, and the one whose end prints the line).

Torch-free: a job's supervisor reads it after its child ends.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pairstudy.paths import run_file

PLAN_FILE = "results/{study}/training_plan.json"  # the workflow's plan of the study's training, as it last started
TIMED_RUNS = 5  # finished runs read per configuration for its seconds per epoch (enough for a mean, and quick)


@dataclass(frozen=True)
class PlannedBlock:
    """One training job: a configuration's block of seeds."""

    config: str
    block: int
    seeds: tuple[int, ...]
    epochs: int | None  # None: a training function of one's own that sets no epochs
    key: str  # the run key its finished runs are kept under in the store
    config_hash: str
    code: str


@dataclass(frozen=True)
class Plan:
    study: str
    store: str  # the study's run store, links followed
    blocks: tuple[PlannedBlock, ...] = field(default_factory=tuple)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        values = json.loads(text)
        blocks = tuple(PlannedBlock(**{**block, "seeds": tuple(block["seeds"])}) for block in values["blocks"])
        return cls(study=values["study"], store=values["store"], blocks=blocks)


def planned_epochs(hyperparameters: dict) -> int | None:
    """The epochs a run of these settings trains: the training setting, or a training function's `epochs`."""
    settings = hyperparameters.get("settings", {}) if "trainer" in hyperparameters else hyperparameters
    epochs = settings.get("epochs")
    return epochs if isinstance(epochs, int) and not isinstance(epochs, bool) else None


def make_plan(study: str, work, store: str | Path) -> Plan:
    """The plan of a study from its configurations, each with its seed blocks (`pairstudy.study.planned_work`)."""
    from pairstudy.metrics import hyperparameter_hash, run_key
    from pairstudy.provenance import configuration_code

    planned = []
    for configuration, blocks in work:
        hyperparameters = configuration.hyperparameters
        code = configuration_code(hyperparameters)
        for block, seeds in blocks.items():
            planned.append(
                PlannedBlock(
                    config=configuration.name,
                    block=int(block),
                    seeds=tuple(seeds),
                    epochs=planned_epochs(hyperparameters),
                    key=run_key(hyperparameters, code),
                    config_hash=hyperparameter_hash(hyperparameters),
                    code=code,
                )
            )
    return Plan(study=study, store=str(store), blocks=tuple(planned))


def write_plan(plan: Plan) -> Path:
    from pairstudy.atomic import write_atomically

    return write_atomically(PLAN_FILE.format(study=plan.study), lambda path: Path(path).write_text(plan.to_json()))


def read_plan(study: str) -> Plan | None:
    """The plan the workflow wrote as it started; None where there is none (or it cannot be read)."""
    try:
        return Plan.from_json(Path(PLAN_FILE.format(study=study)).read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass
class Progress:
    study: str
    runs: int
    runs_done: int
    failed: int
    epochs: int | None  # None where some configuration's epochs are not known
    epochs_done: int | None
    blocks_left: int  # blocks with a seed not finished
    training: int  # blocks training now
    seconds_left: float | None  # None: no finished run to time yet, or nothing trains now

    @property
    def done(self) -> bool:
        return self.runs_done >= self.runs

    def counts(self) -> str:
        failed = f" ({self.failed} failed)" if self.failed else ""
        if self.epochs is None:
            share = self.runs_done / self.runs if self.runs else 1.0
            return f"{self.study} {self.runs_done} of {self.runs} runs{failed} done ({share:.0%})"
        share = self.epochs_done / self.epochs if self.epochs else 1.0
        return (
            f"{self.study} {self.runs_done} of {self.runs} runs{failed}, "
            f"{self.epochs_done} of {self.epochs} epochs done ({share:.0%})"
        )

    def time_left(self) -> str:
        if self.done:
            return "all runs done"
        if self.seconds_left is None:
            return "time left: known once a run has finished" if self.training else "no training job is running"
        return f"about {duration(self.seconds_left)} left"

    def line(self) -> str:
        return f"{self.counts()}; {self.time_left()}"


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def footer(path: Path) -> tuple[dict | None, bool]:
    """What a run file says it holds (its metadata's block: study, config, seeds, config_hash, code), and whether a
    run in it may have failed (its status column's statistics reach "failed"), from the file's footer alone; (None,
    False) for a missing or unreadable file."""
    import pyarrow.parquet as pq

    try:
        found = pq.ParquetFile(path)
        block = json.loads((found.schema_arrow.metadata or {}).get(b"pairstudy.block", b"null"))
        column = found.schema_arrow.get_field_index("status")
        may_fail = column < 0
        for group in range(found.metadata.num_row_groups):
            statistics = found.metadata.row_group(group).column(column).statistics if column >= 0 else None
            if statistics is None or not statistics.has_min_max:
                may_fail = True
            elif statistics.min <= "failed" <= statistics.max:
                may_fail = True
    except (OSError, ValueError, IndexError):
        return None, False
    return (block if isinstance(block, dict) else None), may_fail


def block_identity(path: Path) -> dict | None:
    """What a run file says it holds (study, config, seeds, config_hash, code); None for a missing or unreadable
    file. Reads the file's footer only."""
    return footer(path)[0]


def holds(found: dict | None, block: PlannedBlock) -> bool:
    """Whether a run file's identity is exactly this block's seeds, settings and code."""
    return (
        found is not None
        and found.get("config_hash") == block.config_hash
        and found.get("code") == block.code
        and sorted(found.get("seeds") or []) == sorted(block.seeds)
    )


def run_timings(path: Path) -> list[tuple[int, bool, int, float]]:
    """(seed, failed, epochs, seconds) of each run a run file holds; nothing for one that cannot be read."""
    import pyarrow.parquet as pq

    try:
        columns = pq.ParquetFile(path).read(columns=["seed", "status", "epoch", "epoch_seconds"]).to_pydict()
    except (OSError, ValueError, KeyError):
        return []
    runs: dict[int, list] = {}  # seed -> [failed, epochs, seconds]
    for seed, status, epoch, seconds in zip(
        columns["seed"], columns["status"], columns["epoch"], columns["epoch_seconds"]
    ):
        run = runs.setdefault(int(seed), [status == "failed", 0, 0.0])
        run[1] += int(epoch > 0 and status != "failed")
        run[2] += seconds or 0.0
    return [(seed, failed, epochs, seconds) for seed, (failed, epochs, seconds) in runs.items()]


def measure(plan: Plan, now: float | None = None, ending_job: bool = False, job_overhead: float = 0.0) -> Progress:
    """The study's progress as its folders hold it. `ending_job`: asked by a job as it ends, whose place the next
    job takes, so one more job trains at once than the locks show. `job_overhead`: the seconds a job takes beyond
    its runs' epochs (its start, imports, data, writing), added for each job not started yet."""
    now = time.time() if now is None else now
    store = Path(plan.store)
    finished: dict[tuple[str, int], dict[int, bool]] = {}  # (config, block) -> seed -> failed
    timed: dict[str, list[tuple[int, float]]] = {}  # config -> (epochs, seconds) of its finished runs
    latest: dict[tuple[str, int], float] = {}  # (config, block) -> when its last kept run was written
    training: dict[tuple[str, int], float] = {}  # (config, block) -> when it started training
    for block in plan.blocks:
        where = (block.config, block.block)
        path = Path(run_file(plan.study, block.config, block.block))
        seeds: dict[int, bool] = {}
        found, may_fail = footer(path)
        if holds(found, block):  # every seed finished; which failed, and how long the others took
            seeds = {seed: False for seed in block.seeds}
            if may_fail or len(timed.get(block.config, [])) < TIMED_RUNS:  # else the footer said it all
                for seed, failed, epochs, seconds in run_timings(path):
                    seeds[seed] = failed
                    if not failed and epochs and len(timed.get(block.config, [])) < TIMED_RUNS:
                        timed.setdefault(block.config, []).append((epochs, seconds))
        else:
            for seed in block.seeds:
                kept = store / block.key / f"seed{seed}.parquet"
                try:
                    written = kept.stat().st_mtime
                except OSError:
                    continue
                seeds[seed] = False
                latest[where] = max(latest.get(where, 0.0), written)
                if len(timed.get(block.config, [])) < TIMED_RUNS:
                    for _, failed, epochs, seconds in run_timings(kept):
                        if not failed and epochs:
                            timed.setdefault(block.config, []).append((epochs, seconds))
            try:
                training[where] = Path(f"{path}.lock").stat().st_mtime
            except OSError:
                pass
        finished[where] = seeds

    per_epoch = {
        config: sum(seconds for _, seconds in runs) / sum(epochs for epochs, _ in runs)
        for config, runs in timed.items()
        if sum(epochs for epochs, _ in runs) > 0
    }
    typical = sum(per_epoch.values()) / len(per_epoch) if per_epoch else None
    runs = sum(len(block.seeds) for block in plan.blocks)
    known_epochs = all(block.epochs is not None for block in plan.blocks)
    runs_done = failed = epochs_done = blocks_left = 0
    work_left, longest = 0.0, 0.0
    for block in plan.blocks:
        where = (block.config, block.block)
        seeds = finished[where]
        runs_done += sum(seed in seeds for seed in block.seeds)
        failed += sum(bool(seeds.get(seed)) for seed in block.seeds)
        left = [seed for seed in block.seeds if seed not in seeds]
        epochs_done += (block.epochs or 0) * (len(block.seeds) - len(left))
        if not left:
            continue
        blocks_left += 1
        work_left += 0.0 if where in training else job_overhead
        seconds = per_epoch.get(block.config, typical)
        if seconds is None or block.epochs is None:
            continue
        remaining = len(left) * block.epochs * seconds
        if where in training:  # what it has trained since it started, or since its last finished run
            remaining = max(0.0, remaining - max(0.0, now - max(training[where], latest.get(where, 0.0))))
        work_left += remaining
        longest = max(longest, remaining)
    at_once = min(len(training) + (1 if ending_job else 0), blocks_left)
    seconds_left = None
    if typical is not None and known_epochs and at_once:
        seconds_left = max(work_left / at_once, longest)
    return Progress(
        study=plan.study,
        runs=runs,
        runs_done=runs_done,
        failed=failed,
        epochs=sum(len(block.seeds) * block.epochs for block in plan.blocks) if known_epochs else None,
        epochs_done=epochs_done if known_epochs else None,
        blocks_left=blocks_left,
        training=len(training),
        seconds_left=seconds_left,
    )
