"""OpenBLAS's kernel families: which one NumPy runs here, which ones this CPU can run.

The benchmark measures the families these machines use (SkylakeX on Intel Xeon, Haswell as set on AMD EPYC) side by
side; CI runs the tests once more with another family than the default (.ci/other_blas_kernel.py).
"""

import ctypes
import os
from pathlib import Path

import numpy as np

# Families from the newest instruction sets down; each CPU runs those its flags allow.
FAMILIES = [
    ("SkylakeX", {"avx512f", "avx512bw", "avx512vl"}),
    ("Haswell", {"avx2", "fma"}),
    ("Sandybridge", {"avx"}),
    ("Prescott", set()),
]


def current() -> str:
    """The kernel family NumPy's OpenBLAS runs here (it honours OPENBLAS_CORETYPE when set)."""
    libs = Path(np.__file__).parent.parent / "numpy.libs"
    for lib in sorted(libs.glob("*openblas*")):
        handle = ctypes.CDLL(str(lib))
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename"):
            function = getattr(handle, name, None)
            if function is not None:
                function.restype = ctypes.c_char_p
                return function().decode()
    return os.environ.get("OPENBLAS_CORETYPE", "unknown")


def flags() -> set[str]:
    """The CPU's feature flags (Linux); empty elsewhere."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return set()
    line = next((line for line in cpuinfo.read_text().splitlines() if line.startswith("flags")), "")
    return set(line.split(":", 1)[-1].split())


def other(default: str, cpu_flags: set[str]) -> str:
    """The newest family this CPU runs that is not the default one."""
    return next(name for name in runnable(cpu_flags) if name.lower() != default.lower())


def runnable(cpu_flags: set[str] | None = None) -> list[str]:
    """The families this CPU can run, newest first."""
    cpu_flags = flags() if cpu_flags is None else cpu_flags
    return [name for name, needed in FAMILIES if needed <= cpu_flags]


def needs(family: str) -> str:
    """The instruction sets a family needs, for a message."""
    return ", ".join(sorted(dict(FAMILIES)[family])).upper() or "nothing special"
