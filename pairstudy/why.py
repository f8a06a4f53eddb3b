"""Why a training job would run: what differs between a configuration's current settings and those its run
file holds. A dry run shows both whole dicts; this names the keys."""

from __future__ import annotations

import json
from pathlib import Path

from pairstudy.metrics import RunFileError, canonical_json, dotted_keys, read_run_metadata, read_runs
from pairstudy.metrics.io import training_code_of

UNUSED = "(not used)"


def changed_keys(before: dict, after: dict) -> list[str]:
    """'lr: 0.005 -> 0.01' for each key whose value differs (a key one side lacks reads as not used)."""
    old, new = dotted_keys(before), dotted_keys(after)
    lines = []
    for key in dict.fromkeys([*old, *new]):
        if canonical_json(old.get(key, UNUSED)) != canonical_json(new.get(key, UNUSED)):
            lines.append(f"{key}: {old.get(key, UNUSED)} -> {new.get(key, UNUSED)}")
    return lines


def block_changes(path: str | Path, seeds: list[int], hyperparameters: dict, code: str) -> list[str]:
    """What would make the block's job run: empty when its run file holds exactly these seeds, settings and code."""
    path = Path(path)
    if not path.exists():
        return ["not trained yet"]
    try:
        table = read_runs(path)
        found_code = training_code_of(read_run_metadata(path))
    except RunFileError as error:
        return [f"unreadable: {error}"]
    found_seeds = sorted(table["seed"].unique().tolist())
    reasons = [] if found_seeds == sorted(seeds) else [f"seeds: {found_seeds} -> {sorted(seeds)}"]
    reasons += changed_keys(json.loads(table["hyperparameters"].iloc[0]), hyperparameters)
    if found_code != code:  # the aggregate step refuses such a file (pairstudy.metrics.check_identity)
        reasons.append(f"code: {found_code} -> {code}")
    return reasons


def study_changes(study_name: str, study: dict) -> list[tuple[str, list[str]]]:
    """(run file, reasons) for every block of the study, in the workflow's order."""
    from pairstudy.paths import run_file
    from pairstudy.provenance import configuration_code
    from pairstudy.study import expand_configurations, seed_blocks, seed_list

    blocks = seed_blocks(seed_list(study["seeds"]), study["seeds_per_job"])
    changes = []
    for configuration in expand_configurations(study_name, study):
        code = configuration_code(configuration.hyperparameters)
        for block, seeds in blocks.items():
            path = run_file(study_name, configuration.name, block)
            changes.append((path, block_changes(path, list(seeds), configuration.hyperparameters, code)))
    return changes
