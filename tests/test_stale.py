"""Nothing stale, nothing foreign: a run file of older training code is refused, every output describing tables
being rebuilt goes with them, a corrupt intermediate table is built again, and a run store a link leads out of the
project is refused."""

import os
import runpy
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pairstudy.aggregate import expected_run, read_epochs
from pairstudy.aggregate.stale import clear_outputs, parquet_intact, remove_corrupt_tables
from pairstudy.metrics import RunFileError, write_runs
from pairstudy.paths import (
    StoreOutsideProject,
    described_by_statistics,
    described_by_tables,
    run_file,
    run_store,
    table_files,
)
from pairstudy.provenance import configuration_code
from pairstudy.study import expand_configurations, validate_config
from pairstudy.train.store import RunStore
from pairstudy.why import block_changes
from tests.helpers import DIGIT_PAIRS, ROOT, TINY, output_of, run_table, snakemake

SCRIPTS = ROOT / "workflow" / "scripts"
SPEC = validate_config({"studies": {"s": {"seeds": 2, "factors": {"architecture": ["mlp", "cnn"]}}}})["studies"]["s"]
CONFIGURATIONS = {configuration.name: configuration for configuration in expand_configurations("s", SPEC)}


def write_block(config: str, *, trained_as: str | None = None, code: str | None = "code A") -> str:
    """The run file of `config`'s block 0 (seeds 0, 1), holding the runs of `trained_as` trained by `code`."""
    held = CONFIGURATIONS[trained_as or config]
    path = Path(run_file("s", config, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {} if code is None else {"block": {"code": code}}
    write_runs(run_table("s", held.name, held, [0, 1], 2), path, DIGIT_PAIRS, metadata=metadata)
    return str(path)


def expected(config: str, code: str | None) -> dict:
    entry = expected_run("s", config, 0, [0, 1], CONFIGURATIONS[config].hyperparameters)
    return {**entry, "code": code}


# 1. a run file trained by older code is refused


def test_the_expected_run_names_the_code_its_training_job_trains_with():
    hyperparameters = CONFIGURATIONS["cnn"].hyperparameters
    entry = expected_run("s", "cnn", 3, (6, 7), hyperparameters)
    assert entry["code"] == configuration_code(hyperparameters) and entry["path"] == run_file("s", "cnn", 3)
    assert entry["seeds"] == [6, 7]


def test_a_run_file_of_other_training_code_is_refused_naming_both_fingerprints(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_block("mlp", code="pairstudy training code 0ld, model file 0ld")
    read_epochs([expected("mlp", "pairstudy training code 0ld, model file 0ld")])  # the same code reads
    with pytest.raises(RunFileError) as refused:
        read_epochs([expected("mlp", "pairstudy training code n3w, model file n3w")])
    message = str(refused.value)
    assert f"{path} was trained by other code" in message
    assert "'pairstudy training code 0ld, model file 0ld'" in message
    assert "'pairstudy training code n3w, model file n3w'" in message
    assert f"mv {path} {path}.old" in message and "run the workflow again" in message
    # `pairstudy why` names the same difference for the same file
    hyperparameters = CONFIGURATIONS["mlp"].hyperparameters
    assert block_changes(path, [0, 1], hyperparameters, "pairstudy training code n3w, model file n3w") == [
        "code: pairstudy training code 0ld, model file 0ld -> pairstudy training code n3w, model file n3w"
    ]
    assert block_changes(path, [0, 1], hyperparameters, "pairstudy training code 0ld, model file 0ld") == []


def test_a_run_file_without_a_code_fingerprint_is_refused_where_the_code_is_checked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_block("mlp", code=None)
    with pytest.raises(RunFileError, match="no training-code fingerprint"):
        read_epochs([expected("mlp", "code A")])
    read_epochs([expected("mlp", None)])  # a caller that names no code checks none


def test_a_run_file_of_another_configuration_is_still_refused_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_block("mlp", trained_as="cnn")
    with pytest.raises(RunFileError, match="is not the run file it should be"):
        read_epochs([expected("mlp", "code A")])


# 2. outputs describing old tables go when the tables, statistics or report are rebuilt


class Named(dict):
    """What a script reads off `snakemake`: names as attributes and keys, a list under log."""

    __getattr__ = dict.__getitem__


def stale_report(study: str = "s") -> list[Path]:
    """A study's report and statistics as a finished run leaves them."""
    files = [
        Path(f"reports/{study}/index.html"),
        Path(f"reports/{study}/report.md"),
        Path(f"reports/{study}/learning_curves.png"),
        Path(f"reports/{study}/charts/learning_curves.html"),
        Path(f"reports/{study}/paper/summary.tex"),
        Path(f"results/{study}/statistics/intervals.csv"),
        Path(f"results/{study}/statistics/comparisons.csv"),
        Path(f"results/{study}/runs_ok"),
    ]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("old")
    return files


def run_script(name: str, snakemake_object: Named, monkeypatch) -> int:
    """Run a workflow script as its rule does; its exit status."""
    monkeypatch.setattr("sys.stdout", os.sys.stdout)  # the script points these at its log: restored after
    monkeypatch.setattr("sys.stderr", os.sys.stderr)
    with pytest.raises(SystemExit) as ended:
        runpy.run_path(str(SCRIPTS / name), init_globals={"snakemake": snakemake_object})
    return ended.value.code


def test_a_refused_aggregate_leaves_no_statistics_report_or_run_check(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    old = stale_report()
    write_block("mlp", trained_as="cnn")  # a run file replaced by another configuration's
    outputs = {name: f"results/s/{name}.parquet" for name in ("epochs", "finals", "curves", "configurations")}
    snakemake_object = Named(
        scriptdir=str(SCRIPTS),
        log=["aggregate.log"],
        output=Named(outputs),
        params=Named(
            expected=[expected("mlp", "code A")],
            study={"name": "s"},
            min_seeds=2,
            stale=described_by_tables("s"),
        ),
    )
    assert run_script("aggregate_study.py", snakemake_object, monkeypatch) == 1
    assert "is not the run file it should be" in Path("aggregate.log").read_text()
    assert [path for path in old if path.exists()] == []
    assert list(Path("reports/s").iterdir()) == [] and list(Path("results/s/statistics").iterdir()) == []


@pytest.mark.parametrize("script", ["study_statistics.py", "render_report.py"])
def test_statistics_and_report_steps_start_from_an_empty_report_folder(tmp_path, monkeypatch, script):
    monkeypatch.chdir(tmp_path)
    old = stale_report()
    Path("results/s/finals.parquet").write_bytes(b"not a table")  # the step fails after it starts
    inputs = {name: f"results/s/{name}.parquet" for name in ("epochs", "finals", "curves", "summary", "configurations")}
    snakemake_object = Named(
        scriptdir=str(SCRIPTS),
        log=["step.log"],
        input=Named(inputs),
        output=Named(html="reports/s/index.html"),
        params=Named(stale=described_by_statistics("s")),
    )
    assert run_script(script, snakemake_object, monkeypatch) == 1
    assert list(Path("reports/s").iterdir()) == [] and not Path("results/s/runs_ok").exists()
    assert [path for path in old if path.exists()] == [
        Path(f"results/s/statistics/{name}.csv") for name in ("intervals", "comparisons")
    ]


def test_clearing_removes_folder_contents_and_files_and_ignores_missing_ones(tmp_path):
    (tmp_path / "folder" / "inner").mkdir(parents=True)
    (tmp_path / "folder" / "inner" / "a.csv").write_text("a")
    (tmp_path / "folder" / "b.png").write_text("b")
    (tmp_path / "mark").write_text("")
    removed = clear_outputs([tmp_path / "folder", tmp_path / "mark", tmp_path / "missing"])
    assert len(removed) == 3 and list((tmp_path / "folder").iterdir()) == [] and not (tmp_path / "mark").exists()


# 3. a corrupt intermediate table is built again


def test_only_a_corrupt_table_is_removed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    paths = [Path(path) for path in table_files("s")]
    paths[0].parent.mkdir(parents=True)
    for path in paths:
        pd.DataFrame({"x": [1, 2]}).to_parquet(path)
    intact = paths[0].read_bytes()
    paths[1].write_bytes(os.urandom(len(intact)))  # overwritten with random bytes
    paths[2].write_bytes(intact[: len(intact) // 2])  # cut short: PAR1 at its head only
    paths[3].write_bytes(b"PAR1")
    paths[4].unlink()  # a missing table is the workflow's to build, nothing to remove
    assert [parquet_intact(path) for path in paths[:4]] == [True, False, False, False]
    old = stale_report()
    notes = remove_corrupt_tables("s")
    assert [path.exists() for path in paths] == [True, False, False, False, False]
    assert notes[:3] == [
        f"{path} is not a readable Parquet file: removed, it is built again from the run files" for path in paths[1:4]
    ]
    # the report is what Snakemake must make: gone, it builds the missing tables again on the way to it
    assert [path for path in old if path.exists()] == [] and "report of study s are removed" in notes[3]
    assert remove_corrupt_tables("s") == []  # intact tables, nothing removed
    stale_report()
    assert remove_corrupt_tables("s") == [] and all(path.exists() for path in old)


def test_a_corrupt_finals_table_is_rebuilt_and_no_older_report_file_stays(tiny_workflow, tmp_path):
    """The one workflow run of this file: finals.parquet overwritten, a file an older report left in paper/."""
    workdir = tmp_path / "copy"
    shutil.copytree(tiny_workflow, workdir, symlinks=True, ignore=shutil.ignore_patterns("locks", "incomplete"))
    finals = workdir / "results/tiny/finals.parquet"
    before = pd.read_parquet(finals)
    finals.write_bytes(os.urandom(finals.stat().st_size))
    leftover = workdir / "reports/tiny/paper/dropped_table.tex"
    leftover.write_text("a table this report no longer writes")
    result = snakemake(workdir)
    text = output_of(result, 50_000)
    assert result.returncode == 0, text
    assert "results/tiny/finals.parquet is not a readable Parquet file: removed" in text
    assert "train_block" not in text  # rebuilt from the run files, nothing trained
    pd.testing.assert_frame_equal(pd.read_parquet(finals), before)
    assert not leftover.exists() and (workdir / "reports/tiny/index.html").exists()
    assert len(TINY["studies"]) == 1


# 4. a run store a link leads out of the project is refused


@pytest.fixture
def linked_store(tmp_path):
    """A project whose study "s" keeps its runs through a link to a folder outside it."""
    project, outside = tmp_path / "project", tmp_path / "elsewhere"
    (project / "results" / "s").mkdir(parents=True)
    outside.mkdir()
    (project / "results" / "s" / "store").symlink_to(outside, target_is_directory=True)
    return project, outside


def test_a_store_linked_outside_the_project_is_refused_naming_it(linked_store):
    project, outside = linked_store
    with pytest.raises(StoreOutsideProject) as refused:
        run_store("s", project)
    message = str(refused.value)
    assert str(project.resolve() / "results/s/store") in message and str(outside.resolve()) in message
    assert "store_outside_project: true" in message
    assert run_store("s", project, outside_allowed=True) == outside.resolve()


def test_a_store_inside_the_project_is_resolved(tmp_path):
    (tmp_path / "results" / "s").mkdir(parents=True)
    (tmp_path / "kept").mkdir()
    (tmp_path / "results" / "s" / "store").symlink_to(tmp_path / "kept", target_is_directory=True)
    assert run_store("s", tmp_path) == Path("kept")  # relative to the project, as the jobs' logs name it
    assert run_store("t", tmp_path) == Path("results/t/store")  # not there yet: where it will be
    store = RunStore(tmp_path / "results/s/store", {"lr": 0.1}, "code", beside=tmp_path / "x.parquet", spec=None)
    assert store.folder.parent == (tmp_path / "kept").resolve()  # outside the working directory: absolute


def test_the_training_job_refuses_a_store_linked_outside_and_writes_nothing_there(linked_store, monkeypatch):
    project, outside = linked_store
    monkeypatch.chdir(project)
    hyperparameters = CONFIGURATIONS["mlp"].hyperparameters
    run = {"study": "s", "config": "mlp", "seeds": [0], "factors": {}, "hyperparameters": hyperparameters}
    snakemake_object = Named(
        scriptdir=str(SCRIPTS),
        params=Named(run=run, code="code A"),
        output=["results/s/runs/mlp/block0.parquet"],
        config={"device": "cpu", "checkpoint_every": 0},
    )
    with pytest.raises(StoreOutsideProject):
        runpy.run_path(str(SCRIPTS / "train_block.py"), init_globals={"snakemake": snakemake_object})
    assert list(outside.iterdir()) == [] and not Path("results/s/runs").exists()


def test_the_config_refuses_a_store_outside_the_project_by_default():
    assert validate_config({"studies": {"s": {"factors": {"architecture": ["mlp"]}}}})["store_outside_project"] is False
