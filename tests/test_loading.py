"""What grading keeps of a notebook, and what it refuses to run (mnistnn.feedback.definitions and the tracer).

The same rules make the self-check's namespace (from IPython's In) and grading's (from the submitted cells), so a
function scores the same in both; these tests hold each rule to an example a learner or an attacker wrote.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import mnistnn
from mnistnn.feedback import CHECKS, LABS, Code, Variant
from mnistnn.feedback.core import Case, run
from mnistnn.feedback.definitions import Refused, Unavailable, as_graded, rebuild
from mnistnn.feedback.student import InProcess

SETUP = "import numpy as np\nimport mnistnn\nfrom mnistnn.feedback import Lab\ngrader = Lab('lab03')"
RELU_GRAD = "def relu_grad(Z):\n    return (Z > 0).astype(Z.dtype)"


def check(namespace: dict, name: str):
    """The lab 03 check of ``name`` on this namespace, hidden cases, as grading runs it."""
    student = InProcess(namespace, forbidden=LABS["lab03"].forbidden)
    return run(CHECKS[name], student, Case(hidden=True, variant=Variant()))


def test_constants_made_of_literals_and_numpy_names_are_kept():
    cells = [
        SETUP,
        (
            "EPS = 10 ** -12\nSIZES = (784, 10)\nactivation = np.tanh\nDTYPE = np.float32\n"
            "TINY = np.finfo(np.float32).eps\nrng = np.random.default_rng(0)"
        ),
    ]
    namespace, notes = rebuild(cells)
    assert namespace["EPS"] == 1e-12 and namespace["SIZES"] == (784, 10) and namespace["activation"] is np.tanh
    assert namespace["DTYPE"] is np.float32 and namespace["TINY"] == np.finfo(np.float32).eps
    assert isinstance(namespace["rng"], np.random.Generator) and notes == []  # the lab's own imports: no note


@pytest.mark.parametrize(
    "source",
    [
        "X = 10 ** 10 ** 10",  # too large to compute
        "data = mnistnn.load_dataset(rng=np.random.default_rng(0))",  # work: running the notebook
        "W = relu_grad(np.ones(3))",  # the notebook's own function
        "L = len(params) // 2",  # a value some cell computed
    ],
)
def test_values_computed_by_running_the_notebook_are_not_kept(source):
    namespace, _ = rebuild([SETUP, RELU_GRAD, source])
    assert source.split(" =")[0] not in namespace


def test_imports_grading_does_not_offer_do_nothing_and_are_noted():
    cells = [SETUP + "\nimport seaborn as sns\nfrom google.colab import drive\nfrom tqdm import tqdm, trange"]
    namespace, notes = rebuild(cells)
    assert isinstance(namespace["sns"], Unavailable) and isinstance(namespace["drive"], Unavailable)
    assert list(namespace["tqdm"](range(3))) == [0, 1, 2] and list(namespace["trange"](2)) == [0, 1]
    assert any("imports seaborn" in note for note in notes) and any("google.colab" in note for note in notes)
    assert not any("mnistnn.feedback" in note for note in notes)  # every lab imports it: no noise


def test_definitions_inside_try_are_kept_and_classes_and_ifs_are_noted():
    cells = [
        SETUP,
        "try:\n    import cupy\nexcept ImportError:\n    " + RELU_GRAD.replace("\n", "\n    "),
        "class Helper:\n    pass",
        "if True:\n    def hidden(x):\n        return x",
    ]
    namespace, notes = rebuild(cells)
    assert check(namespace, "relu_grad").passed
    assert "Helper" not in namespace and "hidden" not in namespace
    assert any("class Helper" in note for note in notes) and any("hidden defined inside" in note for note in notes)


def test_annotations_are_not_evaluated():
    namespace, notes = rebuild([SETUP, RELU_GRAD.replace("(Z)", "(Z: SomethingUndefined) -> 'np.ndarray'")])
    assert check(namespace, "relu_grad").passed and notes == []


@pytest.mark.parametrize(
    "source, reason",
    [
        ("def relu_grad(Z):\n    exec ('x = 1')\n    return (Z > 0) * 1.0", "uses exec"),
        ("def relu_grad(Z):\n    return getattr(mnistnn, 'relu_grad')(Z)", "uses getattr"),
        ("def relu_grad(Z):\n    return mnistnn.feedback.lab03.relu_grad(Z)", "uses .feedback"),
        ("def relu_grad(Z, f=lambda: 0):\n    return f.__closure__", "uses .__closure__"),
        ("def relu_grad(Z):\n    return '{0.__class__}'.format(Z)", "uses .format"),
        ("def relu_grad(Z):\n    import os\n    return os.getcwd()", "imports os"),
        ("def relu_grad(Z, k=__import__('os')):\n    return Z", "uses __import__"),
        ("@(lambda f: f)\ndef relu_grad(Z):\n    return Z", "decorator or default value"),
        ("def relu_grad(Z):\n    np.maximum = None\n    return Z", "changes an attribute"),
        ("def relu_grad(Z):\n    return np.load('x.npy', allow_pickle=True)", "uses .load"),
    ],
)
def test_code_reaching_into_python_is_refused_with_its_reason(source, reason):
    namespace, notes = rebuild([SETUP, source])
    with pytest.raises(Refused, match=reason):
        namespace["relu_grad"](np.ones(3))
    feedback = check(namespace, "relu_grad")
    assert feedback.mistake == Code.REFUSED and reason in feedback.message and "scores 0" in feedback.message
    assert any(reason in note for note in notes)


def test_the_self_check_sees_what_grading_sees():
    """as_graded rebuilds from IPython's In: a value computed by a cell is missing in both, as grading has it."""
    cells = [SETUP, "params = {'W1': np.ones((2, 2))}", "L = len(params)", "def depth():\n    return L"]
    live = {"In": ["", *cells], "params": {"W1": np.ones((2, 2))}, "L": 1}
    live["depth"] = rebuild(cells)[0]["depth"]
    seen, (graded, _) = as_graded(live), rebuild(cells)
    assert "L" not in seen and "L" not in graded
    with pytest.raises(NameError):
        seen["depth"]()


def calls_relu_grad_in_a_thread(Z):
    out = []
    thread = threading.Thread(target=lambda: out.append(mnistnn.relu_grad(Z)))
    thread.start()
    thread.join()
    return out[0]


def calls_exec(Z):
    scope = {"Z": Z, "np": np}
    exec("R = (Z > 0) * 1.0", scope)  # noqa: S102  what the tracer must catch at run time
    return scope["R"]


def calls_getattr(Z):
    return getattr(np, "heaviside")(Z, 0.0)  # noqa: B009  what the tracer must catch at run time


@pytest.mark.parametrize(
    "function, code, words",
    [
        (calls_relu_grad_in_a_thread, Code.USES_PACKAGE, "calls mnistnn.relu_grad"),
        (calls_exec, Code.REFUSED, "calls exec"),
        (calls_getattr, Code.REFUSED, "calls getattr"),
    ],
)
def test_the_tracer_sees_threads_and_builtins_at_run_time(function, code, words):
    """What the loading rules would refuse anyway, caught again when it runs (a function from elsewhere)."""
    feedback = check({"np": np, "mnistnn": mnistnn, "relu_grad": function}, "relu_grad")
    assert feedback.mistake == code and words in feedback.message, feedback.message
