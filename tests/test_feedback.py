"""mnistnn.feedback: every correct answer passes, and every known mistake fails with the message that names it.

The mutation suite is generated from the checks' own tables: each row of a check's mistake table that says how to
make its wrong answer (``wrong``) is run as if a learner had written it, beside right answers for the learner's
other functions, and the check must name that row. Right answers are written here independently of the package,
some in two conventions (the mean's 1/m in dZ2 or in dW and db; momentum's two forms).
"""

from __future__ import annotations

import doctest
import inspect
import linecache
import re
import types

import numpy as np
import pytest
from lab_answers import RIGHT, SECOND, typed_values

import mnistnn
from mnistnn import feedback
from mnistnn.feedback import CHECKS, LABS, Code, Lab, Variant
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
    "name",
    [name for name in CHECKS if CHECKS[name].lab in ("lab03_extension", "lab04", "lab05", "lab06", "lab02", "lab08")],
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
        if chosen.activation == "leaky_relu" and mistake.code in (Code.GRAD_WRONG_ARRAY, Code.Z_FOR_G):
            continue  # leaky ReLU keeps the sign: g'(g(z)) = g'(z), as for ReLU, so no mistake here
        wrong = functools.partial(mistake.wrong, variant=chosen)
        result = run(registered, student(answers, chosen, **{registered.function: wrong}), Case(variant=chosen))
        assert result.mistake == mistake.code and mistake.message in result.message, result.message


@pytest.mark.parametrize("variant", ["fall-2026", "7"])
@pytest.mark.parametrize(
    ("name", "index"), [param.values for param in mutants() if CHECKS[param.values[0]].lab == "lab08"]
)
def test_lab_08s_mistakes_are_named_in_a_variant_too(name, index, variant):
    """Lab 08's checks read the variant's dropout probability p: its mistakes, made there, are named there too."""
    chosen = Variant.of(variant)
    assert Variant.of("fall-2026").keep != Variant().keep  # so the variants try another p
    registered = CHECKS[name]
    mistake = registered.mistakes[index]
    result = run(registered, student(RIGHT, chosen, **{registered.function: mistake.wrong}), Case(variant=chosen))
    assert result.mistake == mistake.code and mistake.message in result.message, result.message


def _dropout_swapped(A, keep, rng):
    return RIGHT["dropout"](A, keep, rng)[::-1]


def _dropout_mask_of_ones(A, keep, rng):
    mask = rng.random(A.shape) < keep
    return A * mask / keep, mask


def _backward_deep_output_for_input(params, cache, X, y, lam=0.0):
    """dW_l from A_l, layer l's output, where its input A_{l-1} belongs."""
    N, grads = len(params) // 2, {}
    dZ = (cache[f"A{N}"] - RIGHT["one_hot"](y, params[f"W{N}"].shape[0])) / X.shape[1]
    for l in range(N, 0, -1):
        grads[f"W{l}"], grads[f"b{l}"] = dZ @ cache[f"A{l}"].T, dZ.sum(axis=1, keepdims=True)
        if l > 1:
            dZ = params[f"W{l}"].T @ dZ * cache.get(f"D{l - 1}", 1) * (cache[f"Z{l - 1}"] > 0)
    return RIGHT["l2_grads"](grads, params, lam)


def _backward_deep_mask_of_layer_l(params, cache, X, y, lam=0.0):
    """dA_{l-1} masked by D_l, the mask of the layer above, where D_{l-1} belongs."""
    N, grads = len(params) // 2, {}
    dZ = (cache[f"A{N}"] - RIGHT["one_hot"](y, params[f"W{N}"].shape[0])) / X.shape[1]
    for l in range(N, 0, -1):
        A_prev = X if l == 1 else cache[f"A{l - 1}"]
        grads[f"W{l}"], grads[f"b{l}"] = dZ @ A_prev.T, dZ.sum(axis=1, keepdims=True)
        if l > 1:
            dZ = params[f"W{l}"].T @ dZ * cache.get(f"D{l}", 1) * (cache[f"Z{l - 1}"] > 0)
    return RIGHT["l2_grads"](grads, params, lam)


@pytest.mark.parametrize(
    ("name", "function", "expected"),
    [
        ("dropout", _dropout_swapped, "the pair is the wrong way round: return (A_tilde, D)"),
        ("dropout", _dropout_mask_of_ones, "A_tilde is right, but D holds 0 and 1"),
        ("backward_deep", _backward_deep_output_for_input, "takes layer l's input A_{l-1} (X for l = 1), not its"),
        ("backward_deep", _backward_deep_mask_of_layer_l, "is masked by D_{l-1}, the mask of the layer it belongs to"),
    ],
)
def test_lab_08_names_what_a_cold_student_got_wrong(name, function, expected):
    result = run(CHECKS[name], student(RIGHT, **{name: function}), PUBLIC)
    assert not result.passed and expected in result.message, result.message


def test_an_answer_that_calls_deep_backward_is_told_so_by_that_name():
    import mnistnn.deep

    def backward_deep(params, cache, X, y, lam=0.0):
        return mnistnn.deep.backward(params, cache, X, y, l2=lam)

    calls_package = InProcess({**RIGHT, "backward_deep": backward_deep}, forbidden=LABS["lab08"].forbidden)
    result = run(CHECKS["backward_deep"], calls_package, PUBLIC)
    assert result.mistake == Code.USES_PACKAGE and "calls mnistnn.deep.backward:" in result.message, result.message


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


def test_a_learner_function_that_trains_with_sgd_is_not_told_it_uses_the_package():
    """sgd's own helpers (its thread fitting among them) are mnistnn calling itself, not the learner calling them."""

    def train(X, y):
        params = mnistnn.init_params(784, 4, 10, rng=np.random.default_rng(0))
        return mnistnn.sgd(params, X, y, rng=np.random.default_rng(1), batch_size=10, epochs=1)

    X, y = np.random.default_rng(2).random((784, 20)), np.arange(20) % 10
    student = InProcess({"train": train})
    outcomes, called, package = student._execute([("train", (X, y), {})])
    assert called == ["train"] and package == [], package


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


def notebook(**changes) -> InProcess:
    """A learner whose functions call one another by name, as in a notebook: RIGHT's, bound to one namespace, with
    these changes."""
    namespace = {"np": np, "mnistnn": mnistnn}
    for name, fn in {**RIGHT, **changes}.items():
        if isinstance(fn, types.FunctionType):
            fn = types.FunctionType(fn.__code__, namespace, name, fn.__defaults__, fn.__closure__)
        namespace[name] = fn
    return InProcess(namespace)


class Graded(InProcess):
    """A learner as grading sees one: functions only, no value a cell computed."""

    has_values = False


def _errors_left_at_zero(forward, backward, params, X, y):
    return {key: 0.0 for key in params}  # the loop of the old notebook, left empty


@pytest.mark.parametrize("learner", [InProcess, Graded], ids=["self_check", "grading"])
def test_the_gradient_check_is_a_function_called_with_right_and_wrong_backward_passes(learner):
    """The self-check and grading judge the same thing: what gradient_errors returns, never a value a cell stored."""
    namespace = {**RIGHT, "gradient_errors": _errors_left_at_zero}
    stored = {**namespace, "errors": dict.fromkeys(("W1", "b1", "W2", "b2"), 1e-9)}
    result = run(CHECKS["gradient_errors"], learner(namespace, values=stored), PUBLIC)
    assert result.mistake == Code.ZEROS, result.message
    assert run(CHECKS["gradient_errors"], learner({**RIGHT}), PUBLIC).passed


@pytest.mark.parametrize(
    "returned, message",
    [
        ({"W1": 1e-9, "W2": 1e-9}, "gradient_errors returned a dict without b1, b2 (it has W1, W2): the dict must"),
        ({}, "gradient_errors returned a dict without W1, b1, W2, b2 (it is empty)"),
        ({"W1": 1e-9, "b1": [1e-9], "W2": 1e-9, "b2": 1e-9}, "errors['b1'] is a list of length 1, not a number"),
        ([1e-9] * 4, "gradient_errors returned a list of length 4; return a dict of four relative errors"),
    ],
)
def test_the_errors_dict_is_told_what_it_lacks(returned, message):
    def gradient_errors(forward, backward, params, X, y):
        return returned

    result = run(CHECKS["gradient_errors"], student(RIGHT, gradient_errors=gradient_errors), PUBLIC)
    assert message in result.message and "it is dict" not in result.message, result.message


def test_an_in_place_change_of_the_probabilities_is_named_however_small():
    def cross_entropy(A2, y):
        np.clip(A2, 1e-12, 1.0, out=A2)  # below the rounding tolerance of the other checks
        return float(-np.log(A2[y, np.arange(y.size)]).mean())

    result = run(CHECKS["cross_entropy"], student(RIGHT, cross_entropy=cross_entropy), PUBLIC)
    assert result.mistake == Code.CHANGED_IN_PLACE and "changes its argument A2 in place" in result.message


def test_a_shape_mismatch_of_the_gradients_names_the_keys_and_the_shapes():
    def backward_g(params, cache, X, y):
        grads = RIGHT["backward_g"](params, cache, X, y)
        return {**grads, "b1": grads["b2"], "b2": grads["b1"]}

    result = run(CHECKS["backward_g"], student(RIGHT, backward_g=backward_g), PUBLIC)
    assert result.mistake == Code.SWAPPED, result.message
    assert "grads['b1'] has shape (4, 1) where (h, 1) = (5, 1) is expected: are b1 and b2 swapped?" in result.message

    def backward(params, cache, X, y):
        grads = RIGHT["backward"](params, cache, X, y)
        return {**grads, "W2": grads["W2"][:, :1]}

    result = run(CHECKS["backward"], student(RIGHT, backward=backward), PUBLIC)
    assert "grads['W2'] has shape (10, 1) where (n_classes, h) = (10, 10) is expected" in result.message


def _layer_backward_summed_bias(dZ, A_prev, W):
    return dZ @ A_prev.T, float(np.sum(dZ)), W.T @ dZ


def _one_hot_rows(y, n_classes=10):
    Y = np.zeros((n_classes, y.size))
    Y[y, :] = 1
    return Y


@pytest.mark.parametrize("helper, wrong", [("layer_backward", _layer_backward_summed_bias), ("one_hot", _one_hot_rows)])
@pytest.mark.parametrize("name", ["backward", "backward_g"])
def test_a_backward_pass_blames_the_helper_it_calls_that_is_wrong(name, helper, wrong):
    result = run(CHECKS[name], notebook(**{helper: wrong}), PUBLIC)
    assert result.mistake == Code.EARLIER_FUNCTION_FAILS, result.message
    assert result.message.startswith(f"{name}: this may come from your {helper}, which it calls"), result.message


def test_a_blame_names_the_innermost_wrong_function_once():
    def relu(Z):
        return np.minimum(Z, 0)

    result = run(CHECKS["mean_probability"], notebook(relu=relu), PUBLIC)
    assert result.message.count("this may come from") == 1, result.message
    assert result.message.startswith("mean_probability: this may come from your relu"), result.message
    assert "np.minimum keeps the negative part" in result.message


def test_one_hot_with_its_default_in_backward_is_told_to_use_the_output_layers_size():
    def backward(params, cache, X, y):
        dZ2 = output_gradient(cache["A2"], one_hot(y))  # noqa: F821  the notebook's functions
        dW2, db2, dA1 = layer_backward(dZ2, cache["A1"], params["W2"])  # noqa: F821
        dW1, db1, _ = layer_backward(dA1 * relu_grad(cache["Z1"]), X, params["W1"])  # noqa: F821
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    result = run(CHECKS["backward"], notebook(backward=backward), PUBLIC)
    assert result.mistake == Code.N_CLASSES_IGNORED, result.message
    assert "params['W2'].shape[0]" in result.message and "(the network of this check has 4)" in result.message


def test_a_wrong_derivative_reads_as_its_function_and_entry():
    result = run(CHECKS["activation_grad"], student(RIGHT, activation_grad=lambda Z: 2 * Z), PUBLIC)
    assert re.search(r"activation_grad: activation_grad\(Z\)\[\d, \d\] is \S+ where \S+ is expected", result.message)


@pytest.mark.parametrize("lab", ["lab02", "lab03"])
def test_no_message_of_labs_02_and_03_hands_over_the_code(lab):
    """A message names the mistake and the equation, not the line of NumPy that fixes it."""
    giveaways = (r"np\.arange\(m\)\]", r"lambda W", r"@ \w+\.T", r"keepdims=True", r"1 - A\*\*2", r"np\.tanh")
    for registered in CHECKS.values():
        if registered.lab.startswith(lab):
            for mistake in registered.mistakes:
                for pattern in giveaways:
                    assert not re.search(pattern, mistake.message), (registered.name, mistake.message)


# --------------------------------------------------------------------------------------------- the lab notebook


def _grader_in(cells: dict[str, str], lab: str = "lab03") -> dict:
    """A notebook's namespace after running these cells (name: source), with its grader."""
    namespace = {"__name__": "__main__", "grader": Lab(lab)}
    cells = {"imports": "import numpy as np\n\nimport mnistnn\n", **cells}
    namespace["In"] = ["", *cells.values()]
    for index, source in enumerate(cells.values(), start=1):
        filename = f"<test-cell-{id(namespace)}-{index}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)  # as IPython
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102  the test's own notebook cells
    return namespace


def test_checking_a_question_the_lab_does_not_have_says_which_it_has():
    shown = repr(Lab("lab02").check("q9"))
    assert shown == (
        "lab02 has no question 'q9': its questions are q1 to q7 (checked here: q2, q3, q4, q5, q6; written, read by "
        "your teacher: q1, q7)."
    )


def test_checking_a_written_question_says_its_points_and_who_marks_it():
    shown = repr(Lab("lab02").check("q1"))
    assert shown == "q1 (written, 2 points): derive: softmax ignores a shift: read and marked by your teacher."


def test_a_cell_that_needs_an_unfinished_function_says_which_question_to_finish(capsys):
    unfinished = 'def activation(Z):\n    """g(Z), element by element."""\n    ...\n'
    namespace = _grader_in({"activation": unfinished}, "lab03b")
    exec('ready = grader.ready("q2", "q3", "q4")', namespace)  # noqa: S102  a cell of the notebook
    assert namespace["ready"] is False
    shown = capsys.readouterr().out
    assert shown == "finish question 1 first: `numerical_gradient` is not defined yet (run its cell).\n"
    sources = {name: inspect.getsource(RIGHT[name]) for name in ("numerical_gradient", "gradient_errors")}
    namespace = _grader_in({**sources, "activation": unfinished}, "lab03b")
    exec('ready = grader.ready("q3")', namespace)  # noqa: S102
    assert namespace["ready"] is False
    assert capsys.readouterr().out == "finish question 3 first: `activation` is still `...`.\n"


def test_a_cell_that_needs_a_function_whose_check_fails_says_why(capsys):
    in_place = "def activation(Z):\n    np.tanh(Z, out=Z)\n    return Z\n"
    namespace = _grader_in(
        {"activation": in_place, "activation_grad": inspect.getsource(RIGHT["activation_grad"])}, "lab03b"
    )
    exec('ready = grader.ready("q3")', namespace)  # noqa: S102
    assert namespace["ready"] is True
    shown = capsys.readouterr().out
    assert shown.startswith("question 3 does not pass its check yet, so what follows may be off: q3 (0 of 2")
    assert "your activation changed Z in place" in shown and shown.count("\n") == 1


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
