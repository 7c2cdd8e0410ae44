"""Grading a folder of lab 03 submissions, end to end, as a teacher does: exercises/grade.py with the autograder that
exercises/build.py builds. Blank scores 0, solutions full marks, forging cells change nothing, prints cost
nothing, a hostile submission reaches nothing, an endless loop is stopped, every bad file gets its row, and an
interruption keeps the rows already written.
"""

from __future__ import annotations

import csv
import inspect
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from lab_answers import RIGHT, SECOND
from test_exercises import EXERCISES, build

from mnistnn.feedback import LABS, lab_of
from mnistnn.grading import Autograder, Limits, grade
from mnistnn.grading.folder import grade_folder, safe_cell
from mnistnn.grading.sandbox import bubblewrap

pytestmark = [pytest.mark.filterwarnings("ignore:Traits should be given as instances:DeprecationWarning")]

LAB = "03_backpropagation"
MASTER = EXERCISES / "masters" / f"{LAB}.ipynb"
BLANK = EXERCISES / f"{LAB}.ipynb"
FULL = 9
PART_2 = "03b_gradient_check"  # lab 03b: the gradient check and the extension (a variant's activation)
needs_sandbox = pytest.mark.skipif(
    bubblewrap() is None,
    reason="bubblewrap cannot make a sandbox here (install the "
    "Debian package bubblewrap; it needs user namespaces, or root)",
)


@pytest.fixture(scope="module")
def autograders(tmp_path_factory):
    """Every lab's autograder zip, built as the teacher guide says (build.py --autograder)."""
    out = tmp_path_factory.mktemp("built")
    build.build(out / "student", out / "autograders")
    return out / "autograders"


@pytest.fixture(scope="module")
def autograder(autograders):
    return autograders / f"{LAB}-autograder.zip"


def notebook(base: Path, *extra_cells: str, replace: dict[str, str] | None = None):
    """A submission: the cells of ``base``, function cells replaced (name -> source), extra code cells at the end."""
    nb = nbformat.read(base, as_version=4)
    for cell in nb.cells:
        match = re.match(r"def (\w+)\(", cell.source) if cell.cell_type == "code" else None
        if match and replace and match.group(1) in replace:
            cell.source = replace[match.group(1)]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in extra_cells]
    return nb


def save(nb, path: Path) -> Path:
    nbformat.write(nb, path)
    return path


def second_solution() -> dict[str, str]:
    """The second, independently written answers (another convention for the 1/m), as notebook cells."""
    sources = {}
    for name in ("one_hot", "cross_entropy", "output_gradient", "layer_backward", "relu_grad", "backward"):
        source = inspect.getsource(SECOND[name])
        sources[name] = re.sub(r"^def \w+\(", f"def {name}(", source)
    return sources


FORGING_CELLS = (
    "import mnistnn.feedback as f\nf.core.run = lambda *args, **kwargs: f.Feedback('x', None, 'all checks passed.')",
    "grader = None\nimport numpy as np\nnp.maximum = lambda *args: None",
    # executed when defined (a default argument): patches the worker's own copy of the checks, nothing else
    (
        "def sneaky(_=__import__('mnistnn.feedback.core').feedback.core.__dict__.__setitem__('close', "
        "lambda *a, **k: True)):\n    pass"
    ),
    (
        "class Agree(np.ndarray):\n    def __eq__(self, other):\n        return True\n\n\n"
        "def relu_grad(Z):\n    return np.zeros_like(Z).view(Agree)"
    ),
)


# What a lecturer's adversarial read tried (each raised a score before the loading rules): the package's reference
# code imported under other names, a thread, a class body that runs when loaded, exec with a space, a probe's
# closure read, attribute access through str.format. Each cell answers one question; all must score 0.
REFERENCE_CODE_CELLS = (
    "from mnistnn.feedback.lab03 import log_p\n\n\ndef cross_entropy(A2, y):\n    return float(-log_p(A2, y).mean())",
    (
        "from mnistnn.feedback import lab03 as _ref\n\n\ndef layer_backward(dZ, A_prev, W):\n"
        "    return _ref.layer_backward(dZ, A_prev, W)"
    ),
    "from mnistnn import original\n\n\ndef relu_grad(Z):\n    return original.ReLU_deriv(Z)",
    (
        "import threading\n\n\ndef one_hot(y, n_classes=10):\n    out = []\n"
        "    t = threading.Thread(target=lambda: out.append(mnistnn.one_hot(y, n_classes)))\n"
        "    t.start()\n    t.join()\n    return out[0]"
    ),
    (
        "class _Setup:\n    from mnistnn.feedback import calls as _c\n\n    _c._resolve = lambda names: {}\n\n\n"
        "def backward(params, cache, X, y):\n    return mnistnn.backward(params, cache, X, y)"
    ),
    "def output_gradient(A2, Y):\n    exec ('import mnistnn.feedback.lab03 as r')\n    return r.output_gradient(A2, Y)",
    (
        "def numerical_gradient(f, W, eps=1e-6):\n    C = f.__closure__[0].cell_contents\n"
        "    return np.cos(W) * C + np.sum(W)"
    ),
    "def activation(Z):\n    return np.tanh(Z) if '{0.__class__}'.format(Z) else Z",
)
# Honest work that passes the self-check must score the same: imports grading lacks, a def inside try, constants
# computed from literals or named from NumPy.
HONEST_EXTRAS = (
    "import seaborn as sns\nfrom google.colab import drive\nfrom tqdm import tqdm",
    "EPS = 10 ** -12\nDTYPE = np.float32",
    "try:\n    import cupy\nexcept ImportError:\n    pass",
)


def _hostile(victims: Path, loot: Path) -> str:
    return f'''
import glob, os, shutil


def one_hot(y, n_classes=10):
    for path in glob.glob("{victims}/*") + glob.glob("/tmp/mnistnn-*/*"):
        try:
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
        except OSError:
            pass
    for test in glob.glob("/tmp/mnistnn-autograder-*/tests/*.py") + glob.glob("{victims}/../**/tests/*.py"):
        try:
            os.makedirs("{loot}", exist_ok=True)
            shutil.copy(test, "{loot}")
        except OSError:
            pass
    Y = np.zeros((n_classes, y.size))
    Y[y, np.arange(y.size)] = 1
    return Y
'''


@pytest.fixture(scope="module")
def graded(autograder, tmp_path_factory):
    """A folder of every kind of submission, graded with grade.py's function into a CSV: {file: row}."""
    folder = tmp_path_factory.mktemp("submissions")
    loot = tmp_path_factory.mktemp("loot") / "stolen"
    save(notebook(BLANK), folder / "alice_blank.ipynb")
    save(notebook(MASTER), folder / "bob_solved.ipynb")
    save(notebook(BLANK, replace=second_solution()), folder / "carol_second_solution.ipynb")
    save(
        notebook(MASTER, "def layer_backward(dZ, A_prev, W):\n    return dZ @ A_prev.T, np.sum(dZ), W.T @ dZ"),
        folder / "dan_scalar_bias.ipynb",
    )
    save(notebook(BLANK, *FORGING_CELLS), folder / "eve_forges_blank.ipynb")
    save(notebook(MASTER, *FORGING_CELLS[:3]), folder / "eve_forges_solved.ipynb")
    printing = {
        name: source.replace('"""\n', '"""\n    print("debugging", name)\n', 1)
        for name, source in second_solution().items()
    }
    save(notebook(BLANK, replace=printing), folder / "frank_prints.ipynb")
    save(notebook(MASTER, _hostile(folder, loot)), folder / "mallory_hostile.ipynb")
    save(notebook(MASTER, "def one_hot(y, n_classes=10):\n    while True:\n        pass"), folder / "oscar_loops.ipynb")
    save(notebook(MASTER, "def relu_grad(Z):\n    raise SystemExit(3)"), folder / "peggy_exits.ipynb")
    crash = "def relu_grad(Z):\n    return np.lib.stride_tricks.as_strided(Z, (10**6, 10**6), (0, 10**9)).sum()"
    save(notebook(MASTER, crash), folder / "quentin_crashes.ipynb")  # a segmentation fault: the worker dies
    save(notebook(BLANK, *REFERENCE_CODE_CELLS), folder / "victor_reference_code.ipynb")
    honest = {  # a default given as a constant computed from literals
        "one_hot": "N_CLASSES = 2 * 5\n\n\n"
        + inspect.getsource(RIGHT["one_hot"]).replace("n_classes=10", "n_classes=N_CLASSES"),
    }
    save(notebook(MASTER, *HONEST_EXTRAS, replace=honest), folder / "walter_honest_extras.ipynb")
    (folder / "zoe").mkdir()
    save(notebook(MASTER), folder / "zoe" / "lab03.ipynb")  # a platform's download: one folder per student
    (folder / "zoe" / ".DS_Store").write_bytes(b"\0")
    (folder / "yann_bom.ipynb").write_bytes(b"\xef\xbb\xbf" + (folder / "bob_solved.ipynb").read_bytes())
    save(notebook(MASTER, "def relu_grad(Z):\n    return np.ones(10**11)"), folder / "rupert_memory.ipynb")
    (folder / "empty.ipynb").write_bytes(b"")
    (folder / "broken.ipynb").write_text('{"cells": [')
    (folder / "notes.txt").write_text("My answers are in my head.")
    shutil.copyfile(EXERCISES / "02_forward_propagation.ipynb", folder / "wrong_lab.ipynb")
    shutil.copyfile(folder / "bob_solved.ipynb", folder / "SHOUTING.IPYNB")
    shutil.copyfile(folder / "bob_solved.ipynb", folder / "._bob_solved.ipynb")
    with zipfile.ZipFile(folder / "not_an_export.zip", "w") as archive:
        archive.writestr("readme.txt", "no notebook here")
    shutil.copyfile(folder / "bob_solved.ipynb", folder / '=HYPERLINK("x","click").ipynb')
    output = tmp_path_factory.mktemp("out") / "scores.csv"
    limits = Limits(call_seconds=3, submission_seconds=120, memory_bytes=3 * 2**30)
    grade_folder(autograder, folder, output, jobs=2, limits=limits, log=lambda line: None)
    with output.open(newline="") as file:
        rows = list(csv.DictReader(file))
    return {"rows": {row["submission"]: row for row in rows}, "folder": folder, "loot": loot, "output": output}


def total(graded, name):
    row = graded["rows"][name]
    return float(row["total"]), float(row["possible"])


def test_every_file_gets_a_row(graded):
    names = {name[1:] if name.startswith("'=") else name for name in graded["rows"]}
    folder = graded["folder"]
    files = {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}
    assert names == files - {"zoe/.DS_Store"} and len(names) == 24


def test_blank_scores_zero_and_solutions_full_marks(graded):
    assert total(graded, "alice_blank.ipynb") == (0, FULL)
    assert total(graded, "bob_solved.ipynb") == (FULL, FULL)
    assert total(graded, "SHOUTING.IPYNB") == (FULL, FULL)  # an upper-case suffix is fine
    assert total(graded, "zoe/lab03.ipynb") == (FULL, FULL)  # in a subfolder
    assert total(graded, "yann_bom.ipynb") == (FULL, FULL)  # with a byte-order mark


def test_a_second_solution_in_the_other_convention_scores_full_marks(graded):
    row = graded["rows"]["carol_second_solution.ipynb"]
    answered = {"q1": "1", "q2": "2", "q4": "1", "q6": "2", "q7": "1", "q8": "2"}  # the six functions it writes
    assert {question: row[question] for question in answered} == answered, row


def test_a_classic_mistake_costs_the_questions_it_touches(graded):
    row = graded["rows"]["dan_scalar_bias.ipynb"]
    assert row["q6"] == "0" and row["q8"] == "0"  # layer_backward, and backward, which uses it
    assert row["q1"] == "1" and row["q7"] == "1" and float(row["total"]) < FULL


def test_forging_cells_change_no_score(graded):
    assert total(graded, "eve_forges_blank.ipynb")[0] == total(graded, "alice_blank.ipynb")[0] == 0
    row = graded["rows"]["eve_forges_solved.ipynb"]
    assert float(row["total"]) == FULL
    assert "setattr(" not in row["flags"] and "__import__" in row["flags"]  # shown to the teacher


def test_the_packages_reference_code_threads_and_introspection_score_nothing(graded):
    row = graded["rows"]["victor_reference_code.ipynb"]
    assert float(row["total"]) == 0, row
    assert "uses .__closure__" in row["flags"] and "uses exec" in row["flags"] and "class _Setup" in row["flags"]


def test_honest_extras_that_pass_the_self_check_score_full_marks(graded):
    row = graded["rows"]["walter_honest_extras.ipynb"]
    assert float(row["total"]) == FULL, row
    assert "imports seaborn" in row["flags"] and "imports google.colab" in row["flags"]


def test_printing_costs_nothing(graded):
    assert total(graded, "frank_prints.ipynb") == total(graded, "carol_second_solution.ipynb")


@needs_sandbox
def test_a_hostile_submission_reaches_no_other_file(graded):
    folder = graded["folder"]
    assert (folder / "alice_blank.ipynb").exists() and (folder / "bob_solved.ipynb").exists()
    assert not graded["loot"].exists()  # no test file, hidden or not, was copied out
    assert total(graded, "mallory_hostile.ipynb") == (FULL, FULL)  # its answers are right: it scores as they do


def test_an_endless_loop_is_stopped_and_the_rest_still_scores(graded):
    row = graded["rows"]["oscar_loops.ipynb"]
    assert row["q1"] == "0" and row["q8"] == "0"  # one_hot, and backward, which calls it
    assert (
        "q1: one_hot: your one_hot did not return within" in row["reason"]
    )  # the reason each question lost its points
    assert row["q2"] == "2" and row["q6"] == "2" and row["q7"] == "1"


@pytest.mark.parametrize("name", ["peggy_exits.ipynb", "quentin_crashes.ipynb", "rupert_memory.ipynb"])
def test_exiting_crashing_or_exhausting_memory_costs_only_that_question(graded, name):
    row = graded["rows"][name]
    assert row["q7"] == "0" and row["q1"] == "1" and row["q6"] == "2" and row["status"] == "graded"


@pytest.mark.parametrize(
    "name, reason",
    [
        ("empty.ipynb", "an empty file"),
        ("broken.ipynb", "broken JSON"),
        ("notes.txt", "plain text, not a notebook"),
        ("wrong_lab.ipynb", "the notebook of lab02, not of lab03"),
        ("._bob_solved.ipynb", "a macOS metadata file"),
        ("not_an_export.zip", "a zip with 0 notebooks"),
    ],
)
def test_a_bad_file_gets_a_row_with_its_reason(graded, name, reason):
    row = graded["rows"][name]
    assert row["status"] == "not graded" and reason in row["reason"] and row["total"] == "0"


def test_cells_a_spreadsheet_would_run_are_escaped(graded):
    text = graded["output"].read_text()
    assert "\n\"'=HYPERLINK(" in text and not re.search(r'\n"?=', text)  # quoted by csv, escaped by us
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("-3") == "-3" and safe_cell("@x") == "'@x"


def test_the_output_path_is_checked_before_any_grading(autograder, tmp_path):
    with pytest.raises(SystemExit, match="does not exist; create it first"):
        grade_folder(autograder, EXERCISES, tmp_path / "missing" / "scores.csv")


def test_ctrl_c_keeps_the_rows_already_written(autograder, tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for index in range(6):
        save(notebook(MASTER), folder / f"student{index}.ipynb")
    output = tmp_path / "scores.csv"
    process = subprocess.Popen(
        [sys.executable, str(EXERCISES / "grade.py"), str(autograder), str(folder), "-o", str(output)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not output.exists() or len(output.read_text().splitlines()) < 2):
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    rows = output.read_text().splitlines()
    assert process.returncode == 130 and b"the rows graded so far are in" in stderr
    assert 2 <= len(rows) < 7 and all(row.endswith(f",{FULL},{FULL},graded,,") for row in rows[1:])


def test_grading_one_submission_reports_its_time_and_what_it_found(autograder, tmp_path):
    submission = save(notebook(MASTER, "import subprocess"), tmp_path / "x.ipynb")
    result = grade(submission, Autograder.read(autograder), limits=Limits(call_seconds=30))
    assert result["total"] == FULL and result["seconds"] > 0 and any("subprocess" in f for f in result["flags"])


def test_without_a_sandbox_grading_says_so_plainly(autograder, tmp_path, monkeypatch):
    import mnistnn.grading.folder as folder_module

    monkeypatch.setattr(folder_module, "bubblewrap", lambda: None)
    folder = tmp_path / "submissions"
    folder.mkdir()
    save(notebook(BLANK), folder / "a.ipynb")
    lines = []
    grade_folder(autograder, folder, tmp_path / "scores.csv", log=lines.append)
    assert lines[0].startswith("warning: no sandbox: ") and "with your rights" in lines[0]
    assert json.dumps(lines).count(f"a.ipynb: 0 / {FULL}") == 1
    assert os.path.getsize(tmp_path / "scores.csv") > 0


# --- written answers ------------------------------------------------------------------------------------------


def test_written_answers_are_exported_per_question_and_merged_with_the_scores(tmp_path):
    from mnistnn.grading.written import export, merge

    folder = tmp_path / "submissions"
    folder.mkdir()
    answered = nbformat.read(BLANK, as_version=4)
    for index, cell in enumerate(answered.cells):
        if "**Question 3 " in cell.source:
            answered.cells[
                index + 1
            ].source = "By the chain rule, $\\partial\\ell/\\partial z_k = a_k - y_k$.\n\n## bob.ipynb\n\nfull marks"
    save(answered, folder / "alice.ipynb")
    save(notebook(BLANK), folder / "bob.ipynb")
    with zipfile.ZipFile(folder / "=carol.zip", "w") as archive:  # an otter export, its name a formula
        archive.writestr("lab.ipynb", nbformat.writes(answered))
    (folder / "empty.ipynb").write_bytes(b"")
    files = export(folder, MASTER, tmp_path / "written")
    written = sorted((question.name for question in LABS["lab03"].questions if question.written), key=_number)
    assert [path.name for path in files] == [*(f"lab03-{q}.md" for q in written), "marks.csv"]
    q3 = (tmp_path / "written" / "lab03-q3.md").read_text()
    alice = q3.split("\n## alice.ipynb")[1].split("\n---")[0]
    assert "**Marking guide**" in q3 and "> By the chain rule" in alice and "a_k - y_k$." in alice
    assert q3.count("\n## bob.ipynb") == 1 and "> ## bob.ipynb" in alice  # a heading inside an answer is quoted
    assert q3.split("\n## bob.ipynb")[1].strip().startswith("*(no answer)*")
    assert "> By the chain rule" in q3.split("\n## =carol.zip")[1]  # the notebook inside an export zip is read
    marks = tmp_path / "written" / "marks.csv"
    header = marks.read_text().splitlines()[0]
    assert header.startswith("submission,q3 (of ") and marks.read_text().splitlines()[1:] == [
        "'=carol.zip" + "," * len(written),
        "alice.ipynb" + "," * len(written),
        "bob.ipynb" + "," * len(written),
        "empty.ipynb" + "," * len(written),
    ]
    columns = header.split(",")
    rows = ["alice.ipynb,2,1.5" + ",," * 0 + "," * (len(written) - 2), "bob.ipynb" + ",0" * len(written)]
    rows.append('=carol.zip,"1,5"' + "," * (len(written) - 1))  # the quote lost in a spreadsheet; a decimal comma
    marks.write_text(",".join(columns) + "\n" + "\n".join(rows) + "\n")
    scores = tmp_path / "scores.csv"
    scores.write_text(
        "submission,q1,total,possible,status,reason,flags\nalice.ipynb,1,10,16,graded,,\n"
        "bob.ipynb,0,0,16,graded,,\n'=carol.zip,1,4,16,graded,,\n"
    )
    merged = merge(scores, marks, tmp_path / "final.csv")
    assert merged[0]["written"] == "3.5" and merged[0]["grand total"] == "13.5"
    assert merged[0]["unmarked"] == " ".join(written[2:] if len(written) > 2 else [])
    assert merged[1]["grand total"] == "0" and merged[1]["unmarked"] == ""
    assert merged[2]["written"] == "1.5" and merged[2]["grand total"] == "5.5"
    marks.write_text(",".join(columns) + "\nalice.ipynb,9" + "," * (len(written) - 1) + "\n")
    with pytest.raises(SystemExit, match=r"alice.ipynb, q3 \(of \d+\): '9' must be between 0 and \d+"):
        merge(scores, marks, tmp_path / "final.csv")
    marks.write_text(",".join(columns) + "\nalice.ipynb,two" + "," * (len(written) - 1) + "\n")
    with pytest.raises(SystemExit, match="'two' is not a number"):
        merge(scores, marks, tmp_path / "final.csv")


def _number(question: str) -> int:
    return int(question[1:])


# --- the autograder zip, as Gradescope runs it ---------------------------------------------------------------


def test_the_autograder_zip_installs_and_grades_as_built_in_a_fresh_environment(autograder, tmp_path):
    """What Gradescope does with the zip, without Docker: a fresh environment gets exactly the zip's environment.yml
    (its conda packages by pip, its pip list as written, the wheel from the zip's files/ where Gradescope unpacks
    it), then otter's own grading run grades a blank, a solved and a mistaken notebook (with a forging cell)."""
    import yaml

    source = tmp_path / "autograder" / "source"
    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(source)
    environment = yaml.safe_load((source / "environment.yml").read_text())
    conda = [item for item in environment["dependencies"] if isinstance(item, str)]
    assert conda[0] == "python=3.11"
    pip_list = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    wheel = next(line for line in pip_list if line.endswith(".whl"))
    assert (
        wheel.startswith("/autograder/source/files/mnistnn-")
        and (source / wheel[len("/autograder/source/") :]).exists()
    )
    assert "numpy==2.4.6" in pip_list and "otter-grader==7.0.0" in pip_list
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "\n".join(
            [
                *(name for name in conda[1:] if name != "pip"),
                *(line.replace("/autograder/source", str(source)) for line in pip_list),
            ]
        )
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(requirements)],
        check=True,
        cwd=source,
    )
    solved = notebook(MASTER)
    solved.metadata["otter"] = {"assignment_name": "lab03"}
    mistaken = notebook(
        MASTER, "def layer_backward(dZ, A_prev, W):\n    return dZ @ A_prev.T, np.sum(dZ), W.T @ dZ", *FORGING_CELLS[:2]
    )
    mistaken.metadata["otter"] = {"assignment_name": "lab03"}
    expected = {"blank": 0, "solved": FULL, "mistaken": FULL - 4}  # q6 and q8 (backward) use it
    for name, nb in (("blank", notebook(BLANK)), ("solved", solved), ("mistaken", mistaken)):
        path = save(nb, tmp_path / f"{name}.ipynb")
        out = tmp_path / f"results-{name}"
        out.mkdir()
        subprocess.run(
            [python, "-m", "otter", "run", "-a", str(autograder), "-o", str(out), str(path)],
            check=True,
            cwd=tmp_path,
            capture_output=True,
        )
        tests = [test for test in json.loads((out / "results.json").read_text())["tests"] if "score" in test]
        assert sum(test["max_score"] for test in tests) == FULL
        assert sum(test["score"] for test in tests) == expected[name], (name, tests)


# --- course variants -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["fall-2026", "7"])
def variant_build(request, tmp_path_factory):
    """A course's own version of every lab, as build.py --variant makes it."""
    from mnistnn.feedback import Variant

    out = tmp_path_factory.mktemp(f"variant-{request.param}")
    variant = Variant.of(request.param)
    build.build(out / "student", out / "autograders", variant, out / "masters")
    return variant, out


def test_a_variant_changes_the_answers_and_its_own_solutions_score_full_marks(variant_build):
    from mnistnn.feedback import LABS

    variant, out = variant_build
    assert variant.activation != "tanh"  # lab 03b's extension differs
    for master in sorted((out / "masters").glob("*.ipynb")):
        lab = lab_of(master)
        autograder = Autograder.read(out / "autograders" / f"{master.stem}-autograder.zip")
        assert (autograder.lab, autograder.variant) == (lab, variant.name)
        result = grade(master, autograder)
        possible = sum(question.points for question in LABS[lab].autograded)
        assert result["total"] == result["possible"] == possible, (lab, result)
    student = nbformat.read(out / "student" / f"{PART_2}.ipynb", as_version=4)
    assert f'Lab("lab03b", variant="{variant.name}")' in student.cells[1].source
    ours = Autograder.read(out / "autograders" / f"{PART_2}-autograder.zip")
    assert grade(out / "student" / f"{PART_2}.ipynb", ours)["total"] == 0
    public = grade(EXERCISES / "masters" / f"{PART_2}.ipynb", ours)  # the public solutions, under the course's grading
    assert all(public["scores"][question] == 0 for question in ("q3", "q4")), public["scores"]
    assert public["total"] == sum(question.points for question in LABS["lab03b"].autograded) - 4
