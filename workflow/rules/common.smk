import functools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, workflow.basedir)  # the workflow's own pairstudy, as in its jobs

from pairstudy.aggregate import expected_run
from pairstudy.aggregate.stale import remove_corrupt_tables
from pairstudy.metrics import canonical_json
from pairstudy.paths import (
    REPORT_FOLDER,
    RUN_FILE,
    SEEDS_DECISION,
    TUNING_RANKING,
    TUNING_SELECTION,
    StoreOutsideProject,
    run_file,
    run_store,
)
from pairstudy.progress import make_plan, measure, write_plan
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
from pairstudy.study.stages import blocks_of_count, counts_at_stage, decided_counts, read_decision, study_looks
from pairstudy.study.trainer import trainer_file
from pairstudy.study.tuning import planned_work, read_selection, study_tuning, tuned_configurations
from pairstudy.why import block_changes, summary_lines

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
    # each study's configurations as declared: a tuned study's train at the settings its tuning chooses instead
    # (`final_configurations`); its tuning cells are in TUNING
    CONFIGURATIONS = {
        study: {configuration.name: configuration for configuration in expand_configurations(study, spec)}
        for study, spec in config["studies"].items()
    }
    TUNING = {
        study: plan
        for study, spec in config["studies"].items()
        if (plan := study_tuning(study, spec, list(CONFIGURATIONS[study].values())))
    }
    # each sequential study's looks: the seeds every configuration has after each stage it is kept open for
    SEQUENTIAL = {study: looks for study, spec in config["studies"].items() if (looks := study_looks(spec))}
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
    stage=r"[1-9]\d*",


BLOCKS = {
    study: seed_blocks(seed_list(spec["seeds"]), spec["seeds_per_job"]) for study, spec in config["studies"].items()
}
TUNING_BLOCKS = {
    study: seed_blocks(plan.seeds, config["studies"][study]["seeds_per_job"]) for study, plan in TUNING.items()
}


def selected_configurations(study):
    """A tuned study's configurations at the settings its selection step chose; None before it has chosen (or when
    its choice was made for another tuning plan)."""
    chosen = read_selection(TUNING[study])
    if chosen is None:
        return None
    configurations = tuned_configurations(TUNING[study], list(CONFIGURATIONS[study].values()), chosen)
    return {configuration.name: configuration for configuration in configurations}


def final_configurations(study):
    """The study's configurations as its own runs train them. For a tuned study this waits for its selection step
    (a checkpoint): called from an input function, it plans the selection first and the rest once it has run."""
    if study not in TUNING:
        return CONFIGURATIONS[study]
    checkpoints.select_tuning.get(study=study)
    found = selected_configurations(study)
    if found is None:
        raise WorkflowError(f"{study}: the selection step ran but {TUNING_SELECTION.format(study=study)} is unreadable")
    return found


def configuration(wildcards):
    study, name = wildcards.study, wildcards.config
    if study in TUNING and name in TUNING[study].cells:
        return TUNING[study].cells[name]
    if study in TUNING and name in CONFIGURATIONS[study]:
        found = selected_configurations(study)
        if found is None:
            raise WorkflowError(
                f"{study}: {name} trains at the settings tuning chooses, and none are chosen yet: run the workflow "
                f"(or snakemake {TUNING_SELECTION.format(study=study)}) first"
            )
        return found[name]
    try:
        return CONFIGURATIONS[study][name]
    except KeyError:
        raise WorkflowError(
            f"{name!r} is not a configuration of study {study!r}; configurations: {sorted(CONFIGURATIONS[study])}"
        ) from None


def blocks_of(study, name):
    """The seed blocks a configuration trains: the tuning seeds' for a tuning cell, the study's for the rest."""
    return TUNING_BLOCKS[study] if study in TUNING and name in TUNING[study].cells else BLOCKS[study]


def known_work(study):
    """Every configuration of the study whose settings are known now, with its seed blocks (see planned_work)."""
    spec = config["studies"][study]
    return planned_work(spec, list(CONFIGURATIONS[study].values()), TUNING.get(study))


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
        "seeds": list(blocks_of(wildcards.study, chosen.name)[int(wildcards.block)]),
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
        for chosen, blocks in known_work(study):
            if "trainer" in chosen.hyperparameters:  # a function of one's own: its cost is unknown
                per_seed = 0
            else:
                code = configuration_code(chosen.hyperparameters)
                per_seed = training_multiply_adds(chosen.architecture, chosen.hyperparameters, seeds=1, code=code)
            for block, seeds in blocks.items():
                costs[study, chosen.name, block] = per_seed * len(seeds)
    rank = {cost: level for level, cost in enumerate(sorted(set(costs.values())))}
    return {key: rank[cost] for key, cost in costs.items()}


def block_priority(wildcards):
    """The costliest blocks start first, so the last cores are not left waiting on one long job. Only the process
    that schedules jobs ranks them (it imports torch to count): a dry run or a re-parsing job gives every block 0.
    A dry run, which has no onstart, says here what changed since training (`announce_changes`)."""
    if workflow.dryrun and workflow.is_main_process:
        announce_changes()
    if workflow.dryrun or not workflow.is_main_process:
        return 0
    # a tuned study's own blocks are ranked from its chosen settings, known only after its selection step
    return block_ranks().get((wildcards.study, wildcards.config, int(wildcards.block)), 0)


def stage_decision(study, stage):
    """The decision after a stage of a sequential study; called from an input function, it plans the decision step
    (a checkpoint) first, and the rest once it has run."""
    checkpoints.decide_seeds.get(study=study, stage=str(stage))
    decision = read_decision(study, stage)
    if decision is None:
        raise WorkflowError(f"{study}: {SEEDS_DECISION.format(study=study, stage=stage)} is unreadable")
    return decision


def blocks_of_counts(study, counts):
    return {name: blocks_of_count(count, config["studies"][study]["seeds_per_job"]) for name, count in counts.items()}


def staged(study):
    """A sequential study's seeds per configuration, stage and whether it is done, from its stages' decisions (each
    decision step planned before what depends on it)."""
    return decided_counts(list(CONFIGURATIONS[study]), SEQUENTIAL[study], functools.partial(stage_decision, study))


def final_blocks(study):
    """Each configuration's seed blocks: the study's seeds, or a sequential study's seeds so far."""
    if study not in SEQUENTIAL:
        return {name: BLOCKS[study] for name in final_configurations(study)}
    counts, _, _ = staged(study)
    return blocks_of_counts(study, counts)


def stage_blocks(study, stage):
    """The seed blocks of each configuration that a sequential study's decision after `stage` reads."""
    decide = functools.partial(stage_decision, study)
    return blocks_of_counts(study, counts_at_stage(list(CONFIGURATIONS[study]), SEQUENTIAL[study], stage, decide))


def run_files(study):
    """The run files of the study's own configurations (a tuned study's once its settings are chosen)."""
    return [run_file(study, name, block) for name, blocks in final_blocks(study).items() for block in blocks]


def stage_run_files(study, stage):
    return [run_file(study, name, block) for name, blocks in stage_blocks(study, stage).items() for block in blocks]


def stage_expected(study, stage):
    return expected_of(
        study, [(CONFIGURATIONS[study][name], blocks) for name, blocks in stage_blocks(study, stage).items()]
    )


def decision_files(study):
    """A sequential study's decision files, stage by stage (planning them first); none for the other studies."""
    if study not in SEQUENTIAL:
        return []
    _, stage, _ = staged(study)
    return [SEEDS_DECISION.format(study=study, stage=number) for number in range(1, stage + 1)]


def final_decision(study):
    """A sequential study's last decision file (planning its stages first); none for the other studies."""
    return decision_files(study)[-1:]


def tuning_run_files(study):
    return [run_file(study, name, block) for name in TUNING[study].cells for block in TUNING_BLOCKS[study]]


def expected_of(study, work):
    """What each run file of `work` ((configuration, its seed blocks) pairs) must hold, for the step that reads it to
    check: its configuration, its seeds and the code its training job trains with (`block_code`), so a file trained
    by older code is refused."""
    return [
        expected_run(study, chosen.name, block, seeds, chosen.hyperparameters)
        for chosen, blocks in work
        for block, seeds in blocks.items()
    ]


def expected_runs(study):
    configurations = final_configurations(study)
    return expected_of(study, [(configurations[name], blocks) for name, blocks in final_blocks(study).items()])


def expected_tuning_runs(study):
    return expected_of(study, [(cell, TUNING_BLOCKS[study]) for cell in TUNING[study].cells.values()])


def tuning_outputs(study):
    """A tuned study's selection files (selected settings, then the ranking), for its report; none for the others."""
    return [TUNING_SELECTION.format(study=study), TUNING_RANKING.format(study=study)] if study in TUNING else []


def tuning_costs(study):
    """Each tuning cell's multiply-adds per run, for breaking ties towards the cheaper setting (None for a training
    function of one's own, whose cost is unknown: its ties go to the setting the space names first)."""
    from pairstudy.models.cost import training_multiply_adds

    return {
        name: (
            None
            if "trainer" in cell.hyperparameters
            else training_multiply_adds(
                cell.architecture, cell.hyperparameters, seeds=1, code=configuration_code(cell.hyperparameters)
            )
        )
        for name, cell in TUNING[study].cells.items()
    }


def study_spec(study):
    """The study as the report describes it: the validated config section and the run count."""
    spec = config["studies"][study]
    return {"name": study, **spec, "seeds": seed_list(spec["seeds"])}


def gpu_resources():
    """A training job's request for one GPU, in the resource each executor reads (docs/executors.md): `gpu` (and
    `gpu_model`) for SLURM (--gpus), `gpu` and `gpu_manufacturer` for Kubernetes, `nvidia_gpu` for Google Batch (a
    count, or the accelerator type: one of it), `request_gpus` (and `require_gpus`) for HTCondor, `lsf_extra` (bsub's
    -gpu) for LSF, `pbs_gpus` (a select chunk's ngpus) for profiles/cluster-generic. Each executor reads its own and
    passes over the others. None for a job that asks for no GPU, so executors that refuse GPU resources take CPU
    jobs."""
    import shlex

    if not config["device"].startswith("cuda"):
        return {}
    model = config["gpu_model"]
    resources = {"gpu": 1}
    if model:
        resources["gpu_model"] = model
    if config["gpu_manufacturer"]:
        resources["gpu_manufacturer"] = config["gpu_manufacturer"]
    resources["nvidia_gpu"] = model or 1
    resources["request_gpus"] = 1
    if model:
        resources["require_gpus"] = f'regexp("{model}", DeviceName, "i")'
    request = f"num=1:gmodel={model}" if model else "num=1"
    resources["lsf_extra"] = f"-gpu {shlex.quote(request)}"
    resources["pbs_gpus"] = ":ngpus=1"
    return resources


def study_targets(study, wildcards=None):
    """A study's report, its run check, and every run file (a deleted one is trained again); a tuned study's once its
    selection step has run, which this plans first."""
    return [f"reports/{study}/index.html", f"results/{study}/runs_ok", *run_files(study)]


def get_final_output():
    """One input function per study (a tuned study's waits for its selection step, the others' need not), and the
    tuning cells' run files."""
    targets = [functools.partial(study_targets, study) for study in config["studies"]]
    return targets + [path for study in TUNING for path in tuning_run_files(study)]


def baselines(study):
    return baseline_names(list(CONFIGURATIONS[study].values()), config["studies"][study])


def block_reasons(study, chosen, blocks, block):
    """What changed since the block's run file was trained, as `pairstudy why` says it (empty: nothing)."""
    path = run_file(study, chosen.name, block)
    return block_changes(path, list(blocks[block]), chosen.hyperparameters, configuration_code(chosen.hyperparameters))


def say(line):
    print(f"pairstudy: {line}", file=sys.stderr, flush=True)


# Snakemake states each job's reason (a re-run's is the whole dict of the block's settings, before and now); the
# profile quiets it (`quiet: [reason]`), and the workflow says it the way `pairstudy why` does: as it starts
# (`announce_jobs`), or in a dry run, which starts nothing, as the first training job is planned.
@functools.cache
def announce_changes():
    for study in config["studies"]:
        try:
            changes = [
                (run_file(study, chosen.name, block), block_reasons(study, chosen, blocks, block))
                for chosen, blocks in known_work(study)
                for block in blocks
            ]
        except Exception as error:  # what the console is told is not worth a failed dry run
            say(f"{study}: cannot say what changed ({type(error).__name__}: {error})")
            continue
        for line in summary_lines(changes):
            say(f"{study}: {line}")
        if study in SEQUENTIAL:
            say(f"{study}: {stage_line(study)}")


def stage_line(study):
    """Where a sequential study stands: its stage, its seeds and the configurations still open."""
    looks = SEQUENTIAL[study]
    names = list(CONFIGURATIONS[study])
    counts, stage, decided = decided_counts(names, looks, lambda number: read_decision(study, number))
    if decided:
        return (
            f"seeds decided in {stage} stage{'s' * (stage != 1)} ({', '.join(f'{n} {c}' for n, c in counts.items())})"
        )
    open_ = [name for name, count in counts.items() if count == looks[stage - 1]]
    return (
        f"stage {stage} of at most {len(looks)}: {looks[stage - 1]} seeds for {len(open_)} of {len(names)} "
        "configurations, then its decision"
    )


def announce_jobs():
    """Before the first job: each study's progress so far (written down as the plan its jobs report against), its
    training jobs with `pairstudy why`'s reasons, and the steps after them with Snakemake's reasons in short."""
    jobs = list(workflow.dag.needrun_jobs())
    for study in config["studies"]:
        store = run_store(study, outside_allowed=config["store_outside_project"])
        work = known_work(study)
        plan = make_plan(study, work, store)
        write_plan(plan)
        mine = [job for job in jobs if job.wildcards_dict.get("study") == study]
        known = {chosen.name: (chosen, blocks) for chosen, blocks in work}
        order = [run_file(study, chosen.name, block) for chosen, blocks in work for block in blocks]
        training = sorted(
            (job for job in mine if job.rule.name == "train_block"), key=lambda job: order.index(job.output[0])
        )
        changes = []
        for job in training:
            wildcards = job.wildcards_dict
            chosen, blocks = known[wildcards["config"]]
            reasons = block_reasons(study, chosen, blocks, int(wildcards["block"]))
            # a job Snakemake runs for a reason of its own (--forcerun, the script's code): its reason, in short
            changes.append((job.output[0], reasons or list(workflow.dag.reason(job).get_names())))
        lines = summary_lines(changes) + ([stage_line(study)] if study in SEQUENTIAL else [])
        count = f"{len(training)} training job{'s' * (len(training) != 1)} to run" if training else "no training to run"
        head = f"{measure(plan).counts()}; {count}"
        if len(lines) == 1:
            say(f"{head}: {lines[0]}")
        else:
            say(head + (":" if lines else ""))
            for line in lines:
                say(f"  {line}")
        after = [job for job in mine if job.rule.name != "train_block"]
        if after:
            order = [declared.name for declared in workflow.rules]  # the order they run in
            rules = ", ".join(sorted({job.rule.name for job in after}, key=order.index))
            reasons = ", ".join(dict.fromkeys(name for job in after for name in workflow.dag.reason(job).get_names()))
            say(f"{study}: then {rules} ({reasons})")


def announce_reports(since=0.0):
    """Where each study's report is, once the workflow ends (those written since `since`)."""
    for study in config["studies"]:
        page = Path(REPORT_FOLDER.format(study=study)) / "index.html"
        if page.exists() and page.stat().st_mtime >= since:
            say(
                f"{study}: the report is {page} (beside it report.md, and paper/ with each chart and table for a paper)"
            )


STARTED = time.time()  # the reports written since are this run's


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
    try:
        announce_jobs()
    except Exception as error:  # what the console is told is not worth a workflow that does not start
        say(f"cannot say what runs and how far the studies have come ({type(error).__name__}: {error})")


onsuccess:
    announce_reports()


onerror:
    # failed runs stop the workflow after their study's report is written: it lists them
    announce_reports(since=STARTED)
