"""A throwaway single-node SLURM cluster on this machine, for tests.

It runs munged, MariaDB, slurmdbd, slurmctld and slurmd in the foreground as
children of the calling process, with every file (configuration, state, logs,
sockets, the munge key, the database) in one temporary directory, on free TCP
ports, and never touches /etc/slurm: clients and daemons find the
configuration through the SLURM_CONF variable of `SlurmCluster.env`.

Usage::

    with SlurmCluster() as cluster:
        subprocess.run(["sbatch", "--wrap", "true"], env=cluster.env)

Requirements: root, Debian (missing packages are installed with apt-get).
Daemons are stopped by PID (SIGTERM, then SIGKILL).  A run that died without
stopping them leaves PID files under `STATE_ROOT`; the next start kills those
processes first.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CLUSTER_NAME = "pairstudy"
ACCOUNT = "pairstudy"
PARTITION = "debug"
GPU_TYPE = "fakegpu"
GPU_COUNT = 2

# Debian packages, and the binaries whose absence makes us install them.
CORE_PACKAGES = ["slurm-wlm", "slurm-client", "munge"]
CORE_BINARIES = (
    "munged", "munge", "unmunge", "slurmctld", "slurmd",
    "sbatch", "srun", "squeue", "sinfo", "scontrol", "scancel", "sacct", "sacctmgr",
)
ACCOUNTING_PACKAGES = ["slurmdbd", "mariadb-server", "mariadb-client"]
ACCOUNTING_BINARIES = ("slurmdbd", "mariadbd", "mariadb-install-db", "mariadb")
SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Shared between runs: PID files of the daemons of the running (or a crashed)
# cluster, and a lock held while a cluster is up.
STATE_ROOT = Path(tempfile.gettempdir()) / "pairstudy-slurm-state"
# Every daemon (and so every slurmstepd) carries this variable in its environment.
OWNER_VARIABLE = "PAIRSTUDY_SLURM_OWNER"


class ClusterError(RuntimeError):
    """The cluster could not be started."""


class InstallError(ClusterError):
    """The Debian packages could not be installed (not root, no apt-get, apt-get failed)."""


# ---------------------------------------------------------------------------
# installation


def _which(name: str) -> str | None:
    return shutil.which(name, path=f"{os.environ.get('PATH', '')}:{SBIN_PATH}")


def missing_binaries(accounting: bool = True) -> list[str]:
    names = CORE_BINARIES + (ACCOUNTING_BINARIES if accounting else ())
    return [name for name in names if _which(name) is None]


def ensure_installed(accounting: bool = True, log=print) -> None:
    """apt-get install the packages whose binaries are absent (apt-get update once first)."""
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
    # Keep maintainer scripts from starting services (there is no init system).
    policy = Path("/usr/sbin/policy-rc.d")
    created_policy = False
    if not policy.exists():
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        created_policy = True
    try:
        log(f"apt-get install {' '.join(packages)}")
        lock_wait = ["-o", "DPkg::Lock::Timeout=600"]
        update = subprocess.run([apt_get, *lock_wait, "update", "-qq"], env=environment,
                                capture_output=True, text=True)
        install = subprocess.run(
            [apt_get, *lock_wait, "install", "-y", "-qq", "--no-install-recommends",
             "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
             *packages],
            env=environment, capture_output=True, text=True,
        )
        if install.returncode != 0:
            raise InstallError(f"apt-get install {' '.join(packages)} failed:\n"
                               f"{install.stdout[-3000:]}{install.stderr[-3000:]}"
                               f"(apt-get update: {update.returncode}) {update.stderr[-1000:]}")
    finally:
        if created_policy:
            policy.unlink(missing_ok=True)
    still_missing = missing_binaries(accounting)
    if still_missing:
        raise InstallError(f"installed {' '.join(packages)} but still missing: {', '.join(still_missing)}")


# ---------------------------------------------------------------------------
# processes


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _process_start_time(pid: int) -> str | None:
    """Start time of a process (clock ticks since boot), to tell a PID from a reused one."""
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


def _terminate_pids(pids: list[int], grace: float) -> None:
    """SIGTERM the given processes, wait up to `grace` seconds, SIGKILL what is left."""
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


def _owned_processes(owner: str | None = None) -> list[int]:
    """PIDs whose environment carries OWNER_VARIABLE (any value if owner is None)."""
    needle = f"{OWNER_VARIABLE}=".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        for item in environ.split(b"\0"):
            if item.startswith(needle) and (owner is None or item[len(needle):].decode() == owner):
                found.append(int(entry.name))
                break
    return found


def _die_with_parent() -> None:
    """Ask the kernel to SIGTERM the child when the process that started it dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"  ({path} unreadable or absent)"
    return "\n".join("  " + line for line in text[-lines:]) or "  (empty)"


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
    """A single-node SLURM cluster with one `debug` partition and two fake GPUs.

    accounting: run MariaDB and slurmdbd (sacct, sacctmgr); without it
        AccountingStorageType is accounting_storage/none.
    install: apt-get install what is missing.
    """

    accounting: bool = True
    install: bool = True
    startup_timeout: float = 90.0
    stop_grace: float = 10.0
    min_job_age: int = 300
    log: object = print

    root: Path | None = None
    env: dict = field(default_factory=dict)
    node: str = field(default_factory=lambda: socket.gethostname().split(".")[0])
    cpus: int = field(default_factory=lambda: os.cpu_count() or 1)
    memory_mb: int = 0
    daemons: list = field(default_factory=list)
    start_seconds: float = 0.0
    _lock = None
    _owner: str = ""

    # -- public ------------------------------------------------------------

    @property
    def slurm_conf(self) -> Path:
        return self.root / "etc" / "slurm.conf"

    def __enter__(self) -> "SlurmCluster":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "SlurmCluster":
        began = time.monotonic()
        if os.geteuid() != 0:
            raise InstallError("a SLURM test cluster needs root (daemons run as root)")
        if self.install:
            ensure_installed(self.accounting, log=self.log)
        still_missing = missing_binaries(self.accounting)
        if still_missing:
            raise InstallError(f"missing: {', '.join(still_missing)}")
        self._take_lock()
        try:
            self._kill_stale()
            self._prepare()
            self._start_munge()
            if self.accounting:
                self._start_mariadb()
                self._start_slurmdbd()
                self._register_accounting()
            self._start_slurmctld()
            self._start_slurmd()
            self._wait_node_idle()
            if self.accounting:
                self._register_user()
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began
        self.log(f"SLURM cluster up in {self.start_seconds:.1f}s (SLURM_CONF={self.slurm_conf})")
        return self

    def stop(self) -> None:
        """Cancel jobs, stop every daemon by PID (reverse start order), remove the temp dir."""
        if self.daemons and any(d.name == "slurmctld" and d.process.poll() is None for d in self.daemons):
            with contextlib.suppress(Exception):
                self.run(["scancel", "--full", "--cluster", CLUSTER_NAME, "--user", "root"], timeout=10)
                self.run(["scancel", "--full", "--user", "root"], timeout=10)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and self.run(
                        ["squeue", "-h", "-o", "%i", "-t", "PD,R,CG,CF"], timeout=10).stdout.strip():
                    time.sleep(0.5)
        for daemon in reversed(self.daemons):
            _terminate_pids([daemon.pid], self.stop_grace)
            with contextlib.suppress(Exception):
                daemon.process.wait(timeout=5)
        self.daemons = []
        # slurmstepd processes inherit the daemons' environment
        if self._owner:
            leftovers = _owned_processes(self._owner)
            if leftovers:
                _terminate_pids(leftovers, 3)
        self._clear_pid_files()
        if self.root is not None and self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)
        self._release_lock()

    def run(self, command: list[str], *, check: bool = False, timeout: float = 60, **kwargs):
        """Run a client command (sbatch, sacct, ...) against this cluster; returns CompletedProcess."""
        return subprocess.run(command, env=self.env, capture_output=True, text=True,
                              check=check, timeout=timeout, **kwargs)

    def sbatch(self, *arguments: str) -> str:
        """Submit with `sbatch --parsable`; returns the job id."""
        result = self.run(["sbatch", "--parsable", *arguments], timeout=30)
        if result.returncode != 0:
            raise ClusterError(f"sbatch {' '.join(arguments)} failed: {result.stderr.strip()}")
        return result.stdout.strip().split(";")[0]

    def job_state(self, job_id: str) -> str | None:
        """State from slurmctld (scontrol), e.g. COMPLETED; None when it does not know the job."""
        result = self.run(["scontrol", "show", "job", "-o", job_id], timeout=15)
        for item in result.stdout.split():
            if item.startswith("JobState="):
                return item.split("=", 1)[1]
        return None

    def sacct_state(self, job_id: str) -> str | None:
        """State recorded by accounting (sacct -X), or None if not there yet."""
        result = self.run(["sacct", "-X", "-n", "-P", "-j", job_id, "-o", "State"], timeout=15)
        lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
        return lines[0] if result.returncode == 0 and lines else None

    def wait_job(self, job_id: str, timeout: float = 60) -> str:
        """Wait until slurmctld reports a final state; returns it."""
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.job_state(job_id)
            if state and state not in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED"):
                return state
            time.sleep(0.5)
        raise TimeoutError(f"job {job_id} still {state} after {timeout}s\n{self.diagnostics()}")

    def wait_sacct(self, job_id: str, states=("COMPLETED",), timeout: float = 60) -> str:
        """Wait until sacct reports the job in one of `states` (accounting lags a little)."""
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.sacct_state(job_id)
            if state in states:
                return state
            time.sleep(0.5)
        raise TimeoutError(f"sacct reports job {job_id} as {state}, not {states}\n{self.diagnostics()}")

    def diagnostics(self, lines: int = 25) -> str:
        """Log tails of every daemon plus sinfo/squeue, for error messages."""
        parts = []
        for daemon in self.daemons:
            status = "running" if daemon.process.poll() is None else f"exited {daemon.process.returncode}"
            parts.append(f"--- {daemon.name} (pid {daemon.pid}, {status}) {daemon.log}\n{_tail(daemon.log, lines)}")
        if self.root is not None:
            for command in (["sinfo", "-N", "-l"], ["squeue", "-l"]):
                with contextlib.suppress(Exception):
                    result = self.run(command, timeout=10)
                    parts.append(f"--- {' '.join(command)}\n{result.stdout}{result.stderr}")
        return "\n".join(parts)

    # -- lock and stale daemons ------------------------------------------------

    def _take_lock(self) -> None:
        STATE_ROOT.mkdir(parents=True, exist_ok=True)
        STATE_ROOT.chmod(0o700)
        self._lock = open(STATE_ROOT / "lock", "w")
        deadline = time.monotonic() + 30
        while True:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self._lock.close()
                    self._lock = None
                    raise ClusterError(f"another test SLURM cluster is running (lock {STATE_ROOT / 'lock'})")
                time.sleep(0.5)

    def _release_lock(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def _kill_stale(self) -> None:
        """Stop the daemons of a run that ended without stopping them (we hold the lock: it is gone)."""
        pids = []
        for pid_file in STATE_ROOT.glob("*.json"):
            with contextlib.suppress(Exception):
                record = json.loads(pid_file.read_text())
                if _process_start_time(record["pid"]) == record["start"]:
                    pids.append(record["pid"])
                    self.log(f"stopping stale {record['name']} (pid {record['pid']})")
                old_root = Path(record.get("root", ""))
                if old_root.name.startswith("pairstudy-slurm-") and old_root.exists():
                    shutil.rmtree(old_root, ignore_errors=True)
            pid_file.unlink(missing_ok=True)
        pids += [pid for pid in _owned_processes() if pid not in pids]
        if pids:
            _terminate_pids(pids, self.stop_grace)

    def _record(self, daemon: Daemon) -> None:
        record = {"name": daemon.name, "pid": daemon.pid, "start": _process_start_time(daemon.pid),
                  "root": str(self.root)}
        (STATE_ROOT / f"{daemon.name}.json").write_text(json.dumps(record))

    def _clear_pid_files(self) -> None:
        if self._lock is None:
            return
        for pid_file in STATE_ROOT.glob("*.json"):
            pid_file.unlink(missing_ok=True)

    # -- configuration -------------------------------------------------------

    def _prepare(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pairstudy-slurm-"))
        self.root.chmod(0o755)  # job steps read the config; munged wants no group/other write
        for sub in ("etc", "log", "run", "state", "spool", "munge", "dev", "db"):
            (self.root / sub).mkdir()
        (self.root / "munge").chmod(0o755)
        self._owner = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.ports = {name: _free_port() for name in ("slurmctld", "slurmd", "slurmdbd", "mariadb")}
        meminfo = Path("/proc/meminfo").read_text()
        total_kb = int(next(line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal:")))
        # a bit below MemTotal: slurmd drains a node that has less than RealMemory
        self.memory_mb = max(256, int(total_kb / 1024 * 0.9))
        self.munge_socket = self.root / "munge" / "munge.socket"
        self.db_password = secrets.token_hex(12)
        self._write_munge_key()
        self._write_configs()
        base_path = os.environ.get("PATH", "/usr/bin:/bin")
        self.env = {
            **os.environ,
            "SLURM_CONF": str(self.slurm_conf),
            "PATH": f"{base_path}:{SBIN_PATH}",
        }
        for variable in ("SLURM_CLUSTERS", "SLURM_PARTITION", "SBATCH_PARTITION", "SLURM_ACCOUNT",
                         "SBATCH_ACCOUNT", "SQUEUE_FORMAT", "SACCT_FORMAT", "SLURM_TIME_FORMAT"):
            self.env.pop(variable, None)
        self.env.pop(OWNER_VARIABLE, None)

    def _write_munge_key(self) -> None:
        key = self.root / "munge" / "munge.key"
        mungekey = _which("mungekey")
        if mungekey and subprocess.run([mungekey, "--create", f"--keyfile={key}"],
                                       capture_output=True).returncode == 0:
            pass
        else:
            key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o400)

    def _write_configs(self) -> None:
        etc, root = self.root / "etc", self.root
        gpu_files = []
        for index in range(GPU_COUNT):
            device = root / "dev" / f"{GPU_TYPE}{index}"
            device.touch()
            gpu_files.append(device)
        accounting = (
            f"AccountingStorageType=accounting_storage/slurmdbd\n"
            f"AccountingStorageHost=127.0.0.1\n"
            f"AccountingStoragePort={self.ports['slurmdbd']}\n"
            f"AccountingStorageTRES=gres/gpu\n"
            f"AccountingStoreFlags=job_comment\n"
            f"JobAcctGatherType=jobacct_gather/linux\n"
            f"JobAcctGatherFrequency=30\n"
            if self.accounting else
            "AccountingStorageType=accounting_storage/none\n"
            "JobAcctGatherType=jobacct_gather/none\n"
        )
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
            "GresTypes=gpu\n"
            "MpiDefault=none\n"
            "SwitchType=switch/none\n"
            "SchedulerType=sched/backfill\n"
            "ReturnToService=2\n"
            "SlurmctldTimeout=10\n"
            "SlurmdTimeout=30\n"
            "InactiveLimit=0\n"
            "KillWait=2\n"
            "WaitTime=0\n"
            f"MinJobAge={self.min_job_age}\n"
            "MessageTimeout=10\n"
            "JobCompType=jobcomp/none\n"
            f"{accounting}"
            f"NodeName={self.node} NodeAddr=127.0.0.1 NodeHostname={self.node} CPUs={self.cpus} "
            f"RealMemory={self.memory_mb} Gres=gpu:{GPU_TYPE}:{GPU_COUNT} State=UNKNOWN\n"
            f"PartitionName={PARTITION} Nodes={self.node} Default=YES MaxTime=INFINITE State=UP\n"
        )
        (etc / "plugstack.conf").write_text("")
        (etc / "gres.conf").write_text(
            "AutoDetect=off\n" + "".join(
                f"NodeName={self.node} Name=gpu Type={GPU_TYPE} File={device}\n" for device in gpu_files)
        )
        (etc / "cgroup.conf").write_text("CgroupPlugin=disabled\n")
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
            dbd.chmod(0o600)

    # -- daemons -------------------------------------------------------------

    def _spawn(self, name: str, command: list[str], log: Path) -> Daemon:
        console = open(self.root / "log" / f"{name}.console", "ab")
        environment = {**self.env, OWNER_VARIABLE: self._owner}
        process = subprocess.Popen(command, env=environment, stdin=subprocess.DEVNULL, stdout=console,
                                   stderr=subprocess.STDOUT, cwd=self.root, start_new_session=True,
                                   preexec_fn=_die_with_parent)
        console.close()
        daemon = Daemon(name, process, log)
        self.daemons.append(daemon)
        self._record(daemon)
        return daemon

    def _wait(self, what: str, ready, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or self.startup_timeout)
        while time.monotonic() < deadline:
            for daemon in self.daemons:
                if daemon.process.poll() is not None:
                    raise ClusterError(f"{daemon.name} exited with {daemon.process.returncode} "
                                       f"while waiting for {what}\n{self._full_diagnostics()}")
            with contextlib.suppress(Exception):
                if ready():
                    return
            time.sleep(0.25)
        raise ClusterError(f"timed out after {timeout or self.startup_timeout:.0f}s waiting for {what}\n"
                           f"{self._full_diagnostics()}")

    def _full_diagnostics(self) -> str:
        text = self.diagnostics()
        consoles = []
        for console in sorted((self.root / "log").glob("*.console")):
            consoles.append(f"--- {console.name}\n{_tail(console, 15)}")
        return text + "\n" + "\n".join(consoles)

    def _port_open(self, port: int) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.5)
            return probe.connect_ex(("127.0.0.1", port)) == 0

    def _start_munge(self) -> None:
        munge_dir = self.root / "munge"
        self._spawn("munged", [
            _which("munged"), "--foreground", "--force",
            f"--key-file={munge_dir / 'munge.key'}", f"--socket={self.munge_socket}",
            f"--pid-file={munge_dir / 'munged.pid'}", f"--log-file={self.root / 'log' / 'munged.log'}",
            f"--seed-file={munge_dir / 'munged.seed'}",
        ], self.root / "log" / "munged.log")

        def ready():
            credential = subprocess.run([_which("munge"), "-n", "-S", str(self.munge_socket)],
                                        capture_output=True, timeout=5)
            return credential.returncode == 0 and subprocess.run(
                [_which("unmunge"), "-S", str(self.munge_socket)], input=credential.stdout,
                capture_output=True, timeout=5).returncode == 0

        self._wait("munged", ready)

    def _start_mariadb(self) -> None:
        datadir, socket_path = self.root / "db" / "data", self.root / "db" / "mysqld.sock"
        install = subprocess.run(
            [_which("mariadb-install-db"), "--no-defaults", f"--datadir={datadir}", "--user=root",
             "--auth-root-authentication-method=socket", "--skip-test-db"],
            capture_output=True, text=True, env=self.env, cwd=self.root)
        if install.returncode != 0:
            raise ClusterError(f"mariadb-install-db failed:\n{install.stdout[-2000:]}{install.stderr[-2000:]}")
        log = self.root / "log" / "mariadb.log"
        self._spawn("mariadbd", [
            _which("mariadbd"), "--no-defaults", f"--datadir={datadir}", f"--socket={socket_path}",
            f"--port={self.ports['mariadb']}", "--bind-address=127.0.0.1", "--user=root",
            f"--pid-file={self.root / 'run' / 'mariadb.pid'}", f"--log-error={log}",
            "--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=64M",
            "--innodb-log-file-size=16M", "--innodb-lock-wait-timeout=900", "--max-connections=50",
            "--performance-schema=OFF",
        ], log)
        self._wait("MariaDB", lambda: socket_path.exists() and self._port_open(self.ports["mariadb"]))
        password = self.db_password
        statements = (
            f"CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '{password}';"
            f"CREATE USER 'slurm'@'localhost' IDENTIFIED BY '{password}';"
            "GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"
            "GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
            "FLUSH PRIVILEGES;"
        )
        result = subprocess.run([_which("mariadb"), "--no-defaults", f"--socket={socket_path}", "-uroot",
                                 "-e", statements], capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise ClusterError(f"creating the slurm database user failed: {result.stderr}\n{self._full_diagnostics()}")

    def _start_slurmdbd(self) -> None:
        self._spawn("slurmdbd", [_which("slurmdbd"), "-D"], self.root / "log" / "slurmdbd.log")
        self._wait("slurmdbd", lambda: self._port_open(self.ports["slurmdbd"])
                   and self.run(["sacctmgr", "-n", "-P", "list", "cluster"], timeout=10).returncode == 0)

    def _sacctmgr(self, *arguments: str) -> None:
        result = self.run(["sacctmgr", "-i", *arguments], timeout=30)
        output = result.stdout + result.stderr
        if result.returncode != 0 and "already exist" not in output.lower() and "nothing new" not in output.lower():
            raise ClusterError(f"sacctmgr {' '.join(arguments)} failed: {output}\n{self._full_diagnostics()}")

    def _register_accounting(self) -> None:
        self._sacctmgr("add", "cluster", CLUSTER_NAME)
        self._sacctmgr("add", "account", ACCOUNT, f"Cluster={CLUSTER_NAME}", "Description=tests",
                       "Organization=pairstudy")

    def _register_user(self) -> None:
        self._sacctmgr("add", "user", "root", f"Account={ACCOUNT}", f"Cluster={CLUSTER_NAME}")

    def _start_slurmctld(self) -> None:
        self._spawn("slurmctld", [_which("slurmctld"), "-D", "-i", "-f", str(self.slurm_conf)],
                    self.root / "log" / "slurmctld.log")
        self._wait("slurmctld", lambda: self.run(["scontrol", "ping"], timeout=10).stdout.count("UP") >= 1)

    def _start_slurmd(self) -> None:
        self._spawn("slurmd", [_which("slurmd"), "-D", "-N", self.node, "-f", str(self.slurm_conf)],
                    self.root / "log" / "slurmd.log")

    def _wait_node_idle(self) -> None:
        def idle():
            state = self.run(["sinfo", "-h", "-n", self.node, "-o", "%T"], timeout=10).stdout.strip()
            return state.rstrip("*~#!%$@^-") == "idle"

        self._wait(f"node {self.node} to be idle in sinfo", idle)


def main() -> None:
    """Start a cluster, print how to use it, keep it up until Ctrl-C."""
    cluster = SlurmCluster(log=lambda message: print(message, file=sys.stderr))
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    cluster.start()
    try:
        print(f"export SLURM_CONF={cluster.slurm_conf}", flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
