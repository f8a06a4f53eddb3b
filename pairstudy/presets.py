"""The presets in studies/ and whether our runs reproduce the numbers their sources published.

A published number is compared with the one of ours that measures the same thing (its `kind`):
final-epoch accuracy with our final test accuracy, a best epoch with our test accuracy at the
epoch chosen on validation pairs, an error rate as 100 - accuracy. Our number reproduces the
published one when the published mean lies inside our 95 % t interval widened on each side by
the published standard error (published std / sqrt(published n)): both means are estimates.

Torch-free: it reads preset files and a study's stored summary table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from pairstudy.stats.intervals import t_interval
from pairstudy.stats.words import MIN_SEEDS, TOO_FEW_SEEDS

STUDIES_DIR = Path(__file__).resolve().parents[1] / "studies"
CONFIDENCE = 0.95
SWEEP_SUFFIX = "_sweep"

# kind -> (our run metric it is compared with, whether the published numbers are error rates)
KINDS: dict[str, tuple[str, bool]] = {
    "final": ("final_test_accuracy", False),
    "best": ("selected_test_accuracy", False),
    "error": ("final_test_accuracy", True),
    "best_error": ("selected_test_accuracy", True),
}
KIND_TEXT = {
    "final": "final-epoch test accuracy, compared with our final test accuracy",
    "best": (
        "test accuracy of each run's best epoch, compared with ours at the epoch chosen on validation pairs "
        "(a source that chose its epoch on the test pairs reports an optimistic number)"
    ),
    "error": "final-epoch test error rate, compared with 100 - our final test accuracy",
    "best_error": (
        "test error rate of each run's best epoch, compared with 100 - our test accuracy at the epoch chosen on "
        "validation pairs (a source that chose its epoch on the test pairs reports an optimistic number)"
    ),
}
RULE_TEXT = (
    "A configuration reproduces its published number when the published mean lies inside our 95 % t interval "
    "widened on each side by the published std / sqrt(published n)."
)
NO_VALIDATION_TEXT = (
    "cannot be compared honestly: the published numbers are best epochs, and this study has no validation pairs to "
    "choose an epoch on (its best test epoch would be chosen on the test pairs themselves)"
)

REPRODUCES = "reproduces"
DIFFERS = "differs"
NOT_COMPARABLE = "not comparable"
NO_RUNS = "no runs"


@dataclass(frozen=True)
class Ours:
    """One configuration's numbers for one metric: mean and sample std over n seeds (fractions in [0, 1])."""

    mean: float
    std: float
    n: int


@dataclass(frozen=True)
class Verdict:
    """One published configuration beside ours. Every number is in percent on the published scale (accuracy, or
    error rate for the error kinds); ours are NaN where there is nothing to compare."""

    config: str
    kind: str
    published_mean: float
    published_std: float
    published_n: int | None
    ours_mean: float
    ours_std: float
    ours_n: int
    low: float  # our 95 % t interval
    high: float
    tolerance: float  # published std / sqrt(published n); 0 without both
    outcome: str
    explanation: str  # why there is no comparison, or the preset's explanation of a difference; "" when it reproduces

    @property
    def difference(self) -> float:
        """Ours minus published, in points on the published scale."""
        return self.ours_mean - self.published_mean


def published_tolerance(numbers: dict) -> float:
    """How far the published mean itself is uncertain: its std / sqrt(n), 0 when either is not published."""
    std, n = numbers.get("std"), numbers.get("n")
    return std / math.sqrt(n) if std is not None and n else 0.0


def verdict(
    config: str, numbers: dict, kind: str, ours: Ours | None, explanation: str = "", *, validation: bool = True
) -> Verdict:
    """Published `numbers` ({mean, std, n}, percent) of `kind` beside `ours` (the kind's metric: see KINDS; None
    without finished runs). `validation`: whether the study has validation pairs (best kinds need them)."""
    metric, is_error = KINDS[kind]
    nan = float("nan")
    published = {
        "config": config,
        "kind": kind,
        "published_mean": float(numbers["mean"]),
        "published_std": float(numbers.get("std", nan)),
        "published_n": numbers.get("n"),
        "tolerance": published_tolerance(numbers),
    }
    missing = {"ours_mean": nan, "ours_std": nan, "ours_n": 0, "low": nan, "high": nan}
    if ours is None:
        return Verdict(**published, **missing, outcome=NO_RUNS, explanation="")
    if metric == "selected_test_accuracy" and not validation:
        return Verdict(**published, **missing, outcome=NOT_COMPARABLE, explanation=NO_VALIDATION_TEXT)
    if math.isnan(ours.mean):
        return Verdict(**published, **missing, outcome=NO_RUNS, explanation="too few finished seeds")
    low, high, _ = t_interval(ours.mean, ours.std, ours.n)
    mean, low, high = ours.mean * 100, low * 100, high * 100
    if is_error:
        mean, low, high = 100 - mean, 100 - high, 100 - low
    measured = {"ours_mean": mean, "ours_std": ours.std * 100, "ours_n": ours.n, "low": low, "high": high}
    if math.isnan(low):
        return Verdict(**published, **measured, outcome=TOO_FEW_SEEDS, explanation=f"fewer than {MIN_SEEDS} seeds")
    inside = low - published["tolerance"] <= published["published_mean"] <= high + published["tolerance"]
    return Verdict(
        **published,
        **measured,
        outcome=REPRODUCES if inside else DIFFERS,
        explanation="" if inside else explanation,
    )


def ours_from_summary(summary: pd.DataFrame, config: str, metric: str) -> Ours | None:
    """A configuration's `metric` from a study's summary table (columns config, n_seeds, <metric>_mean/_std)."""
    rows = summary[summary["config"] == config]
    if rows.empty:
        return None
    row = rows.iloc[0]
    return Ours(float(row[f"{metric}_mean"]), float(row[f"{metric}_std"]), int(row["n_seeds"]))


def has_validation(summary: pd.DataFrame) -> bool:
    """Whether the study's runs chose an epoch on validation pairs, as far as its summary shows: a selected accuracy
    wherever a final one exists (True while nothing has finished: nothing says otherwise yet)."""
    finished = summary["final_test_accuracy_mean"].notna()
    return bool(summary.loc[finished, "selected_test_accuracy_mean"].notna().all())


def explanation_of(published: dict, config: str) -> str:
    return published.get("explanations", {}).get(config) or published.get("explanation", "")


def study_verdicts(published: dict, summary: pd.DataFrame, validation: bool | None = None) -> list[Verdict]:
    """One Verdict per configuration of a study's `published` block, against its summary table. `validation`:
    whether the study has validation pairs (None: as its summary shows, see has_validation)."""
    kind = published.get("kind", "final")
    metric = KINDS[kind][0]
    if validation is None:
        validation = has_validation(summary)
    return [
        verdict(
            config,
            numbers,
            kind,
            ours_from_summary(summary, config, metric),
            explanation_of(published, config),
            validation=validation,
        )
        for config, numbers in published["results"].items()
    ]


def decimals_of(value: float) -> int:
    """The decimals a published number was written with, at least 2 (4.59 -> 2, 2.085 -> 3)."""
    text = repr(float(value))
    return max(2, len(text.split(".")[1])) if "." in text and "e" not in text else 2


def format_percent(mean: float, std: float = float("nan"), decimals: int = 2) -> str:
    if math.isnan(mean):
        return "–"
    return f"{mean:.{decimals}f}" if math.isnan(std) else f"{mean:.{decimals}f} ± {std:.{decimals}f}"


def outcome_text(verdict: Verdict) -> str:
    if verdict.outcome == DIFFERS:
        return f"differs by {verdict.difference:+.2f} points"
    return verdict.outcome


def verdict_rows(verdicts: list[Verdict]) -> pd.DataFrame:
    """The verdicts as a display table (text cells), one row per configuration."""
    rows = []
    for found in verdicts:
        interval = "–" if math.isnan(found.low) else f"[{found.low:.2f}, {found.high:.2f}]"
        rows.append(
            {
                "configuration": found.config,
                "published (%)": format_percent(
                    found.published_mean,
                    found.published_std,
                    max(decimals_of(found.published_mean), decimals_of(found.published_std)),
                )
                + (f" (n={found.published_n})" if found.published_n else ""),
                "ours (%)": format_percent(found.ours_mean, found.ours_std)
                + (f" (n={found.ours_n})" if found.ours_n else ""),
                "our 95 % t interval": interval,
                "± published s.e.": f"{found.tolerance:.2f}",
                "verdict": outcome_text(found),
                "explanation": found.explanation or "–",
            }
        )
    return pd.DataFrame(rows)


def preset_paths(studies_dir: str | Path = STUDIES_DIR, sweeps: bool = False) -> list[Path]:
    """The preset files of `studies_dir`, without the sweeps that chose their settings unless `sweeps`."""
    paths = sorted(Path(studies_dir).glob("*.yaml"))
    return [path for path in paths if sweeps or not path.stem.endswith(SWEEP_SUFFIX)]


def preset_study(path: Path) -> tuple[str, dict]:
    """A preset file's one study: (name, settings as written)."""
    ((name, study),) = yaml.safe_load(path.read_text())["studies"].items()
    return name, study


def preset_verdicts(studies_dir: str | Path = STUDIES_DIR, results_dir: str | Path = "results") -> pd.DataFrame:
    """The verdict table of every preset whose results exist (results/<study>/summary.parquet): a `study` and a
    `kind` column before verdict_rows' columns; a preset without published numbers gets one row saying so."""
    tables = []
    for path in preset_paths(studies_dir):
        name, study = preset_study(path)
        summary_path = Path(results_dir) / name / "summary.parquet"
        if not summary_path.exists():
            continue
        published = study.get("published") or {}
        if published.get("results"):
            validation = study.get("data", {}).get("validation_pairs", 0) > 0
            table = verdict_rows(study_verdicts(published, pd.read_parquet(summary_path), validation))
        else:
            table = pd.DataFrame([{"configuration": "–", "verdict": "no per-configuration numbers published"}])
        tables.append(table.assign(study=name, kind=published.get("kind", "final") if published else "–"))
    if not tables:
        return pd.DataFrame()
    table = pd.concat(tables, ignore_index=True).fillna("–")
    return table[["study", "kind", *(column for column in table.columns if column not in ("study", "kind"))]]


def verdicts_markdown(studies_dir: str | Path = STUDIES_DIR, results_dir: str | Path = "results") -> str:
    """preset_verdicts as a Markdown table under the rule it applies; "" when no preset has results."""
    from pairstudy.report.tables import table_markdown

    table = preset_verdicts(studies_dir, results_dir)
    if table.empty:
        return ""
    return f"{RULE_TEXT}\n\n{table_markdown(table)}"


# A sweep chooses a preset's open settings on this metric, never on a test metric.
SELECTION_METRIC = "final_validation_accuracy"


def swept_factors(preset: dict, sweep: dict) -> list[str]:
    """The settings a sweep chooses: the factors it varies (its include entries' keys too) that its preset does not."""

    def named(study: dict) -> list[str]:
        return list(dict.fromkeys([*study["factors"], *(key for entry in study.get("include", []) for key in entry)]))

    return [name for name in named(sweep) if name != "architecture" and name not in named(preset)]


def level_text(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def sweep_ranking(summary: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
    """Per architecture, each setting of the `swept` factors ranked by the mean of its configurations' mean final
    validation accuracy (each over seeds; the other factors' levels averaged alike). Only settings whose every
    configuration has a mean are ranked; rank 1 is the choice."""
    metric = f"{SELECTION_METRIC}_mean"
    if summary[metric].isna().all():
        raise ValueError("the sweep's runs have no validation accuracy: a sweep needs data.validation_pairs")
    frame = summary.assign(**{name: summary[name].map(level_text) for name in swept})
    grouped = frame.groupby(["architecture", *swept], sort=False)[metric]
    table = grouped.agg(configurations="size", finished="count", mean="mean").reset_index()
    accuracy = (table["mean"] * 100).round(2).where(table["configurations"] == table["finished"])
    rank = accuracy.groupby(table["architecture"]).rank(ascending=False, method="min")
    table = table.drop(columns="mean").assign(**{"validation accuracy (%)": accuracy, "_rank": rank})
    architectures = {name: index for index, name in enumerate(dict.fromkeys(summary["architecture"]))}
    table = table.sort_values(
        ["architecture", "_rank"],
        key=lambda column: column.map(architectures) if column.name == "architecture" else column,
    )
    return (
        table.assign(rank=table["_rank"].map(lambda value: "–" if math.isnan(value) else str(int(value))))
        .drop(columns="_rank")
        .reset_index(drop=True)
    )


def sweep_markdown(preset_name: str, studies_dir: str | Path = STUDIES_DIR, results_dir: str | Path = "results") -> str:
    """The ranking of a preset's sweep (studies/<preset>_sweep.yaml, results/<preset>_sweep/summary.parquet) as a
    Markdown table under the rule it applies."""
    from pairstudy.report.tables import table_markdown

    studies_dir = Path(studies_dir)
    _, preset = preset_study(studies_dir / f"{preset_name}.yaml")
    sweep_name, sweep = preset_study(studies_dir / f"{preset_name}{SWEEP_SUFFIX}.yaml")
    summary_path = Path(results_dir) / sweep_name / "summary.parquet"
    if not summary_path.exists():
        raise FileNotFoundError(f"{summary_path} does not exist: run the sweep first")
    swept = swept_factors(preset, sweep)
    ranking = sweep_ranking(pd.read_parquet(summary_path), swept)
    rule = (
        f"{sweep_name}: each architecture's settings of {', '.join(swept)} ranked by mean final validation accuracy "
        f"over its configurations (never the test pairs); rank 1 is the choice for {preset_name}."
    )
    return f"{rule}\n\n{table_markdown(ranking)}"
