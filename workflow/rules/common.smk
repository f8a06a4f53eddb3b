import shutil

from snakemake.utils import validate

from pairstudy.study import (
    NAME_PATTERN,
    SCHEMA_PATH,
    ConfigError,
    expand_configurations,
    seed_list,
    validate_config,
)
from pairstudy.study.jobs import seed_blocks
from pairstudy.provenance import code_hash

try:
    config = validate_config(config)
except ConfigError as error:
    raise WorkflowError(f"config.yaml: {error}") from None
validate(config, SCHEMA_PATH, set_default=False)


wildcard_constraints:
    study="|".join(config["studies"]),
    config=NAME_PATTERN,
    seed=r"\d+",


CONFIGURATIONS = {
    study: {configuration.name: configuration for configuration in expand_configurations(study, spec)}
    for study, spec in config["studies"].items()
}
SEEDS = {study: seed_list(spec["seeds"]) for study, spec in config["studies"].items()}
TRAINING_CODE_HASH = code_hash()
USES_GPU = config["device"].startswith("cuda") or (
    config["device"] == "auto" and shutil.which("nvidia-smi") is not None
)


def seeds_per_job(study):
    """The study's setting, else blocks of 40 seeds on a GPU (one vectorised model) and of 5 on
    the CPU (seed after seed: a job's process start, about 3 s, is paid once per 5 runs).
    """
    chosen = config["studies"][study]["seeds_per_job"]
    return chosen if chosen is not None else (40 if USES_GPU else 5)


def run_files(study):
    return [
        f"results/{study}/runs/{name}/seed{seed}.parquet" for name in CONFIGURATIONS[study] for seed in SEEDS[study]
    ]


def run_params(study, name):
    """The job's whole resolved run as ONE dict, so any change to it reruns the job."""
    configuration = CONFIGURATIONS[study][name]
    return {
        "study": study,
        "config": name,
        "factors": configuration.factors,
        "hyperparameters": configuration.hyperparameters,
    }


def study_params(study):
    spec = config["studies"][study]
    return {
        "name": study,
        "description": spec["description"],
        "data": spec["data"],
        "seeds": SEEDS[study],
        "factors": spec["factors"],
        "training": spec["training"],
        "overrides": spec["overrides"],
        "published": spec.get("published"),
    }


def get_final_output():
    return [f"reports/{study}/index.html" for study in config["studies"]]
