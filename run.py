#!/usr/bin/env python3
"""Set up and run the mnistnn series with nothing but Python 3.11+.

    python3 run.py lab               set up, then open the series in JupyterLab
    python3 run.py lab --headless    set up, then execute every notebook and print a summary
    python3 run.py test              set up, then run the unit tests and nbval over every notebook

"Set up" creates a virtual environment in .venv/ (or reuses it) and installs mnistnn with the
pinned versions from pyproject.toml; it reinstalls only when pyproject.toml has changed.
Arguments after `test` go to pytest (e.g. `python3 run.py test -x tests/test_model.py`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "mnistnn-installed.sha256"
NOTEBOOKS = ROOT / "notebooks"


def venv_python() -> Path:
    """The virtual environment's interpreter."""
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def setup() -> Path:
    """Create or reuse .venv and install mnistnn with its pinned dependencies; return its Python."""
    if sys.version_info < (3, 11):
        sys.exit(f"mnistnn needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + sys.version.encode()).hexdigest()
    python = venv_python()
    if python.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return python
    if not python.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        try:
            venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
        except (OSError, subprocess.CalledProcessError) as error:
            sys.exit(f"could not create {VENV} ({error}). On Debian/Ubuntu: sudo apt install python3-venv")
    print("Installing mnistnn and its pinned dependencies (first time: a few minutes) ...", flush=True)
    subprocess.run([python, "-m", "pip", "install", "--disable-pip-version-check",
                    "--editable", f"{ROOT}[notebooks,test]"], check=True, cwd=ROOT)
    STAMP.write_text(wanted + "\n")
    return python


def notebooks() -> list[Path]:
    """The numbered notebooks of the series, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def execute_all() -> int:
    """Run every notebook top to bottom in a fresh kernel (outputs not saved); print a summary."""
    import nbclient
    import nbformat

    failures = 0
    total = time.perf_counter()
    print(f"{'notebook':<40} {'seconds':>8}  result")
    for path in notebooks():
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        try:
            client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                             resources={"metadata": {"path": str(path.parent)}})
            # The kernel process's own log (not the cells' output) only holds start-up chatter here.
            client.execute(stderr=subprocess.DEVNULL)
            result = "ok"
        except Exception as error:  # report every notebook, then fail at the end
            failures += 1
            result = f"FAILED: {type(error).__name__}: {str(error).strip().splitlines()[-1][:200]}"
        print(f"{path.name:<40} {time.perf_counter() - start:8.1f}  {result}", flush=True)
    count = len(notebooks())
    print(f"{count - failures} of {count} notebooks ran without error in {time.perf_counter() - total:.0f} s")
    return 1 if failures or not count else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    lab = commands.add_parser("lab", help="set up, then open the notebooks in JupyterLab")
    lab.add_argument("--headless", action="store_true",
                     help="no browser: execute every notebook and print a summary instead")
    commands.add_parser("test", help="set up, then run unit tests and nbval over every notebook",
                        add_help=False)
    commands.add_parser("_execute")  # internal: runs inside .venv for `lab --headless`
    args, rest = parser.parse_known_args()
    if args.command == "_execute":
        return execute_all()
    if rest and args.command != "test":
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    python = setup()
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax")}
    if args.command == "test":
        code = subprocess.call([python, "-m", "pytest", *rest], cwd=ROOT, env=env)
        if code == 5:
            print("pytest collected no tests: that is a failure, not a pass", file=sys.stderr)
        return code
    if args.headless:
        return subprocess.call([python, __file__, "_execute"], cwd=ROOT, env=env)
    first = notebooks()[0].relative_to(ROOT) if notebooks() else NOTEBOOKS.relative_to(ROOT)
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # e.g. in a container
    return subprocess.call([python, "-m", "jupyterlab", *as_root, str(first)], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
