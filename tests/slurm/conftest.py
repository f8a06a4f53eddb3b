"""`slurm_cluster`: one real single-node SLURM cluster for the whole test session.

The fixture yields a `cluster.SlurmCluster`; pass `slurm_cluster.env` (it sets
SLURM_CONF) to sbatch, sacct, snakemake and anything else that talks to SLURM,
and `slurm_cluster.snakemake_args()` to snakemake to use the slurm executor.

Tests using it are skipped when not root or when apt-get cannot install SLURM;
with CI=true those cases fail instead.  Any other failure to start fails.
"""

import logging
import os
import signal
import threading

import pytest

from tests.slurm import cluster

_started = {}


@pytest.fixture(scope="session")
def slurm_cluster():
    instance = cluster.SlurmCluster()
    try:
        instance.start()
    except cluster.InstallError as error:
        message = f"no SLURM test cluster: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    except cluster.ClusterError as error:
        pytest.fail(f"the SLURM test cluster did not start: {error}", pytrace=False)
    _started["seconds"] = instance.start_seconds
    logging.getLogger(__name__).info("SLURM test cluster started in %.1fs", instance.start_seconds)
    # SIGTERM (a CI timeout, kill) ends the session like Ctrl-C, so that teardown stops the daemons
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is threading.main_thread() and previous == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield instance
    finally:
        instance.stop()
        if signal.getsignal(signal.SIGTERM) is _interrupt:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_terminal_summary(terminalreporter):
    if "seconds" in _started:
        terminalreporter.write_line(f"SLURM test cluster started in {_started['seconds']:.1f}s")
