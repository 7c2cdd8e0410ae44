"""Print an OpenBLAS kernel family (an OPENBLAS_CORETYPE value) other than the one this machine uses by default,
and that this CPU can run: CI runs the tests once more with it, so that nothing depends on the last bits of a float.

Run with the project's Python (NumPy's bundled OpenBLAS reports the kernel it chose).
"""

import ctypes
import os
import sys
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
    runnable = [name for name, needed in FAMILIES if needed <= cpu_flags]
    return next(name for name in runnable if name.lower() != default.lower())


if __name__ == "__main__":
    default = current()
    choice = other(default, flags())
    print(f"OpenBLAS kernel family by default here: {default}; the other one CI runs: {choice}", file=sys.stderr)
    print(choice)
