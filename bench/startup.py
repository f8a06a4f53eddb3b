"""Benchmark (CPU): where the workflow's time goes besides training, step by step, as one table.

1. floors: `python -c pass`, `import torch`, `snakemake --version` (what Snakemake costs before any Snakefile);
2. `pairstudy grid` of the default study and of studies/towers.yaml (target: <= 1.5 s);
3. the Snakefile's parse: `snakemake -n --cores all` of the same two configs in a clean folder (target for
   towers: <= 4 s);
4. imports (`python -X importtime`, seconds by top-level package): `pairstudy grid`, the dry run, a training
   job's child (`python -m pairstudy.train.block`, run for real: everything it imports until it exits), Snakemake's
   script preamble and the train_block script (the job's supervisor), and the aggregate, statistics and report
   scripts' imports;
5. one training job of --job-seeds seeds x --job-epochs epochs, watched through its log: from spawn to its first
   epoch, between one seed's last epoch and the next seed's first, and from its last epoch to its exit; through
   the supervisor (as the workflow runs it) and the child alone;
6. a small workflow (default study, --workflow-seeds x --workflow-epochs, device cpu) through to its report:
   Snakemake's own job records give the parse-to-first-job time, each training job's time beyond its epochs,
   the core-seconds left idle while jobs trained, and the aggregate, statistics, report and check rules' times.

    python bench/startup.py                      # 5 repeats of each timing
    python bench/startup.py --repeats 2 --trial  # a quick check of the script

Each timing is a fresh process; the table shows the median and the minimum over the repeats. Writes
bench/results/startup.json (startup-trial.json with --trial; `git add -f` to commit one: results/ is ignored).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's pairstudy, installed or not

from bench.harness import (  # noqa: E402
    RESULTS,
    ROOT,
    machine,
    measured,
    now,
    package_version,
    python_seconds,
    snakemake_command,
    study_config,
    this_checkout_env,
    workflow_breakdown,
    workflow_folder,
    write_json,
)
from pairstudy.study import expand_configurations, validate_config  # noqa: E402

GRID_FILES = {"default": "config.yaml", "towers": "studies/towers.yaml"}
GRID = "import sys; from pairstudy.cli import main; sys.argv[0] = 'pairstudy'; main()"
# what Snakemake's `script:` preamble imports before a workflow script runs (snakemake.script, 9.x)
PREAMBLE_IMPORTS = "import pickle; import snakemake.logging; import snakemake.iocontainers; import snakemake.io"
SCRIPT_IMPORTS = {
    "train_block script (supervisor)": "import pairstudy.paths, pairstudy.provenance, pairstudy.train.job",
    "aggregate script": "import pairstudy.aggregate, pairstudy.provenance",
    "statistics script": "import pairstudy.metrics, pairstudy.stats",
    "report script": "import pairstudy.report.study",
}
SUPERVISOR = """
import sys
from pairstudy.train.job import BlockJob, run_block_job
sys.exit(run_block_job(BlockJob.from_json(sys.argv[1]), log_path=sys.argv[2]))
"""
# "twin-sharing-aux seed 0 (1/2) epoch 1/2: train loss 0.7240, test accuracy 0.7830 (0.60 s)"
EPOCH_LINE = re.compile(r" seed (\d+) \(\d+/\d+\) epoch \d+/\d+: .*\((\d+\.\d+) s\)$")
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+\d+ \| \s*(\S+)")


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "values": values}


def command_seconds(command: list[str], repeats: int, cwd=None) -> dict:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=cwd, env=this_checkout_env())
        seconds.append(time.perf_counter() - started)
    return summary(seconds)


def import_profile(arguments: list[str], cwd=None) -> dict:
    """`python -X importtime ARGUMENTS`: all import seconds, and the top packages by their modules' own seconds."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *arguments],
        cwd=cwd,
        env=this_checkout_env(),
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise SystemExit(f"python {' '.join(arguments)[:200]} failed:\n{result.stderr[-3000:]}")
    packages: dict[str, int] = {}
    for line in result.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            package = match[2].split(".")[0]
            packages[package] = packages.get(package, 0) + int(match[1])
    ranked = sorted(packages.items(), key=lambda item: -item[1])
    return {
        "total_seconds": sum(packages.values()) / 1e6,
        "by_package": {name: microseconds / 1e6 for name, microseconds in ranked[:6]},
    }


def training_job(folder: Path, seeds: int, epochs: int) -> str:
    """A block of the default study's twin-sharing-aux configuration, as a job's JSON (device cpu, 1 thread)."""
    from pairstudy.tasks import get_task
    from pairstudy.train.job import BlockJob

    _, config = study_config("default", seeds=seeds, epochs=epochs)
    (study, spec), *_ = validate_config(config)["studies"].items()
    configuration = {c.name: c for c in expand_configurations(study, spec)}["twin-sharing-aux"]
    job = BlockJob(
        study=study,
        config=configuration.name,
        seeds=tuple(range(seeds)),
        factors=configuration.factors,
        hyperparameters=configuration.hyperparameters,
        code="bench",
        output=str(folder / "block0.parquet"),
        store=str(folder / "store"),
        device="cpu",
        checkpoint_every=5,
        threads=1,
        metrics=get_task(configuration.hyperparameters["task"]).spec().to_dict(),
    )
    return job.to_json()


def watch_job(command: list[str], folder: Path, log: Path) -> dict:
    """Spawn a job in `folder` and watch `log`: until its first epoch, between seeds, after its last epoch."""
    epochs = []  # (seed, start, end) of each epoch, in seconds since the spawn
    started = time.perf_counter()
    with open(folder / "job.out", "w") as out:
        process = subprocess.Popen(command, cwd=folder, env=this_checkout_env(), stdout=out, stderr=subprocess.STDOUT)
        seen = 0
        while True:
            ended = process.poll() is not None
            lines = log.read_text().splitlines() if log.exists() else []
            for line in lines[seen:]:
                match = EPOCH_LINE.search(line)
                if match:  # the line is written as the epoch ends; its own seconds say when the epoch began
                    end = time.perf_counter() - started
                    epochs.append((int(match[1]), end - float(match[2]), end))
            seen = len(lines)
            if ended:
                break
            time.sleep(0.01)
    total = time.perf_counter() - started
    if process.returncode or not epochs:
        raise SystemExit(f"the job failed ({process.returncode}):\n{(folder / 'job.out').read_text()[-3000:]}")
    between = [b[1] - a[2] for a, b in zip(epochs, epochs[1:]) if a[0] != b[0]]
    return {
        "until_first_epoch": epochs[0][1],
        "between_seeds": statistics.mean(between) if between else 0.0,
        "after_last_epoch": total - epochs[-1][2],
        "training": sum(end - start for _, start, end in epochs),
        "total": total,
    }


def job_timings(repeats: int, seeds: int, epochs: int) -> dict:
    """One job's start, seed changes and end, through the supervisor (as the workflow runs it) and the child alone.

    The two alternate, so a machine whose load drifts does not favour either.
    """
    runs: dict[str, list[dict]] = {"supervisor + child": [], "child alone": []}
    for _ in range(repeats):
        for label in runs:
            folder = Path(tempfile.mkdtemp(prefix="pairstudy-bench-job-"))
            job = training_job(folder, seeds, epochs)
            if label == "child alone":  # the child prints its progress to its stdout
                command, log = [sys.executable, "-m", "pairstudy.train.block", job], folder / "job.out"
            else:  # the supervisor sends the child's output to the job's log
                command, log = [sys.executable, "-c", SUPERVISOR, job, str(folder / "job.log")], folder / "job.log"
            runs[label].append(watch_job(command, folder, log))
            shutil.rmtree(folder)
    return {label: {key: summary([run[key] for run in found]) for key in found[0]} for label, found in runs.items()}


def small_workflow(seeds: int, epochs: int) -> dict:
    study, config = study_config("default", seeds=seeds, epochs=epochs, settings={"device": "cpu"})
    folder = workflow_folder(config, prefix="pairstudy-bench-rules-")
    result = measured(snakemake_command("--cores", "all"), cwd=folder)
    if result.returncode or not (folder / "reports" / study / "index.html").exists():
        raise SystemExit(f"the workflow in {folder} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    breakdown = workflow_breakdown(folder, study, result.started_at, result.seconds)
    shutil.rmtree(folder)
    return {"seconds": result.seconds, "cpu_seconds": result.cpu_seconds, "seeds": seeds, "epochs": epochs, **breakdown}


def row(label: str, seconds: float, low: float | None = None, target: float | None = None) -> None:
    low_text = "" if low is None else f"{low:8.2f}"
    verdict = "" if target is None else f"<= {target:g} s: {'met' if seconds <= target else 'missed'}"
    print(f"{label:62s} {seconds:8.2f} {low_text:>8s}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes per timing")
    parser.add_argument("--job-seeds", type=int, default=2, help="seeds of the training job that is watched")
    parser.add_argument("--job-epochs", type=int, default=2, help="epochs of the training job that is watched")
    parser.add_argument("--workflow-seeds", type=int, default=2, help="seeds of the small workflow (0: skip it)")
    parser.add_argument("--workflow-epochs", type=int, default=1, help="epochs of the small workflow")
    parser.add_argument("--trial", action="store_true", help="mark the results a trial (e.g. taken on a busy machine)")
    parser.add_argument("--out", type=Path, default=None, help="results file (default bench/results/startup.json)")
    args = parser.parse_args()
    started_machine = machine()
    print(
        f"machine: {started_machine['cpu_count']} CPUs, load average {started_machine['load_average']}; "
        f"torch {package_version('torch')}, snakemake {package_version('snakemake')}; {args.repeats} repeats",
        flush=True,
    )

    floors = {
        "python -c pass": summary(python_seconds(["-c", "pass"], args.repeats)),
        "python -c 'import torch'": summary(python_seconds(["-c", "import torch"], args.repeats)),
        "python -m snakemake --version": summary(python_seconds(["-m", "snakemake", "--version"], args.repeats)),
    }
    grids = {
        name: command_seconds([sys.executable, "-c", GRID, "grid", "--config", str(ROOT / path)], args.repeats)
        for name, path in GRID_FILES.items()
    }
    dry_runs, imports = {}, {}
    for name in GRID_FILES:
        folder = workflow_folder(study_config(name)[1], prefix="pairstudy-bench-dry-")
        dry_runs[name] = command_seconds(snakemake_command("-n", "--cores", "all"), args.repeats, cwd=folder)
        if name == "towers":
            imports["snakemake -n (studies/towers.yaml)"] = import_profile(["-m", "snakemake", "-n"], cwd=folder)
        shutil.rmtree(folder)
    imports["pairstudy grid (studies/towers.yaml)"] = import_profile(
        ["-c", GRID, "grid", "--config", str(ROOT / "studies" / "towers.yaml")]
    )
    folder = Path(tempfile.mkdtemp(prefix="pairstudy-bench-imports-"))
    imports["training job child, until it exits"] = import_profile(
        ["-m", "pairstudy.train.block", training_job(folder, 1, 1)], cwd=folder
    )
    shutil.rmtree(folder)
    imports["snakemake script preamble"] = import_profile(["-c", PREAMBLE_IMPORTS])
    for label, code in SCRIPT_IMPORTS.items():
        imports[label] = import_profile(["-c", code])
    print("timed: floors, grid, dry runs, imports", flush=True)
    job = job_timings(args.repeats, args.job_seeds, args.job_epochs)
    workflow = small_workflow(args.workflow_seeds, args.workflow_epochs) if args.workflow_seeds else None

    print(f"\n{'step':62s} {'median s':>8s} {'min s':>8s}  target")
    for label, times in floors.items():
        row(label, times["median"], times["min"])
    for name, times in grids.items():
        row(f"pairstudy grid ({GRID_FILES[name]})", times["median"], times["min"], 1.5)
    for name, times in dry_runs.items():
        row(f"snakemake -n ({GRID_FILES[name]})", times["median"], times["min"], 4.0 if name == "towers" else None)
    for label, profile in imports.items():
        row(f"imports: {label}", profile["total_seconds"])
        print(f"    {', '.join(f'{package} {seconds:.2f}' for package, seconds in profile['by_package'].items())}")
    for label, times in job.items():
        for key, words in (
            ("until_first_epoch", "spawn to first epoch"),
            ("between_seeds", "one seed's last epoch to the next seed's first"),
            ("after_last_epoch", "last epoch to exit"),
        ):
            row(f"job ({label}): {words}", times[key]["median"], times[key]["min"])
    if workflow:
        row(f"workflow ({workflow['seeds']} seeds x {workflow['epochs']} epochs), end to end", workflow["seconds"])
        row("  parse to first job", workflow["parse_to_first_job_seconds"])
        row(
            f"  training job time beyond its epochs (mean of {workflow['training_jobs']})",
            workflow["job_overhead_seconds_per_job"],
        )
        row("  core-seconds idle while jobs trained", workflow["idle_core_seconds"])
        for rule, seconds in workflow["rules"].items():
            row(f"  rule {rule}", seconds)
        row("  after the last job", workflow["after_last_job_seconds"])

    write_json(
        args.out or RESULTS / ("startup-trial.json" if args.trial else "startup.json"),
        {
            "trial": args.trial,
            "machine": started_machine,
            "load_average_after": machine()["load_average"],
            "torch": package_version("torch"),
            "snakemake": package_version("snakemake"),
            "date": now(),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "floors": floors,
            "grid": grids,
            "dry_run": dry_runs,
            "imports": imports,
            "job": job,
            "workflow": workflow,
            "targets": {
                **{f"pairstudy grid {GRID_FILES[n]} <= 1.5 s": grids[n]["median"] <= 1.5 for n in grids},
                "snakemake -n studies/towers.yaml <= 4 s": dry_runs["towers"]["median"] <= 4.0,
            },
        },
    )


if __name__ == "__main__":
    main()
