"""Why a training job would run: what differs between a configuration's current settings and those its run
file holds. A dry run shows both whole dicts; this names the keys."""

from __future__ import annotations

import json
from pathlib import Path

from pairstudy.metrics import RunFileError, canonical_json, dotted_keys, read_run_metadata, read_runs
from pairstudy.metrics.io import training_code_of

UNUSED = "(not used)"
NOT_TRAINED = "not trained yet"
UP_TO_DATE = "nothing to retrain: every run file holds its configuration's current settings, seeds and code"
LISTED = 20  # changed run files named one by one on the console; `pairstudy why` names them all


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
    from pairstudy.metrics import hyperparameter_hash
    from pairstudy.progress import block_identity

    path = Path(path)
    if not path.exists():
        return [NOT_TRAINED]
    found = block_identity(path)  # the file's footer alone says whether it holds exactly these (a quick answer)
    if (
        found is not None
        and found.get("config_hash") == hyperparameter_hash(hyperparameters)
        and found.get("code") == code
        and sorted(found.get("seeds") or []) == sorted(seeds)
    ):
        return []
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
    """(run file, reasons) for every block of the study whose settings are known (a tuned study's own once its
    tuning has chosen them), in the workflow's order."""
    from pairstudy.paths import run_file
    from pairstudy.provenance import configuration_code
    from pairstudy.study import expand_configurations
    from pairstudy.study.tuning import planned_work, study_tuning

    configurations = expand_configurations(study_name, study)
    changes = []
    for configuration, blocks in planned_work(study, configurations, study_tuning(study_name, study, configurations)):
        code = configuration_code(configuration.hyperparameters)
        for block, seeds in blocks.items():
            path = run_file(study_name, configuration.name, block)
            changes.append((path, block_changes(path, list(seeds), configuration.hyperparameters, code)))
    return changes


def summary_lines(changes: list[tuple[str, list[str]]], limit: int = LISTED) -> list[str]:
    """`pairstudy why`'s lines for the run files that would train, in few lines: those not trained yet counted in
    one, each changed one named with what changed (the first `limit`, then how many more)."""
    new = [path for path, reasons in changes if reasons == [NOT_TRAINED]]
    changed = [(path, reasons) for path, reasons in changes if reasons and reasons != [NOT_TRAINED]]
    lines = [f"{len(new)} run file{'s' * (len(new) != 1)} {NOT_TRAINED}"] if new else []
    lines += [f"{path}: " + "; ".join(reasons) for path, reasons in changed[:limit]]
    if len(changed) > limit:
        lines.append(f"... and {len(changed) - limit} more (`pairstudy why` names them all)")
    return lines
