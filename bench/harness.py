"""What the benchmarks share: a measured process, a workflow run in a clean folder, Snakemake's job timings.

Not a benchmark itself: `bench/cpu.py`, `bench/startup.py` and `bench/gpu.py` import it (run them from
anywhere; each puts this checkout first on sys.path, so they measure this checkout's pairstudy).
"""

from __future__ import annotations

import base64
import datetime
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
WORKFLOW_FILES = ("Snakefile", "workflow", "profiles", "pairstudy")

# Runs the command and, once it ended, writes the largest resident set of any process in its tree (kB) and the
# tree's CPU seconds: RUSAGE_CHILDREN of a process that started nothing else, so one measure per path.
PEAK_WRAPPER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[2:]).returncode
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(f"{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}")
sys.exit(code)
"""


@dataclass
class Measured:
    returncode: int
    seconds: float  # wall, from start to exit
    started_at: float  # time.time() at start, to set against Snakemake's timestamps
    cpu_seconds: float  # user + system seconds of the whole tree: less sensitive than wall time to a busy machine
    largest_process_mb: float  # peak RSS of the largest single process (getrusage)
    tree_mb: float | None  # peak of the summed RSS of the whole process tree, sampled (None without psutil)
    stdout: str
    stderr: str


def this_checkout_env() -> dict:
    """The environment for a child that imports pairstudy: this checkout first, whatever is installed."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}


def measured(command: list[str], cwd: str | Path | None = None, env: dict | None = None, sample_every=0.2) -> Measured:
    """Run a command to its end: wall seconds, peak memory (largest process, and the tree summed), its output."""
    try:
        import psutil
    except ImportError:
        psutil = None
    with tempfile.TemporaryDirectory(prefix="pairstudy-measure-") as folder:
        peak_file, out_file, err_file = (Path(folder) / name for name in ("peak", "stdout", "stderr"))
        with open(out_file, "w") as out, open(err_file, "w") as err:
            started_at, started = time.time(), time.perf_counter()
            wrapper = subprocess.Popen(
                [sys.executable, "-c", PEAK_WRAPPER, str(peak_file), *command], cwd=cwd, env=env, stdout=out, stderr=err
            )
            tree_peak = [0.0]
            done = threading.Event()

            def sample():
                # the wrapper itself is left out: it is the measurement, not the path
                root = psutil.Process(wrapper.pid)
                while not done.wait(sample_every):
                    total = 0
                    try:
                        for process in root.children(recursive=True):
                            try:
                                total += process.memory_info().rss
                            except psutil.Error:
                                pass
                    except psutil.Error:
                        break
                    tree_peak[0] = max(tree_peak[0], total / 2**20)

            sampler = threading.Thread(target=sample, daemon=True) if psutil is not None else None
            if sampler is not None:
                sampler.start()
            returncode = wrapper.wait()
            seconds = time.perf_counter() - started
            done.set()
            if sampler is not None:
                sampler.join()
        rss, cpu = peak_file.read_text().split() if peak_file.exists() else ("nan", "nan")
        return Measured(
            returncode,
            seconds,
            started_at,
            float(cpu),
            float(rss) / 1024,
            tree_peak[0] if psutil is not None else None,
            out_file.read_text(),
            err_file.read_text(),
        )


def python_seconds(arguments: list[str], repeats: int = 3, env: dict | None = None, cwd=None) -> list[float]:
    """Wall seconds of `python ARGUMENTS` in fresh processes, `repeats` times."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, *arguments], check=True, env=env, cwd=cwd, capture_output=True)
        seconds.append(time.perf_counter() - started)
    return seconds


def study_file(name: str) -> Path:
    """'default' is config.yaml, another name a preset in studies/, anything else a path."""
    if name == "default":
        return ROOT / "config.yaml"
    preset = ROOT / "studies" / f"{name}.yaml"
    return preset if preset.exists() else Path(name)


def study_config(
    name: str, seeds: int | None = None, epochs: int | None = None, settings: dict | None = None, **study_keys
) -> tuple[str, dict]:
    """(study name, config) of a one-study config file, with seeds, epochs, top-level settings and study keys set."""
    config = yaml.safe_load(study_file(name).read_text())
    studies = config["studies"]
    if len(studies) != 1:
        raise SystemExit(f"{study_file(name)} holds {len(studies)} studies; the benchmarks take one-study files")
    ((study_name, study),) = studies.items()
    if seeds is not None:
        study["seeds"] = seeds
    if epochs is not None:
        study["training"] = {**study.get("training", {}), "epochs": epochs}
    study.update(study_keys)
    config.update(settings or {})
    return study_name, config


def workflow_folder(config: dict, prefix: str = "pairstudy-bench-") -> Path:
    """A clean folder with this checkout's Snakefile, workflow, profiles and pairstudy, and `config` as config.yaml.

    pairstudy travels with the workflow so the jobs train with this checkout's code wherever pairstudy is installed
    (the workflow puts its own folder first on sys.path).
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    ignore = shutil.ignore_patterns("__pycache__")
    for name in WORKFLOW_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=ignore)
        else:
            shutil.copy(source, folder / name)
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return folder


def snakemake_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", *arguments]


def job_timings(folder: Path) -> list[dict]:
    """One row per finished job from Snakemake's own records (.snakemake/metadata): rule, output, start, end.

    A job's start is when Snakemake marked its outputs incomplete, its end the newest output's modification time.
    """
    metadata = folder / ".snakemake" / "metadata"
    jobs: dict[tuple, dict] = {}
    for record_file in metadata.rglob("*") if metadata.exists() else []:
        if not record_file.is_file():
            continue
        # a record's path is the url-safe base64 of the output's name, cut into "@"-prefixed folders when long
        encoded = "".join(part.lstrip("@") for part in record_file.relative_to(metadata).parts)
        try:
            record = json.loads(record_file.read_text())
            output = base64.urlsafe_b64decode(encoded).decode()
        except (ValueError, UnicodeDecodeError):
            continue
        if record.get("starttime") is None or record.get("endtime") is None:
            continue
        key = (record["rule"], record.get("job_hash"), record["starttime"])
        job = jobs.setdefault(key, {"rule": record["rule"], "outputs": [], "start": record["starttime"], "end": 0.0})
        job["outputs"].append(output)
        job["end"] = max(job["end"], record["endtime"])
    rows = sorted(jobs.values(), key=lambda job: job["start"])
    for row in rows:
        row["seconds"] = row["end"] - row["start"]
        row["outputs"] = sorted(row["outputs"])
    return rows


def workflow_breakdown(folder: Path, study: str, started_at: float, seconds: float, cores: int | None = None) -> dict:
    """Where a workflow run's wall time went: parse to first job, training jobs (and their overhead), later rules.

    `cores` (default: this machine's) gives the core-seconds left idle while the training jobs ran, one core a job.
    """
    import pandas as pd

    jobs = job_timings(folder)
    training = [job for job in jobs if job["rule"] == "train_block"]
    epochs = pd.read_parquet(folder / "results" / study / "epochs.parquet", columns=["config", "seed", "epoch_seconds"])
    trained = epochs.groupby("config")["epoch_seconds"].sum().to_dict()
    for job in training:
        # a run file results/<study>/runs/<config>/block<N>.parquet; its seeds' epoch seconds are the training
        config = Path(job["outputs"][0]).parent.name
        block_seeds = set(pd.read_parquet(folder / job["outputs"][0], columns=["seed"])["seed"])
        rows = epochs[(epochs["config"] == config) & epochs["seed"].isin(block_seeds)]
        job["training_seconds"] = float(rows["epoch_seconds"].sum())
        job["overhead_seconds"] = job["seconds"] - job["training_seconds"]
        job["runs"] = len(block_seeds)
    others = [job for job in jobs if job["rule"] != "train_block"]
    first_start = min((job["start"] for job in jobs), default=started_at)
    last_train_end = max((job["end"] for job in training), default=first_start)
    training_phase = last_train_end - min((job["start"] for job in training), default=first_start)
    return {
        "parse_to_first_job_seconds": first_start - started_at,
        "training_phase_seconds": training_phase,
        "idle_core_seconds": (cores or os.cpu_count()) * training_phase - sum(job["seconds"] for job in training),
        "training_jobs": len(training),
        "training_job_seconds": sum(job["seconds"] for job in training),
        "training_seconds_in_jobs": sum(trained.values()),
        "job_overhead_seconds": sum(job["overhead_seconds"] for job in training),
        "job_overhead_seconds_per_job": (
            sum(job["overhead_seconds"] for job in training) / len(training) if training else None
        ),
        "rules": {job["rule"]: job["seconds"] for job in others},
        "after_training_seconds": max((job["end"] for job in jobs), default=last_train_end) - last_train_end,
        "after_last_job_seconds": started_at + seconds - max((job["end"] for job in jobs), default=started_at),
        "jobs": [
            {key: job[key] for key in ("rule", "seconds", "training_seconds", "overhead_seconds", "runs") if key in job}
            | {"output": job["outputs"][0], "start_offset": job["start"] - started_at}
            for job in jobs
        ],
    }


def machine() -> dict:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "load_average": list(load) if load else None,
    }


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def write_json(path: Path, content: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, default=str) + "\n")
    print(f"wrote {path}")


def filename_safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "_", name).strip("_") or "device"
