"""The selection step of a tuned study: the tuning cells' runs -> each group's settings ranked on validation data
-> the chosen setting of every configuration (results/<study>/tuning/ranking.csv and selected.yaml).

Only the plan's `select` column (a final validation value) is read from the runs, so nothing measured on the test
data can move a choice. A setting is ranked by its runs' mean; one with failed runs ranks below every setting
without (a failure is the worst outcome), and ties go to the cheaper setting, then to the one the space names first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pairstudy.atomic import write_atomically
from pairstudy.study.tuning import TuningPlan, edge_notes

from .tables import final_rows, read_epochs

TIE = 1e-9  # means closer than this are equal (a mean of fractions over a few seeds)


class TuningError(ValueError):
    """Tuning runs that cannot choose a setting (no validation values)."""


def tuning_finals(expected: list[dict], plan: TuningPlan) -> pd.DataFrame:
    """One row per tuning run: config (the cell), seed, status and the plan's `select` value."""
    epochs, spec = read_epochs(expected)
    finals = final_rows(epochs, [], spec)
    if plan.select not in finals.columns:
        raise TuningError(f"the tuning runs have no {plan.select}: their metrics are {list(spec.run_metrics())}")
    return finals[["config", "seed", "status", plan.select]].rename(columns={plan.select: "value"})


def setting_rows(plan: TuningPlan, finals: pd.DataFrame, costs: dict[str, float | None]) -> list[dict]:
    """Per group and distinct setting: its runs' mean, sample std, runs, failed runs and cost."""
    runs = {cell: frame for cell, frame in finals.groupby("config", sort=False)}
    rows = []
    for group in dict.fromkeys(plan.groups.values()):
        members = plan.tuned_members(group)
        seen = set()
        for order, setting in enumerate(plan.settings):
            if setting not in plan.tried_settings[group]:
                continue  # excluded for this group
            cells = tuple(plan.assignment[member, setting] for member in members)
            if cells in seen:
                continue  # a point that trains the same cells as an earlier one
            seen.add(cells)
            frames = [runs.get(cell, finals.iloc[:0]) for cell in cells]
            values = pd.concat(frames)
            finished = values[values["status"] == "ok"]["value"].astype(float)
            missing = [cell for cell, frame in zip(cells, frames) if frame.empty]
            if missing:
                raise TuningError(f"tuning cell {missing[0]!r} has no runs")
            if finished.isna().any():
                raise TuningError(
                    f"a finished run of {cells[0]!r} has no {plan.select}: tuning needs validation values from every "
                    "run"
                )
            cost = [costs.get(cell) for cell in cells]
            rows.append(
                {
                    "group": group,
                    "setting": setting,
                    **dict.fromkeys(plan.space),
                    **plan.applied(members[0], setting),
                    "mean": float(finished.mean()) if len(finished) else float("nan"),
                    "std": float(finished.std(ddof=1)) if len(finished) > 1 else float("nan"),
                    "runs": int(len(values)),
                    "failed": int((values["status"] != "ok").sum()),
                    "cost": float(sum(cost)) if all(c is not None for c in cost) else float("nan"),
                    "order": order,
                    "configurations": len(members),
                }
            )
    return rows


def rank_settings(plan: TuningPlan, finals: pd.DataFrame, costs: dict[str, float | None] | None = None) -> pd.DataFrame:
    """Every group's distinct settings, best first (`rank` 1 is chosen): fewest failed runs, then the best mean of
    `select` (means within TIE are equal), then the least cost, then the space's order."""
    table = pd.DataFrame(setting_rows(plan, finals, costs or {}))
    sign = -1.0 if plan.higher_is_better else 1.0
    table["score"] = (sign * table["mean"] / TIE).round().fillna(np.inf)
    groups = list(dict.fromkeys(plan.groups.values()))
    table["group_order"] = table["group"].map(groups.index)
    table = table.sort_values(["group_order", "failed", "score", "cost", "order"], na_position="last", kind="stable")
    table["rank"] = table.groupby("group", sort=False).cumcount() + 1
    return table.drop(columns=["score", "group_order", "order"]).reset_index(drop=True)


def chosen_settings(plan: TuningPlan, ranking: pd.DataFrame) -> dict[str, str]:
    """Configuration -> the setting ranked first in its group."""
    first = ranking[ranking["rank"] == 1].set_index("group")["setting"]
    return {configuration: first[group] for configuration, group in plan.groups.items()}


def selection_document(plan: TuningPlan, ranking: pd.DataFrame) -> dict:
    """What selected.yaml holds: the plan's fingerprint and, per configuration, its group, the chosen setting and the
    levels of it that change what the configuration trains, whether its own runs were ranked and the cell that
    measured it (none for a configuration `chosen_on` leaves out), the notes on the space's edges, and the budget
    tuning spent on it."""
    chosen = chosen_settings(plan, ranking)
    return {
        "study": plan.study,
        "fingerprint": plan.fingerprint,
        "select": plan.select,
        "per": plan.per,
        "seeds": list(plan.seeds),
        "chosen": {
            configuration: {
                "group": plan.groups[configuration],
                "setting": setting,
                "levels": plan.applied(configuration, setting),
                "tuned": plan.is_tuned(configuration),
                "cell": plan.assignment.get((configuration, setting)),
                "edges": edge_notes(plan.space_tried(configuration), plan.applied(configuration, setting)),
                "budget": plan.budget(configuration),
            }
            for configuration, setting in chosen.items()
        },
    }


def write_selection(plan: TuningPlan, ranking: pd.DataFrame, selected: str | Path, ranking_path: str | Path) -> None:
    write_atomically(ranking_path, lambda path: ranking.to_csv(path, index=False))
    text = yaml.safe_dump(selection_document(plan, ranking), sort_keys=False)
    write_atomically(selected, lambda path: Path(path).write_text(text))
