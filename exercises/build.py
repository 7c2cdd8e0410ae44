#!/usr/bin/env python3
"""Build the labs from their otter-grader master notebooks (exercises/masters/).

    python exercises/build.py                          regenerate the student notebooks in exercises/
    python exercises/build.py --autograder DIR         also write each lab's autograder zip into DIR
    python exercises/build.py --execute                first re-run the masters, storing their outputs
    python exercises/build.py --variant NAME --out DIR a course's own version of every lab, in DIR

The student notebooks are what `otter assign` produces from the masters, their checks run by
``grader = mnistnn.feedback.Lab("labNN")``. The masters hold the solutions and the marking guides of the written
questions; the autograder zips (built on demand, never committed) hold the public and hidden tests,
the exact versions of the lock to install, and mnistnn itself as a wheel built from this checkout: Gradescope (or
`otter grade`) installs them as they are, and `exercises/grade.py` grades with them on a laptop.

A variant (any name, or a number) changes the labs' parameters (network sizes, the hidden activation of lab 03b's
extension, the validation size, ...): DIR/masters holds its solutions, DIR/student its notebooks, DIR/autograders
its zips. The public version is this repository's.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MASTERS = HERE / "masters"
PLUGIN = "mnistnn.grading.otter_plugin.Grading"
# Metadata that changes from one run of `otter assign` or Jupyter to the next and says nothing about the lab.
VOLATILE_CELL_METADATA = ("execution",)
# What grading needs installed besides mnistnn's own dependencies (pyproject.toml's): otter-grader runs the
# autograder; lab 07 also needs JAX.
GRADING_PACKAGES = ("otter-grader", "ipykernel", "jupyter-client")
EXTRA_PACKAGES = {"lab07": ("jax", "jaxlib")}
PYTHON = "3.11"  # the Python of the grading image: the version CI tests and the lock resolves for
# Where Gradescope (and otter grade's Docker image) unpack the zip: the wheel in its files/ is installed from there.
SOURCE = "/autograder/source"


def masters() -> list[Path]:
    """The master notebooks, in order."""
    return sorted(MASTERS.glob("[0-9][0-9]*_*.ipynb"))


def execute(master: Path) -> None:
    """Re-run a master notebook top to bottom and store its outputs."""
    import nbclient
    import nbformat

    nb = nbformat.read(master, as_version=4)
    nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(master.parent)}}
    ).execute()
    nbformat.write(nb, master)


# --- variants ------------------------------------------------------------------------------------------------


def variant_code(variant) -> dict[str, str]:
    """The solution lines a variant changes (``# VARIANT key`` in a master): the hidden activation and its
    derivative of lab 03b's extension."""
    slope = f"{variant.leaky_slope:g}"
    expressions = {
        "tanh": ("np.tanh(Z)", "1 - np.tanh(Z) ** 2"),
        "sigmoid": ("1 / (1 + np.exp(-Z))", "np.exp(-Z) / (1 + np.exp(-Z)) ** 2"),
        "leaky_relu": (f"np.where(Z > 0, Z, {slope} * Z)", f"np.where(Z > 0, 1.0, {slope})"),
    }[variant.activation]
    return {"activation": f"return {expressions[0]}", "activation_grad": f"return {expressions[1]}"}


def render(nb, variant, *, autograder: dict | None = None):
    """The master as the variant's: its Lab(...) named with the variant, its ``# VARIANT`` lines replaced; with
    ``autograder`` (requirements file, wheel), the assignment configured to install them and grade with the plugin."""
    code = variant_code(variant)
    from mnistnn.feedback.labs import LAB_NAME

    lab = None
    for cell in nb.cells:
        source = cell.source
        match = re.search(rf"""Lab\("({LAB_NAME})"\)""", source)
        if match:
            lab = match.group(1)
            if variant.name != "public":
                source = source.replace(match.group(0), f'Lab("{lab}", variant="{variant.name}")')
        lines = []
        for line in source.splitlines():
            marker = re.search(r"\s*# VARIANT (\w+)", line)
            if marker:
                indent = line[: len(line) - len(line.lstrip())]
                ending = "  # SOLUTION" if line.rstrip().endswith("# SOLUTION") else ""
                line = indent + code[marker.group(1)] + ending
            lines.append(line)
        cell.source = "\n".join(lines)
    if autograder is not None:
        config = nb.cells[0]
        settings = {"lab": lab, "variant": variant.name}
        config.source += (
            f"\nrequirements: {autograder['requirements']}\noverwrite_requirements: true\n"
            f'python_version: "{PYTHON}"\nfiles:\n  - {autograder["wheel"]}\n'
            f"plugins:\n  - {PLUGIN}: {json.dumps(settings)}\n"
        )
    return nb


# --- assign --------------------------------------------------------------------------------------------------


def normalise(path: Path, lab: str, variant_name: str) -> None:
    """Give a generated notebook stable cell ids, no volatile metadata, and its lab and variant in its metadata
    (the public tests in otter's metadata are left out: the notebook's grader runs the checks itself)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index:03d}"
        for key in VOLATILE_CELL_METADATA:
            cell.get("metadata", {}).pop(key, None)
    nb.metadata.get("otter", {}).pop("tests", None)
    nb.metadata.get("otter", {}).pop("OK_FORMAT", None)
    nb.metadata["mnistnn"] = {"lab": lab, "variant": variant_name}
    nbformat.write(nb, path)


def assign(master: Path, result: Path, variant=None, autograder: dict | None = None) -> Path:
    """Run `otter assign` on one master (rendered for the variant) into ``result``; return the student notebook.

    The same as ``otter assign --no-run-tests --no-pdfs MASTER RESULT``, in this process.
    """
    import nbformat

    from mnistnn.feedback import Variant, lab_of

    variant = variant or Variant()
    rendered = result.parent / f"{result.name}-master" / master.name
    rendered.parent.mkdir(parents=True, exist_ok=True)
    nb = render(nbformat.read(master, as_version=4), variant, autograder=autograder)
    nbformat.write(nb, rendered)
    if autograder is not None:
        for key in ("requirements", "wheel"):
            shutil.copyfile(autograder[f"{key}_path"], rendered.parent / autograder[key])
    with warnings.catch_warnings():
        # otter 7.0.0 imports ipylab, whose traitlets calls are deprecated: not ours to fix
        warnings.simplefilter("ignore", DeprecationWarning)
        import otter.assign

        with contextlib.redirect_stdout(io.StringIO()):
            otter.assign.main(str(rendered.resolve()), str(result.resolve()), no_pdfs=True, no_run_tests=True)
    student = result / "student" / master.name
    normalise(student, lab_of(master), variant.name)
    return student


def _load_run_py():
    spec = importlib.util.spec_from_file_location("mnistnn_run", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def requirements(lab: str, wheel: str) -> str:
    """The packages grading this lab installs: the lock's exact versions (with its platform markers), and the
    mnistnn wheel that the zip carries in files/."""
    run = _load_run_py()
    lock = run.read_lock()
    wanted = [*run.pyproject_pins(extras=())]
    wanted += [run.normalize(name) for name in (*GRADING_PACKAGES, *EXTRA_PACKAGES.get(lab, ()))]
    dependencies: dict[str, set[str]] = {}
    for name, package in lock.items():
        for dependent in package["via"]:
            dependencies.setdefault(dependent, set()).add(name)
    needed: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in lock and name not in needed:
            needed.add(name)
            wanted.extend(dependencies.get(name, ()))
    lines = [
        line.split(" \\")[0]
        for name in sorted(needed)
        for line in lock[name]["lines"]
        if not line.lstrip().startswith("--hash")
    ]
    return (
        f"# {lab}'s grading environment: the lock's versions (requirements-lock.txt), then mnistnn itself\n"
        + "\n".join(lines)
        + f"\n{SOURCE}/files/{wheel}\n"
    )


def build_wheel(into: Path) -> Path:
    """mnistnn as a wheel, built from this checkout (MNIST inside it)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "-w",
            str(into),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = into.glob("mnistnn-*.whl")
    return wheel


def build(out: Path, autograder_dir: Path | None = None, variant=None, masters_dir: Path | None = None) -> list[Path]:
    """Every lab's student notebook into ``out`` (autograder zips into ``autograder_dir``, the rendered masters
    with their solutions into ``masters_dir``)."""
    from mnistnn.feedback import lab_of

    written = []
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(Path(tmp) / "wheel") if autograder_dir is not None else None
        for master in masters():
            lab = lab_of(master)
            result = Path(tmp) / master.stem
            settings = None
            if wheel is not None:
                requirements_path = Path(tmp) / f"{lab}-requirements.txt"
                requirements_path.write_text(requirements(lab, wheel.name))
                settings = {
                    "requirements": "requirements.txt",
                    "requirements_path": requirements_path,
                    "wheel": wheel.name,
                    "wheel_path": wheel,
                }
            student = assign(master, result, variant, settings)
            out.mkdir(parents=True, exist_ok=True)
            target = out / master.name
            shutil.copyfile(student, target)
            written.append(target)
            if masters_dir is not None:
                masters_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(result.parent / f"{result.name}-master" / master.name, masters_dir / master.name)
            if autograder_dir is not None:
                autograder_dir.mkdir(parents=True, exist_ok=True)
                (zip_path,) = (result / "autograder").glob("*.zip")
                shutil.copyfile(zip_path, autograder_dir / f"{master.stem}-autograder.zip")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--autograder", type=Path, metavar="DIR", help="write the autograder zips here")
    parser.add_argument("--execute", action="store_true", help="re-run the masters first, storing outputs")
    parser.add_argument("--variant", metavar="NAME_OR_SEED", help="build a course's own version of the labs")
    parser.add_argument("--out", type=Path, metavar="DIR", help="where a variant goes (masters, student, autograders)")
    args = parser.parse_args(argv)
    if args.execute:
        for master in masters():
            print(f"executing {master.name} ...", flush=True)
            execute(master)
    if args.variant:
        from mnistnn.feedback import Variant

        if args.out is None:
            parser.error("--variant needs --out DIR (the public labs in exercises/ stay as they are)")
        variant = Variant.of(args.variant)
        build(args.out / "student", args.autograder or args.out / "autograders", variant, args.out / "masters")
        print(
            f"{variant}\nwrote {args.out}/masters (solutions), {args.out}/student, "
            f"{args.autograder or args.out / 'autograders'}"
        )
        return 0
    for path in build(HERE, args.autograder):
        print(f"wrote {path.relative_to(HERE.parent)}")
    if args.autograder:
        print(f"autograders in {args.autograder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
