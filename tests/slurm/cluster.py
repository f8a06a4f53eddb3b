"""A throwaway single-node SLURM cluster on this machine, for tests.

munged, MariaDB, slurmdbd, slurmctld and slurmd run in the foreground as
children of the calling process, on free TCP ports, with every file they use
(configuration, state, logs, sockets, the munge key, the database) in one
temporary directory.  Clients find the cluster through SLURM_CONF in
`SlurmCluster.env`; pass that environment to sbatch, sacct, snakemake, ...

    with SlurmCluster() as cluster:
        cluster.run(["sbatch", "--wrap", "true"])

Needs root on Debian; missing packages are installed with apt-get.  Daemons are
stopped by PID (SIGTERM, then SIGKILL).  Their PIDs are also written under
STATE_ROOT, so that a later start first stops those of a run that died without
stopping them.  Can be run by hand: `python tests/slurm/cluster.py` prints the
SLURM_CONF to export and keeps the cluster up until Ctrl-C.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CLUSTER_NAME = "pairstudy"
ACCOUNT = "pairstudy"
PARTITION = "debug"
GPU_TYPE = "fakegpu"
GPU_COUNT = 2

# Debian packages, installed when one of the binaries after them is missing.
CORE_PACKAGES = ["slurm-wlm", "slurm-client", "munge"]
CORE_BINARIES = (
    "munged",
    "munge",
    "unmunge",
    "slurmctld",
    "slurmd",
    "sbatch",
    "srun",
    "squeue",
    "sinfo",
    "scontrol",
    "scancel",
    "sacct",
    "sacctmgr",
)
ACCOUNTING_PACKAGES = ["slurmdbd", "mariadb-server", "mariadb-client"]
ACCOUNTING_BINARIES = ("slurmdbd", "mariadbd", "mariadb-install-db", "mariadb")
SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Shared between runs: a lock held while a cluster is up, and the PID files of
# its daemons (left behind by a run that died).
STATE_ROOT = Path(tempfile.gettempdir()) / "pairstudy-slurm-state"
ROOT_PREFIX = "pairstudy-slurm-"
# Every daemon, and so every slurmstepd, has this variable in its environment.
OWNER_VARIABLE = "PAIRSTUDY_SLURM_OWNER"
# The configuration path compiled into Debian's SLURM.  While the cluster is up
# it holds one `include` of the generated slurm.conf, because the slurm-jobstep
# executor starts `srun` inside jobs with every SLURM_* variable removed
# (SLURM_CONF too), so that srun only finds the cluster through this path.
# A file that was there before is kept as DEFAULT_CONF_BACKUP and put back.
DEFAULT_CONF = Path("/etc/slurm/slurm.conf")
DEFAULT_CONF_BACKUP = Path("/etc/slurm/slurm.conf.pairstudy-backup")
DEFAULT_CONF_MARK = "# pairstudy test cluster"

logger = logging.getLogger(__name__)


class ClusterError(RuntimeError):
    """The cluster could not be started."""


class InstallError(ClusterError):
    """SLURM is missing and cannot be installed (not root, no apt-get, apt-get failed)."""


# ---------------------------------------------------------------------------
# installation


def _which(name: str) -> str | None:
    return shutil.which(name, path=f"{os.environ.get('PATH', '')}:{SBIN_PATH}")


def missing_binaries(accounting: bool = True) -> list[str]:
    names = CORE_BINARIES + (ACCOUNTING_BINARIES if accounting else ())
    return [name for name in names if _which(name) is None]


def ensure_installed(accounting: bool = True) -> None:
    """apt-get install the packages whose binaries are absent (after one apt-get update)."""
    missing = missing_binaries(accounting)
    if not missing:
        return
    if os.geteuid() != 0:
        raise InstallError(f"not root: cannot install the packages providing {', '.join(missing)}")
    apt_get = _which("apt-get")
    if apt_get is None:
        raise InstallError(f"no apt-get to install the packages providing {', '.join(missing)}")
    packages = []
    if any(binary in missing for binary in CORE_BINARIES):
        packages += CORE_PACKAGES
    if accounting and any(binary in missing for binary in ACCOUNTING_BINARIES):
        packages += ACCOUNTING_PACKAGES
    environment = {
        **os.environ,
        "DEBIAN_FRONTEND": "noninteractive",
        "RUNLEVEL": "1",
        "PATH": f"{os.environ.get('PATH', '')}:{SBIN_PATH}",
    }
    # Keep maintainer scripts from starting services: there is no init system.
    policy = Path("/usr/sbin/policy-rc.d")
    created_policy = False
    if not policy.exists():
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        created_policy = True
    try:
        logger.info("apt-get install %s", " ".join(packages))
        lock_wait = ["-o", "DPkg::Lock::Timeout=600"]
        update = subprocess.run([apt_get, *lock_wait, "update", "-qq"], env=environment, capture_output=True, text=True)
        install = subprocess.run(
            [
                apt_get,
                *lock_wait,
                "install",
                "-y",
                "-qq",
                "--no-install-recommends",
                "-o",
                "Dpkg::Options::=--force-confdef",
                "-o",
                "Dpkg::Options::=--force-confold",
                *packages,
            ],
            env=environment,
            capture_output=True,
            text=True,
        )
        if install.returncode != 0:
            raise InstallError(
                f"apt-get install {' '.join(packages)} failed:\n"
                f"{install.stdout[-3000:]}{install.stderr[-3000:]}\n"
                f"(apt-get update exited {update.returncode}: {update.stderr[-1000:]})"
            )
    finally:
        if created_policy:
            policy.unlink(missing_ok=True)
    still_missing = missing_binaries(accounting)
    if still_missing:
        raise InstallError(f"installed {' '.join(packages)} but still missing: {', '.join(still_missing)}")


# ---------------------------------------------------------------------------
# processes and files


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _process_start_time(pid: int) -> str | None:
    """Start time of a process in clock ticks since boot: tells a PID from a reused one."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _terminate(pids: list[int], grace: float) -> None:
    """SIGTERM the processes, wait up to `grace` seconds, SIGKILL those still alive."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _marked_processes(owner: str | None = None, command: str | None = None) -> list[int]:
    """PIDs with OWNER_VARIABLE in their environment (with value `owner`, or any), named `command` if given."""
    needle = f"{OWNER_VARIABLE}=".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if command is not None and (entry / "comm").read_text().strip() != command:
                continue
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        for item in environ.split(b"\0"):
            if item.startswith(needle) and (owner is None or item[len(needle) :].decode() == owner):
                found.append(int(entry.name))
                break
    return found


def _zombies(command: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, IndexError):
            if entry.name.isdigit():
                stat = (entry / "stat").read_text()
                name, rest = stat.split("(", 1)[1].rsplit(")", 1)
                if name == command and rest.split()[0] == "Z":
                    found.append(int(entry.name))
    return found


def _die_with_parent() -> None:
    """In a child before exec: have the kernel SIGTERM it when its parent dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"  ({path} absent)"
    return "\n".join("  " + line for line in text[-lines:]) or "  (empty)"


def _ours(path: Path) -> bool:
    try:
        return path.read_text(errors="replace").startswith(DEFAULT_CONF_MARK)
    except OSError:
        return False


def _restore_default_conf() -> None:
    """Remove our /etc/slurm/slurm.conf and put back the one it replaced, if any."""
    if DEFAULT_CONF.exists() and _ours(DEFAULT_CONF):
        DEFAULT_CONF.unlink()
    if DEFAULT_CONF_BACKUP.exists() or DEFAULT_CONF_BACKUP.is_symlink():
        if DEFAULT_CONF.exists() or DEFAULT_CONF.is_symlink():
            DEFAULT_CONF_BACKUP.unlink()  # a configuration was put back by someone else
        else:
            os.replace(DEFAULT_CONF_BACKUP, DEFAULT_CONF)


def _memtotal_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise ClusterError("no MemTotal in /proc/meminfo")


def _topology(cpus: int) -> str:
    """Boards/Sockets/Cores/Threads as `slurmd -C` sees them, when they add up to `cpus`."""
    with contextlib.suppress(Exception):
        output = subprocess.run(
            [_which("slurmd"), "-C"],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "SLURM_CONF": "/dev/null"},
        ).stdout
        fields = dict(item.split("=", 1) for item in output.split() if "=" in item)
        keys = ("Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore")
        values = [int(fields[key]) for key in keys]
        if values[0] * values[1] * values[2] * values[3] == cpus:
            return " ".join(f"{key}={value}" for key, value in zip(keys, values))
    return ""


@dataclass
class Daemon:
    name: str
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class SlurmCluster:
    """A single-node SLURM cluster: partition `debug`, node `hostname -s`, two fake GPUs.

    accounting: also run MariaDB and slurmdbd, so that sacct and sacctmgr work
        (otherwise AccountingStorageType=accounting_storage/none).
    install: apt-get install missing packages.
    lock_timeout: how long to wait for another cluster (one at a time per machine) to stop.
    min_job_age: MinJobAge, how long slurmctld (squeue) remembers finished jobs;
        the snakemake plugin only honours `--slurm-status-command squeue` when
        it is at least 3 times --slurm-init-seconds-before-status-checks.
    """

    accounting: bool = True
    install: bool = True
    startup_timeout: float = 90.0
    stop_grace: float = 10.0
    min_job_age: int = 300
    lock_timeout: float = 300.0

    root: Path | None = None
    env: dict = field(default_factory=dict, repr=False)
    node: str = field(default_factory=lambda: socket.gethostname().split(".")[0])
    cpus: int = field(default_factory=lambda: len(os.sched_getaffinity(0)))
    memory_mb: int = 0
    daemons: list = field(default_factory=list, repr=False)
    start_seconds: float = 0.0
    ports: dict = field(default_factory=dict, repr=False)
    _lock: object = field(default=None, repr=False)
    _owner: str = field(default="", repr=False)

    # -- public -------------------------------------------------------------

    @property
    def slurm_conf(self) -> Path:
        return self.root / "etc" / "slurm.conf"

    def __enter__(self) -> SlurmCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> SlurmCluster:
        """Install what is missing, start every daemon, wait until the node is idle."""
        began = time.monotonic()
        if os.geteuid() != 0:
            raise InstallError("the SLURM test cluster needs root (its daemons run as root)")
        if self.install:
            ensure_installed(self.accounting)
        still_missing = missing_binaries(self.accounting)
        if still_missing:
            raise InstallError(f"missing: {', '.join(still_missing)}")
        self._take_lock()
        atexit.register(self.stop)
        try:
            self._kill_stale()
            self._prepare()
            self._point_default_conf()
            self._start_munge()
            if self.accounting:
                self._start_mariadb()
                self._start_slurmdbd()
                self._sacctmgr("add", "cluster", CLUSTER_NAME)
                self._sacctmgr(
                    "add", "account", ACCOUNT, f"Cluster={CLUSTER_NAME}", "Description=tests", f"Organization={ACCOUNT}"
                )
            self._start_slurmctld()
            self._start_slurmd()
            self._wait(f"node {self.node} idle in sinfo", self._node_idle)
            if self.accounting:
                self._sacctmgr("add", "user", "root", f"Account={ACCOUNT}", f"Cluster={CLUSTER_NAME}")
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began
        logger.info("SLURM cluster up in %.1fs (SLURM_CONF=%s)", self.start_seconds, self.slurm_conf)
        return self

    def stop(self) -> None:
        """Cancel jobs, stop the daemons by PID (reverse start order), remove the temp dir.

        Safe to call more than once.
        """
        if any(d.name == "slurmctld" and d.process.poll() is None for d in self.daemons):
            with contextlib.suppress(Exception):
                self.run(["scancel", "--full", "--user", "root"], timeout=10)
                deadline = time.monotonic() + 10
                while (
                    time.monotonic() < deadline
                    and self.run(["squeue", "-h", "-o", "%i", "-t", "PD,R,CG,CF,S"], timeout=10).stdout.strip()
                ):
                    time.sleep(0.5)
        if self._owner and any(d.name == "slurmd" and d.process.poll() is None for d in self.daemons):
            # let slurmd see its job step daemons end (and reap them)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and _marked_processes(self._owner, "slurmstepd"):
                time.sleep(0.2)
            time.sleep(0.2)
        for daemon in reversed(self.daemons):
            _terminate([daemon.pid], self.stop_grace)
            with contextlib.suppress(Exception):
                daemon.process.wait(timeout=5)
        self.daemons = []
        if self._owner:
            leftovers = _marked_processes(self._owner)  # slurmstepd of jobs still running
            if leftovers:
                _terminate(leftovers, 3)
        # slurmstepd daemonizes, so init reaps the exited ones: give it a moment
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and _zombies("slurmstepd"):
            time.sleep(0.2)
        if self._lock is not None:
            _restore_default_conf()
            for pid_file in STATE_ROOT.glob("*.json"):
                pid_file.unlink(missing_ok=True)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
        self._release_lock()

    def run(self, command: list[str], *, check: bool = False, timeout: float = 60, **kwargs):
        """Run a client command (sbatch, sacct, ...) against this cluster; returns CompletedProcess."""
        return subprocess.run(
            command, env=self.env, capture_output=True, text=True, check=check, timeout=timeout, **kwargs
        )

    def sbatch(self, *arguments: str) -> str:
        """`sbatch --parsable ARGUMENTS`; returns the job id."""
        result = self.run(["sbatch", "--parsable", *arguments], timeout=30)
        if result.returncode != 0:
            raise ClusterError(f"sbatch {' '.join(arguments)} failed: {result.stderr.strip()}")
        return result.stdout.strip().split(";")[0]

    def job_state(self, job_id: str) -> str | None:
        """The state slurmctld reports (scontrol), e.g. COMPLETED; None if it does not know the job."""
        result = self.run(["scontrol", "show", "job", "-o", job_id], timeout=15)
        for item in result.stdout.split():
            if item.startswith("JobState="):
                return item.split("=", 1)[1]
        return None

    def sacct(self, *arguments: str) -> list[dict]:
        """Rows of `sacct -n -P --allusers ARGUMENTS`; the `--format` argument names the keys."""
        fields = next((a.split("=", 1)[1] for a in arguments if a.startswith("--format=")), None)
        if fields is None:
            raise ValueError("pass --format=Field1,Field2,...")
        result = self.run(["sacct", "-n", "-P", "--allusers", *arguments], timeout=15)
        if result.returncode != 0:
            raise ClusterError(f"sacct failed: {result.stderr.strip()}")
        names = [name.split("%")[0] for name in fields.split(",")]
        return [dict(zip(names, line.split("|"))) for line in result.stdout.splitlines() if line.strip()]

    def wait_job(self, job_id: str, timeout: float = 60) -> str:
        """Wait until slurmctld reports a final state; returns it."""
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.job_state(job_id)
            if state and state not in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED"):
                return state
            time.sleep(0.3)
        raise TimeoutError(f"job {job_id} still {state} after {timeout}s\n{self.diagnostics()}")

    def wait_sacct(self, job_id: str, states=("COMPLETED",), complete=("Partition",), timeout: float = 60) -> dict:
        """Wait until sacct reports the job (-X) in one of `states`, with the `complete` fields filled in.

        slurmdbd can record a job's final state before its start record (with the
        partition, for one) when the job is short: hence `complete`.
        """
        deadline = time.monotonic() + timeout
        rows = []
        while time.monotonic() < deadline:
            rows = self.sacct("-X", "-j", job_id, "--format=JobID,State,Account,Partition,ExitCode,AllocTRES")
            if rows and rows[0]["State"] in states and all(rows[0][name] for name in complete):
                return rows[0]
            time.sleep(0.3)
        raise TimeoutError(f"sacct reports job {job_id} as {rows}, not in {states}\n{self.diagnostics()}")

    def snakemake_args(
        self, jobs: int = 2, runtime: int = 5, mem_mb: int = 200, first_status_check: int = 1
    ) -> list[str]:
        """Arguments that make snakemake submit its jobs to this cluster with the slurm executor."""
        return [
            "--executor",
            "slurm",
            "--jobs",
            str(jobs),
            "--default-resources",
            f"slurm_partition={PARTITION}",
            f"slurm_account={ACCOUNT}",
            f"runtime={runtime}",
            f"mem_mb={mem_mb}",
            "--slurm-init-seconds-before-status-checks",
            str(first_status_check),
        ]

    def diagnostics(self, lines: int = 25) -> str:
        """Log tails of every daemon, plus sinfo and squeue: for error messages."""
        parts = []
        for daemon in self.daemons:
            status = "running" if daemon.process.poll() is None else f"exited {daemon.process.returncode}"
            parts.append(f"--- {daemon.name} (pid {daemon.pid}, {status}) {daemon.log}\n{_tail(daemon.log, lines)}")
            console = daemon.log.with_name(f"{daemon.name}.console")
            if console != daemon.log and console.exists() and console.stat().st_size:
                parts.append(f"--- {daemon.name} stdout/stderr\n{_tail(console, 10)}")
        if self.root is not None:
            for command in (["sinfo", "-N", "-l"], ["squeue", "-l"]):
                with contextlib.suppress(Exception):
                    result = self.run(command, timeout=10)
                    parts.append(f"--- {' '.join(command)}\n{result.stdout}{result.stderr}")
        return "\n".join(parts)

    # -- lock and leftovers of earlier runs -----------------------------------

    def _take_lock(self) -> None:
        STATE_ROOT.mkdir(parents=True, exist_ok=True)
        STATE_ROOT.chmod(0o700)
        lock = open(STATE_ROOT / "lock", "w")
        deadline = time.monotonic() + self.lock_timeout
        waiting = False
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._lock = lock
                return
            except BlockingIOError:
                if not waiting:
                    logger.warning("another SLURM test cluster is up: waiting up to %ss", self.lock_timeout)
                    waiting = True
                if time.monotonic() > deadline:
                    lock.close()
                    held = STATE_ROOT / "lock"
                    raise ClusterError(f"another SLURM test cluster is up (lock {held} is held)") from None
                time.sleep(0.5)

    def _release_lock(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def _kill_stale(self) -> None:
        """Stop what a run that died left behind: we hold the lock, so its owner is gone."""
        pids, roots = [], set()
        for pid_file in STATE_ROOT.glob("*.json"):
            with contextlib.suppress(Exception):
                record = json.loads(pid_file.read_text())
                roots.add(Path(record["root"]))
                if record.get("pid") and _process_start_time(record["pid"]) == record["start"]:
                    logger.warning("stopping stale %s (pid %s)", record["name"], record["pid"])
                    pids.append(record["pid"])
        pids += [pid for pid in _marked_processes() if pid not in pids]
        if pids:
            _terminate(pids, self.stop_grace)
        for root in roots:
            if root.name.startswith(ROOT_PREFIX) and root.parent == Path(tempfile.gettempdir()):
                shutil.rmtree(root, ignore_errors=True)
        for pid_file in STATE_ROOT.glob("*.json"):
            pid_file.unlink(missing_ok=True)
        _restore_default_conf()

    def _record(self, name: str, pid: int | None) -> None:
        record = {"name": name, "pid": pid, "start": pid and _process_start_time(pid), "root": str(self.root)}
        (STATE_ROOT / f"{name}.json").write_text(json.dumps(record))

    def _point_default_conf(self) -> None:
        if DEFAULT_CONF.exists() or DEFAULT_CONF.is_symlink():
            if _ours(DEFAULT_CONF):
                DEFAULT_CONF.unlink()
            else:
                os.replace(DEFAULT_CONF, DEFAULT_CONF_BACKUP)
        DEFAULT_CONF.parent.mkdir(parents=True, exist_ok=True)
        DEFAULT_CONF.write_text(
            f"{DEFAULT_CONF_MARK} (pid {os.getpid()}): removed when it stops\ninclude {self.slurm_conf}\n"
        )

    # -- configuration ----------------------------------------------------------

    def _prepare(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX))
        self._record("root", None)
        self.root.chmod(0o755)  # jobs and munged read below it
        for sub in ("etc", "log", "run", "state", "spool", "munge", "dev", "db"):
            (self.root / sub).mkdir(mode=0o755)
        self._owner = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.ports = {name: _free_port() for name in ("slurmctld", "slurmd", "slurmdbd", "mariadb")}
        total = _memtotal_mb()
        # a bit below MemTotal: slurmd drains a node with less memory than RealMemory
        self.memory_mb = max(256, total - max(512, total // 20))
        self.munge_socket = self.root / "munge" / "munge.socket"
        self.db_password = secrets.token_hex(12)
        key = self.root / "munge" / "munge.key"
        mungekey = _which("mungekey")
        if not (
            mungekey and subprocess.run([mungekey, "--create", f"--keyfile={key}"], capture_output=True).returncode == 0
        ):
            key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o400)
        self._write_configs()
        self.env = {
            **os.environ,
            "SLURM_CONF": str(self.slurm_conf),
            "PATH": f"{os.environ.get('PATH', '/usr/bin:/bin')}:{SBIN_PATH}",
        }
        # client defaults from the calling environment would point elsewhere
        for variable in list(self.env):
            if variable.startswith(("SBATCH_", "SRUN_", "SALLOC_", "SQUEUE_", "SACCT_")) or variable in (
                "SLURM_CLUSTERS",
                "SLURM_PARTITION",
                "SLURM_ACCOUNT",
                "SLURM_TIME_FORMAT",
                OWNER_VARIABLE,
            ):
                del self.env[variable]

    def _write_configs(self) -> None:
        etc, root = self.root / "etc", self.root
        gpu_files = []
        for index in range(GPU_COUNT):
            device = root / "dev" / f"{GPU_TYPE}{index}"
            device.touch()
            gpu_files.append(device)
        if self.accounting:
            accounting = (
                "AccountingStorageType=accounting_storage/slurmdbd\n"
                "AccountingStorageHost=127.0.0.1\n"
                f"AccountingStoragePort={self.ports['slurmdbd']}\n"
                # with auth/munge: the munge socket for connections to slurmdbd
                f"AccountingStoragePass={self.munge_socket}\n"
                f"AccountingStorageTRES=gres/gpu,gres/gpu:{GPU_TYPE}\n"
                "AccountingStoreFlags=job_comment\n"
                "JobAcctGatherType=jobacct_gather/linux\n"
                "JobAcctGatherFrequency=30\n"
            )
        else:
            accounting = "AccountingStorageType=accounting_storage/none\nJobAcctGatherType=jobacct_gather/none\n"
        topology = _topology(self.cpus)
        (etc / "slurm.conf").write_text(
            f"ClusterName={CLUSTER_NAME}\n"
            f"SlurmctldHost={self.node}(127.0.0.1)\n"
            f"SlurmctldPort={self.ports['slurmctld']}\n"
            f"SlurmdPort={self.ports['slurmd']}\n"
            "SlurmUser=root\n"
            "SlurmdUser=root\n"
            "AuthType=auth/munge\n"
            f"AuthInfo=socket={self.munge_socket}\n"
            "CredType=cred/munge\n"
            f"StateSaveLocation={root / 'state'}\n"
            f"SlurmdSpoolDir={root / 'spool'}\n"
            f"SlurmctldPidFile={root / 'run' / 'slurmctld.pid'}\n"
            f"SlurmdPidFile={root / 'run' / 'slurmd.pid'}\n"
            f"SlurmctldLogFile={root / 'log' / 'slurmctld.log'}\n"
            f"SlurmdLogFile={root / 'log' / 'slurmd.log'}\n"
            "SlurmctldDebug=info\n"
            "SlurmdDebug=info\n"
            f"PlugStackConfig={etc / 'plugstack.conf'}\n"
            "ProctrackType=proctrack/linuxproc\n"
            "TaskPlugin=task/none\n"
            "SelectType=select/cons_tres\n"
            "SelectTypeParameters=CR_Core_Memory\n"
            # without it a job that gives no --mem gets the whole node's memory
            "DefMemPerCPU=1000\n"
            "GresTypes=gpu\n"
            "MpiDefault=none\n"
            "SwitchType=switch/none\n"
            "SchedulerType=sched/backfill\n"
            "SchedulerParameters=batch_sched_delay=0\n"
            "ReturnToService=2\n"
            "SlurmctldTimeout=10\n"
            "SlurmdTimeout=30\n"
            "InactiveLimit=0\n"
            "KillWait=2\n"
            "WaitTime=0\n"
            f"MinJobAge={self.min_job_age}\n"
            "JobCompType=jobcomp/none\n"
            f"{accounting}"
            f"NodeName={self.node} NodeAddr=127.0.0.1 NodeHostname={self.node} CPUs={self.cpus} {topology} "
            f"RealMemory={self.memory_mb} Gres=gpu:{GPU_TYPE}:{GPU_COUNT} State=UNKNOWN\n"
            f"PartitionName={PARTITION} Nodes={self.node} Default=YES MaxTime=INFINITE State=UP\n"
        )
        (etc / "plugstack.conf").write_text("")
        # slurmd logs "not a valid character or block device" for plain files, and keeps them
        (etc / "gres.conf").write_text(
            "AutoDetect=off\n"
            + "".join(f"NodeName={self.node} Name=gpu Type={GPU_TYPE} File={device}\n" for device in gpu_files)
        )
        if self.accounting:
            dbd = etc / "slurmdbd.conf"
            dbd.write_text(
                "AuthType=auth/munge\n"
                f"AuthInfo=socket={self.munge_socket}\n"
                "DbdHost=localhost\n"
                "DbdAddr=127.0.0.1\n"
                f"DbdPort={self.ports['slurmdbd']}\n"
                "SlurmUser=root\n"
                "DebugLevel=info\n"
                f"LogFile={root / 'log' / 'slurmdbd.log'}\n"
                f"PidFile={root / 'run' / 'slurmdbd.pid'}\n"
                "StorageType=accounting_storage/mysql\n"
                "StorageHost=127.0.0.1\n"
                f"StoragePort={self.ports['mariadb']}\n"
                "StorageUser=slurm\n"
                f"StoragePass={self.db_password}\n"
                "StorageLoc=slurm_acct_db\n"
            )
            dbd.chmod(0o600)  # slurmdbd refuses a readable one

    # -- daemons ------------------------------------------------------------------

    def _spawn(self, name: str, command: list[str], log: Path | None = None) -> Daemon:
        console_path = self.root / "log" / f"{name}.console"
        with open(console_path, "ab") as console:
            process = subprocess.Popen(
                command,
                env={**self.env, OWNER_VARIABLE: self._owner},
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        daemon = Daemon(name, process, log or console_path)
        self.daemons.append(daemon)
        self._record(name, process.pid)
        return daemon

    def _wait(self, what: str, ready) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            for daemon in self.daemons:
                if daemon.process.poll() is not None:
                    raise ClusterError(
                        f"{daemon.name} exited with status {daemon.process.returncode} "
                        f"while waiting for {what}\n{self.diagnostics()}"
                    )
            with contextlib.suppress(Exception):
                if ready():
                    return
            time.sleep(0.25)
        raise ClusterError(f"timed out after {self.startup_timeout:.0f}s waiting for {what}\n{self.diagnostics()}")

    def _start_munge(self) -> None:
        munge_dir = self.root / "munge"
        self._spawn(
            "munged",
            [
                _which("munged"),
                "--foreground",
                "--force",
                f"--key-file={munge_dir / 'munge.key'}",
                f"--socket={self.munge_socket}",
                f"--pid-file={munge_dir / 'munged.pid'}",
                f"--seed-file={munge_dir / 'munged.seed'}",
                f"--log-file={self.root / 'log' / 'munged.log'}",
            ],
        )

        def ready():
            credential = subprocess.run(
                [_which("munge"), "-n", "-S", str(self.munge_socket)], capture_output=True, timeout=5
            )
            return (
                credential.returncode == 0
                and subprocess.run(
                    [_which("unmunge"), "-S", str(self.munge_socket)],
                    input=credential.stdout,
                    capture_output=True,
                    timeout=5,
                ).returncode
                == 0
            )

        self._wait("munged", ready)

    def _start_mariadb(self) -> None:
        datadir, socket_path = self.root / "db" / "data", self.root / "db" / "mysqld.sock"
        install = subprocess.run(
            [
                _which("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={datadir}",
                "--user=root",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.root,
            timeout=120,
        )
        if install.returncode != 0:
            raise ClusterError(f"mariadb-install-db failed:\n{install.stdout[-2000:]}{install.stderr[-2000:]}")
        log = self.root / "log" / "mariadb.log"
        self._spawn(
            "mariadbd",
            [
                _which("mariadbd"),
                "--no-defaults",
                f"--datadir={datadir}",
                f"--socket={socket_path}",
                f"--port={self.ports['mariadb']}",
                "--bind-address=127.0.0.1",
                "--user=root",
                f"--pid-file={self.root / 'run' / 'mariadb.pid'}",
                f"--log-error={log}",
                "--skip-name-resolve",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=16M",
                "--innodb-lock-wait-timeout=900",
                "--max-connections=50",
                "--performance-schema=OFF",
            ],
            log,
        )
        self._wait("MariaDB", lambda: socket_path.exists() and _port_open(self.ports["mariadb"]))
        statements = "".join(
            f"CREATE USER 'slurm'@'{host}' IDENTIFIED BY '{self.db_password}';"
            f"GRANT ALL ON slurm_acct_db.* TO 'slurm'@'{host}';"
            for host in ("127.0.0.1", "localhost")
        )
        result = subprocess.run(
            [_which("mariadb"), "--no-defaults", f"--socket={socket_path}", "-uroot", "-e", statements],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if result.returncode != 0:
            raise ClusterError(f"creating the database user failed: {result.stderr}\n{self.diagnostics()}")

    def _start_slurmdbd(self) -> None:
        self._spawn("slurmdbd", [_which("slurmdbd"), "-D"], self.root / "log" / "slurmdbd.log")
        self._wait(
            "slurmdbd",
            lambda: (
                _port_open(self.ports["slurmdbd"])
                and self.run(["sacctmgr", "-n", "-P", "list", "cluster"], timeout=10).returncode == 0
            ),
        )

    def _sacctmgr(self, *arguments: str) -> None:
        result = self.run(["sacctmgr", "-i", *arguments], timeout=30)
        output = (result.stdout + result.stderr).lower()
        if result.returncode != 0 and "already exist" not in output and "nothing new" not in output:
            raise ClusterError(
                f"sacctmgr {' '.join(arguments)} failed: {result.stdout}{result.stderr}\n{self.diagnostics()}"
            )

    def _start_slurmctld(self) -> None:
        self._spawn(
            "slurmctld",
            [_which("slurmctld"), "-D", "-i", "-f", str(self.slurm_conf)],
            self.root / "log" / "slurmctld.log",
        )
        self._wait("slurmctld", lambda: "UP" in self.run(["scontrol", "ping"], timeout=10).stdout)

    def _start_slurmd(self) -> None:
        self._spawn(
            "slurmd",
            [_which("slurmd"), "-D", "-N", self.node, "-f", str(self.slurm_conf)],
            self.root / "log" / "slurmd.log",
        )

    def _node_idle(self) -> bool:
        state = self.run(["sinfo", "-h", "-n", self.node, "-o", "%T"], timeout=10).stdout.strip()
        return state.rstrip("*~#!%$@^-") == "idle"


def main() -> None:
    """Start a cluster, print the SLURM_CONF to export, stop it on Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    cluster = SlurmCluster()
    try:
        cluster.start()
        print(f"export SLURM_CONF={cluster.slurm_conf}", flush=True)
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
