"""Where a study's run files, kept runs, tables and report live, relative to the working directory (the project
folder): one definition for the workflow and the package."""

from __future__ import annotations

from pathlib import Path

RUN_FILE = "results/{study}/runs/{config}/block{block}.parquet"  # one configuration's runs of one seed block
RUN_STORE = "results/{study}/store"  # finished runs and checkpoints, kept by run key (see pairstudy.train.store)
TABLE = "results/{study}/{table}.parquet"  # the aggregate step's intermediate tables, rebuilt from the run files
TABLES = ("epochs", "finals", "curves", "summary", "configurations")
STATISTICS_FOLDER = "results/{study}/statistics"  # the statistics step's tables
REPORT_FOLDER = "reports/{study}"  # the report step's page, Markdown, charts and paper tables
RUNS_CHECKED = "results/{study}/runs_ok"  # the run check's mark
TUNING_SELECTION = "results/{study}/tuning/selected.yaml"  # the settings tuning chose, per configuration
TUNING_RANKING = "results/{study}/tuning/ranking.csv"  # every setting tried, ranked within its group
SEEDS_DECISION = "results/{study}/seeds/stage{stage}.yaml"  # a sequential study's decision after a stage


class StoreOutsideProject(ValueError):
    """A study's run store resolves (through a link) outside the project folder."""


def run_file(study: str, config: str, block: int) -> str:
    return RUN_FILE.format(study=study, config=config, block=block)


def table_files(study: str) -> list[str]:
    """The study's intermediate Parquet tables (epochs, finals, curves, summary, configurations)."""
    return [TABLE.format(study=study, table=table) for table in TABLES]


def described_by_tables(study: str) -> list[str]:
    """Everything that describes the study's tables: what must go when the tables are rebuilt."""
    return [STATISTICS_FOLDER.format(study=study), *described_by_statistics(study)]


def described_by_statistics(study: str) -> list[str]:
    """Everything that describes the study's statistics: what must go when they or the report are rebuilt."""
    return [REPORT_FOLDER.format(study=study), RUNS_CHECKED.format(study=study)]


def resolved_path(path: str | Path, project: str | Path = ".") -> Path:
    """`path` with every link followed: relative to `project` where it lies inside, else absolute."""
    root, resolved = Path(project).resolve(), Path(project, path).resolve()
    return resolved.relative_to(root) if resolved.is_relative_to(root) else resolved


def run_store(study: str, project: str | Path = ".", outside_allowed: bool = False) -> Path:
    """The study's run store, links followed (relative to `project`, the workflow's working directory, where it
    lies inside); one that resolves outside `project` is refused unless `outside_allowed` (the config's
    store_outside_project)."""
    root = Path(project).resolve()
    store = root / RUN_STORE.format(study=study)
    resolved = resolved_path(store, root)
    if not outside_allowed and resolved.is_absolute():
        raise StoreOutsideProject(
            f"the run store {store} resolves to {resolved}, outside the project folder {root}: the runs would be "
            f"kept and read there. Remove the link (rm {store}) to keep them in the project, or set "
            "store_outside_project: true in the config to keep them where it points."
        )
    return resolved
