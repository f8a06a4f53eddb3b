"""Benchmark (GPU): pairstudy's vectorised trainer checked and timed on one GPU, and the default study end to end.

The steps (--modes, comma-separated; the default is correctness,speed,workflow), in this order, each in fresh
processes so that its CUDA start, compilation and peak GPU memory are its own:

1. correctness: each of --check configurations (default: the default study's twin net with weight sharing and
   the auxiliary loss, its cnn, and the towers study's LeNet with batch norm) with dropout 0, --check-seeds seeds
   trained as one vectorised block (`pairstudy.train.vectorised.train_vectorised`) and each seed trained alone
   (`pairstudy.train.loop.train_run`), both on --device, for --check-epochs epochs on --pairs pairs: per epoch,
   max |vectorised - alone| over the seeds of the test accuracy, the losses and every other metric, and whether
   they are within the tolerance of the tests (losses 2e-4 + 0.2 %, accuracies 0.01, digit accuracies 0.06, set
   for 100 pairs and 2 epochs: over more, float rounding amplified by training may exceed it);
2. speed: the default study's twin-sharing-aux (its own dropout) for --speed-epochs epochs on --pairs pairs,
   after a one-epoch warm-up: the plain loop, --plain-seeds runs one after another, then the vectorised trainer
   over K seeds as one block for each K in --speed-seeds; seconds per run and peak GPU memory
   (`torch.cuda.max_memory_allocated`) of each;
3. plain, vectorised (not in the default; the comparison over every configuration of --study): the plain loop
   over --plain-seeds seeds of every configuration, and the vectorised trainer over --seeds seeds of every
   configuration,
   - stacking "groups": configurations that stack train as one model (the same parameter shapes and shared
     settings: the twin net's aux on/off pairs; sharing changes the shapes, so it splits them),
   - stacking "configuration": each configuration's seeds alone, as one workflow job trains them;
   and, with --variants, the "groups" stacking again under each of:
   - tf32: TF32 matrix products (`torch.backends.cuda.matmul.allow_tf32`; cuDNN convolutions use TF32 already),
   - bf16: the whole training under `torch.autocast(dtype=torch.bfloat16)`,
   - compile / reduce-overhead: the per-member loss and forward that the trainer vmaps, through `torch.compile`
     (mode default / "reduce-overhead", which replays CUDA graphs where it can); the optimiser step and the batch
     gathering stay eager.
   The trainer has no switch for these, so tf32 is set process-wide, bf16 wraps the call, and the compile variants
   replace the module's `vmap` with one that compiles the function it batches. For a whole-step CUDA graph the
   trainer would have to expose one step function (gather, forward, backward and the stacked optimiser update)
   over static buffers for the batch orders, and take a precision setting that autocasts the forward only;
4. workflow: `snakemake --cores all` on --study (default: config.yaml as it is; --seeds sets its seeds and
   seeds_per_job, --epochs its epochs), `device: auto`, in a clean folder holding this checkout's Snakefile,
   workflow, profiles, pairstudy and the study as config.yaml, to its report; wall time, and the GPU's
   utilisation and used memory sampled with nvidia-smi every half second.

The results file, bench/results/<GPU name>.json (or --out, or <GPU name>.json in --out-dir), is written before
the first step and again after each, so a run stopped at any point leaves what finished; "complete" says whether
every step ran to its end. --budget (default 420 s) bounds the whole run: a step is not started with less than
20 s of it left, and one still running when it is spent is stopped (its processes ended); the file names each
step skipped or stopped and why. With dropout (the speed step, plain and vectorised) a stacked member draws other
dropout masks than its lone run; with dropout 0 they differ only by float rounding, which training amplifies.

    python bench/gpu.py                                  # the three steps on the GPU, within 7 minutes
    python bench/gpu.py --modes plain,vectorised,workflow --seeds 40   # every configuration, K = 40
    python bench/gpu.py --modes vectorised --seeds 40 --variants tf32,bf16,compile,reduce-overhead
    python bench/gpu.py --device cpu --seeds 2 --epochs 1 --plain-seeds 1 --check-seeds 2 --check-epochs 1 \\
        --speed-seeds 2,3 --speed-epochs 1 --pairs 100 --out-dir /tmp/gpu-bench   # a check of the script

On a bare GPU machine (an image with torch, numpy, pandas, pyarrow, scipy, statsmodels, scikit-learn, matplotlib,
jinja2, pyyaml, click, pygments and psutil, but no snakemake) carry the rest as wheels for its Python (3.12):

    # here, in the repository's root (about 60 MiB, into .whl/, which git ignores):
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \\
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \\
        -d .whl -r bench/gpu-wheels.txt
    python3 -m pip wheel --no-deps -w .whl connection_pool==0.0.3   # pure Python, no wheel on PyPI
    # there, with .whl carried along:
    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl
    PYTHONPATH=/tmp/site python3 bench/gpu.py --out-dir OUTPUT_FOLDER

`results/` is ignored by git: commit a measured file with `git add -f bench/results/<name>.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's pairstudy, installed or not

from bench.harness import (  # noqa: E402
    RESULTS,
    filename_safe,
    machine,
    measured,
    now,
    package_version,
    snakemake_command,
    study_config,
    study_file,
    this_checkout_env,
    workflow_breakdown,
    workflow_folder,
)

MODES = ("correctness", "speed", "plain", "vectorised", "workflow")
DEFAULT_MODES = "correctness,speed,workflow"
VARIANTS = ("tf32", "bf16", "compile", "reduce-overhead")
STACKINGS = ("groups", "configuration")
# study:configuration, the study as --study names it
CHECKED = "default:twin-sharing-aux,default:cnn,towers:lenet-batch_norm-dropout0-aux-comparatorlogits"
TIMED = "default:twin-sharing-aux"
SMALLEST_STEP_SECONDS = 20.0  # a step is not started with less of the budget left
# The tolerance of the tests that compare a vectorised member with its lone run (tests/helpers.assert_same_run, at
# 100 pairs and 2 epochs): losses within 2e-4 + 0.2 %, comparison accuracies within one pair of 100, digit
# accuracies within six. Float rounding, which training amplifies, can exceed it over more pairs and epochs: the
# per-epoch differences show how it grows.
LOSS_RTOL, LOSS_ATOL = 2e-3, 2e-4
ACCURACY_ATOL = {
    "train_accuracy": 0.01,
    "test_accuracy": 0.01,
    "validation_accuracy": 0.01,
    "test_digit_accuracy": 0.06,
}
TOLERANCE = {
    "losses": f"|vectorised - alone| <= {LOSS_ATOL} + {LOSS_RTOL} x |alone|",
    "accuracies": "|vectorised - alone| <= " + ", ".join(f"{value} ({name})" for name, value in ACCURACY_ATOL.items()),
    "from": "tests/helpers.assert_same_run, at 100 pairs and 2 epochs",
}


def configurations_of(config: dict, study: str):
    from pairstudy.study import expand_configurations, seed_list, validate_config

    spec = validate_config(copy.deepcopy(config))["studies"][study]
    return expand_configurations(study, spec), seed_list(spec["seeds"])


def chosen_configuration(reference: str, epochs: int, pairs: int, dropout: float | None = None) -> dict:
    """{"name", "hyperparameters"} of 'study:configuration', resized: epochs, pairs and (where given) dropout."""
    study_name, separator, name = reference.partition(":")
    if not separator:
        raise SystemExit(f"bench/gpu.py: {reference!r} is not study:configuration (e.g. {TIMED})")
    study, config = study_config(study_name)
    configurations, _ = configurations_of(config, study)
    found = {configuration.name: configuration for configuration in configurations}
    if name not in found:
        raise SystemExit(
            f"bench/gpu.py: {name!r} is not a configuration of {study_file(study_name)}; it has {', '.join(found)}"
        )
    hyperparameters = copy.deepcopy(found[name].hyperparameters)
    hyperparameters["epochs"] = epochs
    hyperparameters["data"]["n_pairs"] = pairs
    if dropout is not None and "dropout" in hyperparameters["model"]:
        hyperparameters["model"]["dropout"] = dropout
    return {"name": f"{study}/{name}", "hyperparameters": hyperparameters}


def stack_groups(configurations, stacking: str) -> list[list]:
    """Configurations trained as one model: those with the same stack key, or each alone."""
    from pairstudy.train.vectorised import stack_key

    if stacking == "configuration":
        return [[configuration] for configuration in configurations]
    groups: dict[str, list] = {}
    for configuration in configurations:
        key = json.dumps(stack_key(configuration.hyperparameters), sort_keys=True)
        groups.setdefault(key, []).append(configuration)
    return list(groups.values())


def synchronize(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def quiet(_line: str) -> None:
    pass


def peak_memory_mb(device) -> float | None:
    import torch

    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None


def reset_peak_memory(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def prepared_device(spec: dict, hyperparameters: dict):
    """The torch device, with the digits read and the CUDA context made before any clock starts."""
    import torch

    from pairstudy.data import load_pools
    from pairstudy.train.device import resolve_device

    device = resolve_device(spec["device"])
    data = hyperparameters["data"]
    load_pools(data["source"], data["root"] or None)
    torch.zeros(1, device=device)
    return device


def recorder(path: str | None):
    """Append one JSON line per finished item to `path` (what finished survives the process)."""

    def record(item: dict) -> None:
        if path:
            with open(path, "a") as out:
                out.write(json.dumps(item, default=str) + "\n")

    return record


def within_tolerance(column: str, difference: float, lone: float) -> bool:
    if column.endswith("_loss"):
        return difference <= LOSS_ATOL + LOSS_RTOL * abs(lone)
    if column in ACCURACY_ATOL:
        return difference <= ACCURACY_ATOL[column] + 1e-6
    return True


def differences(together: list, apart: list) -> dict:
    """Per epoch, max |vectorised - alone| over the members of every metric both have, and what disagrees."""
    per_epoch: dict[str, list] = {}
    mismatches, outside = [], set()
    for index, (inside, lone) in enumerate(zip(together, apart)):
        if (inside.status, len(inside.rows)) != (lone.status, len(lone.rows)):
            mismatches.append(
                f"member {index}: vectorised {inside.status} after {len(inside.rows)} epochs, "
                f"alone {lone.status} after {len(lone.rows)}"
            )
        for epoch, (row, lone_row) in enumerate(zip(inside.rows, lone.rows)):
            for column, value in row.items():
                if column in ("epoch", "epoch_seconds"):
                    continue
                other = lone_row.get(column)
                if value is None and other is None:
                    continue
                if value is None or other is None:
                    mismatches.append(f"member {index} epoch {epoch + 1} {column}: one of the two is missing")
                    continue
                difference = abs(float(value) - float(other))
                if not math.isfinite(difference):
                    mismatches.append(f"member {index} epoch {epoch + 1} {column}: {value} against {other}")
                    continue
                series = per_epoch.setdefault(column, [])
                series.extend([0.0] * (epoch + 1 - len(series)))
                series[epoch] = max(series[epoch], difference)
                if not within_tolerance(column, difference, float(other)):
                    outside.add(column)
    return {
        "max_abs_difference_per_epoch": per_epoch,
        "max_abs_difference": {column: max(series) for column, series in per_epoch.items()},
        "outside_tolerance": sorted(outside),
        "mismatches": mismatches[:20],
        "within_tolerance": not outside and not mismatches,
        "tolerance": TOLERANCE,
    }


def correctness_worker(spec: dict) -> dict:
    """Each configuration's seeds as one vectorised block and alone, on the device: their per-epoch differences."""
    from pairstudy.train.loop import train_run
    from pairstudy.train.vectorised import Member, train_vectorised

    record = recorder(spec.get("progress"))
    device = prepared_device(spec, spec["configurations"][0]["hyperparameters"])
    seeds = list(range(spec["seeds"]))
    found = []
    for item in spec["configurations"]:
        hyperparameters = item["hyperparameters"]
        started = time.perf_counter()
        try:
            members = [Member(hyperparameters, seed) for seed in seeds]
            together = train_vectorised(members, device=spec["device"], log=quiet)
            synchronize(device)
            vectorised_seconds = time.perf_counter() - started
            apart = [train_run(hyperparameters, seed, device=spec["device"], log=quiet) for seed in seeds]
            synchronize(device)
            result = {
                "configuration": item["name"],
                "architecture": hyperparameters["architecture"],
                "model": hyperparameters["model"],
                "seeds": seeds,
                "epochs": hyperparameters["epochs"],
                "pairs": hyperparameters["data"]["n_pairs"],
                "devices": sorted({run.device for run in together + apart}),
                "vectorised_seconds": vectorised_seconds,
                "alone_seconds": time.perf_counter() - started - vectorised_seconds,
                "final_test_accuracy": {
                    "vectorised": [run.rows[-1].get("test_accuracy") for run in together],
                    "alone": [run.rows[-1].get("test_accuracy") for run in apart],
                },
                **differences(together, apart),
            }
        except Exception as error:  # one configuration's failure is a finding; the others still run
            result = {
                "configuration": item["name"],
                "failed": f"{type(error).__name__}: {error}",
                "traceback": traceback.format_exc()[-3000:],
            }
        record(result)
        found.append(result)
    return {"configurations": found}


def speed_worker(spec: dict) -> dict:
    """The plain loop and the vectorised trainer at each K, on one configuration, after a warm-up."""
    from pairstudy.train.loop import train_run
    from pairstudy.train.vectorised import Member, train_vectorised

    record = recorder(spec.get("progress"))
    hyperparameters = spec["configuration"]["hyperparameters"]
    device = prepared_device(spec, hyperparameters)
    started = time.perf_counter()
    one_epoch = {**hyperparameters, "epochs": 1}
    train_run(one_epoch, 0, device=spec["device"], log=quiet)
    train_vectorised([Member(one_epoch, seed) for seed in (0, 1)], device=spec["device"], log=quiet)
    synchronize(device)
    record({"warm_up_seconds": time.perf_counter() - started})
    plain, vectorised = None, []
    try:
        reset_peak_memory(device)
        seconds, accuracies = [], []
        for seed in range(spec["plain_seeds"]):
            started = time.perf_counter()
            result = train_run(hyperparameters, seed, device=spec["device"], log=quiet)
            synchronize(device)
            seconds.append(time.perf_counter() - started)
            accuracies.append(result.rows[-1]["test_accuracy"])
        plain = {
            "runs": len(seconds),
            "seconds": seconds,
            "seconds_per_run": sum(seconds) / len(seconds),
            "final_test_accuracy": accuracies,
            "max_memory_allocated_mb": peak_memory_mb(device),
        }
    except Exception as error:
        plain = {"failed": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()[-3000:]}
    record({"plain": plain})
    for k in spec["ks"]:
        try:
            reset_peak_memory(device)
            members = [Member(hyperparameters, seed) for seed in range(k)]
            started = time.perf_counter()
            results = train_vectorised(members, device=spec["device"], log=quiet)
            synchronize(device)
            seconds = time.perf_counter() - started
            finals = [result.rows[-1]["test_accuracy"] for result in results if result.rows]
            item = {
                "k": k,
                "seconds": seconds,
                "seconds_per_run": seconds / k,
                "final_test_accuracy_mean": sum(finals) / len(finals) if finals else None,
                "statuses": sorted({result.status for result in results}),
                "max_memory_allocated_mb": peak_memory_mb(device),
            }
        except Exception as error:  # out of memory at a large K, say: the smaller ones still count
            item = {"k": k, "failed": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()[-3000:]}
        record({"vectorised": item})
        vectorised.append(item)
    return {"plain": plain, "vectorised": vectorised}


def worker(spec: dict) -> dict:
    """One mode in this process: train, time, and report per-run seconds, accuracies and peak GPU memory."""
    if spec["mode"] == "correctness":
        return correctness_worker(spec)
    if spec["mode"] == "speed":
        return speed_worker(spec)

    import torch

    import pairstudy.train.vectorised as vectorised
    from pairstudy.train.loop import train_run

    configurations, seeds = configurations_of(spec["config"], spec["study"])
    device = prepared_device(spec, configurations[0].hyperparameters)
    variant = spec.get("variant")
    if variant == "tf32":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    if variant in ("compile", "reduce-overhead"):
        # vmap over the compiled per-member function: compiling the vmapped one fails in torch 2.13 ("Cannot access
        # storage of BatchedTensorImpl")
        mode = None if variant == "compile" else variant
        plain_vmap = vectorised.vmap
        vectorised.vmap = lambda function, **options: plain_vmap(torch.compile(function, mode=mode), **options)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if variant == "bf16" else contextlib.nullcontext()
    reset_peak_memory(device)

    runs, blocks = [], []
    if spec["mode"] == "plain":
        for configuration in configurations:
            for seed in seeds[: spec["plain_seeds"]]:
                started = time.perf_counter()
                result = train_run(configuration.hyperparameters, seed, device=spec["device"])
                synchronize(device)
                seconds = time.perf_counter() - started
                final = result.rows[-1]["test_accuracy"]
                runs.append({"config": configuration.name, "seed": seed, "seconds": seconds, "test_accuracy": final})
    else:
        for group in stack_groups(configurations, spec["stacking"]):
            members = [vectorised.Member(c.hyperparameters, seed) for c in group for seed in seeds]
            started = time.perf_counter()
            with autocast:
                results = vectorised.train_vectorised(members, device=spec["device"])
            synchronize(device)
            seconds = time.perf_counter() - started
            names = [c.name for c in group for _ in seeds]
            blocks.append({"configurations": [c.name for c in group], "members": len(members), "seconds": seconds})
            for name, member, result in zip(names, members, results):
                final = result.rows[-1]["test_accuracy"] if result.rows else None
                share = seconds / len(members)
                runs.append({"config": name, "seed": member.seed, "seconds": share, "test_accuracy": final})
    training = sum(run["seconds"] for run in runs)
    return {
        "runs": runs,
        "blocks": blocks,
        "training_seconds": training,
        "seconds_per_run": training / len(runs),
        "first_seconds": blocks[0]["seconds"] if blocks else runs[0]["seconds"],  # CUDA warm-up, compilation
        "max_memory_allocated_mb": peak_memory_mb(device),
    }


def failure(result, fallback: str) -> str:
    lines = result.stderr.strip().splitlines() or [fallback]
    errors = [line for line in lines if re.match(r"[\w.]*(Error|Exception|Failed)\b", line)]
    return (errors or lines)[-1]


def run_worker(spec: dict, guard: TimeGuard | None = None) -> dict:
    """A worker in a fresh process; what it finished before it failed or was stopped is kept under "finished"."""
    with tempfile.TemporaryDirectory(prefix="pairstudy-bench-gpu-") as folder:
        progress_file = Path(folder) / "progress.jsonl"
        spec = {**spec, "progress": str(progress_file)}
        result = measured([sys.executable, __file__, "--worker", json.dumps(spec)], env=this_checkout_env())
        finished = (
            [json.loads(line) for line in progress_file.read_text().splitlines()] if progress_file.exists() else []
        )
    lines = result.stdout.strip().splitlines()
    if result.returncode or not lines:  # a worker stopped as it ended may exit 0 without its numbers
        stopped = guard is not None and guard.expired.is_set()
        found = {
            "failed": "stopped: the time budget was spent"
            if stopped
            else failure(result, f"exit {result.returncode}" if result.returncode else "it printed no numbers"),
            "log": result.stderr[-4000:],
            "process_seconds": result.seconds,
        }
        if finished:
            found["finished"] = finished
        return found
    numbers = json.loads(lines[-1])
    return {**numbers, "process_seconds": result.seconds, "peak_rss_mb": result.largest_process_mb}


class TimeGuard:
    """The run's time budget: what is left, and at its end every process this one started is stopped."""

    def __init__(self, seconds: float):
        self.seconds, self.deadline = seconds, time.monotonic() + seconds
        self.expired, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def watch(self) -> None:
        if self.done.wait(max(self.left(), 0)):
            return
        self.expired.set()
        print(f"bench/gpu.py: the {self.seconds:.0f}-s budget is spent; stopping the step in progress", flush=True)
        import psutil

        children = psutil.Process().children(recursive=True)
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.terminate()
        _, alive = psutil.wait_procs(children, timeout=5)
        for child in alive:
            with contextlib.suppress(psutil.Error):
                child.kill()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.done.set()


class GpuSampler:
    """The GPU's utilisation and used memory, sampled with nvidia-smi while a workflow runs (its jobs are other
    processes); nothing without nvidia-smi."""

    def __init__(self, index: int, every: float = 0.5):
        self.index, self.every, self.samples, self.done = index, every, [], threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def read(self) -> tuple[float, float] | None:
        """(utilisation %, used memory MiB) now, or None."""
        query = ["nvidia-smi", "--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader,nounits"]
        try:
            result = subprocess.run([*query, f"--id={self.index}"], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return parse_gpu_sample(result.stdout) if result.returncode == 0 else None

    def sample(self) -> None:
        started = time.monotonic()
        while not self.done.wait(self.every):
            reading = self.read()
            if reading is not None:
                self.samples.append([round(time.monotonic() - started, 2), *reading])

    def summary(self) -> dict:
        utilisation = [sample[1] for sample in self.samples]
        memory = [sample[2] for sample in self.samples]
        return {
            "samples": len(self.samples),
            "every_seconds": self.every,
            "utilisation_percent_mean": sum(utilisation) / len(utilisation) if utilisation else None,
            "utilisation_percent_max": max(utilisation, default=None),
            "busy_share": sum(value > 0 for value in utilisation) / len(utilisation) if utilisation else None,
            "memory_used_peak_mb": max(memory, default=None),
            "series": self.samples,  # [seconds from the start, utilisation %, used memory MiB]
        }

    def __enter__(self):
        if shutil.which("nvidia-smi"):
            self.thread.start()
        return self

    def __exit__(self, *_):
        self.done.set()
        if self.thread.is_alive():
            self.thread.join()


def parse_gpu_sample(text: str) -> tuple[float, float] | None:
    """nvidia-smi's 'utilization.gpu, memory.used' line (no header, no units) -> (percent, MiB)."""
    try:
        utilisation, memory = (float(value) for value in text.strip().splitlines()[0].split(","))
    except (ValueError, IndexError):
        return None
    return utilisation, memory


def run_workflow(config: dict, study: str, runs: int, gpu_index: int, keep: bool) -> dict:
    import pandas as pd

    folder = workflow_folder(config, prefix="pairstudy-bench-gpu-")
    with GpuSampler(gpu_index) as gpu:
        result = measured(snakemake_command("--cores", "all"), cwd=folder)
    output = result.stdout + result.stderr
    (folder / "snakemake.out").write_text(output)
    report = folder / "reports" / study / "index.html"
    if result.returncode or not report.exists():
        return {
            "failed": f"snakemake exited {result.returncode} without the report",
            "end_to_end_seconds": result.seconds,
            "gpu": gpu.summary(),
            "log": output[-4000:],
            "folder": str(folder),
        }
    breakdown = workflow_breakdown(folder, study, result.started_at, result.seconds)
    trained_on = sorted(pd.read_parquet(folder / "results" / study / "finals.parquet")["device"].unique())
    if not keep:
        shutil.rmtree(folder)
    summary = gpu.summary()
    return {
        "command": "snakemake --cores all",
        "end_to_end_seconds": result.seconds,
        "seconds_per_run": result.seconds / runs,
        "runs": runs,
        "trained_on": trained_on,
        "gpu_memory_used_peak_mb": summary["memory_used_peak_mb"],
        "gpu": summary,
        "peak_rss_mb": {"largest_process": result.largest_process_mb, "tree": result.tree_mb},
        "breakdown": breakdown,
        "folder": str(folder) if keep else None,
    }


def progress(name: str, results: dict) -> None:
    numbers = results[name]
    if "failed" in numbers:
        print(f"  {name}: failed: {numbers['failed']}", flush=True)
    elif "skipped" in numbers:
        print(f"  {name}: skipped: {numbers['skipped']}", flush=True)
    else:
        seconds = numbers.get("training_seconds", numbers.get("end_to_end_seconds", numbers.get("step_seconds")))
        print(f"  {name}: {seconds:.1f} s", flush=True)


def agreement(plain: dict, vectorised: dict) -> dict:
    """Final test accuracies of the seeds both trained: max |plain - vectorised| per configuration."""
    found = {}
    final = {(run["config"], run["seed"]): run["test_accuracy"] for run in vectorised.get("runs", [])}
    for run in plain.get("runs", []):
        other = final.get((run["config"], run["seed"]))
        if other is not None:
            found[run["config"]] = max(found.get(run["config"], 0.0), abs(run["test_accuracy"] - other))
    return found


def finished_items(step: dict) -> dict:
    """A correctness or speed step's items: its result, or, where it failed, the items it finished."""
    if "failed" not in step:
        return step
    items = step.get("finished", [])
    return {
        "configurations": [item for item in items if "configuration" in item],
        "plain": next((item["plain"] for item in items if "plain" in item), None),
        "vectorised": [item["vectorised"] for item in items if "vectorised" in item],
    }


def summarised(results: dict) -> dict:
    """The headline numbers of the correctness and speed steps and the workflow, from what finished."""
    summary: dict = {}
    if "correctness" in results:
        checked = finished_items(results["correctness"]).get("configurations", [])
        summary["correctness"] = {
            item["configuration"]: (
                {"failed": item["failed"]}
                if "failed" in item
                else {
                    "test_accuracy_max_abs": item["max_abs_difference"].get("test_accuracy"),
                    "test_comparison_loss_max_abs": item["max_abs_difference"].get("test_comparison_loss"),
                    "train_loss_max_abs": item["max_abs_difference"].get("train_loss"),
                    "within_tolerance": item["within_tolerance"],
                    "devices": item["devices"],
                }
            )
            for item in checked
        }
    if "speed" in results:
        timed = finished_items(results["speed"])
        plain = timed.get("plain") or {}
        summary["speed"] = {
            "configuration": results["speed"].get("configuration"),
            "plain_seconds_per_run": plain.get("seconds_per_run"),
            "plain_max_memory_allocated_mb": plain.get("max_memory_allocated_mb"),
            "vectorised_seconds_per_run": {
                str(item["k"]): item["seconds_per_run"] for item in timed.get("vectorised", []) if "seconds" in item
            },
            "vectorised_max_memory_allocated_mb": {
                str(item["k"]): item["max_memory_allocated_mb"]
                for item in timed.get("vectorised", [])
                if "seconds" in item
            },
        }
    targets = {}
    speed = summary.get("speed", {}).get("vectorised_seconds_per_run", {})
    if any(int(k) >= 40 for k in speed):
        best = min(seconds for k, seconds in speed.items() if int(k) >= 40)
        targets["vectorised at K >= 40: at most 0.05 s per 25-epoch run"] = best <= 0.05
    checked = summary.get("correctness", {})
    if checked:
        targets["vectorised within the tests' tolerance of lone runs, dropout 0"] = all(
            item.get("within_tolerance") is True for item in checked.values()
        )
    workflow = results.get("workflow", {})
    if "end_to_end_seconds" in workflow and "failed" not in workflow:
        targets["the study end to end under 60 s"] = workflow["end_to_end_seconds"] < 60
        gpu = workflow.get("gpu", {})
        summary["workflow"] = {
            "end_to_end_seconds": workflow["end_to_end_seconds"],
            "trained_on": workflow["trained_on"],
            "gpu_utilisation_percent_mean": gpu.get("utilisation_percent_mean"),
            "gpu_utilisation_percent_max": gpu.get("utilisation_percent_max"),
            "gpu_memory_used_peak_mb": gpu.get("memory_used_peak_mb"),
        }
    summary["targets"] = targets  # the figures asked of an H100 (the speed target holds at 25 epochs only)
    return summary


def headline(results: dict, summary: dict) -> tuple[float | None, float | None, str | None]:
    """(plain s/run, vectorised s/run, what the vectorised figure is): the speed step's K = 40 (or the smallest K
    above it, else the largest) where it ran, else the old comparison's."""
    speed = summary.get("speed")
    if speed and speed["vectorised_seconds_per_run"]:
        by_k = {int(k): seconds for k, seconds in speed["vectorised_seconds_per_run"].items()}
        k = min((k for k in by_k if k >= 40), default=max(by_k))
        return speed["plain_seconds_per_run"], by_k[k], f"speed: vectorised, K = {k}, {speed['configuration']}"
    key = next((key for key in ("vectorised_groups", "vectorised_configuration") if key in results), None)
    plain = results.get("plain", {}).get("seconds_per_run")
    return plain, results[key].get("seconds_per_run") if key else None, key


def write_results(path: Path, content: dict) -> None:
    """Replace the file whole: a run stopped while writing leaves the last complete one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(content, indent=2, default=str) + "\n")
    os.replace(partial, path)


def print_tables(results: dict, summary: dict, runs: int) -> None:
    for name, item in summary.get("correctness", {}).items():
        if "failed" in item:
            print(f"correctness {name}: failed: {item['failed']}")
            continue
        print(
            f"correctness {name}: max |vectorised - alone| test accuracy {item['test_accuracy_max_abs']}, "
            f"test comparison loss {item['test_comparison_loss_max_abs']}, train loss {item['train_loss_max_abs']}; "
            f"within tolerance: {item['within_tolerance']} (on {', '.join(item['devices'])})"
        )
    speed = summary.get("speed")
    if speed:
        print(f"speed ({speed['configuration']}): plain loop {speed['plain_seconds_per_run']} s per run")
        for k, seconds in speed["vectorised_seconds_per_run"].items():
            memory = speed["vectorised_max_memory_allocated_mb"][k]
            print(f"  vectorised K = {k}: {seconds:.4f} s per run, peak {memory} MB allocated")
    old = {name: numbers for name, numbers in results.items() if name.startswith(("plain", "vectorised_"))}
    if old:
        columns = ("runs", 5), ("s/run", 8), ("first s", 8), ("train s", 8), ("process s", 9), ("GPU MB", 8)
        print(f"\n{'mode':34s} " + " ".join(f"{column:>{width}s}" for column, width in columns))
    for name, numbers in old.items():
        if "failed" in numbers or "skipped" in numbers:
            print(f"{name:34s} {numbers.get('failed') or numbers.get('skipped')}")
            continue
        memory = numbers["max_memory_allocated_mb"]
        print(
            f"{name:34s} {len(numbers['runs']):5d} {numbers['seconds_per_run']:8.4f} "
            f"{numbers['first_seconds']:8.3f} {numbers['training_seconds']:8.1f} {numbers['process_seconds']:9.1f} "
            f"{'-' if memory is None else f'{memory:.0f}':>8s}"
        )
        for block in numbers["blocks"]:
            print(f"    {'+'.join(block['configurations'])}: {block['members']} members, {block['seconds']:.2f} s")
    workflow = results.get("workflow")
    if workflow and "end_to_end_seconds" in workflow and "failed" not in workflow:
        gpu = workflow["gpu"]
        print(
            f"workflow (snakemake --cores all): {runs} runs, {workflow['end_to_end_seconds']:.1f} s to the report, "
            f"trained on {', '.join(workflow['trained_on'])}; GPU utilisation mean "
            f"{gpu['utilisation_percent_mean']} %, max {gpu['utilisation_percent_max']} %, used memory peak "
            f"{gpu['memory_used_peak_mb']} MiB ({gpu['samples']} samples)"
        )
    elif workflow and "failed" in workflow:
        print(f"workflow failed: {workflow['failed']}")
    for target, met in summary.get("targets", {}).items():
        print(f"target: {target}: {'met' if met else 'not met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--modes", default=DEFAULT_MODES, help=f"comma-separated, run in this order: {MODES}")
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu (cpu: a check of the script)")
    parser.add_argument("--check", default=CHECKED, help="correctness: study:configuration, comma-separated")
    parser.add_argument("--check-seeds", type=int, default=4, help="correctness: seeds per configuration")
    parser.add_argument("--check-epochs", type=int, default=3, help="correctness: epochs")
    parser.add_argument("--speed-configuration", default=TIMED, help="speed: the study:configuration timed")
    parser.add_argument("--speed-seeds", default="10,40,160", help="speed: the K seeds of each vectorised block")
    parser.add_argument("--speed-epochs", type=int, default=25, help="speed: epochs per run")
    parser.add_argument("--pairs", type=int, default=1000, help="correctness and speed: training (and test) pairs")
    parser.add_argument("--study", default="default", help="default (config.yaml), a preset name, or a path")
    parser.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="plain, vectorised, workflow: seeds = seeds_per_job (default: the study's)",
    )
    parser.add_argument("--plain-seeds", type=int, default=2, help="seeds per configuration in the plain loop")
    parser.add_argument("--epochs", type=int, default=None, help="plain, vectorised, workflow: epochs per run")
    parser.add_argument(
        "--dropout", type=float, default=None, help="plain, vectorised, workflow: every model's dropout"
    )
    parser.add_argument("--stacking", default="groups,configuration", help=f"vectorised stackings: {STACKINGS}")
    parser.add_argument("--variants", default="", help=f"vectorised variants to add, comma-separated: {VARIANTS}")
    parser.add_argument("--budget", type=float, default=420.0, help="seconds for the whole run (default 7 minutes)")
    parser.add_argument("--keep", action="store_true", help="keep the workflow's folder (its path is printed)")
    parser.add_argument("--trial", action="store_true", help="mark the results a trial")
    parser.add_argument("--out", type=Path, default=None, help="results file (default bench/results/<device>.json)")
    parser.add_argument("--out-dir", type=Path, default=None, help="folder of the results file <device>.json")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker)), default=str))
        return
    with TimeGuard(args.budget) as guard:
        run(args, guard)


def run(args, guard: TimeGuard) -> None:
    import torch

    started = time.monotonic()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(
            f"bench/gpu.py: --device {args.device}, but torch {torch.__version__} sees no CUDA GPU on this host "
            f"(built for CUDA: {torch.version.cuda or 'no'}); run it on a GPU machine, or with --device cpu to check it"
        )
    modes, stackings = args.modes.split(","), args.stacking.split(",")
    variants = [variant for variant in args.variants.split(",") if variant]
    for values, allowed in ((modes, MODES), (stackings, STACKINGS), (variants, VARIANTS)):
        for value in values:
            if value not in allowed:
                raise SystemExit(f"bench/gpu.py: {value!r} is not one of {', '.join(allowed)}")
    try:
        ks = [int(k) for k in args.speed_seeds.split(",") if k]
    except ValueError:
        raise SystemExit(f"bench/gpu.py: --speed-seeds {args.speed_seeds!r} is not comma-separated numbers") from None
    # every configuration is resolved here, so a wrong name stops the run before any step
    checked = [
        chosen_configuration(reference, args.check_epochs, args.pairs, dropout=0.0)
        for reference in args.check.split(",")
        if reference
    ]
    timed = chosen_configuration(args.speed_configuration, args.speed_epochs, args.pairs)
    gpu_index = torch.device(args.device).index or 0
    device_name = torch.cuda.get_device_name(gpu_index) if args.device.startswith("cuda") else "cpu"
    study_keys = {"seeds_per_job": args.seeds} if args.seeds is not None else {}
    settings = {"device": "auto" if args.device == "cuda" else args.device}
    study, config = study_config(args.study, args.seeds, args.epochs, settings, **study_keys)
    if args.dropout is not None:
        training = config["studies"][study].setdefault("training", {})
        training["model"] = {**training.get("model", {}), "dropout": args.dropout}
    configurations, seeds = configurations_of(config, study)
    runs = len(configurations) * len(seeds)
    epochs = configurations[0].hyperparameters["epochs"]
    print(
        f"device {device_name} (torch {torch.__version__}); steps {', '.join(modes)}; budget {args.budget:.0f} s; "
        f"study {study}: {len(configurations)} configurations x {len(seeds)} seeds x {epochs} epochs = {runs} runs",
        flush=True,
    )

    trial = args.trial or args.device == "cpu"
    stem = filename_safe(device_name) if args.device.startswith("cuda") else "gpu-bench-on-cpu"
    name = f"{stem}{'-trial' if trial else ''}.json"
    out = args.out or (args.out_dir or RESULTS) / name
    results: dict = {}
    document = {
        "device": device_name,
        "trial": trial,
        "complete": False,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "snakemake": package_version("snakemake"),
        "machine": machine(),
        "date": now(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "budget_seconds": args.budget,
        "steps": modes,
        "study": study,
        "configurations": [configuration.name for configuration in configurations],
        "seeds": len(seeds),
        "epochs": epochs,
        "runs": runs,
        "plain_seconds_per_run": None,
        "pairstudy_seconds_per_run": None,
        "pairstudy_mode": None,
        "end_to_end_seconds": None,
        "ratio": None,
        "accuracy_gap_plain_vs_vectorised": {},
        "summary": {},
        "skipped": {},
        "modes": results,
    }

    def flush() -> None:
        summary = summarised(results)
        plain, vectorised, mode = headline(results, summary)
        workflow = results.get("workflow", {})
        old_vectorised = next(
            (results[key] for key in ("vectorised_groups", "vectorised_configuration") if key in results), {}
        )
        document.update(
            summary=summary,
            plain_seconds_per_run=plain,
            pairstudy_seconds_per_run=vectorised,
            pairstudy_mode=mode,
            ratio=plain / vectorised if plain and vectorised else None,
            end_to_end_seconds=workflow.get("end_to_end_seconds") if "failed" not in workflow else None,
            accuracy_gap_plain_vs_vectorised=agreement(results.get("plain", {}), old_vectorised),
            elapsed_seconds=time.monotonic() - started,
        )
        write_results(out, document)

    base = {"config": config, "study": study, "device": args.device, "plain_seeds": args.plain_seeds}
    steps = []
    if "correctness" in modes:
        spec = {"mode": "correctness", "device": args.device, "configurations": checked, "seeds": args.check_seeds}
        steps.append(("correctness", lambda spec=spec: run_worker(spec, guard)))
    if "speed" in modes:
        spec = {"mode": "speed", "device": args.device, "configuration": timed, "ks": ks}
        spec["plain_seeds"] = args.plain_seeds
        steps.append(("speed", lambda spec=spec: {"configuration": timed["name"], **run_worker(spec, guard)}))
    if "plain" in modes:
        steps.append(("plain", lambda: run_worker({**base, "mode": "plain"}, guard)))
    if "vectorised" in modes:
        for stacking in stackings:
            spec = {**base, "mode": "vectorised", "stacking": stacking}
            steps.append((f"vectorised_{stacking}", lambda spec=spec: run_worker(spec, guard)))
        for variant in variants:
            spec = {**base, "mode": "vectorised", "stacking": "groups", "variant": variant}
            steps.append((f"vectorised_groups_{variant}", lambda spec=spec: run_worker(spec, guard)))
    if "workflow" in modes:
        steps.append(("workflow", lambda: run_workflow(config, study, runs, gpu_index, args.keep)))

    flush()
    for step, call in steps:
        left = guard.left()
        if left < SMALLEST_STEP_SECONDS:
            document["skipped"][step] = (
                f"not started: {max(left, 0):.0f} s of the {args.budget:.0f}-s budget left (a step needs "
                f"{SMALLEST_STEP_SECONDS:.0f} s at least)"
            )
            print(f"  {step}: skipped: {document['skipped'][step]}", flush=True)
            continue
        step_started = time.monotonic()
        try:
            results[step] = call()
        except Exception as error:  # a broken step is a finding: the file says so, and the next steps still run
            results[step] = {"failed": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()[-3000:]}
        results[step]["step_seconds"] = time.monotonic() - step_started
        if guard.expired.is_set() and "failed" in results[step]:
            results[step]["stopped_by_time_guard"] = True
            document["skipped"][step] = "stopped when the time budget was spent; what finished is under modes"
        progress(step, results)
        flush()
    document["complete"] = not document["skipped"] and not any("failed" in results.get(step, {}) for step, _ in steps)
    flush()
    print()
    print_tables(results, document["summary"], runs)
    if document["ratio"] is not None:
        print(f"\nratio plain / vectorised ({document['pairstudy_mode']}), seconds per run: {document['ratio']:.1f}")
    if document["accuracy_gap_plain_vs_vectorised"]:
        gaps = document["accuracy_gap_plain_vs_vectorised"]
        listed = ", ".join(f"{name} {gap:.4f}" for name, gap in gaps.items())
        print(f"final test accuracy, max |plain - vectorised| over the seeds both trained: {listed}")
    print(f"wrote {out} ({'complete' if document['complete'] else 'incomplete: see skipped and failed'})")


if __name__ == "__main__":
    main()
