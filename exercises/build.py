#!/usr/bin/env python3
"""Build the labs from their otter-grader master notebooks (exercises/masters/).

    python exercises/build.py                      regenerate the student notebooks in exercises/
    python exercises/build.py --autograder DIR     also write each lab's autograder zip into DIR
    python exercises/build.py --execute            first re-run the masters, storing their outputs
                                                   (after editing a master: the test outputs become
                                                   the expected outputs of the tests)

The student notebooks are what `otter assign` produces, with the tests stored in their metadata, so a
student opens exercises/NN_*.ipynb and checks answers with no other file. The masters hold the
solutions; the autograder zips (solutions and hidden tests inside) are built on demand, never committed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
MASTERS = HERE / "masters"

# Metadata that changes from one run of `otter assign` or Jupyter to the next and says nothing about
# the lab: removed from the generated notebooks so that they are byte-for-byte reproducible.
VOLATILE_CELL_METADATA = ("execution",)


def masters() -> list[Path]:
    """The master notebooks, in order."""
    return sorted(MASTERS.glob("[0-9][0-9]_*.ipynb"))


def execute(master: Path) -> None:
    """Re-run a master notebook top to bottom and store its outputs."""
    import nbclient
    import nbformat

    nb = nbformat.read(master, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(master.parent)}}).execute()
    nbformat.write(nb, master)


def normalise(path: Path) -> None:
    """Give a generated notebook stable cell ids and no volatile metadata."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index:03d}"
        for key in VOLATILE_CELL_METADATA:
            cell.get("metadata", {}).pop(key, None)
    nbformat.write(nb, path)


def assign(master: Path, result: Path) -> Path:
    """Run `otter assign` on one master into ``result``; return the student notebook.

    The same as ``otter assign --no-run-tests --no-pdfs MASTER RESULT``, in this process (importing otter
    takes seconds; assigning a lab, a tenth of one).
    """
    with warnings.catch_warnings():
        # otter 7.0.0 imports ipylab, whose traitlets calls are deprecated: not ours to fix
        warnings.simplefilter("ignore", DeprecationWarning)
        import otter.assign

        with contextlib.redirect_stdout(io.StringIO()):
            otter.assign.main(str(master.resolve()), str(result.resolve()), no_pdfs=True, no_run_tests=True)
    student = result / "student" / master.name
    normalise(student)
    return student


def build(out: Path, autograder_dir: Path | None = None) -> list[Path]:
    """Generate every lab's student notebook into ``out`` (and autograder zips into ``autograder_dir``)."""
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for master in masters():
            result = Path(tmp) / master.stem
            student = assign(master, result)
            target = out / master.name
            shutil.copyfile(student, target)
            written.append(target)
            if autograder_dir is not None:
                autograder_dir.mkdir(parents=True, exist_ok=True)
                (zip_path,) = (result / "autograder").glob("*.zip")
                shutil.copyfile(zip_path, autograder_dir / f"{master.stem}-autograder.zip")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--autograder", type=Path, metavar="DIR", help="write the autograder zips here")
    parser.add_argument("--execute", action="store_true", help="re-run the masters first, storing outputs")
    args = parser.parse_args(argv)
    if args.execute:
        for master in masters():
            print(f"executing {master.name} ...", flush=True)
            execute(master)
    for path in build(HERE, args.autograder):
        print(f"wrote {path.relative_to(HERE.parent)}")
    if args.autograder:
        print(f"autograders in {args.autograder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
