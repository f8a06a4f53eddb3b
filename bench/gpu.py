"""Benchmark (GPU): the plain loop, pairstudy's vectorised trainer and the workflow on one GPU, side by side.

Each mode runs in a fresh process, so its CUDA start, compilation and peak GPU memory are its own:

1. plain: `pairstudy.train.loop.train_run(..., device)`, one run after another, --plain-seeds seeds of every
   configuration (the per-run time holds for more seeds: the runs are alike);
2. vectorised: `pairstudy.train.vectorised.train_vectorised` over --seeds seeds of every configuration,
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
3. workflow: `snakemake --cores all` on the study, `device: auto`, `seeds_per_job` = --seeds, in a clean folder
   holding this checkout's Snakefile, workflow, profiles, pairstudy and the study as config.yaml, to its report.

Prints per-run seconds, end-to-end wall time, GPU memory (`torch.cuda.max_memory_allocated`; the workflow's,
sampled with nvidia-smi), the ratio plain / vectorised, and how far vectorised and plain test accuracies are apart
for the seeds both trained (twin, cnn and mlp use dropout, and a stacked member draws other dropout masks than its
lone run; with --dropout 0 they differ only by float rounding, which training amplifies: on the CPU, after one
epoch, by up to 0.012). Writes bench/results/<GPU name>.json.

    python bench/gpu.py                                            # default study, 40 seeds, 25 epochs
    python bench/gpu.py --modes vectorised --variants tf32,bf16,compile,reduce-overhead
    python bench/gpu.py --device cpu --seeds 2 --epochs 1 --plain-seeds 1   # a check of the script, anywhere

On a bare GPU machine (an image with torch, numpy, pandas, pyarrow, scipy, statsmodels, scikit-learn, matplotlib,
jinja2, pyyaml, click, pygments and psutil, but no snakemake) carry the rest as wheels for its Python (3.12):

    # here, in the repository's root (about 60 MiB):
    echo /.whl/ >> .git/info/exclude
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl -r bench/gpu-wheels.txt
    python3 -m pip wheel --no-deps -w .whl connection_pool==0.0.3   # pure Python, no wheel on PyPI
    # there, with .whl carried along:
    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl
    PYTHONPATH=/tmp/site python3 bench/gpu.py

`results/` is ignored by git: commit a measured file with `git add -f bench/results/<name>.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import re
import shutil
import subprocess
import sys
import threading
import time
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
    this_checkout_env,
    workflow_breakdown,
    workflow_folder,
    write_json,
)

MODES = ("plain", "vectorised", "workflow")
VARIANTS = ("tf32", "bf16", "compile", "reduce-overhead")
STACKINGS = ("groups", "configuration")


def configurations_of(config: dict, study: str):
    from pairstudy.study import expand_configurations, seed_list, validate_config

    spec = validate_config(copy.deepcopy(config))["studies"][study]
    return expand_configurations(study, spec), seed_list(spec["seeds"])


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


def worker(spec: dict) -> dict:
    """One mode in this process: train, time, and report per-run seconds, accuracies and peak GPU memory."""
    import torch

    import pairstudy.train.vectorised as vectorised
    from pairstudy.data import load_pools
    from pairstudy.train.device import resolve_device
    from pairstudy.train.loop import train_run

    device = resolve_device(spec["device"])
    configurations, seeds = configurations_of(spec["config"], spec["study"])
    data = configurations[0].hyperparameters["data"]
    load_pools(data["source"], data["root"] or None)  # the digits are read once per process, before the clock starts
    torch.zeros(1, device=device)  # the CUDA context, likewise
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
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)

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
        "max_memory_allocated_mb": torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None,
    }


def run_worker(spec: dict) -> dict:
    result = measured([sys.executable, __file__, "--worker", json.dumps(spec)], env=this_checkout_env())
    if result.returncode:
        lines = result.stderr.strip().splitlines() or [f"exit {result.returncode}"]
        errors = [line for line in lines if re.match(r"[\w.]*(Error|Exception|Failed)\b", line)]
        return {"failed": (errors or lines)[-1], "log": result.stderr[-4000:]}
    numbers = json.loads(result.stdout.strip().splitlines()[-1])
    return {**numbers, "process_seconds": result.seconds, "peak_rss_mb": result.largest_process_mb}


class GpuMemorySampler:
    """The GPU's used memory, sampled with nvidia-smi while a workflow runs (its jobs are other processes)."""

    def __init__(self, index: int, every: float = 0.5):
        self.index, self.every, self.peak_mb, self.done = index, every, None, threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self):
        while not self.done.wait(self.every):
            result = subprocess.run(
                ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", f"--id={self.index}"],
                capture_output=True,
                text=True,
            )
            if result.returncode == 0 and result.stdout.strip():
                self.peak_mb = max(self.peak_mb or 0.0, float(result.stdout.split()[0]))

    def __enter__(self):
        if shutil.which("nvidia-smi"):
            self.thread.start()
        return self

    def __exit__(self, *_):
        self.done.set()
        if self.thread.is_alive():
            self.thread.join()


def run_workflow(config: dict, study: str, runs: int, gpu_index: int, keep: bool) -> dict:
    import pandas as pd

    folder = workflow_folder(config, prefix="pairstudy-bench-gpu-")
    with GpuMemorySampler(gpu_index) as gpu_memory:
        result = measured(snakemake_command("--cores", "all"), cwd=folder)
    (folder / "snakemake.out").write_text(result.stdout + result.stderr)
    report = folder / "reports" / study / "index.html"
    if result.returncode or not report.exists():
        return {"failed": f"snakemake exited {result.returncode}; see {folder / 'snakemake.out'}"}
    breakdown = workflow_breakdown(folder, study, result.started_at, result.seconds)
    trained_on = sorted(pd.read_parquet(folder / "results" / study / "finals.parquet")["device"].unique())
    if not keep:
        shutil.rmtree(folder)
    return {
        "end_to_end_seconds": result.seconds,
        "seconds_per_run": result.seconds / runs,
        "runs": runs,
        "trained_on": trained_on,
        "gpu_memory_used_peak_mb": gpu_memory.peak_mb,
        "peak_rss_mb": {"largest_process": result.largest_process_mb, "tree": result.tree_mb},
        "breakdown": breakdown,
        "folder": str(folder) if keep else None,
    }


def progress(name: str, results: dict) -> None:
    numbers = results[name]
    if "failed" in numbers:
        print(f"  {name}: failed: {numbers['failed']}", flush=True)
    else:
        seconds = numbers.get("training_seconds", numbers.get("end_to_end_seconds"))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--study", default="default", help="default (config.yaml), a preset name, or a path")
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu (cpu: a check of the script)")
    parser.add_argument("--seeds", type=int, default=40, help="seeds per configuration, = seeds_per_job (K)")
    parser.add_argument("--plain-seeds", type=int, default=2, help="seeds per configuration in the plain loop")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run (default: the study's, 25)")
    parser.add_argument("--dropout", type=float, default=None, help="every model's dropout rate (default: its own)")
    parser.add_argument("--modes", default="plain,vectorised,workflow", help="comma-separated subset")
    parser.add_argument("--stacking", default="groups,configuration", help=f"vectorised stackings: {STACKINGS}")
    parser.add_argument("--variants", default="", help=f"vectorised variants to add, comma-separated: {VARIANTS}")
    parser.add_argument("--keep", action="store_true", help="keep the workflow's folder (its path is printed)")
    parser.add_argument("--trial", action="store_true", help="mark the results a trial")
    parser.add_argument("--out", type=Path, default=None, help="results file (default bench/results/<device>.json)")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return

    import torch

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
    gpu_index = torch.device(args.device).index or 0
    device_name = torch.cuda.get_device_name(gpu_index) if args.device.startswith("cuda") else "cpu"
    study_keys = {"seeds_per_job": args.seeds}
    settings = {"device": "auto" if args.device == "cuda" else args.device}
    study, config = study_config(args.study, args.seeds, args.epochs, settings, **study_keys)
    if args.dropout is not None:
        training = config["studies"][study].setdefault("training", {})
        training["model"] = {**training.get("model", {}), "dropout": args.dropout}
    configurations, seeds = configurations_of(config, study)
    runs = len(configurations) * len(seeds)
    epochs = configurations[0].hyperparameters["epochs"]
    print(
        f"device {device_name} (torch {torch.__version__}); study {study}: {len(configurations)} configurations x "
        f"{len(seeds)} seeds x {epochs} epochs = {runs} runs; plain loop {args.plain_seeds} seeds per configuration",
        flush=True,
    )

    base = {"config": config, "study": study, "device": args.device, "plain_seeds": args.plain_seeds}
    results = {}
    if "plain" in modes:
        results["plain"] = run_worker({**base, "mode": "plain"})
        progress("plain", results)
    if "vectorised" in modes:
        for stacking in stackings:
            results[f"vectorised_{stacking}"] = run_worker({**base, "mode": "vectorised", "stacking": stacking})
            progress(f"vectorised_{stacking}", results)
        for variant in variants:
            name = f"vectorised_groups_{variant}"
            results[name] = run_worker({**base, "mode": "vectorised", "stacking": "groups", "variant": variant})
            progress(name, results)
    if "workflow" in modes:
        results["workflow"] = run_workflow(config, study, runs, gpu_index, args.keep)
        progress("workflow", results)

    print(f"\n{'mode':34s} {'runs':>5s} {'s/run':>8s} {'first s':>8s} {'train s':>8s} {'process s':>9s} {'GPU MB':>8s}")
    for name, numbers in results.items():
        if name == "workflow":
            continue
        if "failed" in numbers:
            print(f"{name:34s} failed: {numbers['failed']}")
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
    if workflow and "failed" not in workflow:
        memory = workflow["gpu_memory_used_peak_mb"]
        print(
            f"{'workflow (snakemake --cores all)':34s} {runs:5d} {workflow['seconds_per_run']:8.4f} {'':>8s} {'':>8s} "
            f"{workflow['end_to_end_seconds']:9.1f} {'-' if memory is None else f'{memory:.0f}':>8s}  "
            f"(GPU memory used, all processes; trained on {', '.join(workflow['trained_on'])})"
        )
    elif workflow:
        print(f"workflow failed: {workflow['failed']}")

    vectorised_key = next((key for key in ("vectorised_groups", "vectorised_configuration") if key in results), None)
    plain = results.get("plain", {})
    vectorised = results.get(vectorised_key, {}) if vectorised_key else {}
    ratio = None
    if "seconds_per_run" in plain and "seconds_per_run" in vectorised:
        ratio = plain["seconds_per_run"] / vectorised["seconds_per_run"]
        print(f"\nratio plain / {vectorised_key.replace('_', ' ')} (seconds per run): {ratio:.1f}")
    gaps = agreement(plain, vectorised)
    if gaps:
        listed = ", ".join(f"{name} {gap:.4f}" for name, gap in gaps.items())
        print(f"final test accuracy, max |plain - vectorised| over the seeds both trained: {listed}")

    trial = args.trial or args.device == "cpu"
    stem = filename_safe(device_name) if args.device.startswith("cuda") else "gpu-bench-on-cpu"
    out = args.out or RESULTS / f"{stem}{'-trial' if trial else ''}.json"
    write_json(
        out,
        {
            "device": device_name,
            "trial": trial,
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "snakemake": package_version("snakemake"),
            "machine": machine(),
            "date": now(),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "study": study,
            "configurations": [configuration.name for configuration in configurations],
            "seeds": len(seeds),
            "epochs": epochs,
            "runs": runs,
            "plain_seconds_per_run": plain.get("seconds_per_run"),
            "pairstudy_seconds_per_run": vectorised.get("seconds_per_run"),
            "pairstudy_mode": vectorised_key,
            "end_to_end_seconds": (workflow or {}).get("end_to_end_seconds"),
            "ratio": ratio,
            "accuracy_gap_plain_vs_vectorised": gaps,
            "modes": results,
        },
    )


if __name__ == "__main__":
    main()
