"""Process plumbing for a training job: a child that dies with its parent, a lock per block, orphan detection."""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

PR_SET_PDEATHSIG = 1


class BlockBusy(RuntimeError):
    """Another process is training the same block."""


def die_with_parent(parent: int | None = None) -> None:
    """In a child, before exec: receive SIGTERM when the parent dies (Linux; elsewhere nothing).

    `parent` is the pid of the process that started the child: one that died before this call,
    which no signal would report any more, ends the child here.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if parent is not None and os.getppid() != parent:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a handler the parent installed must not catch it here
            os.kill(os.getpid(), signal.SIGTERM)


class BlockLock:
    """An exclusive lock on `<output>.lock` held while the block trains; a second trainer fails fast."""

    def __init__(self, output: str | Path):
        self.path = Path(f"{output}.lock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(self.fd, 200).decode(errors="replace").strip() or "another process"
                os.close(self.fd)
                raise BlockBusy(
                    f"{output} is being trained by {holder}; wait for it to finish or stop it before training it again"
                ) from None
            if self.holds_the_file():
                break
            os.close(self.fd)  # its last holder removed the file we opened: lock the one at the path now

        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"process {os.getpid()} (started {datetime.now():%Y-%m-%d %H:%M:%S})".encode())

    def holds_the_file(self) -> bool:
        try:
            return os.stat(self.path).st_ino == os.fstat(self.fd).st_ino
        except FileNotFoundError:
            return False

    def release(self) -> None:
        self.path.unlink(missing_ok=True)
        os.close(self.fd)


def parent_of(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1])


def runs_snakemake(pid: int) -> bool:
    """`python -m snakemake ...` or the `snakemake` script, on the command line of process `pid`."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:3]
    except OSError:
        return False
    return any(Path(argument.decode(errors="replace")).name == "snakemake" for argument in arguments)


def launcher_chain(depth: int = 5) -> list[int]:
    """This process's parent, its parent, ... up to the Snakemake process that started the job (the parent
    alone when none of `depth` ancestors runs Snakemake; empty without /proc).

    When one of them dies the next one down is re-parented, so the chain breaks. Snakemake's own parent is
    left out: Snakemake outlives the shell it was started from (`nohup snakemake &`, then logging out).
    """
    chain, pid = [], os.getpid()
    for _ in range(depth):
        pid = parent_of(pid)
        if not pid:
            break
        chain.append(pid)
        if runs_snakemake(pid):
            return chain
    return chain[:1]


def chain_intact(chain: list[int]) -> bool:
    """Each process of `chain` is still the parent of the one before it, the first of this process."""
    child = os.getpid()
    for pid in chain:
        if parent_of(child) != pid:
            return False
        child = pid
    return True
