"""Print an OpenBLAS kernel family (an OPENBLAS_CORETYPE value) other than the one this machine uses by default,
and that this CPU can run: CI runs the tests once more with it, so that nothing depends on the last bits of a float.

Run with the project's Python from the repository (NumPy's bundled OpenBLAS reports the kernel it chose).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.kernels import current, flags, other

if __name__ == "__main__":
    default = current()
    choice = other(default, flags())
    print(f"OpenBLAS kernel family by default here: {default}; the other one CI runs: {choice}", file=sys.stderr)
    print(choice)
