"""The labs in exercises/: generated student notebooks up to date, and otter-grader's own grading run
scoring an unfilled notebook 0 ("not implemented yet" for each question) and a solved one full marks.

The masters themselves run under nbval (exercises/masters is in pytest's testpaths).
"""

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

# Importing otter imports ipylab, whose traitlets use is deprecated (ipylab 1.1.0): not ours to fix.
# otter's in-process grading run leaves a kernel socket for the garbage collector.
pytestmark = [pytest.mark.filterwarnings("ignore:Traits should be given as instances:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::ResourceWarning"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
MASTERS = sorted((EXERCISES / "masters").glob("[0-9][0-9]_*.ipynb"))
LABS = [path.stem for path in MASTERS]


def _load(name):
    spec = importlib.util.spec_from_file_location(f"exercises_{name}", EXERCISES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build = _load("build")
grade = _load("grade")


def _content(path):
    """A notebook's JSON without what changes from run to run (cell ids are set by build.normalise)."""
    nb = json.loads(path.read_text())
    nb.get("metadata", {}).pop("widgets", None)
    return nb


def test_there_are_six_labs_and_their_student_copies():
    assert LABS == ["01_data_preparation", "02_forward_propagation", "03_backpropagation", "04_training",
                    "05_evaluation", "06_going_further"]
    for lab in LABS:
        assert (EXERCISES / f"{lab}.ipynb").exists(), f"run python exercises/build.py to generate {lab}.ipynb"


@pytest.fixture(scope="module")
def assigned(tmp_path_factory):
    """`otter assign` run now on every master: {lab: its result folder (student/, autograder/)}."""
    out = tmp_path_factory.mktemp("assigned")
    return {master.stem: (build.assign(master, out / master.stem), out / master.stem) for master in MASTERS}


@pytest.mark.parametrize("lab", LABS)
def test_committed_student_notebook_is_what_otter_assign_produces(lab, assigned):
    student, _ = assigned[lab]
    committed = EXERCISES / f"{lab}.ipynb"
    assert _content(committed) == _content(student), (
        f"exercises/{lab}.ipynb is out of date with its master: run python exercises/build.py")


@pytest.mark.parametrize("lab", LABS)
def test_student_notebook_has_no_solutions_and_public_tests_only(lab):
    nb = nbformat.read(EXERCISES / f"{lab}.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    assert "BEGIN SOLUTION" not in text and "# SOLUTION" not in text
    assert "grader.check(" in text
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
    tests = nb.metadata["otter"]["tests"]
    cases = [case for test in tests.values() for suite in test["suites"] for case in suite["cases"]]
    assert cases and not any(case["hidden"] for case in cases)
    assert all("feedback.check_" in case["code"] for case in cases)   # every self-check gives named feedback


def _autograder(result: Path) -> Path:
    (zip_path,) = (result / "autograder").glob("*.zip")
    return zip_path


@pytest.mark.parametrize("lab", LABS)
def test_unfilled_notebook_scores_zero_and_says_not_implemented(lab, assigned, tmp_path):
    _, result = assigned[lab]
    submission = tmp_path / f"{lab}.ipynb"
    shutil.copyfile(EXERCISES / f"{lab}.ipynb", submission)
    results = grade.run_otter(submission, _autograder(result))
    assert results.total == 0 and results.possible > 0
    for name in results.test_files:
        summary = results.get_result(name).summary()
        assert "not implemented yet" in summary, f"{lab} {name}:\n{summary}"


@pytest.mark.parametrize("lab", LABS)
def test_solved_notebook_scores_full_marks(lab, assigned, tmp_path):
    _, result = assigned[lab]
    submission = tmp_path / f"{lab}.ipynb"
    shutil.copyfile(result / "autograder" / f"{lab}.ipynb", submission)   # the solutions, without the config
    scores = grade.grade_one(submission, _autograder(result))
    assert scores["total"] == scores["possible"] > 0, scores


def test_grade_script_writes_a_csv(assigned, tmp_path):
    lab = "03_backpropagation"
    _, result = assigned[lab]
    folder = tmp_path / "submissions"
    folder.mkdir()
    shutil.copyfile(EXERCISES / f"{lab}.ipynb", folder / "alice.ipynb")
    shutil.copyfile(result / "autograder" / f"{lab}.ipynb", folder / "bob.ipynb")
    rows = grade.grade_folder(_autograder(result), folder, tmp_path / "scores.csv")
    lines = (tmp_path / "scores.csv").read_text().splitlines()
    assert lines[0].startswith("submission,q1,q2,") and lines[0].endswith(",total,possible")
    assert [row["submission"] for row in rows] == ["alice.ipynb", "bob.ipynb"]
    assert rows[0]["total"] == "0" and rows[1]["total"] == rows[1]["possible"] == "14"
    assert lines[1] == "alice.ipynb,0,0,0,0,0,0,0,0,0,0,0,14"


def test_student_sees_not_implemented_in_jupyter(tmp_path):
    """What a student sees on opening lab 03 and running every cell: one line of feedback per check."""
    import nbclient

    lab = "03_backpropagation"
    shutil.copyfile(EXERCISES / f"{lab}.ipynb", tmp_path / f"{lab}.ipynb")
    nb = nbformat.read(tmp_path / f"{lab}.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    checks = [cell for cell in nb.cells if cell.cell_type == "code" and cell.source.startswith("grader.check(")]
    assert len(checks) == 10
    for cell in checks:
        shown = "".join(output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
                        for output in cell.outputs)
        assert "not implemented yet" in shown, f"{cell.source}: {shown}"
        assert "Traceback" not in shown and all(output.output_type != "error" for output in cell.outputs)
    printed = "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                      for output in cell.outputs)
    assert "every relative error below" not in printed   # no verdict on an empty errors dict (all() of nothing)
