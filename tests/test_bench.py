"""The benchmark runs (a smoke test on a tiny configuration; it measures nothing here)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_quick_prints_all_eight_sections():
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "machine: " in out and "BLAS: " in out and "versions: numpy" in out and "keras" in out
    assert re.search(r"BLAS: .+, \w+ kernels \((chosen by OpenBLAS|as set by OPENBLAS_CORETYPE)\)", out)
    for header in (
        "1. Full-batch gradient descent",
        "2. Time to",
        "3. Notebooks under nbval",
        "4. Peak memory",
        "5. What argument checks cost",
        "6. Grading",
        "7. On a shared machine",
        "8. python -m mnistnn train --recipe record",
    ):
        assert header in out, header
    for row in (
        r"original notebook \(verbatim\) +float64 +F ",
        r"mnistnn\.gradient_descent +float32 +C ",
        r"pure JAX, jit-compiled step +float32 +C ",
    ):
        assert re.search(row, out), row  # every line names its layout and dtype
    assert "the original's speed in float64" in out and "ratio mnistnn / Keras" in out and out.count(" MiB") == 10
    assert re.search(r"checks a learner's loop pays: [+-]\d+\.\d% of a step \(target: at most 5%\)", out)
    for condition in ("quiet", "under a one-CPU quota", "beside two busy processes"):
        assert re.search(rf"lab 06 training +{condition} +(\d+\.\d s \(\d th\)|not measured: .+)", out), condition
    assert re.search(r"   test accuracy +\d+\.\d\d%\n   wall time with loading and scoring: \d+ s", out)
    assert re.search(
        r"   Keras \(JAX\), the same recipe, images and augmentation: \d+ s of training .+test \d+\.\d\d%", out
    )
