"""Where the submission's code runs: a bubblewrap sandbox on Linux, else a plain process with the same limits.

In the sandbox the system is read-only and holds only what Python needs to run NumPy and mnistnn (the Python
installation, its packages, mnistnn's own folder, the system's libraries): no home folder, no submissions folder,
no autograder (so no hidden test), no network, a private empty /tmp of at most 256 MiB, and its own process tree,
killed with it. Every worker process also gets a memory limit (RLIMIT_AS: what one process may map), a limit on
the size of a file it writes, and one BLAS thread; the code graded cannot start processes (the tracer refuses it).
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SYSTEM = (
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/ssl",
    "/etc/localtime",
)
ENVIRONMENT = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "Agg",
    "KERAS_BACKEND": "jax",
    "JAX_PLATFORMS": "cpu",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
}


TMP_BYTES = 256 * 2**20  # the sandbox's private /tmp (memory, not disk): at most this much
FILE_BYTES = 256 * 2**20  # no file written by a worker, in the sandbox or not, grows beyond this


@dataclass(frozen=True)
class Limits:
    """How long and how much: per call of a learner's function (a cell's worth), per submission, and memory."""

    call_seconds: float = 60.0
    submission_seconds: float = 300.0
    memory_bytes: int = 4 * 2**30


def bubblewrap() -> str | None:
    """The bwrap program, if it is installed and can make a sandbox here (it needs user namespaces, or root)."""
    program = shutil.which("bwrap")
    if program is None or not sys.platform.startswith("linux"):
        return None
    return program if _works(program) else None


@functools.cache
def _works(program: str) -> bool:
    try:
        result = subprocess.run(
            [program, *_binds(), "--unshare-all", "--die-with-parent", sys.executable, "-c", "import numpy, mnistnn"],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def why_not_sandboxed() -> str:
    """Why grading runs without a sandbox here, and what to do about it."""
    if not sys.platform.startswith("linux"):
        return (
            f"this is {sys.platform}, and the sandbox (bubblewrap) is Linux's. Student code will run with your "
            "rights: grade on Linux with bubblewrap installed, in Docker (otter grade), or on Gradescope"
        )
    if shutil.which("bwrap") is None:
        return (
            "bubblewrap is not installed (Debian/Ubuntu: sudo apt-get install bubblewrap). Student code will run "
            "with your rights; install it, or grade in Docker (otter grade) or on Gradescope"
        )
    return (
        "bubblewrap cannot create a sandbox here (user namespaces are disabled?). Student code will run with your "
        "rights; grade where it can, in Docker (otter grade) or on Gradescope"
    )


def _python_paths() -> list[str]:
    """The folders Python needs to import NumPy and mnistnn: its installation, packages, and mnistnn's folder."""
    paths = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
        str(Path(np.__file__).resolve().parent.parent),
        str(Path(__file__).resolve().parent.parent),
    }
    paths.update(
        value for key, value in sysconfig.get_paths().items() if key in ("stdlib", "platstdlib", "purelib", "platlib")
    )
    paths.update(entry for entry in sys.path if entry and os.path.isdir(entry) and "site-packages" in entry)
    return sorted(path for path in paths if os.path.exists(path))


def _binds() -> list[str]:
    arguments = []
    for path in (*SYSTEM, *_python_paths()):
        if os.path.exists(path):
            arguments += ["--ro-bind", path, path]
    tmp = ["--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    return [*arguments, "--proc", "/proc", "--dev", "/dev", *tmp, "--chdir", "/tmp"]


def worker_command(program: str | None) -> list[str]:
    """The command that starts a worker: inside bubblewrap when ``program`` is its path."""
    command = [sys.executable, "-I", "-m", "mnistnn.grading.worker"]
    if program is None:
        return command
    environment = [argument for key, value in ENVIRONMENT.items() for argument in ("--setenv", key, value)]
    return [
        program,
        *_binds(),
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        *environment,
        *command,
    ]


def limit_memory(memory_bytes: int):
    """A preexec function for subprocess: the child (and the sandbox in it) may map at most this much memory, and
    write no file larger than FILE_BYTES."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.setsid()  # its own process group: killed as one

    return apply


def plain_environment() -> dict[str, str]:
    """The worker's environment outside the sandbox: the same variables, and only a PATH besides."""
    return {**ENVIRONMENT, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
