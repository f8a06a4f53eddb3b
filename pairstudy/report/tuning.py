"""The report's Tuning section: the space tried, each group's settings ranked on validation data, the setting chosen
(and whether it lies on the space's edge), and the budget each configuration got, from the selection step's files
(results/<study>/tuning/selected.yaml and ranking.csv)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import yaml

from pairstudy.tasks.metrics import MetricSpec

from .sections import Content, Section
from .tables import metric_mean_std

SHOWN = 5  # settings shown per group, best first


def level_text(value) -> str:
    """A level as the report prints it; "-" for a setting that changes nothing the group trains."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


def levels_text(levels: dict) -> str:
    return ", ".join(f"{key} {level_text(value)}" for key, value in levels.items())


def seeds_text(seeds: list) -> str:
    return ", ".join(str(seed) for seed in seeds)


def was_tuned(entry: dict) -> bool:
    """Whether a configuration's own runs were ranked (a selection written before `chosen_on` does not say: yes)."""
    return entry.get("tuned", True)


def untuned_sentence(chosen: dict) -> str | None:
    """The configurations `chosen_on` left out, flagged as a threat to comparing them with the tuned ones."""
    tuned = [name for name, entry in chosen.items() if was_tuned(entry)]
    untuned = len(chosen) - len(tuned)
    if not untuned:
        return None
    return (
        f"Tuning trained {len(tuned)} of the {len(chosen)} configurations ({', '.join(tuned)}; tuning.chosen_on); "
        f"the other {untuned} take their architecture's setting without being tuned themselves. That setting "
        "was chosen for another configuration, so a comparison of a tuned configuration with an untuned one of its "
        "architecture favours the tuned one: a threat to that comparison."
    )


def budget_sentences(chosen: dict) -> list[str]:
    """One sentence when every tuned configuration had the same budget, otherwise each one's, flagged as a threat;
    and one for the configurations that were not tuned."""
    untuned = untuned_sentence(chosen)
    budgets = {name: entry["budget"] for name, entry in chosen.items() if was_tuned(entry)}

    def text(budget: dict) -> str:
        epochs = f", {budget['epochs']} epochs" if budget.get("epochs") is not None else ""
        settings = f"{budget['settings']} setting{'s' * (budget['settings'] != 1)}"
        return f"{settings} tried, {budget['runs']} runs{epochs} in all"

    shown = {name: text(budget) for name, budget in budgets.items()}
    if len(set(shown.values())) == 1:
        every = "Every configuration" if untuned is None else "Every tuned configuration"
        sentences = [f"{every} had the same tuning budget: {next(iter(shown.values()))}."]
    else:
        sentences = [
            "The tuning budgets differ (tuning.exclude skips settings for some configurations, and settings that "
            "change nothing a configuration trains collapse into one): "
            + "; ".join(f"{name}: {value}" for name, value in shown.items())
            + ". A configuration tuned over more settings had more chances to do well on validation data: a threat "
            "to comparing it with the others."
        ]
    if untuned is not None:
        sentences.append(untuned)
    return sentences


def ranking_table(group: pd.DataFrame, space: list[str], metric, title: str) -> pd.DataFrame:
    shown = group.head(SHOWN)
    rows = []
    for _, row in shown.iterrows():
        failed = int(row["failed"])
        rows.append(
            {
                "rank": int(row["rank"]),
                **{key: level_text(row[key]) for key in space},
                f"{title}, mean ± std": metric_mean_std(row["mean"], row["std"], metric),
                "runs": int(row["runs"]),
                "failed": failed,
            }
        )
    return pd.DataFrame(rows)


def tuning_section(selected_path: str | Path, ranking_path: str | Path, space: dict, spec: MetricSpec) -> Section:
    """The section from the selection step's files, for the study's tuning `space`; `spec` names the metric the
    settings were chosen on."""
    selected = yaml.safe_load(Path(selected_path).read_text())
    ranking = pd.read_csv(ranking_path, keep_default_na=True)
    metric, title = spec.run_metrics()[selected["select"]]
    chosen = selected["chosen"]
    if selected["per"] != "architecture":
        per = "for each configuration on its own runs"
    else:
        every = all(was_tuned(entry) for entry in chosen.values())
        ranked_on = "all of its configurations" if every else "the configurations tuning.chosen_on names"
        per = f"for each architecture, over the runs of {ranked_on} (its factors are then compared at one setting)"
    content = Content().paragraph(
        f"Before the study trained, its settings were chosen on validation data only: every setting of the space "
        f"below was trained on the tuning seeds ({seeds_text(selected['seeds'])}), and the setting with the best mean "
        f"final validation {metric.title} over them was chosen {per}; ties go to the cheaper setting. The study's "
        "own seeds are none of these, so its test numbers are not part of the choice. The chosen setting's "
        "validation mean is the best of several noisy means, so it overstates what that setting gives on new seeds."
    )
    content.items([f"{key}: {', '.join(level_text(value) for value in values)}" for key, values in space.items()])
    for group, rows in ranking.groupby("group", sort=False):
        members = [name for name, entry in chosen.items() if entry["group"] == group]
        tuned = [name for name in members if was_tuned(chosen[name])]
        label = group if members == [group] else f"{group} ({', '.join(tuned)})"
        entry = chosen[members[0]]
        content.heading(label)
        tried = len(rows)
        more = f" (the best {SHOWN} of {tried} settings)" if tried > SHOWN else ""
        untuned = len(members) - len(tuned)
        taken = (
            f" Ranked on {', '.join(tuned)} alone; {untuned} more configuration{'s' * (untuned != 1)} of {group} "
            f"take{'s' * (untuned == 1)} this setting untuned."
        )
        content.paragraph(f"Chosen: {levels_text(entry['levels'])}{more}.{taken if untuned else ''}")
        content.table(ranking_table(rows, space, metric, title), key_columns=("rank",))
        content.items(entry.get("edges") or [])
    for sentence in budget_sentences(chosen):
        content.paragraph(sentence)
    return content.section("Tuning")
