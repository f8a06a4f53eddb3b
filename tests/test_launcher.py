"""A training job notices when the Snakemake that started it dies, not when the shell that started Snakemake exits.

A stand-in Snakemake (a script named `snakemake`) runs a watcher that takes the job's launcher chain
and keeps writing whether it is intact; the shell that started the stand-in exits (`nohup snakemake &`,
then logging out), and later the stand-in is killed.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import ROOT

WATCHER = """
import json, os, sys, time
from pathlib import Path
from pairstudy.train.process import chain_intact, launcher_chain

folder = Path(sys.argv[1])
chain = launcher_chain()
(folder / "chain.json").write_text(json.dumps(chain))
while not (folder / "stop").exists():
    (folder / "intact.tmp").write_text(str(chain_intact(chain)))
    os.replace(folder / "intact.tmp", folder / "intact")
    time.sleep(0.05)
"""
SNAKEMAKE = f"""#!{sys.executable}
import subprocess, sys
subprocess.run([sys.executable, "-c", {WATCHER!r}, sys.argv[1]])
"""


def wait_until(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} after {timeout} s"
        time.sleep(0.05)


def intact_after_a_moment(folder: Path) -> bool:
    time.sleep(0.5)  # several rounds of the watcher
    return (folder / "intact").read_text() == "True"


def test_the_chain_breaks_when_snakemake_dies_not_when_its_shell_exits(tmp_path):
    snakemake = tmp_path / "snakemake"
    snakemake.write_text(SNAKEMAKE)
    snakemake.chmod(0o755)
    # the shell starts Snakemake in the background and exits once the job has taken its chain
    shell = subprocess.run(
        ["sh", "-c", '"$0" "$1" & while [ ! -e "$1/intact" ]; do sleep 0.05; done', str(snakemake), str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert shell.returncode == 0
    chain = json.loads((tmp_path / "chain.json").read_text())
    try:
        launcher = chain[0]  # the watcher's parent
        assert Path(f"/proc/{launcher}/cmdline").read_bytes().split(b"\0")[1] == str(snakemake).encode()
        assert intact_after_a_moment(tmp_path)
        assert chain == [launcher]  # Snakemake's parent, the shell that is gone, was never watched
        os.kill(launcher, signal.SIGKILL)
        wait_until(lambda: (tmp_path / "intact").read_text() == "False", "broken chain after Snakemake died")
    finally:
        (tmp_path / "stop").touch()
