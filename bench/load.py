"""A busy or shared machine, made on purpose: a cgroup with a CPU quota, and processes that keep the CPUs busy.

Used by the benchmark's section 7 and by tests/test_threads.py.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

V1, V2 = Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")


class NoCgroup(Exception):
    """No cgroup with a CPU quota can be made here; the message says why."""


@contextlib.contextmanager
def cpu_quota(cpus: float) -> Iterator[list[str]]:
    """A new cgroup limited to ``cpus`` CPUs (cgroup v1's cpu controller, or v2's cpu.max), removed at the end.

    Yields the command prefix that runs a command inside it (a shell that moves itself in, then becomes the
    command). Raises NoCgroup where no cgroup can be made (not Linux, not root, no cpu controller).
    """
    name, period = f"mnistnn-{uuid.uuid4().hex[:8]}", 100_000
    try:
        if (V1 / "cpu.cfs_quota_us").exists():
            folder = V1 / name
            folder.mkdir()
            (folder / "cpu.cfs_period_us").write_text(str(period))
            (folder / "cpu.cfs_quota_us").write_text(str(round(cpus * period)))
        elif "cpu" in (V2 / "cgroup.subtree_control").read_text().split():
            folder = V2 / name
            folder.mkdir()
            (folder / "cpu.max").write_text(f"{round(cpus * period)} {period}")
        else:
            raise NoCgroup("no cpu controller: neither cgroup v1's cpu nor v2's cpu.max is available")
    except OSError as error:
        raise NoCgroup(f"cannot make a cgroup here ({error.strerror}): run as root on Linux") from error
    try:
        yield ["sh", "-c", f'echo $$ > {folder / "cgroup.procs"} && exec "$0" "$@"']
    finally:
        with contextlib.suppress(OSError):  # its processes have ended: the folder can go
            folder.rmdir()


@contextlib.contextmanager
def busy_processes(count: int) -> Iterator[None]:
    """``count`` processes that each keep one CPU busy (an endless loop), stopped at the end."""
    processes = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for process in processes:
            process.kill()
            process.wait()
