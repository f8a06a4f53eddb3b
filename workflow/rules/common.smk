import functools
import json
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)  # the workflow's own pairstudy, as in its jobs

from pairstudy.aggregate import expected_run
from pairstudy.aggregate.stale import remove_corrupt_tables
from pairstudy.metrics import canonical_json
from pairstudy.paths import RUN_FILE, StoreOutsideProject, run_file, run_store
from pairstudy.provenance import code_hash, configuration_code
from pairstudy.study import (
    NAME_PATTERN,
    baseline_names,
    ConfigError,
    expand_configurations,
    read_yaml,
    seed_blocks,
    seed_list,
    validate_config,
)
from pairstudy.study.preflight import metric_spec, preflight, stale_lock_note
from pairstudy.study.trainer import trainer_file

# Every job runs pairstudy's code from this folder, in the environment Snakemake runs in or, with `--sdm conda`,
# in this one (see the file).
SOFTWARE_ENV = "../envs/pairstudy.yaml"


def names_code(written: dict) -> bool:
    studies = written.get("studies")
    studies = studies if isinstance(studies, dict) else {}  # any other shape is refused, naming studies, below
    trainers = any("trainer" in study for study in studies.values() if isinstance(study, dict))
    return bool({"model_files", "task_files"} & set(written)) or trainers


def code_files_folder():
    """Model and task files and training functions are relative to the config file that names them (the last one,
    when several do)."""
    folder = Path(".")
    for path in workflow.configfiles:
        if names_code(read_yaml(path)):
            folder = Path(path).parent
    return folder


try:
    for path in workflow.configfiles:
        read_yaml(path)  # a key written twice is refused, where YAML would keep the last silently
    folder = code_files_folder()
    config = validate_config(config, folder)
    # for the jobs, which import them before they train
    CODE_FILES = [str((folder / path).resolve()) for path in [*config["model_files"], *config["task_files"]]]
    CODE_FILES += [trainer_file(spec["trainer"]) for spec in config["studies"].values() if "trainer" in spec]
    CONFIGURATIONS = {
        study: {configuration.name: configuration for configuration in expand_configurations(study, spec)}
        for study, spec in config["studies"].items()
    }
    if workflow.is_main_process:  # a job re-parsing the workflow on a cluster node need not check again
        chosen = {study: list(found.values()) for study, found in CONFIGURATIONS.items()}
        for note in preflight(config, chosen):  # the same checks as `pairstudy grid`
            print(f"pairstudy: {note}", file=sys.stderr)
        # Snakemake's LockException after a kill -9 says only "--unlock": say when that is safe, before it
        note = stale_lock_note()
        if note:
            print(f"pairstudy: {note}", file=sys.stderr)
except ConfigError as error:
    raise WorkflowError(f"config: {error}") from None

if workflow.is_main_process:
    for study in config["studies"]:
        try:  # the jobs keep runs in the store: one a link leads out of the project is refused before any job
            run_store(study, outside_allowed=config["store_outside_project"])
        except StoreOutsideProject as error:
            raise WorkflowError(f"config: {error}") from None
        # a corrupt table would fail every run of the steps that read it: removed, it is built again in this run
        for note in remove_corrupt_tables(study):
            print(f"pairstudy: {note}", file=sys.stderr)


wildcard_constraints:
    study="|".join(config["studies"]),
    config=NAME_PATTERN,
    block=r"\d+",


BLOCKS = {
    study: seed_blocks(seed_list(spec["seeds"]), spec["seeds_per_job"]) for study, spec in config["studies"].items()
}


def configuration(wildcards):
    try:
        return CONFIGURATIONS[wildcards.study][wildcards.config]
    except KeyError:
        raise WorkflowError(
            f"{wildcards.config!r} is not a configuration of study {wildcards.study!r}; "
            f"configurations: {sorted(CONFIGURATIONS[wildcards.study])}"
        ) from None


def block_code(wildcards):
    return configuration_code(configuration(wildcards).hyperparameters)


def block_trainer_file(wildcards):
    """The file of the study's training function of one's own; empty for a study of a task."""
    spec = config["studies"][wildcards.study]
    return trainer_file(spec["trainer"]) if "trainer" in spec else ""


def study_metrics(study):
    """The study's metrics (its task's or its training function's), as the run files store them."""
    return metric_spec(config["studies"][study]).to_dict()


def block_run(wildcards):
    """Everything that decides what a block trains, as ONE dict (keys sorted: the order a config file writes them in
    changes nothing), so any change to it reruns the block."""
    chosen = configuration(wildcards)
    run = {
        "study": wildcards.study,
        "config": chosen.name,
        "seeds": list(BLOCKS[wildcards.study][int(wildcards.block)]),
        "factors": chosen.factors,
        "hyperparameters": chosen.hyperparameters,
    }
    return json.loads(canonical_json(run))


@functools.cache
def block_ranks():
    """Every block's rank by its training cost (0 for the cheapest), over all studies."""
    from pairstudy.models.cost import training_multiply_adds

    costs = {}
    for study in config["studies"]:
        for name, chosen in CONFIGURATIONS[study].items():
            if "trainer" in chosen.hyperparameters:  # a function of one's own: its cost is unknown
                per_seed = 0
            else:
                code = configuration_code(chosen.hyperparameters)
                per_seed = training_multiply_adds(chosen.architecture, chosen.hyperparameters, seeds=1, code=code)
            for block, seeds in BLOCKS[study].items():
                costs[study, name, block] = per_seed * len(seeds)
    rank = {cost: level for level, cost in enumerate(sorted(set(costs.values())))}
    return {key: rank[cost] for key, cost in costs.items()}


def block_priority(wildcards):
    """The costliest blocks start first, so the last cores are not left waiting on one long job. Only the process
    that schedules jobs ranks them (it imports torch to count): a dry run or a re-parsing job gives every block 0."""
    if workflow.dryrun or not workflow.is_main_process:
        return 0
    return block_ranks()[(wildcards.study, wildcards.config, int(wildcards.block))]


def run_files(study):
    return [run_file(study, name, block) for name in CONFIGURATIONS[study] for block in BLOCKS[study]]


def expected_runs(study):
    """What each run file of the study must hold, for the aggregate step to check: its configuration, its seeds and
    the code its training job trains with (`block_code`), so a file trained by older code is refused."""
    return [
        expected_run(study, name, block, seeds, chosen.hyperparameters)
        for name, chosen in CONFIGURATIONS[study].items()
        for block, seeds in BLOCKS[study].items()
    ]


def study_spec(study):
    """The study as the report describes it: the validated config section and the run count."""
    spec = config["studies"][study]
    return {"name": study, **spec, "seeds": seed_list(spec["seeds"])}


def gpu_resources():
    """Resources only for jobs that ask for a GPU, so executors that refuse unknown GPU resources take CPU jobs."""
    if not config["device"].startswith("cuda"):
        return {}
    resources = {"gpu": 1}
    if config["gpu_model"]:
        resources["gpu_model"] = config["gpu_model"]
    if config["gpu_manufacturer"]:
        resources["gpu_manufacturer"] = config["gpu_manufacturer"]
    return resources


def get_final_output():
    """Each study's report, its run check, and every run file: a deleted run file is trained again."""
    return [
        path
        for study in config["studies"]
        for path in [f"reports/{study}/index.html", f"results/{study}/runs_ok", *run_files(study)]
    ]


def baselines(study):
    return baseline_names(list(CONFIGURATIONS[study].values()), config["studies"][study])


onstart:
    # the device a config asks for is checked where the jobs train: here for local jobs, at job start on a cluster
    if config["device"].startswith("cuda"):
        if workflow.local_exec:
            from pairstudy.train.device import resolve_device

            try:
                resolve_device(config["device"])
            except RuntimeError as error:
                raise WorkflowError(f"config key device: {error}") from None
        else:
            print(f"pairstudy: device {config['device']} is checked when each training job starts", file=sys.stderr)
