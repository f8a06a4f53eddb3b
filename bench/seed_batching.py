"""Benchmark: the default study's twin configurations, plain loop vs pairstudy's workflow, side by side.

1. the plain single-process loop: one run after another in one Python process, the way the
   reference reports ran their rounds;
2. pairstudy's path: `snakemake --cores all` on the same configurations from a clean folder,
   training `--seeds-per-job` seeds per job as one vectorised model.

Prints per-run time, total wall time (process starts included), the ratio and peak memory.

    python bench/seed_batching.py --seeds 10             # 4 configs x 10 seeds, 25 epochs
    python bench/seed_batching.py --seeds 40 --device cuda --seeds-per-job 40
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TWIN_FACTORS = {"architecture": ["twin"], "sharing": [False, True], "aux": [False, True]}


def study_config(seeds: int, epochs: int, seeds_per_job: int | None, device: str, threads: int) -> dict:
    default = yaml.safe_load((ROOT / "config.yaml").read_text())
    (study,) = default["studies"].values()
    training = {**study.get("training", {}), "epochs": epochs}
    return {
        "device": device,
        "threads": threads,
        "studies": {
            "bench": {
                "seeds": seeds,
                "data": study.get("data", {}),
                "training": training,
                "factors": TWIN_FACTORS,
                "seeds_per_job": seeds_per_job,
            }
        },
    }


PLAIN_LOOP = """
import sys, time, json, torch
from pairstudy.study import expand_runs, validate_config
from pairstudy.train import train_run
config = validate_config(json.loads(sys.argv[1]))
torch.set_num_threads(int(sys.argv[2]))
runs = expand_runs("bench", config["studies"]["bench"])
started = time.perf_counter()
for run in runs:
    train_run(run.configuration.hyperparameters, run.seed, device=config["device"])
print(json.dumps({"runs": len(runs), "training_seconds": time.perf_counter() - started}))
"""


MEASURE = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print(f"PEAK_RSS_KB {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}", file=sys.stderr)
sys.exit(code)
"""


def measured(command: list[str], cwd=None) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run a command; return it, its wall seconds, and the peak RSS (MB) of its largest process."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", MEASURE, *command], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak = [line for line in result.stderr.splitlines() if line.startswith("PEAK_RSS_KB")]
    return result, wall, int(peak[-1].split()[1]) / 1024 if peak else float("nan")


def run_plain(config: dict, threads: int) -> dict:
    import json

    result, wall, peak = measured([sys.executable, "-c", PLAIN_LOOP, json.dumps(config), str(threads)])
    if result.returncode != 0:
        raise SystemExit(result.stderr[-4000:])
    numbers = json.loads(result.stdout.strip().splitlines()[-1])
    return {"runs": numbers["runs"], "wall": wall, "training": numbers["training_seconds"], "peak_mb": peak}


def run_workflow(config: dict, cores: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="pairstudy-bench-") as folder:
        workdir = Path(folder)
        for name in ("Snakefile", "workflow", "profiles"):
            source = ROOT / name
            (shutil.copytree if source.is_dir() else shutil.copy)(source, workdir / name)
        (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        result, wall, peak = measured(
            [sys.executable, "-m", "snakemake", "--cores", cores, "--quiet", "all"], cwd=workdir
        )
        if result.returncode != 0:
            raise SystemExit(result.stdout[-4000:] + result.stderr[-4000:])
        runs = len(list((workdir / "results" / "bench" / "runs").glob("*/seed*.parquet")))
        jobs = len(list((workdir / "logs" / "bench" / "train").glob("*/*.log")))
    return {"runs": runs, "wall": wall, "jobs": jobs, "peak_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per configuration (4 twin configurations)")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument(
        "--seeds-per-job", type=int, default=None, help="seed block size (default: the workflow's choice)"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--cores", default="all", help="snakemake --cores")
    args = parser.parse_args()
    cpus = os.cpu_count() or 1
    plain_config = study_config(args.seeds, args.epochs, 1, args.device, cpus)
    # workflow jobs run side by side: each takes one thread unless a block uses the whole machine
    workflow_threads = cpus if (args.seeds_per_job or 1) >= args.seeds else 1
    workflow_config = study_config(args.seeds, args.epochs, args.seeds_per_job, args.device, workflow_threads)

    plain = run_plain(plain_config, cpus)
    workflow = run_workflow(workflow_config, args.cores)
    print(
        f"machine: {cpus} CPUs, device {args.device}; 4 twin configurations x {args.seeds} seeds x {args.epochs} epochs"
    )
    print(f"{'path':34s} {'runs':>5s} {'jobs':>5s} {'s/run':>7s} {'wall s':>8s} {'peak MB':>8s}")
    print(
        f"{'plain loop, one process':34s} {plain['runs']:5d} {1:5d} {plain['wall'] / plain['runs']:7.3f} {plain['wall']:8.1f} {plain['peak_mb']:8.0f}"
    )
    print(
        f"{'pairstudy workflow (snakemake)':34s} {workflow['runs']:5d} {workflow['jobs']:5d} "
        f"{workflow['wall'] / workflow['runs']:7.3f} {workflow['wall']:8.1f} {workflow['peak_mb']:8.0f}"
    )
    print(f"plain loop training only: {plain['training'] / plain['runs']:.3f} s/run")
    print(f"ratio workflow / plain loop (wall): {workflow['wall'] / plain['wall']:.2f}")


if __name__ == "__main__":
    main()
