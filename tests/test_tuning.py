"""Tuned studies: the tuning block's rules, the ranking on validation values alone, and a tiny tuned study through
the workflow (tuning, selection, the study on its own seeds, the report's Tuning section, what reruns)."""

import copy
import dataclasses
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from pairstudy.aggregate import expected_run
from pairstudy.aggregate.tuning import chosen_settings, rank_settings, tuning_finals, write_selection
from pairstudy.paths import TUNING_SELECTION
from pairstudy.report.tuning import tuning_section
from pairstudy.study import ConfigError, expand_configurations, load_config, validate_config
from pairstudy.study.preflight import metric_spec
from pairstudy.study.tuning import edge_notes, read_selection, study_tuning, tuned_configurations, tuned_settings
from tests.helpers import copy_workflow, output_of, planned, planned_then_run, snakemake, write_config

STUDY = {
    "seeds": 2,
    "data": {"n_pairs": 60, "validation_pairs": 30},
    "training": {"epochs": 1, "batch_size": 30},
    "factors": {"architecture": ["mlp", "cnn"]},
    "tuning": {"space": {"lr": [0.001, 0.01]}, "seeds": [100, 101]},
}
CONFIG = {"report": {"charts": []}, "studies": {"tuned": STUDY}}


def config_with(**changes):
    config = copy.deepcopy(CONFIG)
    study = config["studies"]["tuned"]
    for path, value in changes.items():
        *parents, key = path.split("__")
        target = study
        for parent in parents:
            target = target.setdefault(parent, {})
        target[key] = value
    return config


def plan_of(config):
    validated = validate_config(config)
    study = validated["studies"]["tuned"]
    configurations = expand_configurations("tuned", study)
    return study, configurations, study_tuning("tuned", study, configurations)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"tuning__seeds": [1, 100]}, "studies.tuned.tuning.seeds: [1] is also among the study's seeds"),
        ({"data__validation_pairs": 0}, "set studies.tuned.data.validation_pairs above 0"),
        ({"tuning__select": "final_test_accuracy"}, "studies.tuned.tuning.select: 'final_test_accuracy'"),
        ({"tuning__space": {"architecture": ["mlp"]}}, "studies.tuned.tuning.space.architecture"),
        ({"factors__lr": [0.1]}, "studies.tuned.tuning.space.lr: lr is a factor of the study"),
        ({"tuning__space": {"lr": [-1.0]}}, "studies.tuned.tuning.space.lr[0]"),
        ({"tuning__space": {"momentum": [0.0, 0.9]}}, "studies.tuned.tuning.space.momentum: its values change nothing"),
        ({"tuning__space": {"lr": [0.1, 0.1]}}, "studies.tuned.tuning.space.lr: values repeat"),
        ({"tuning__space": {"lr": [0.1, 0.2, 0.3]}, "max_runs": 10}, "studies.tuned.max_runs = 10"),
    ],
)
def test_a_bad_tuning_block_is_refused_before_any_job_naming_its_key(changes, named):
    with pytest.raises(ConfigError) as error:
        validate_config(config_with(**changes))
    assert named in str(error.value)


def test_points_that_change_nothing_collapse_and_the_unequal_budgets_are_counted():
    config = config_with(
        factors={"architecture": ["mlp"], "optimizer": ["adam", "sgd"]},
        tuning__space={"momentum": [0.0, 0.9], "lr": [0.01, 0.1]},
    )
    study, configurations, plan = plan_of(config)
    assert [c.name for c in configurations] == ["mlp-optimizeradam", "mlp-optimizersgd"]
    # momentum is dropped under Adam: its two values are one cell there
    assert len(plan.cells_of("mlp-optimizeradam")) == 2 and len(plan.cells_of("mlp-optimizersgd")) == 4
    assert plan.budget("mlp-optimizeradam") == {"settings": 2, "runs": 4, "epochs": 4}
    assert plan.budget("mlp-optimizersgd") == {"settings": 4, "runs": 8, "epochs": 8}
    # per architecture: both configurations of mlp take one setting; per configuration, each its own
    assert set(plan.groups.values()) == {"mlp"}
    _, _, own = plan_of(config_with(tuning__per="configuration", **{"tuning__space": {"lr": [0.01, 0.1]}}))
    assert own.groups == {"mlp": "mlp", "cnn": "cnn"}


def test_exclude_drops_settings_for_the_configurations_it_names_and_the_budgets_say_so():
    config = config_with(
        factors={"architecture": ["mlp", "cnn"]},
        tuning__space={"optimizer": ["adam", "sgd"], "lr": [0.01, 0.1]},
        tuning__exclude=[{"architecture": "mlp", "optimizer": "adam"}],
    )
    _, _, plan = plan_of(config)
    assert plan.tried("mlp") == ["optimizersgd-lr0.01", "optimizersgd-lr0.1"] and len(plan.tried("cnn")) == 4
    assert plan.space_tried("mlp") == {"optimizer": ["sgd"], "lr": [0.01, 0.1]}
    values = {cell: [0.5, 0.6] for cell in plan.cells}
    ranking = rank_settings(plan, finals_of(plan, values))
    assert ranking.groupby("group")["setting"].count().to_dict() == {"cnn": 4, "mlp": 2}
    with pytest.raises(ConfigError, match=r"studies\.tuned\.tuning\.exclude\[0\]\.momentum: neither a factor"):
        validate_config(config_with(tuning__exclude=[{"momentum": 0.9}]))


def finals_of(plan, values, status=None):
    """Tuning finals with `values[cell]` per seed (one per tuning seed)."""
    rows = []
    for cell, per_seed in values.items():
        for seed, value in zip(plan.seeds, per_seed):
            failed = (status or {}).get((cell, seed)) == "failed"
            rows.append(
                {
                    "config": cell,
                    "seed": seed,
                    "status": "failed" if failed else "ok",
                    "value": None if failed else value,
                }
            )
    return pd.DataFrame(rows)


def test_the_best_validation_mean_wins_ties_go_to_the_cheaper_setting_and_failures_rank_last():
    _, _, plan = plan_of(config_with(tuning__per="configuration", tuning__space={"lr": [0.001, 0.01, 0.1]}))
    cells = {setting: plan.assignment["mlp", setting] for setting in plan.settings}
    others = {plan.assignment["cnn", setting]: [0.5, 0.5] for setting in plan.settings}
    values = {cells["lr0.001"]: [0.7, 0.8], cells["lr0.01"]: [0.8, 0.7], cells["lr0.1"]: [0.9, 0.95], **others}
    failed = {(cells["lr0.1"], 101): "failed"}
    costs = {cells["lr0.001"]: 2.0, cells["lr0.01"]: 1.0, cells["lr0.1"]: 1.0}
    ranking = rank_settings(plan, finals_of(plan, values, failed), costs)
    mlp = ranking[ranking["group"] == "mlp"]
    # lr0.1 has the best finished runs but a failed one: last; the two equal means go to the cheaper lr0.01
    assert mlp["setting"].tolist() == ["lr0.01", "lr0.001", "lr0.1"] and mlp["failed"].tolist() == [0, 0, 1]
    assert chosen_settings(plan, ranking) == {"mlp": "lr0.01", "cnn": "lr0.001"}  # cnn: all equal, the first
    # a lower-is-better metric turns the order round
    lower = rank_settings(dataclasses.replace(plan, higher_is_better=False), finals_of(plan, values))
    assert lower[lower["group"] == "mlp"]["setting"].iloc[0] == "lr0.001"


def test_per_architecture_a_setting_is_ranked_on_the_runs_of_all_its_configurations():
    config = config_with(factors={"architecture": ["twin"], "aux": [True, False]})
    _, _, plan = plan_of(config)
    aux, plain = (lambda s: plan.assignment["twin-aux", s]), (lambda s: plan.assignment["twin-noaux", s])
    # lr0.01 is best for twin-aux alone, lr0.001 over both configurations
    values = {aux("lr0.001"): [0.8, 0.8], aux("lr0.01"): [0.9, 0.9], plain("lr0.001"): [0.8, 0.8]}
    values[plain("lr0.01")] = [0.6, 0.6]
    ranking = rank_settings(plan, finals_of(plan, values))
    assert ranking["setting"].tolist() == ["lr0.001", "lr0.01"] and ranking["runs"].tolist() == [4, 4]
    assert chosen_settings(plan, ranking) == {"twin-aux": "lr0.001", "twin-noaux": "lr0.001"}


def test_a_setting_at_the_edge_of_the_space_is_said_to_be():
    space = {"lr": [0.001, 0.005, 0.01], "batch_size": [25, 100], "optimizer": ["adam", "sgd"]}
    assert edge_notes(space, {"lr": 0.005, "batch_size": 100, "optimizer": "sgd"}) == [
        "batch_size 100 is the largest value tried: widen the space"
    ]
    assert edge_notes(space, {"lr": 0.001}) == ["lr 0.001 is the smallest value tried: widen the space"]


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """CONFIG planned, then run to its report (one run for the module's tests)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("tuned"), CONFIG)
    return workdir, planned_then_run(workdir)


def test_a_dry_run_before_tuning_plans_the_tuning_runs_and_the_selection_only(tuned):
    _, before = tuned
    trained = before["train_block"]
    assert len(trained) == 4 and all(path.startswith("results/tuned/runs/tuning.") for path in trained)
    assert before["select_tuning"] == ["results/tuned/tuning/selected.yaml", "results/tuned/tuning/ranking.csv"]


def test_the_study_trains_its_own_seeds_at_the_chosen_settings_and_reports_the_tuning(tuned):
    workdir, _ = tuned
    selected = yaml.safe_load((workdir / "results/tuned/tuning/selected.yaml").read_text())
    assert set(selected["chosen"]) == {"mlp", "cnn"} and selected["select"] == "final_validation_accuracy"
    for name, entry in selected["chosen"].items():
        runs = pd.read_parquet(workdir / f"results/tuned/runs/{name}/block0.parquet")
        assert sorted(runs["seed"].unique()) == [0, 1]  # none of the tuning seeds
        assert json.loads(runs["hyperparameters"].iloc[0])["lr"] == entry["levels"]["lr"]
    report = (workdir / "reports/tuned/report.md").read_text()
    tuning = report[report.index("## Tuning") :]
    assert "- lr: 0.001, 0.01" in tuning and "Every configuration had the same tuning budget: 2 settings" in tuning
    for name, entry in selected["chosen"].items():
        assert f"### {name}\n\nChosen: lr {entry['levels']['lr']:g}." in tuning
    assert "validation accuracy (%), mean ± std" in tuning


def test_test_values_cannot_change_the_choice(tuned, tmp_path, monkeypatch):
    workdir, _ = tuned
    monkeypatch.chdir(workdir)
    config = load_config("config.yaml")
    study = config["studies"]["tuned"]
    configurations = expand_configurations("tuned", study)
    plan = study_tuning("tuned", study, configurations)
    chosen = read_selection(plan)
    assert chosen is not None
    expected = [expected_run("tuned", cell.name, 10, plan.seeds, cell.hyperparameters) for cell in plan.cells.values()]
    # copies of the run files with the losers' test accuracy raised to 1 and the winners' lowered to 0
    for entry in expected:
        winner = entry["config"] in {plan.assignment[name, setting] for name, setting in chosen.items()}
        table = pq.read_table(entry["path"])
        frame = table.to_pandas()
        frame["test_accuracy"] = 0.0 if winner else 1.0
        entry["path"] = str(tmp_path / f"{entry['config']}.parquet")
        pq.write_table(table.from_pandas(frame, schema=table.schema, preserve_index=False), entry["path"])
    assert chosen_settings(plan, rank_settings(plan, tuning_finals(expected, plan))) == chosen


def test_nothing_reruns_a_new_value_trains_only_its_cells_and_an_unchanged_choice_retrains_nothing(tuned):
    workdir, _ = tuned
    assert "Nothing to be done" in planned(workdir)["_stdout"][0]
    # the selection run again comes out the same: no training job of the study's own runs again
    again = snakemake(workdir, "--forcerun", "select_tuning")
    assert again.returncode == 0, output_of(again)
    assert "rule train_block" not in again.stdout + again.stderr
    # a third learning rate: only its cells train before the selection decides again
    config = copy.deepcopy(CONFIG)
    config["studies"]["tuned"]["tuning"]["space"]["lr"] = [0.001, 0.01, 0.1]
    write_config(workdir, config)
    jobs = planned(workdir)
    assert sorted(jobs["train_block"]) == [
        "results/tuned/runs/tuning.cnn.lr0.1/block10.parquet",
        "results/tuned/runs/tuning.mlp.lr0.1/block10.parquet",
    ]
    assert "select_tuning" in jobs


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        (
            {"tuning__chosen_on": [{"architecture": "mlp"}], "tuning__per": "configuration"},
            "studies.tuned.tuning.chosen_on: with per: configuration every configuration takes its own setting",
        ),
        (
            {"tuning__chosen_on": [{"architecture": "twin"}]},
            "studies.tuned.tuning.chosen_on[0]: {'architecture': 'twin'}",
        ),
        (
            {"tuning__chosen_on": [{"architecture": "mlp"}]},
            "studies.tuned.tuning.chosen_on: it names no configuration of cnn",
        ),
    ],
)
def test_a_bad_chosen_on_is_refused_naming_its_key(changes, named):
    with pytest.raises(ConfigError) as error:
        validate_config(config_with(**changes))
    assert named in str(error.value)


def test_chosen_on_tunes_the_configurations_it_names_and_the_others_take_their_setting_untuned(tmp_path):
    config = config_with(
        factors={"architecture": ["twin"], "aux": [True, False]},
        tuning__space={"lr": [0.001, 0.01], "batch_size": [10, 30]},
        tuning__chosen_on=[{"aux": True}],
    )
    study, configurations, plan = plan_of(config)
    assert {cell.split(".")[1] for cell in plan.cells} == {"twin-aux"} and len(plan.cells) == 4
    assert plan.tuned_members("twin") == ["twin-aux"] and plan.tried("twin-noaux") == list(plan.settings)
    assert plan.budget("twin-noaux") == {"settings": 0, "runs": 0, "epochs": 0}
    assert plan.budget("twin-aux") == {"settings": 4, "runs": 8, "epochs": 8}
    # ranked on twin-aux's runs alone: twin-noaux has none, and takes the winner with its own other settings
    values = {plan.assignment["twin-aux", setting]: [0.6, 0.6] for setting in plan.settings}
    values[plan.assignment["twin-aux", "lr0.01-batch_size10"]] = [0.9, 0.8]
    ranking = rank_settings(plan, finals_of(plan, values))
    assert ranking["runs"].tolist() == [2] * 4 and ranking["setting"].iloc[0] == "lr0.01-batch_size10"
    selected, ranking_path = tmp_path / TUNING_SELECTION.format(study="tuned"), tmp_path / "ranking.csv"
    selected.parent.mkdir(parents=True)
    write_selection(plan, ranking, selected, ranking_path)
    chosen = read_selection(plan, tmp_path)
    assert chosen == {"twin-aux": "lr0.01-batch_size10", "twin-noaux": "lr0.01-batch_size10"}
    final = {c.name: c.hyperparameters for c in tuned_configurations(plan, configurations, chosen)}
    assert final["twin-noaux"]["lr"] == 0.01 and final["twin-noaux"]["batch_size"] == 10
    assert final["twin-noaux"]["aux"] is False and final["twin-aux"]["aux"] is True
    # the report says which configuration the setting was chosen on, and flags the untuned one
    section = tuning_section(selected, ranking_path, plan.space, metric_spec(study))
    text = section.markdown
    assert "Ranked on twin-aux alone; 1 more configuration of twin takes this setting untuned." in text
    assert "Every tuned configuration had the same tuning budget: 4 settings tried, 8 runs, 8 epochs in all." in text
    assert "Tuning trained 1 of the 2 configurations (twin-aux; tuning.chosen" in text
    assert "favours the tuned one: a threat to that comparison" in text


def test_a_setting_that_changes_nothing_a_group_trains_is_shown_as_a_dash_and_never_said_to_be_on_an_edge(tmp_path):
    config = config_with(
        training={"epochs": 1, "batch_size": 30, "optimizer": "sgd"},
        overrides={"mlp": {"optimizer": "adam"}},
        tuning__space={"momentum": [0.0, 0.9], "lr": [0.01, 0.1]},
    )
    study, _, plan = plan_of(config)
    values = {cell: [0.5, 0.5] for cell in plan.cells}
    values[plan.assignment["mlp", "momentum0-lr0.1"]] = [0.9, 0.9]  # mlp: momentum is dropped under Adam
    values[plan.assignment["cnn", "momentum0.9-lr0.1"]] = [0.9, 0.9]
    ranking = rank_settings(plan, finals_of(plan, values))
    assert ranking[ranking["group"] == "mlp"]["momentum"].isna().all()
    selected, ranking_path = tmp_path / TUNING_SELECTION.format(study="tuned"), tmp_path / "ranking.csv"
    selected.parent.mkdir(parents=True)
    write_selection(plan, ranking, selected, ranking_path)
    chosen = yaml.safe_load(selected.read_text())["chosen"]
    assert chosen["mlp"]["levels"] == {"lr": 0.1} and chosen["cnn"]["levels"] == {"momentum": 0.9, "lr": 0.1}
    assert chosen["mlp"]["edges"] == ["lr 0.1 is the largest value tried: widen the space"]
    assert tuned_settings(plan, tmp_path)["mlp"] == {"momentum": "-", "lr": 0.1}
    markdown = tuning_section(selected, ranking_path, plan.space, metric_spec(study)).markdown
    mlp = markdown[markdown.index("### mlp") : markdown.index("### cnn")]
    assert "Chosen: lr 0.1." in mlp and "| 1 | - | 0.1 | 90.00 ± 0.00 |" in mlp
