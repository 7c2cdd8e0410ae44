"""The labs in exercises/: student notebooks that are what `otter assign` makes of the masters, with no solution,
no marking guide and no hidden test in them, points that agree with the checks' specs, and a learner's first run
that reads "not implemented yet" at every check. The masters themselves run under nbval (exercises/masters).
"""

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mnistnn.feedback import LABS, lab_of

# Importing otter imports ipylab, whose traitlets use is deprecated (ipylab 1.1.0): not ours to fix.
pytestmark = [pytest.mark.filterwarnings("ignore:Traits should be given as instances:DeprecationWarning")]

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
MASTERS = sorted((EXERCISES / "masters").glob("[0-9][0-9]*_*.ipynb"))
NAMES = [path.stem for path in MASTERS]
# The labs whose cells that use the learner's functions wait for them (grader.ready) instead of stopping with a
# traceback while they are still `...`.
FIRST_RUN_WITHOUT_TRACEBACK = ("02_forward_propagation", "03_backpropagation", "03b_gradient_check", "08_going_deeper")


def load_script(name):
    spec = importlib.util.spec_from_file_location(f"exercises_{name}", EXERCISES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build = load_script("build")


def _content(path):
    """A notebook's JSON without what changes from run to run (cell ids are set by build.normalise)."""
    nb = json.loads(path.read_text())
    nb.get("metadata", {}).pop("widgets", None)
    return nb


def test_every_walk_through_with_a_lab_has_one_and_its_student_copy():
    assert NAMES == [
        "01_data_preparation",
        "02_forward_propagation",
        "03_backpropagation",
        "03b_gradient_check",
        "04_training",
        "05_evaluation",
        "06_going_further",
        "07_jax",
        "08_going_deeper",
    ]
    assert sorted(LABS) == [lab_of(name) for name in NAMES]
    for name in NAMES:
        assert (EXERCISES / f"{name}.ipynb").exists(), f"run python exercises/build.py to generate {name}.ipynb"


@pytest.fixture(scope="module")
def assigned(tmp_path_factory):
    """`otter assign` run now on every master: {name: (student notebook, result folder)}."""
    out = tmp_path_factory.mktemp("assigned")
    return {master.stem: (build.assign(master, out / master.stem), out / master.stem) for master in MASTERS}


@pytest.mark.parametrize("name", NAMES)
def test_committed_student_notebook_is_what_otter_assign_produces(name, assigned):
    student, _ = assigned[name]
    assert _content(EXERCISES / f"{name}.ipynb") == _content(student), (
        f"exercises/{name}.ipynb is out of date with its master: run python exercises/build.py"
    )


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_has_no_solution_no_marking_guide_no_test(name):
    nb = nbformat.read(EXERCISES / f"{name}.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    for giveaway in ("BEGIN SOLUTION", "# SOLUTION", "# VARIANT", "Marking guide", "# HIDDEN", "hidden=True"):
        assert giveaway not in text, giveaway
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
    assert "tests" not in nb.metadata.get("otter", {})
    assert nb.metadata["mnistnn"] == {"lab": lab_of(name), "variant": "public"}
    first = next(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert f'grader = Lab("{lab_of(name)}")' in first


@pytest.mark.parametrize("name", NAMES)
def test_the_masters_points_are_the_checks_points(name):
    """Otter's question configs (what the autograder scores) and the labs' specs (what the self-check shows) agree."""
    nb = nbformat.read(EXERCISES / "masters" / f"{name}.ipynb", as_version=4)
    configs = [
        dict(re.findall(r"^(\w+): (.+)$", cell.source, re.MULTILINE))
        for cell in nb.cells
        if cell.cell_type == "raw" and cell.source.startswith("# BEGIN QUESTION")
    ]
    spec = LABS[lab_of(name)]
    assert [(config["name"], float(config["points"]), config.get("manual") == "true") for config in configs] == [
        (question.name, float(question.points), question.written) for question in spec.questions
    ]


@pytest.mark.parametrize("name", NAMES)
def test_a_first_run_of_the_student_notebook_reads_not_implemented_at_every_check(name, tmp_path):
    import nbclient

    shutil.copyfile(EXERCISES / f"{name}.ipynb", tmp_path / f"{name}.ipynb")
    nb = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(tmp_path)}}
    ).execute(stderr=subprocess.DEVNULL)
    checks = [cell for cell in nb.cells if cell.cell_type == "code" and cell.source.startswith("grader.check(")]
    assert len(checks) == len(LABS[lab_of(name)].autograded)
    for cell in checks:
        shown = "".join(
            output.get("text", "") + str(output.get("data", {}).get("text/plain", "")) for output in cell.outputs
        )
        assert re.fullmatch(r"'?q\d+ \(0 of [\d.]+ points?\): \w+: not implemented yet \(.*\)\.'?\s*", shown), shown
        assert all(output.output_type != "error" for output in cell.outputs)
    if name in FIRST_RUN_WITHOUT_TRACEBACK:
        for cell in nb.cells:
            if cell.cell_type == "code" and "grader.ready(" in cell.source:
                shown = "".join(output.get("text", "") for output in cell.outputs)
                assert re.fullmatch(r"finish question \d+ first: `\w+` is still `...`\.\n", shown), shown
        stopped = [
            cell.source for cell in nb.cells if any(output.output_type == "error" for output in cell.get("outputs", []))
        ]
        assert not stopped, f"cells that stop with a traceback on a first run: {stopped}"
    summary = next(cell for cell in nb.cells if cell.source == "grader.summary()")
    assert "your self-checks pass 0 of the" in summary.outputs[0]["data"]["text/plain"]


def _student_text(name):
    return "\n".join(cell.source for cell in nbformat.read(EXERCISES / f"{name}.ipynb", as_version=4).cells)


@pytest.mark.parametrize(
    "name, present, absent",
    [
        (  # the walk-through's softmax shift and index roles; which images and which loss question 7 means
            "02_forward_propagation",
            [
                r"c = \max_j z_j",
                r"e^{z_k} / \sum_j e^{z_j}",
                "the same 1,000 validation images",
                "mnistnn.cross_entropy",
            ],
            [r"c = -\max", "(k, m)", "about 75 minutes"],
        ),
        (  # the walk-through's index roles; a check on a network of another number of classes
            "03_backpropagation",
            [
                r"\partial a_k / \partial z_j = a_k(\delta_{kj} - a_j)",
                "the network of the check after this question has 3",
            ],
            [r"a_j(\delta_{jk} - a_k)", "(k, m)", "keepdims=True", "@ A_prev.T"],
        ),
        (  # the walk-through's step; hints that nudge; a gradient check grading can call
            "03b_gradient_check",
            [
                "def numerical_gradient(f, W, eps=1e-6):",
                "def gradient_errors(forward, backward, params, X, y):",
                "leave `W` as you found it",
            ],
            [
                r"1 - \tanh^2",
                r"\sigma(z)(1 - \sigma(z))",
                "lambda W: loss(",
                "(k, m)",
                "changes the array it gets",
                "errors = {}",
            ],
        ),
    ],
)
def test_a_labs_prompts_follow_its_walk_through_and_nudge_without_giving_answers(name, present, absent):
    text = _student_text(name)
    for phrase in present:
        assert phrase in text, phrase
    for phrase in absent:
        assert phrase not in text, phrase


def test_lab_03bs_step_is_the_walk_throughs():
    import inspect

    import mnistnn

    assert inspect.signature(mnistnn.numerical_gradient).parameters["eps"].default == 1e-6
    assert "numerical_gradient(f, W, eps=1e-6)" in _student_text("03b_gradient_check")


@pytest.mark.parametrize("name", NAMES)
def test_each_lab_states_a_time_within_the_target(name):
    minutes = re.search(r"\*\*Time\*\*: about (\d+) minutes", _student_text(name))
    assert minutes and 60 <= int(minutes.group(1)) <= 90


@pytest.mark.parametrize("name", ["02_forward_propagation", "03_backpropagation", "08_going_deeper"])
def test_a_walk_through_names_what_its_lab_asks_for(name):
    """The walk-through's closing pointer to its lab names exactly the functions the lab asks the learner to write."""
    walk_through = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    (pointer,) = [
        cell.source.split("**Now build it yourself**", 1)[1]
        for cell in walk_through.cells
        if "**Now build it yourself**" in cell.source
    ]
    labs = [spec for lab, spec in LABS.items() if lab.startswith(lab_of(name))]  # lab 03 has two parts
    asked = {function for spec in labs for question in spec.questions for function in question.functions}
    named = set(re.findall(r"`([a-z_][a-z_0-9]*)`", pointer))
    assert named == asked, (sorted(named - asked), sorted(asked - named))
