"""Sequential studies: the seed plan's rules, the decision after a stage, the statistics it leaves in the tables,
and a tiny sequential study through the workflow to its report's Seeds section."""

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from pairstudy.stats import sequential
from pairstudy.stats.stages import apply_decision, stage_decision, study_drivers
from pairstudy.stats.study import crossed_factors, study_statistics
from pairstudy.stats.words import FACTOR_EFFECTS, ONE_FACTOR
from pairstudy.study import ConfigError, validate_config
from pairstudy.study.stages import counts_at_stage, decided_counts
from tests.helpers import DIGIT_PAIRS, copy_workflow, output_of, planned_then_run, snakemake
from tests.report_claims import check_report, check_rows

STUDY = {
    "seeds": {"initial": 3, "step": 3, "max": 9, "until": "resolved"},
    "seeds_per_job": 3,
    "data": {"n_pairs": 100},
    "training": {"epochs": 1, "batch_size": 50},
    "factors": {"architecture": ["mlp", "twin"], "sharing": [False, True]},
}
CONFIG = {"report": {"charts": []}, "studies": {"seq": STUDY}}
VALUE = DIGIT_PAIRS.headline_run_metric


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"seeds_per_job": 2}, "studies.seq.seeds_per_job: with a sequential seed plan it must divide initial (3)"),
        ({"seeds": {"initial": 6, "step": 3, "max": 3, "until": "resolved"}}, "studies.seq.seeds.max: 3 is below"),
        ({"factors": {"architecture": ["mlp"]}}, "studies.seq.seeds.until: the study has one configuration"),
        ({"tuning": {"space": {"lr": [0.1, 0.01]}, "seeds": [100]}}, "cannot be combined"),
    ],
)
def test_a_seed_plan_that_cannot_run_in_whole_stages_is_refused_naming_its_key(changes, named):
    config = copy.deepcopy(CONFIG)
    config["studies"]["seq"].update(changes)
    with pytest.raises(ConfigError) as error:
        validate_config(config)
    assert named in str(error.value)


def finals_of(means: dict, seeds: int, sd: float = 0.01, seed: int = 0) -> pd.DataFrame:
    """Runs of configurations named in `means` (architecture-sharing-aux, 2 x 2 twin cells), normal per seed."""
    rng = np.random.default_rng(seed)
    rows = []
    for config, mean in means.items():
        sharing, aux = "nosharing" not in config, "noaux" not in config
        for number in range(seeds):
            value = mean + rng.normal(0, sd)
            rows.append(
                {"config": config, "seed": number, "status": "ok", VALUE: value, "sharing": sharing, "aux": aux}
            )
    return pd.DataFrame(rows)


MEANS = {"twin-nosharing-noaux": 0.80, "twin-nosharing-aux": 0.80, "twin-sharing-noaux": 0.90, "twin-sharing-aux": 0.90}
LOOKS = (5, 10, 15)


def test_the_drivers_are_the_pairs_one_factor_apart_and_the_factor_effects():
    finals = finals_of(MEANS, 5)
    drivers = study_drivers(finals, ["sharing", "aux"], crossed_factors(finals, ["sharing", "aux"]), "comparisons")
    assert [d.family for d in drivers] == [ONE_FACTOR] * 4 + [FACTOR_EFFECTS] * 3
    assert [d.name for d in drivers[4:]] == ["sharing", "aux", "sharing x aux"]


def test_a_clear_difference_resolves_and_only_the_configurations_of_open_comparisons_go_on():
    finals = finals_of(MEANS, 10)
    drivers = study_drivers(finals, ["sharing", "aux"], ["sharing", "aux"], "comparisons")
    decision = stage_decision(finals, VALUE, drivers, LOOKS, 2, "resolved", 0.01)
    states = {row["name"]: row["decision"] for row in decision["drivers"]}
    # sharing adds 10 points at a spread of 1: resolved by the second look; aux adds nothing
    assert states["sharing"] == sequential.RESOLVED
    assert states["twin-nosharing-noaux → twin-sharing-noaux"] == sequential.RESOLVED
    assert states["aux"] != sequential.RESOLVED and not decision["done"]
    open_configs = {c for row in decision["drivers"] if row["decision"] == sequential.CONTINUE for c in row["configs"]}
    assert set(decision["next"]) == open_configs
    # the last stage leaves nothing open
    last = stage_decision(finals_of(MEANS, 15), VALUE, drivers, LOOKS, 3, "resolved", None)
    assert last["done"] and last["next"] == []
    assert all(row["decision"] in (sequential.RESOLVED, sequential.BUDGET_REACHED) for row in last["drivers"])


def test_the_precision_rule_stops_each_interval_once_it_is_narrow_enough():
    finals = finals_of(MEANS, 10, sd=0.01)
    drivers = study_drivers(finals, ["sharing", "aux"], ["sharing", "aux"], "configurations")
    assert [d.name for d in drivers] == list(MEANS)
    wide = stage_decision(finals, VALUE, drivers, LOOKS, 2, {"precision": 0.001, "of": "configurations"}, None)
    assert wide["next"] == list(MEANS) and not wide["done"]
    narrow = stage_decision(finals, VALUE, drivers, LOOKS, 2, {"precision": 0.05, "of": "configurations"}, None)
    assert narrow["done"] and {row["decision"] for row in narrow["drivers"]} == {sequential.PRECISE}
    for row in narrow["drivers"]:
        assert row["high"] - row["mean"] <= 0.05 and row["fixed_design_seeds"] <= 10


def test_the_tables_carry_the_sequential_numbers_and_every_row_agrees_with_its_words():
    finals = finals_of(MEANS, 10)
    factors = ["architecture", "sharing", "aux"]
    finals["architecture"] = "twin"
    tables = study_statistics(finals, factors, spec=DIGIT_PAIRS, baselines=[], smallest_effect=0.01)
    drivers = study_drivers(finals, factors, crossed_factors(finals, factors), "comparisons")
    decision = stage_decision(finals, VALUE, drivers, LOOKS, 2, "resolved", 0.01)
    changed = apply_decision(tables, decision, 0.01)
    comparisons = changed["comparisons"]
    assert comparisons["ci_method"].str.startswith("repeated confidence interval").all()
    assert comparisons["seeds_decision"].notna().all() and comparisons["seeds_needed"].isna().all()
    sharing = decision["drivers"][[row["name"] for row in decision["drivers"]].index("sharing")]
    effect = changed["effects"].set_index("effect").loc["sharing"]
    assert (effect["ci_low"], effect["ci_high"]) == (sharing["low"], sharing["high"])
    for table in (comparisons, changed["effects"]):
        check_rows(table)


def test_counts_follow_the_decisions_stage_by_stage():
    decisions = {1: {"next": ["a", "b"], "done": False}, 2: {"next": ["b"], "done": False}}
    assert counts_at_stage(["a", "b", "c"], (3, 6, 9), 3, decisions.get) == {"a": 6, "b": 9, "c": 3}
    assert decided_counts(["a", "b", "c"], (3, 6, 9), decisions.get) == ({"a": 6, "b": 9, "c": 3}, 3, False)


@pytest.fixture(scope="module")
def sequential_run(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("sequential"), CONFIG)
    return workdir, planned_then_run(workdir)


def test_a_dry_run_before_the_first_stage_plans_its_seeds_and_its_decision(sequential_run):
    _, before = sequential_run
    assert sorted(before["train_block"]) == [
        f"results/seq/runs/{c}/block0.parquet" for c in ("mlp", "twin-nosharing", "twin-sharing")
    ]
    assert before["decide_seeds"] == ["results/seq/seeds/stage1.yaml"]
    assert "seq: stage 1 of at most 3: 3 seeds for 3 of 3 configurations" in before["_stderr"][0]


def test_the_study_runs_its_stages_to_a_report_that_says_where_each_comparison_stopped(sequential_run):
    workdir, _ = sequential_run
    stages = sorted((workdir / "results/seq/seeds").glob("stage*.yaml"))
    assert len(stages) >= 2
    decisions = [yaml.safe_load(path.read_text()) for path in stages]
    assert decisions[-1]["done"] and all(not d["done"] for d in decisions[:-1])
    # mlp is in no comparison one factor apart: it stops after the first stage
    assert sorted(path.name for path in (workdir / "results/seq/runs/mlp").iterdir()) == ["block0.parquet"]
    report = (workdir / "reports/seq/report.md").read_text()
    seeds = report[report.index("## Seeds") :]
    assert "### Stages" in seeds and "twin-nosharing → twin-sharing" in seeds and "runs trained in all" in seeds
    check_report(report)
    again = snakemake(workdir, "-n")
    assert "Nothing to be done" in again.stdout, output_of(again)
