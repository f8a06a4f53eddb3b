"""Fixtures several test files use."""

import os
import sys

import pytest

from pairstudy.models import files, registry
from tests.helpers import CLUSTER_STUDY, TINY, copy_workflow, output_of, run_tables, snakemake

# the HTCondor executor plugin warns on every Snakemake start without a pool's configuration
os.environ.setdefault("CONDOR_CONFIG", "/dev/null")


@pytest.fixture
def registry_snapshot():
    """Whatever a test registers or loads is gone afterwards."""
    registered, loaded, hashes = dict(registry._registered), dict(files._loaded_files), dict(files._file_hashes)
    modules = set(sys.modules)
    yield
    registry._registered.clear()
    registry._registered.update(registered)
    files._loaded_files.clear()
    files._loaded_files.update(loaded)
    files._file_hashes.clear()
    files._file_hashes.update(hashes)
    for name in set(sys.modules) - modules:
        if name.startswith("pairstudy_model_file_"):
            del sys.modules[name]


@pytest.fixture
def one_thread():
    """Train with one thread, as a job does by default: the test machine's cores are shared."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def cluster_study_trained_locally(tmp_path_factory):
    """CLUSTER_STUDY's run files from a plain local run, by path: what every executor must reproduce."""
    workdir = copy_workflow(tmp_path_factory.mktemp("local"), CLUSTER_STUDY, package=True)
    result = snakemake(workdir, "--until", "train_block")
    assert result.returncode == 0, output_of(result)
    return run_tables(workdir, "tiny")


@pytest.fixture(scope="session")
def tiny_workflow(tmp_path_factory):
    """TINY run once to its report, in a workspace with its own copy of the package (a test may edit it)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("tiny"), TINY, package=True)
    result = snakemake(workdir)
    assert result.returncode == 0, output_of(result)
    return workdir
