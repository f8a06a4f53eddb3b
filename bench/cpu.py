"""Benchmark (CPU): pairstudy's workflow against the loop a researcher would write, for the default study and twinnet.

For each study, side by side, each path in a fresh process (its imports, start and peak memory its own):

1. the hand-written loop (bench/handwritten.py): one process, one run after another, torch at its default
   thread count; the same models, pairs, initialisation and batch order as pairstudy;
2. pairstudy's plain loop: `pairstudy.train.loop.train_run` for every run in one process, default threads
   (for the studies in --plain-loop-studies: the default study unless told);
3. the workflow: `snakemake --cores all` in a clean folder holding this checkout's Snakefile, workflow,
   profiles, pairstudy and the study as config.yaml (device cpu), through to reports/<study>/index.html.

Prints per-run and end-to-end seconds, the ratios, peak memory (the largest process, and the whole process
tree summed when psutil is installed), where the workflow's time went (from Snakemake's own job records), and
whether the hand-written loop and pairstudy reach the same test accuracy for each seed; writes
bench/results/cpu.json (bench/results/cpu-trial.json for a shortened run).

    python bench/cpu.py                                  # default study + twinnet, 10 seeds, 25 epochs: 60 + 40 runs
    python bench/cpu.py --seeds 2 --epochs 3             # a quick check of the script (a trial)
    python bench/cpu.py --studies twinnet --seeds 16     # the preset's own 16 seeds

The loops run at torch's default thread count (one per core), the workflow's jobs at the config's `threads: 1`,
two at a time: torch's CPU kernels split their sums by thread, so runs at other thread counts end with other
float results. pairstudy trains convolutional models channels-last on the CPU (bench/layout.py), which also changes
float sums and the order of dropout masks; the hand-written loop keeps torch's default layout, as a researcher's
would, unless `--handwritten-layout channels-last`. `--threads 1 --handwritten-layout channels-last` gives all three
paths the same numbers, seed for seed; otherwise they agree in distribution (the mean difference of final test
accuracies is printed beside the largest one). Torch's threads wait on each
other, so a loop at 2 threads slows down many times over when other processes load the machine: time on a quiet
machine (the load average is printed and stored), and read the CPU seconds beside the wall seconds.

bench/startup.py breaks the workflow's extra time down further (imports, job start, parse, rules).
`results/` is ignored by git: commit a measured bench/results/cpu.json with `git add -f`.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's pairstudy, installed or not

from bench.harness import (  # noqa: E402
    RESULTS,
    ROOT,
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
    write_json,
)
from pairstudy.study import expand_configurations, seed_list, validate_config  # noqa: E402

FULL_SEEDS, FULL_EPOCHS = 10, 25

PLAIN_LOOP = """
import json, sys, time, torch
from pairstudy.study import expand_configurations, seed_list, validate_config
from pairstudy.train.loop import train_run
config_file, study, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
if threads:
    torch.set_num_threads(threads)
print(json.dumps({"threads": torch.get_num_threads()}), flush=True)
config = validate_config(json.load(open(config_file)))
spec = config["studies"][study]
for configuration in expand_configurations(study, spec):
    for seed in seed_list(spec["seeds"]):
        started = time.perf_counter()
        result = train_run(configuration.hyperparameters, seed, device="cpu")
        seconds = time.perf_counter() - started
        accuracy = [row["test_accuracy"] for row in result.rows]
        print(json.dumps({"config": configuration.name, "seed": seed, "seconds": seconds, "test_accuracy": accuracy}))
"""

# measured here: the same run at 1 and 2 torch threads ends with other test accuracies
THREADS_CHANGE_RESULTS = (
    "the two ran at different torch thread counts, and torch's CPU kernels split their sums by thread, so the "
    "float results (and from there the training) differ; at equal thread counts (--threads N with --job-threads N) "
    "the runs agree"
)
LAYOUT_CHANGES_RESULTS = (
    "the hand-written loop trains convolutions in torch's default layout, pairstudy channels-last, which orders float "
    "sums and dropout masks otherwise; with --handwritten-layout channels-last (and equal threads) the runs agree"
)

# what the hand-written loop implements; a study that needs more is not compared
HANDWRITTEN_DEFAULTS = {
    "lr_step": 0,
    "augment_swap": False,
    "augment_shift": 0,
    "repair_pairs": False,
    "train_metrics": "pass",
}


def handwritten_runs(study: str, spec: dict) -> list[dict]:
    """Every run of the study as the hand-written loop's settings, configuration after configuration."""
    runs = []
    for configuration in expand_configurations(study, spec):
        settings = configuration.hyperparameters
        unsupported = {
            key: settings[key] for key, value in HANDWRITTEN_DEFAULTS.items() if settings.get(key, value) != value
        }
        data = settings["data"]
        if unsupported or data["validation_pairs"] or not data["normalize"] or data["source"] != "mnist5k":
            raise SystemExit(f"{configuration.name}: the hand-written loop does not do {unsupported or data}")
        for seed in seed_list(spec["seeds"]):
            runs.append(
                {
                    "config": configuration.name,
                    "seed": seed,
                    "architecture": settings["architecture"],
                    "model": settings["model"],
                    "optimizer": settings["optimizer"],
                    "lr": settings["lr"],
                    "weight_decay": settings["weight_decay"],
                    "momentum": settings.get("momentum", 0.0),
                    "batch_size": settings["batch_size"],
                    "epochs": settings["epochs"],
                    "aux": settings["aux"],
                    "aux_weight": settings.get("aux_weight"),
                    "source": data["source"],
                    "n_pairs": data["n_pairs"],
                }
            )
    return runs


def run_lines(stdout: str) -> tuple[int, dict[tuple[str, int], dict]]:
    """The torch thread count a loop printed first, and (config, seed) -> the JSON line it printed for that run."""
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return lines[0]["threads"], {(line["config"], line["seed"]): line for line in lines[1:]}


def failed(path: str, result) -> None:
    raise SystemExit(f"{path} failed (exit {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def agreement(first: dict, second: dict) -> dict:
    """How far two paths' test accuracies are apart over their common runs: final epoch and any epoch."""
    common = sorted(set(first) & set(second))
    final = [abs(first[key][-1] - second[key][-1]) for key in common]
    every = [abs(a - b) for key in common for a, b in zip(first[key], second[key])]
    differing = [f"{config} seed {seed}" for (config, seed), gap in zip(common, final) if gap > 0]
    return {
        "runs": len(common),
        "mean_diff_final": sum(second[key][-1] - first[key][-1] for key in common) / len(common) if common else None,
        "max_abs_diff_final": max(final, default=None),
        "max_abs_diff_any_epoch": max(every, default=None),
        "runs_differing_final": len(differing),
        "first_differing": differing[:3],
    }


def benchmark_study(name: str, args) -> dict:
    settings = {"device": "cpu"}
    if args.job_threads is not None:
        settings["threads"] = args.job_threads
    study_keys = {"seeds_per_job": args.seeds_per_job} if args.seeds_per_job is not None else {}
    study, config = study_config(name, args.seeds, args.epochs, settings, **study_keys)
    spec = validate_config(copy.deepcopy(config))["studies"][study]
    configurations = expand_configurations(study, spec)
    runs = len(configurations) * len(seed_list(spec["seeds"]))
    epochs = configurations[0].hyperparameters["epochs"]
    print(
        f"\nstudy {study} ({study_file(name).relative_to(ROOT)}): {len(configurations)} configurations x "
        f"{len(seed_list(spec['seeds']))} seeds = {runs} runs, {epochs} epochs",
        flush=True,
    )
    report = {
        "study": study,
        "config_file": str(study_file(name).relative_to(ROOT)),
        "configurations": [configuration.name for configuration in configurations],
        "seeds": len(seed_list(spec["seeds"])),
        "epochs": epochs,
        "runs": runs,
        "peak_rss_mb": {},
    }
    accuracies = {}
    scratch = Path(tempfile.mkdtemp(prefix="pairstudy-bench-cpu-"))
    threads = args.threads or 0

    def loop(key: str, label: str, command: list[str]) -> None:
        """Time one loop's process; keep its seconds, thread count, peak memory and test accuracies."""
        result = measured(command, env=this_checkout_env())
        if result.returncode:
            failed(label, result)
        used_threads, lines = run_lines(result.stdout)
        report.setdefault("threads", {})[key] = used_threads
        accuracies[key] = {run: line["test_accuracy"] for run, line in lines.items()}
        report[f"{key}_seconds"] = result.seconds
        report[f"{key}_seconds_per_run"] = result.seconds / runs
        report[f"{key}_cpu_seconds"] = result.cpu_seconds
        report[f"{key}_training_seconds_per_run"] = sum(line["seconds"] for line in lines.values()) / runs
        report["peak_rss_mb"][key] = {"largest_process": result.largest_process_mb, "tree": result.tree_mb}
        print(f"  {label}: {result.seconds:.1f} s", flush=True)

    if "handwritten" in args.paths:
        runs_file = scratch / "runs.json"
        runs_file.write_text(
            json.dumps(
                {
                    "runs": handwritten_runs(study, spec),
                    "threads": threads or None,
                    "channels_last": args.handwritten_layout == "channels-last",
                }
            )
        )
        loop(
            "handwritten",
            "the hand-written loop",
            [sys.executable, str(ROOT / "bench" / "handwritten.py"), str(runs_file)],
        )
    if "plain" in args.paths and name in args.plain_loop_studies:
        config_file = scratch / "config.json"
        config_file.write_text(json.dumps(config))
        loop(
            "plain_loop",
            "pairstudy's plain loop",
            [sys.executable, "-c", PLAIN_LOOP, str(config_file), study, str(threads)],
        )

    if "workflow" in args.paths:
        folder = workflow_folder(config)
        result = measured(snakemake_command("--cores", args.cores), cwd=folder)
        (folder / "snakemake.out").write_text(result.stdout + result.stderr)
        if result.returncode or not (folder / "reports" / study / "index.html").exists():
            failed(f"the workflow in {folder}", result)
        import pandas as pd

        epochs_table = pd.read_parquet(folder / "results" / study / "epochs.parquet")
        accuracies["workflow"] = {
            (config_name, int(seed)): rows.sort_values("epoch")["test_accuracy"].tolist()
            for (config_name, seed), rows in epochs_table.groupby(["config", "seed"])
        }
        cores = int(args.cores) if args.cores.isdigit() else None
        breakdown = workflow_breakdown(folder, study, result.started_at, result.seconds, cores)
        report.setdefault("threads", {})["workflow"] = validate_config(copy.deepcopy(config))["threads"]
        report |= {
            "workflow_seconds": result.seconds,
            "workflow_seconds_per_run": result.seconds / runs,
            "workflow_cpu_seconds": result.cpu_seconds,
            "workflow_breakdown": breakdown,
        }
        report["peak_rss_mb"]["workflow"] = {"largest_process": result.largest_process_mb, "tree": result.tree_mb}
        print(f"  workflow: {result.seconds:.1f} s ({folder})", flush=True)
        if not args.keep:
            shutil.rmtree(folder)
    shutil.rmtree(scratch)

    if "workflow_seconds" in report and "handwritten_seconds" in report:
        report["ratio_vs_handwritten"] = report["workflow_seconds"] / report["handwritten_seconds"]
    if "workflow_seconds" in report and "plain_loop_seconds" in report:
        report["ratio_vs_plain_loop"] = report["workflow_seconds"] / report["plain_loop_seconds"]
    report["accuracy_agreement"] = {}
    for other in ("plain_loop", "workflow"):
        if "handwritten" in accuracies and other in accuracies:
            numbers = agreement(accuracies["handwritten"], accuracies[other])
            numbers["threads"] = [report["threads"]["handwritten"], report["threads"][other]]
            reasons = []
            if numbers["threads"][0] != numbers["threads"][1]:
                reasons.append(THREADS_CHANGE_RESULTS)
            if args.handwritten_layout != "channels-last":
                reasons.append(LAYOUT_CHANGES_RESULTS)
            if numbers["runs_differing_final"] and reasons:
                numbers["why"] = "; and ".join(reasons)
            report["accuracy_agreement"][f"handwritten_vs_{other}"] = numbers
    return report


def print_study(report: dict) -> None:
    peak = report["peak_rss_mb"]
    print(f"\n{report['study']}: {report['runs']} runs x {report['epochs']} epochs")
    print(
        f"{'path':38s} {'s/run':>7s} {'train s/run':>12s} {'wall s':>8s} {'CPU s':>8s} {'peak MB process / tree':>24s}"
    )
    for key, label in (
        ("handwritten", "hand-written loop, one process"),
        ("plain_loop", "pairstudy plain loop, one process"),
        ("workflow", "workflow, snakemake --cores all"),
    ):
        if f"{key}_seconds" not in report:
            continue
        training = report.get(f"{key}_training_seconds_per_run")
        training = "-" if training is None else f"{training:.3f}"
        tree = "-" if peak[key]["tree"] is None else f"{peak[key]['tree']:.0f}"
        print(
            f"{label:38s} {report[f'{key}_seconds_per_run']:7.3f} {training:>12s} {report[f'{key}_seconds']:8.1f} "
            f"{report[f'{key}_cpu_seconds']:8.1f} {peak[key]['largest_process']:11.0f} / {tree:>10s}"
        )
    for key, label in (("ratio_vs_handwritten", "hand-written loop"), ("ratio_vs_plain_loop", "pairstudy plain loop")):
        if key in report:
            print(f"ratio workflow / {label}: {report[key]:.2f}")
    for pair, numbers in report["accuracy_agreement"].items():
        threads = "{} vs {} threads".format(*numbers["threads"])
        print(
            f"test accuracy {pair.replace('_', ' ')} ({threads}): "
            f"mean diff final {numbers['mean_diff_final']:+.4f}, max |diff| final {numbers['max_abs_diff_final']:.4f}, "
            f"any epoch {numbers['max_abs_diff_any_epoch']:.4f} over {numbers['runs']} runs"
            + (f"; differing: {', '.join(numbers['first_differing'])}" if numbers["runs_differing_final"] else "")
        )
        if "why" in numbers:
            print(f"  why: {numbers['why']}")
    breakdown = report.get("workflow_breakdown")
    if breakdown:
        rules = ", ".join(f"{rule} {seconds:.1f} s" for rule, seconds in breakdown["rules"].items())
        print(
            f"workflow time: parse to first job {breakdown['parse_to_first_job_seconds']:.1f} s; "
            f"training phase {breakdown['training_phase_seconds']:.1f} s wall, {breakdown['training_jobs']} jobs "
            f"of {breakdown['training_job_seconds']:.1f} s in all = training "
            f"{breakdown['training_seconds_in_jobs']:.1f} s "
            f"+ overhead {breakdown['job_overhead_seconds']:.1f} s ({breakdown['job_overhead_seconds_per_job']:.1f} s "
            f"per job), {breakdown['idle_core_seconds']:.1f} core-seconds idle; then {rules}; "
            f"after the last job {breakdown['after_last_job_seconds']:.1f} s"
        )


def targets(studies: dict) -> dict:
    """The project's targets for the workflow's wall time, where this run measured them."""
    found = {}
    for report in studies.values():
        name = report["config_file"]
        if name == "studies/twinnet.yaml" and "ratio_vs_handwritten" in report:
            found[f"{report['study']}: workflow <= 1.0 x hand-written"] = (report["ratio_vs_handwritten"], 1.0)
        if name == "config.yaml":
            if "ratio_vs_plain_loop" in report:
                found[f"{report['study']}: workflow <= 0.8 x plain loop"] = (report["ratio_vs_plain_loop"], 0.8)
            if "ratio_vs_handwritten" in report:
                found[f"{report['study']}: workflow <= 1.0 x hand-written"] = (report["ratio_vs_handwritten"], 1.0)
    return {
        label: {"ratio": ratio, "target": target, "met": ratio <= target} for label, (ratio, target) in found.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--studies", default="default,twinnet", help="comma-separated: default (config.yaml), a preset name, or a path"
    )
    parser.add_argument(
        "--seeds", type=int, default=FULL_SEEDS, help="seeds per configuration (10: 60 runs default, 40 twinnet)"
    )
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run (default: the study's, 25)")
    parser.add_argument(
        "--paths", default="handwritten,plain,workflow", help="which paths to time (comma-separated subset)"
    )
    parser.add_argument(
        "--plain-loop-studies", default="default", help="studies (as in --studies) also timed in pairstudy's plain loop"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads of the two loops (default: torch's own choice)"
    )
    parser.add_argument(
        "--handwritten-layout",
        choices=["contiguous", "channels-last"],
        default="contiguous",
        help="the hand-written loop's memory layout for convolutions (default torch's own, contiguous)",
    )
    parser.add_argument("--cores", default="all", help="snakemake --cores")
    parser.add_argument("--job-threads", type=int, default=None, help="config key threads (default: the workflow's)")
    parser.add_argument(
        "--seeds-per-job", type=int, default=None, help="the study's seeds_per_job (default: the workflow's)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the workflow folders (their paths are printed)")
    parser.add_argument("--trial", action="store_true", help="mark the results a trial (e.g. taken on a busy machine)")
    parser.add_argument("--out", type=Path, default=None, help="results file (default bench/results/cpu.json)")
    args = parser.parse_args()
    args.paths = args.paths.split(",")
    args.plain_loop_studies = args.plain_loop_studies.split(",")
    trial = args.trial or args.seeds < FULL_SEEDS or (args.epochs is not None and args.epochs < FULL_EPOCHS)
    out = args.out or RESULTS / ("cpu-trial.json" if trial else "cpu.json")
    started_machine = machine()
    print(
        f"machine: {started_machine['cpu_count']} CPUs, {started_machine['platform']}, load average "
        f"{started_machine['load_average']}; torch {package_version('torch')}, snakemake {package_version('snakemake')}"
    )

    studies = {}
    for name in args.studies.split(","):
        report = benchmark_study(name, args)
        studies[report["study"]] = report
        print_study(report)
    goals = targets(studies)
    if goals:
        print("\ntargets:")
        for label, goal in goals.items():
            print(f"  {label}: {goal['ratio']:.2f} ({'met' if goal['met'] else 'missed'})")
    write_json(
        out,
        {
            "trial": trial,
            "note": "a shortened or flagged run: numbers check the script, they are no measurement" if trial else "",
            "machine": started_machine,
            "load_average_after": machine()["load_average"],
            "torch": package_version("torch"),
            "snakemake": package_version("snakemake"),
            "date": now(),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "settings": {key: value for key, value in vars(args).items() if key != "out"},
            "studies": studies,
            "targets": goals,
        },
    )


if __name__ == "__main__":
    main()
