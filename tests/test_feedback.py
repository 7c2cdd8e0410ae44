"""mnistnn.feedback: every correct answer passes, and every known mistake fails with the message that names it.

The mutation suite is generated from the checks' own tables: each row of a check's mistake table that says how to
make its wrong answer (``wrong``) is run as if a learner had written it, beside right answers for the learner's
other functions, and the check must name that row. Right answers are written here independently of the package,
some in two conventions (the mean's 1/m in dZ2 or in dW and db; momentum's two forms).
"""

from __future__ import annotations

import doctest
import re

import numpy as np
import pytest
from lab_answers import RIGHT, SECOND, typed_values

import mnistnn
from mnistnn import feedback
from mnistnn.feedback import CHECKS, LABS, Code, Variant
from mnistnn.feedback.core import Case, run
from mnistnn.feedback.student import InProcess

PUBLIC = Case(variant=Variant())


def student(answers: dict, variant=None, **changes) -> InProcess:
    """A learner whose functions are these answers (a mistake put in with changes), and whose typed values are
    what those functions give."""
    namespace = {**answers, **changes}
    return InProcess(namespace, values={**namespace, **typed_values(namespace, variant)})


# --------------------------------------------------------------------------------------------- right answers


@pytest.mark.parametrize("name", list(CHECKS))
@pytest.mark.parametrize("answers", [RIGHT, SECOND], ids=["right", "second_solution"])
def test_every_right_answer_passes_public_and_hidden_cases(name, answers):
    for case in (PUBLIC, Case(hidden=True, variant=Variant())):
        result = run(CHECKS[name], student(answers), case)
        assert result.passed, result.message
        assert result.message == f"{name}: all checks passed."


@pytest.mark.parametrize("variant", ["fall-2026", "7"])
@pytest.mark.parametrize(
    "name", [name for name in CHECKS if CHECKS[name].lab in ("lab03_extension", "lab04", "lab05", "lab06", "lab02")]
)
def test_right_answers_of_a_variant_pass_its_checks(name, variant):
    chosen = Variant.of(variant)
    answers = {**RIGHT, **RIGHT["variant_answers"](chosen)}
    result = run(CHECKS[name], student(answers, chosen), Case(variant=chosen))
    assert result.passed, f"{chosen}: {result.message}"


# --------------------------------------------------------------------------------------------- the mutation suite


def mutants():
    for name, registered in CHECKS.items():
        for index, mistake in enumerate(registered.mistakes):
            if mistake.wrong is not None and registered.function is not None:
                yield pytest.param(name, index, id=f"{name}-{index}-{mistake.code.value}")


@pytest.mark.parametrize(("name", "index"), list(mutants()))
def test_each_known_mistake_is_named_by_its_check(name, index):
    registered = CHECKS[name]
    mistake = registered.mistakes[index]
    result = run(registered, student(RIGHT, **{registered.function: mistake.wrong}), PUBLIC)
    assert result.mistake == mistake.code, f"{mistake.code}: {result.message}"
    assert mistake.message in result.message
    assert "\n" not in result.message and "Traceback" not in result.message and "gufunc" not in result.message
    assert "Re-read notebook 0" in result.message


@pytest.mark.parametrize("variant", ["fall-2026", "7"])
@pytest.mark.parametrize(
    "name", [name for name in CHECKS if CHECKS[name].lab == "lab03_extension" and CHECKS[name].mistakes]
)
def test_a_variants_mistakes_are_named_too(name, variant):
    """The extension's mistakes, made in a course's variant (another activation g), are named as in the public one."""
    import functools

    chosen = Variant.of(variant)
    registered = CHECKS[name]
    answers = {**RIGHT, **RIGHT["variant_answers"](chosen)}
    for mistake in registered.mistakes:
        if chosen.activation == "leaky_relu" and mistake.code == Code.GRAD_WRONG_ARRAY:
            continue  # leaky ReLU keeps the sign: g'(g(z)) = g'(z), as for ReLU, so no mistake here
        wrong = functools.partial(mistake.wrong, variant=chosen)
        result = run(registered, student(answers, chosen, **{registered.function: wrong}), Case(variant=chosen))
        assert result.mistake == mistake.code and mistake.message in result.message, result.message


def test_the_mutation_suite_covers_every_check_that_has_a_table():
    tested = {name for name, _ in (param.values for param in mutants())}
    assert tested == {name for name, check in CHECKS.items() if check.mistakes and check.function}


# --------------------------------------------------------------------------------------------- what every check does


@pytest.mark.parametrize("name", [name for name in CHECKS if CHECKS[name].function])
def test_an_unfilled_function_reads_not_implemented(name):
    result = run(CHECKS[name], student(RIGHT, **{CHECKS[name].function: ...}), PUBLIC)
    assert result.mistake == Code.NOT_IMPLEMENTED and "not implemented yet" in result.message, result.message


@pytest.mark.parametrize("name", [name for name in CHECKS if CHECKS[name].function])
def test_a_function_that_returns_none_or_raises_is_one_line(name):
    function = CHECKS[name].function

    def returns_none(*args, **kwargs):
        pass

    def raises(*args, **kwargs):
        raise ValueError("operands could not be broadcast together with shapes (3,4) (4,3)")

    assert run(CHECKS[name], student(RIGHT, **{function: returns_none}), PUBLIC).mistake == Code.NOT_IMPLEMENTED
    result = run(CHECKS[name], student(RIGHT, **{function: raises}), PUBLIC)
    assert result.mistake == Code.RAISED and "\n" not in result.message
    assert re.search(rf"your {function} raised ValueError: operands could not be broadcast", result.message)


def test_an_answer_that_calls_the_package_function_scores_zero_and_says_why():
    lab = LABS["lab03"]
    calls_package = InProcess({**RIGHT, "backward": mnistnn.backward}, forbidden=lab.forbidden)
    result = run(CHECKS["backward"], calls_package, PUBLIC)
    assert result.mistake == Code.USES_PACKAGE
    assert "your backward calls mnistnn.backward: this question asks you to write that yourself" in result.message

    def relu_grad(Z):
        from mnistnn import model

        return model.relu_grad(Z)

    hidden_call = InProcess({**RIGHT, "relu_grad": relu_grad}, forbidden=lab.forbidden)
    assert run(CHECKS["relu_grad"], hidden_call, PUBLIC).mistake == Code.USES_PACKAGE


def test_a_function_using_a_notebook_variable_is_told_grading_will_not_have_it():
    def softmax(Z):
        return shift_by(Z)  # noqa: F821  defined in another cell, as a variable, in the learner's notebook

    result = run(CHECKS["softmax"], student(RIGHT, softmax=softmax), PUBLIC)
    assert result.mistake == Code.USES_NOTEBOOK_VARIABLE
    assert "uses `shift_by`, which is not defined where it runs" in result.message


def test_feedback_blames_only_a_function_the_checked_one_calls():
    def relu(Z):  # wrong, but forward below never calls it
        return np.minimum(Z, 0)

    def forward(params, X):
        return RIGHT["forward"](params, X)

    assert run(CHECKS["forward"], student(RIGHT, relu=relu, forward=forward), PUBLIC).passed

    def forward_with_own_relu(params, X):
        Z1 = params["W1"] @ X + params["b1"]
        Z2 = params["W2"] @ relu(Z1) + params["b2"]
        return RIGHT["softmax"](Z2), {}

    result = run(CHECKS["forward"], student(RIGHT, relu=relu, forward=forward_with_own_relu), PUBLIC)
    assert result.mistake == Code.EARLIER_FUNCTION_FAILS and "this may come from your relu" in result.message


def test_an_ndarray_subclass_that_agrees_with_everything_is_judged_by_its_numbers():
    class Agreeable(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, dtype=bool).view(Agreeable)

    def relu(Z):
        return np.zeros_like(Z).view(Agreeable)

    assert run(CHECKS["relu"], student(RIGHT, relu=relu), PUBLIC).mistake == Code.ZEROS


@pytest.mark.parametrize(
    "typed, mistake",
    [
        ({"W1": 0.0, "b1": 0.0, "W2": 0.0, "b2": 0.0}, None),  # typed zeros pass only because the functions do
        ({"W1": 1.0, "b1": 1.0, "W2": 1.0, "b2": 1.0}, Code.F_IGNORES_W),
        ({"W1": 0.3, "b1": 0.0, "W2": 0.0, "b2": 0.0}, Code.GRADIENT_CHECK_FAILS),
        ({"W1": float("nan"), "b1": 0.0, "W2": 0.0, "b2": 0.0}, Code.GRADIENT_CHECK_FAILS),
        ([1e-9] * 4, Code.WRONG_TYPE),
    ],
)
def test_the_typed_gradient_errors_are_checked_against_what_the_functions_give(typed, mistake):
    result = run(CHECKS["gradient_check"], InProcess({**RIGHT}, values={"errors": typed}), PUBLIC)
    assert result.mistake == mistake, result.message


def test_typed_zeros_do_not_pass_the_gradient_check_when_the_functions_fail():
    wrong = CHECKS["backward"].mistakes[4].wrong  # the original np.sum bias gradient
    values = {"errors": {"W1": 0.0, "b1": 0.0, "W2": 0.0, "b2": 0.0}}
    result = run(CHECKS["gradient_check"], InProcess({**RIGHT, "backward": wrong}, values=values), PUBLIC)
    assert result.mistake in (Code.GRADIENT_CHECK_FAILS, Code.BACKWARD_FAILS, Code.EARLIER_FUNCTION_FAILS)


@pytest.mark.parametrize(
    "typed, mistake",
    [
        (None, None),
        (np.full(10, 0.1), Code.WRONG_VALUES),
        ("training_images", Code.TRAINING_IMAGES),
        ("he_init", Code.HE_INIT),
        ("predicted_fraction", Code.PREDICTED_FRACTION),
    ],
)
def test_the_typed_mean_probability_is_recomputed_and_its_mistakes_named(typed, mistake):
    from mnistnn.feedback.lab02 import untrained_case

    case = untrained_case(10, 0)
    value = case["expected"] if typed is None else case[typed] if isinstance(typed, str) else typed
    result = run(CHECKS["mean_probability"], InProcess({**RIGHT}, values={"mean_probability": value}), PUBLIC)
    assert result.mistake == mistake, result.message


def test_a_reported_accuracy_typed_in_is_recomputed_from_the_functions():
    def accuracy(y_true, y_pred):
        return 0.75

    values = {"val_accuracy": 0.95, "hardest_digit": 8}
    result = run(CHECKS["hardest_digit"], InProcess({**RIGHT, "accuracy": accuracy}, values=values), PUBLIC)
    assert not result.passed


# --------------------------------------------------------------------------------------------- tables and sections


def test_every_mistake_code_is_used_by_some_check_or_student():
    used = {mistake.code for check in CHECKS.values() for mistake in check.mistakes}
    source = "".join(path.read_text() for path in _lab_files())
    for code in Code:
        assert code in used or f"Code.{code.name}" in source.replace("Code.__members__", ""), code


def _lab_files():
    from pathlib import Path

    return sorted(Path(mnistnn.feedback.__file__).parent.glob("*.py"))


@pytest.mark.parametrize("topic", sorted(feedback.SECTIONS))
def test_every_section_named_in_feedback_exists(topic):
    """The feedback sends learners to 'notebook NN, section K 'Title'': that heading must exist."""
    from pathlib import Path

    import nbformat

    number, section, title = re.fullmatch(r"notebook (\d\d), section (\d+) '(.+)'", feedback.SECTIONS[topic]).groups()
    (path,) = (Path(__file__).resolve().parent.parent / "notebooks").glob(f"{number}_*.ipynb")
    headings = [
        line
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("## ")
    ]
    assert f"## {section}. {title}" in headings, f"{path.name} has no heading '## {section}. {title}': {headings}"


def test_module_docstring_example_runs():
    failures, tried = doctest.testmod(feedback)
    assert tried > 0 and failures == 0


def test_a_checker_error_is_one_line(monkeypatch):
    monkeypatch.setattr(mnistnn.feedback.lab02.model, "softmax", None)
    result = run(CHECKS["softmax"], student(RIGHT), PUBLIC)
    assert result.mistake == Code.CHECKER_ERROR and "\n" not in result.message
