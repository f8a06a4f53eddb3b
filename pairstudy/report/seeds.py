"""The report's Seeds section for a sequential study: per stage, the seeds run, the comparisons still open and the
decision; each comparison's stop and why; the runs trained against a fixed design of the same power or precision.
From the decision step's files (results/<study>/seeds/stage<k>.yaml)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from pairstudy.stats.sentences import DIFFERENCE_DECIMALS, format_number
from pairstudy.stats.stages import CONFIGURATIONS, STOPPED, sequential_method, stop_text
from pairstudy.stats.units import difference_unit, scale
from pairstudy.tasks.metrics import MetricSpec

from .sections import Content, Section


def read_decisions(paths) -> list[dict]:
    return [yaml.safe_load(Path(path).read_text()) for path in paths]


def shown(value, metric) -> str:
    return format_number(float(value) * scale(metric), DIFFERENCE_DECIMALS if metric.percent else 3)


def stage_rows(decisions: list[dict]) -> pd.DataFrame:
    rows = []
    for decision in decisions:
        drivers = decision["drivers"]
        stopped_here = [
            f"{row['name']} ({row['decision']})"
            for row in drivers
            if row["decision"] in STOPPED and row.get("seeds", decision["seeds"]) == decision["seeds"]
        ]
        still_open = [row["name"] for row in drivers if row["decision"] not in STOPPED]
        rows.append(
            {
                "stage": decision["stage"],
                "seeds": decision["seeds"],
                "stopped here": "; ".join(stopped_here) or "–",
                "still open": "; ".join(still_open) or "–",
                "next stage's configurations": ", ".join(decision["next"]) or "none: done",
            }
        )
    return pd.DataFrame(rows)


def driver_rows(decision: dict, metric) -> pd.DataFrame:
    unit = difference_unit(metric).strip() or "value"
    rows = []
    for row in decision["drivers"]:
        interval = f"[{shown(row['low'], metric)}, {shown(row['high'], metric)}]" if "low" in row else "–"
        p = row.get("adjusted_p")
        rows.append(
            {
                "comparison": row["name"],
                "family": f"{row['family']} ({row['family_size']})",
                f"difference ({unit})": shown(row["mean"], metric) if "mean" in row else "–",
                "interval": interval,
                "adjusted p": "–" if p is None else f"{p:.3f}",
                "stopped": stop_text(row),
            }
        )
    return pd.DataFrame(rows)


def per_configuration(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items())


def fixed_design_sentence(last: dict) -> str:
    """The runs trained against those of a fixed design that gives each comparison the same power (resolved) or
    interval width (precision) at the spread its seeds showed, from the last decision."""
    counts = last["seeds_by_configuration"]
    trained = f"{sum(counts.values())} runs trained in all ({per_configuration(counts)} seeds)"
    resolved = last["until"] == "resolved"
    needed = dict.fromkeys(counts, last["looks"][0])
    for row in last["drivers"]:
        fixed = row.get("fixed_design_seeds")
        if fixed is None:
            why = (
                "declare report.smallest_effect to plan one"
                if resolved
                else "some interval would need an impractical number of seeds"
            )
            return f"{trained}. No fixed design is given for comparison: {why}."
        for name in row["configs"]:
            needed[name] = max(needed[name], int(fixed))
    what = "the same power for the smallest difference worth finding" if resolved else "the same precision"
    return (
        f"{trained}; a fixed design with {what}, at the spread these seeds show, would train {sum(needed.values())} "
        f"({per_configuration(needed)} seeds)."
    )


def seeds_section(paths, spec: MetricSpec) -> Section:
    decisions = read_decisions(paths)
    metric = spec.headline_metric
    last = decisions[-1]
    until = last["until"]
    looks = ", ".join(str(seeds) for seeds in last["looks"])
    if until == "resolved":
        rule = (
            "each comparison below was tested with a group-sequential test after every stage, so that the chance of "
            "claiming a difference that is not there stays at 5% however many stages run; it stops when it crosses "
            "its boundary (resolved), when more seeds could not resolve the smallest difference worth finding "
            "(futile), or at the last stage"
        )
    else:
        of = "configuration's mean" if until.get("of") == CONFIGURATIONS else "comparison's difference"
        width = shown(until["precision"], metric)
        rule = (
            f"each {of} below stops once its interval is at most {width}{difference_unit(metric)} wide on each side; "
            "the interval is widened for that rule, so it still covers what it says"
        )
    content = Content().paragraph(
        f"The seeds were added in stages (looks at {looks} seeds): {rule}. A configuration got the next stage's "
        "seeds only while a comparison it is in was still open. Intervals: "
        f"{sequential_method(last)}. The comparisons of What helped that drove the seeds carry these numbers."
    )
    content.heading("Stages")
    content.table(stage_rows(decisions), key_columns=("stage",))
    content.heading("Where each comparison stopped")
    content.table(driver_rows(last, metric), key_columns=("comparison",))
    content.paragraph(fixed_design_sentence(last))
    return content.section("Seeds")
