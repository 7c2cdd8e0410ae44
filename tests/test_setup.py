"""The set-up stays true: one set of pins everywhere, the README's commands are the ones CI runs."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def pyproject_pins():
    project = PYPROJECT["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    pins = {}
    for requirement in requirements:
        name, sep, version = requirement.partition("==")
        assert sep and re.fullmatch(r"[\w.]+", version), f"{requirement!r} is not pinned to an exact version"
        pins[name.strip().lower()] = version
    return pins


def conda_file(path):
    """The python version and the pip pins of a conda environment file."""
    text = path.read_text()
    python = re.search(r"^\s*-\s*python=(\S+)\s*$", text, re.MULTILINE)
    pins = dict(re.findall(r"^\s+-\s*([A-Za-z0-9_.\-]+)==(\S+)\s*$", text, re.MULTILINE))
    return (python.group(1) if python else None), {k.lower(): v for k, v in pins.items()}


def test_every_dependency_is_pinned_exactly_and_nothing_is_listed_twice():
    pins = pyproject_pins()
    assert {"numpy", "pandas", "matplotlib", "jupyterlab", "keras", "jax", "jaxlib", "pytest", "nbval"} <= set(pins)
    assert pins["jax"] == pins["jaxlib"]


def test_environment_yml_and_binder_list_the_same_versions_as_pyproject():
    pins = pyproject_pins()
    for path in (ROOT / "environment.yml", ROOT / "binder" / "environment.yml"):
        python, conda_pins = conda_file(path)
        assert conda_pins == pins, f"{path.relative_to(ROOT)} differs from pyproject.toml"
        assert python == "3.11", f"{path.relative_to(ROOT)} must pin the Python version"
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"


def test_binder_postbuild_installs_the_package_strictly():
    postbuild = ROOT / "binder" / "postBuild"
    text = postbuild.read_text()
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    assert "pip install --no-deps" in text and postbuild.stat().st_mode & 0o111


def test_readme_names_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "python3 run.py lab" in readme and "python3 run.py test" in readme
    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if "run.py" in line]
    assert commands[0] == "python3 run.py test"                      # the README's command, as written
    assert all(re.fullmatch(r"(\w+=\S+ )*python3 run.py test( \S+)*", line) for line in commands)
    assert any(line.startswith("OPENBLAS_NUM_THREADS=1 ") for line in commands)


def test_pytest_runs_nbval_strictly_over_the_notebooks():
    options = PYPROJECT["tool"]["pytest"]["ini_options"]
    assert "notebooks" in options["testpaths"] and "tests" in options["testpaths"]
    assert "--nbval " in options["addopts"] + " " and "lax" not in options["addopts"]
    assert (ROOT / "notebooks" / "nbval_sanitize.cfg").is_file()


def test_the_data_ships_inside_the_package():
    package_data = PYPROJECT["tool"]["setuptools"]["package-data"]["mnistnn"]
    assert "data/mnist.npz" in package_data and "data/README.md" in package_data


def test_readme_lists_exactly_the_notebooks_that_exist():
    listed = set(re.findall(r"\(notebooks/(\d\d_\w+\.ipynb)\)", (ROOT / "README.md").read_text()))
    present = {path.name for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert listed == present


def test_repo2docker_builds_binder_from_the_conda_environment_and_runs_postbuild():
    """What mybinder.org will do, short of building the image (no Docker daemon needed)."""
    result = subprocess.run([sys.executable, "-m", "repo2docker", "--no-build", "--debug", str(ROOT)],
                            capture_output=True, text=True, timeout=300)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-2000:]
    assert "Building conda environment for python=3.11" in log
    assert '--file "binder/environment.yml"' in log
    assert "RUN ./binder/postBuild" in log


def notebook_files():
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_notebooks_open_with_a_numbered_title_and_the_standard_kernel():
    for path in notebook_files():
        notebook = json.loads(path.read_text())
        assert notebook["metadata"]["kernelspec"]["name"] == "python3", path.name
        first = notebook["cells"][0]
        assert first["cell_type"] == "markdown", path.name
        assert "".join(first["source"]).startswith(f"# {path.name[:2]} · "), path.name
        assert "What you will learn" in "".join(first["source"]), path.name


def test_teacher_guide_covers_every_notebook():
    guide = (ROOT / "notebooks" / "README.md").read_text()
    for path in notebook_files():
        title = json.loads(path.read_text())["cells"][0]["source"][0].split("·")[1].split(":")[0].strip()
        assert f"| {path.name[:2]} {title} |" in guide, f"{path.name} ({title}) is not in the lesson plan"


def test_readme_shows_the_picture_the_project_draws():
    readme = (ROOT / "README.md").read_text()
    assert "](docs/predictions.png)" in readme
    assert (ROOT / "docs" / "predictions.png").stat().st_size > 10_000
