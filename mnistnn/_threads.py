"""BLAS threads fitted to the CPUs this process may use, not to the machine's cores.

OpenBLAS starts one thread per core it sees. A container (a Binder session, a CI job) usually sees every core of a
large node but may use only a share of it (a CPU quota), and a process can be pinned to a few cores (its affinity):
then most of those threads wait for each other, and matrix products run slower than with one thread. On import,
mnistnn sets the BLAS thread count to the CPUs it may actually use, unless the user set the thread variables
(``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``): those are theirs to choose.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

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


def fit_blas_threads() -> int | None:
    """Limit BLAS to the usable CPUs (with threadpoolctl) and return that number; None, and nothing changed, when
    the user chose the threads themselves with one of THREAD_VARIABLES."""
    if any(os.environ.get(variable) for variable in THREAD_VARIABLES):
        return None
    from threadpoolctl import threadpool_info, threadpool_limits

    threads = usable_cpus()
    if any(pool["num_threads"] > threads for pool in threadpool_info() if pool["user_api"] == "blas"):
        threadpool_limits(limits=threads, user_api="blas")
    return threads
