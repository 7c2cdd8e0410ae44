"""What every check shares: the result a learner sees, mistakes as data, and comparing an answer with the right one.

A check is a function ``(student, case) -> None`` registered with :func:`check`. It asks the learner's functions
for answers through ``student`` (see :mod:`mnistnn.feedback.student`), compares them with the reference with
:func:`expect`, and stops at the first mistake by raising :class:`Stop`. Its known mistakes are a table of
:class:`Mistake` rows: a code, the message, the section to re-read, and ``wrong``, the function that makes that
wrong answer from the right one. The check recognises a mistake by comparing the learner's answer with what
``wrong`` gives on the same inputs; the mutation suite (tests/test_feedback.py) runs every ``wrong`` as if a
learner had written it and expects the check to name its row.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from .._checks import describe

#: Where each topic is explained: the walk-through notebook and section to re-read.
SECTIONS = {
    "load": "notebook 01, section 1 'Load MNIST'",
    "split": "notebook 01, section 4 'Training, validation and test sets'",
    "prepare": "notebook 01, section 5 'One column per example, scaled to [0, 1]'",
    "relu": "notebook 02, section 2 'Layer 1: a weighted sum, then ReLU'",
    "softmax": "notebook 02, section 3 'Layer 2: scores, then softmax'",
    "forward": "notebook 02, section 4 'The whole forward pass'",
    "untrained": "notebook 02, section 6 'An untrained network guesses'",
    "one_hot": "notebook 03, section 1 'Labels as one-hot columns'",
    "loss": "notebook 03, section 2 'The loss and its gradient at the output'",
    "backward": "notebook 03, section 3 'Backwards through the network'",
    "gradcheck": "notebook 03, section 4 'Checking gradients numerically'",
    "bias": "notebook 03, section 5 'The original notebook's gradients fail the check'",
    "descent": "notebook 04, section 1 'Gradient descent'",
    "training": "notebook 04, section 2 'Training the original configuration'",
    "confusion": "notebook 05, section 2 'The confusion matrix'",
    "precision": "notebook 05, section 3 'Precision and recall'",
    "sgd": "notebook 06, section 3 'Mini-batch SGD with momentum, by hand'",
    "keras": "notebook 07, section 3 'Training both'",
}


#: Every mistake a check can name. A StrEnum whose values are the names in lower case: ``Feedback.mistake ==
#: "no_max_shift"`` holds, and a misspelt ``Code.NO_MAX_SHFT`` fails where it is written.
Code = StrEnum(
    "Code",
    [
        # the notebook and the call itself
        "NOT_DEFINED",
        "NOT_IMPLEMENTED",
        "NOT_A_FUNCTION",
        "RAISED",
        "TIMED_OUT",
        "USES_PACKAGE",
        "USES_NOTEBOOK_VARIABLE",
        "EARLIER_FUNCTION_FAILS",
        "CHANGED_IN_PLACE",
        "PARAMS_CHANGED_IN_PLACE",
        "CHECKER_ERROR",
        # the answer's form
        "WRONG_TYPE",
        "WRONG_SHAPE",
        "WRONG_KEYS",
        "TRANSPOSED",
        "WRONG_DTYPE",
        "NOT_A_NUMBER",
        "NOT_FINITE",
        "ZEROS",
        "RETURNS_INPUT",
        "WRONG_VALUES",
        # lab 01: data
        "UNSCALED",
        "INTEGER_DIVISION",
        "RESHAPE_ORDER",
        "DIVIDED_BY_MAX",
        "WRONG_SIZES",
        "OVERLAP",
        "LOST_EXAMPLES",
        "LABELS_SHUFFLED_APART",
        "NOT_SHUFFLED",
        "NOT_REPRODUCIBLE",
        "RNG_IGNORED",
        "NOT_STRATIFIED",
        # lab 02: forward
        "DERIVATIVE_INSTEAD",
        "MIN_INSTEAD_OF_MAX",
        "ABS_INSTEAD",
        "NO_MAX_SHIFT",
        "GLOBAL_MAX_SHIFT",
        "SHIFT_WRONG_AXIS",
        "WRONG_AXIS",
        "WHOLE_MATRIX",
        "NOT_NORMALISED",
        "SOFTMAX_MISSING",
        "ACTIVATION_MISSING",
        "BIAS_MISSING",
        "CACHE_INCOMPLETE",
        "SOFTMAX_ON_HIDDEN",
        "LAYERS_OUT_OF_ORDER",
        "TRAINING_IMAGES",
        "HE_INIT",
        "PREDICTED_FRACTION",
        # lab 03: backward
        "SIZED_BY_MAX",
        "N_CLASSES_IGNORED",
        "MISSING_1_OVER_M",
        "ONE_OVER_M_TWICE",
        "MEAN_OVER_ALL_ENTRIES",
        "SIGN",
        "LABELS_AS_ONE_HOT",
        "ALL_CLASSES",
        "LOG10",
        "COLUMNS_BY_LABEL",
        "ZERO_TIMES_LOG_ZERO",
        "DIVIDED_BY_K",
        "SCALAR_BIAS_GRADIENT",
        "BIAS_WRONG_AXIS",
        "KEEPDIMS_MISSING",
        "W_NOT_TRANSPOSED",
        "A_PREV_NOT_TRANSPOSED",
        "GRAD_WRONG_ARRAY",
        "ACTIVATION_INSTEAD_OF_DERIVATIVE",
        "GRAD_WRONG_AT_ZERO",
        "DERIVATIVE_MISSING",
        "ONES",
        "ONE_SIDED",
        "MISSING_2",
        "GRADIENT_CHECK_FAILS",
        "F_IGNORES_W",
        "BACKWARD_FAILS",
        # lab 04: training
        "GRADIENT_ASCENT",
        "LEARNING_RATE_IGNORED",
        "BIASES_NOT_UPDATED",
        "ARGMAX_WRONG_AXIS",
        "ARGMAX_NO_AXIS",
        "MAX_NOT_ARGMAX",
        "NO_LEARNING",
        "ITERATION_COUNT",
        # lab 05: evaluation
        "COUNT_NOT_FRACTION",
        "PERCENTAGE",
        "ERROR_RATE",
        "SWAPPED",
        "NAN_FOR_EMPTY_CLASS",
        "DIVIDED_BY_TOTAL",
        "BINS_WRONG",
        # lab 06: going further
        "LAST_BATCH_DROPPED",
        "MOMENTUM_IGNORED",
        "NO_BIAS_CORRECTION",
        "SQUARE_ROOT_MISSING",
        "EPSILON_INSIDE",
        "LEARNING_RATE_NOT_DECAYED",
    ],
)


@dataclass(frozen=True)
class Mistake:
    """One known mistake of a check: a row of its table.

    Attributes
    ----------
    code : Code
        Names the mistake.
    message : str
        What is wrong and how to fix it, in the learner's words (no trailing full stop).
    section : str or None
        Key of :data:`SECTIONS` to re-read; None: the check's own section.
    wrong : callable or None
        The wrong answer, made from the right one: a function with the signature of the learner's function. The
        check compares the learner's answer with what it gives on the same inputs (unless ``by_rule``), and the
        mutation suite runs it as a learner's function, expecting this row's code.
    by_rule : bool
        True when the check recognises the mistake by a rule of its own (an error raised, a nan, an input changed),
        not by comparing answers: ``wrong`` is then only the mutant of the test suite.
    """

    code: Code
    message: str
    section: str | None = None
    wrong: Callable[..., Any] | None = None
    by_rule: bool = False


class Stop(Exception):  # not an error: what a check stops at, the first mistake found
    """Raised inside a check at the first mistake found."""

    def __init__(self, code: Code, message: str, section: str | None = None):
        super().__init__(message)
        self.code, self.message, self.section = code, message, section

    @classmethod
    def of(cls, mistake: Mistake, message: str | None = None) -> Stop:
        """Stop at a row of a mistake table (its message, or a more precise one)."""
        return cls(mistake.code, message or mistake.message, mistake.section)


@dataclass(frozen=True)
class Feedback:
    """The outcome of one check: true when it passed; displays as its one-line message.

    Attributes
    ----------
    check : str
        What was checked, e.g. ``"softmax"``.
    mistake : Code or None
        The mistake recognised (``"no_max_shift"``, ``"scalar_bias_gradient"``, ``"not_implemented"``, ...),
        ``"wrong_values"`` when the answer is wrong in no known way, None when every check passed.
    message : str
        One line for the learner.
    """

    check: str
    mistake: Code | None
    message: str

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return self.mistake is None

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__


@dataclass(frozen=True)
class Case:
    """Which inputs a check draws: the public ones of the self-check, or the hidden ones of grading.

    ``rng(seed)`` gives a generator for that purpose (hidden cases draw other numbers), and ``pick(public, hidden)``
    chooses a size or a value. ``variant`` holds the course's parameters (:class:`mnistnn.feedback.labs.Variant`).
    """

    hidden: bool = False
    variant: Any = None

    def rng(self, seed: int) -> np.random.Generator:
        """A generator for the inputs of this case."""
        return np.random.default_rng([seed, int(self.hidden), getattr(self.variant, "seed", 0)])

    def pick(self, public: Any, hidden: Any) -> Any:
        """The public value, or the hidden one."""
        return hidden if self.hidden else public


# --------------------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Check:
    """A registered check: what it checks, where that is explained, its mistake table, and its code.

    Calling it with a function, ``check_softmax(fn)``, runs the public case on that function and returns a
    :class:`Feedback`; the labs run it through :class:`mnistnn.feedback.labs.Lab` on the notebook's functions.
    """

    name: str
    section: str
    function: str | None  # the learner's function it calls first (None: a reported value)
    mistakes: tuple[Mistake, ...]
    body: Callable[..., None] = field(repr=False)
    helpers: tuple[str, ...] = ()  # the learner's other functions it may call (to blame them first)
    lab: str = ""

    def __call__(self, fn: Any = None, /, **values: Any) -> Feedback:
        """The public case on ``fn`` (or, for a check of a reported value, on the named functions and values)."""
        from .labs import Variant
        from .student import InProcess

        student = InProcess({**values}) if self.function is None else InProcess.of(self.function, fn)
        return run(self, student, Case(variant=Variant()))

    @property
    def __name__(self) -> str:  # pytest ids, messages
        return f"check_{self.name}"


CHECKS: dict[str, Check] = {}
"""Every check, by name, in the order the labs define them."""


def check(
    *,
    name: str,
    section: str,
    mistakes: Sequence[Mistake] = (),
    helpers: Sequence[str] = (),
    function: str | bool | None = True,
) -> Callable[[Callable[..., None]], Check]:
    """Register the decorated ``body(student, case)`` as the check ``name``.

    ``function``: the learner's function the check asks for (default: ``name`` itself); ``None`` for a check of a
    reported value, recomputed from the learner's functions.
    """

    def register(body: Callable[..., None]) -> Check:
        if name in CHECKS:
            raise ValueError(f"two checks are named {name!r}")
        lab = body.__module__.rsplit(".", 1)[-1]
        registered = Check(
            name=name,
            section=section,
            function=name if function is True else function or None,
            mistakes=tuple(mistakes),
            body=body,
            helpers=tuple(helpers),
            lab=lab,
        )
        CHECKS[name] = registered
        return registered

    return register


def run(registered: Check, student: Any, case: Case) -> Feedback:
    """Run a check; turn what it finds (or any error of its own) into a one-line Feedback."""
    name = registered.name
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            registered.body(student, case)
    except Stop as found:
        if found.code not in _NOT_BLAMED and registered.helpers:
            blamed = _failing_helper(registered, student, case)
            if blamed is not None:
                helper, result = blamed
                return Feedback(
                    name,
                    Code.EARLIER_FUNCTION_FAILS,
                    f"{name}: this may come from your {helper}, "
                    f"which it calls: make its check pass first: {result.message}",
                )
        if found.code in (Code.NOT_IMPLEMENTED, Code.NOT_DEFINED, Code.TIMED_OUT, Code.USES_PACKAGE):
            return Feedback(name, found.code, f"{name}: {found.message}.")
        where = SECTIONS[found.section or registered.section]
        return Feedback(name, found.code, f"{name}: {found.message}. Re-read {where}.")
    except Exception as error:  # noqa: BLE001  a bug in the checker itself: still one line, never a traceback
        return Feedback(
            name,
            Code.CHECKER_ERROR,
            f"{name}: the checker could not run ({type(error).__name__}: "
            f"{short(error)}); please report this to your teacher.",
        )
    return Feedback(name, None, f"{name}: all checks passed.")


_NOT_BLAMED = (Code.NOT_IMPLEMENTED, Code.NOT_DEFINED, Code.NOT_A_FUNCTION, Code.TIMED_OUT, Code.USES_PACKAGE)


def _failing_helper(registered: Check, student: Any, case: Case) -> tuple[str, Feedback] | None:
    """The first of the learner's other functions that the checked function called and that fails its own check."""
    for helper in student.called:
        if helper in registered.helpers and helper != registered.function and helper in CHECKS:
            result = run(CHECKS[helper], student, case)
            if not result.passed:
                return helper, result
    return None


# --------------------------------------------------------------------------------------------- comparing


def short(value: object, limit: int = 120) -> str:
    """One line of at most ``limit`` characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def what(value: object) -> str:
    """'an array of shape (3, 4) and dtype float64', 'a list of length 3', 'float 0.5', ..."""
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__} of length {len(value)}"
    return short(describe(value), 100)


def number_text(value: object) -> str:
    """A number as it reads best in a message."""
    return f"{value:.4g}" if isinstance(value, (float, np.floating)) else str(value)


def is_number(value: object) -> bool:
    """A real number: int or float, a NumPy scalar, or a 0-d numeric array; not a bool."""
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "iuf"
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def close(got: object, expected: object, *, rtol: float = 1e-6, dtype: str = "at_least") -> bool:
    """Same kind of thing, shape, an acceptable dtype (see :func:`expect`) and values (close) as ``expected``."""
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        if not isinstance(got, np.ndarray) or got.shape != expected.shape or got.dtype.kind not in "biuf":
            return False
        if not _dtype_ok(got.dtype, expected.dtype, dtype):
            return False
        scale = float(np.abs(expected).max()) if expected.size else 0.0
        return bool(np.allclose(got, expected, rtol=rtol, atol=1e-9 * max(scale, 1.0), equal_nan=False))
    if not is_number(got) or not is_number(expected):
        return False
    return bool(np.isclose(float(got), float(expected), rtol=rtol, atol=1e-12))


def _dtype_ok(got: np.dtype, expected: np.dtype, policy: str) -> bool:
    """Whether an answer's dtype is acceptable: "exact"; "at_least" (a float at least as precise as expected's,
    or, for integers, any integer type); "any" numeric."""
    if policy == "any" or got == expected:
        return True
    if policy == "exact":
        return False
    if policy == "float":
        return got.kind == "f"
    if expected.kind in "iu":
        return got.kind in "iu"
    return got.kind == "f" and got.itemsize >= expected.itemsize


def expect(
    got: object,
    expected: object,
    *,
    what_: str,
    mistakes: Sequence[Mistake] = (),
    args: tuple = (),
    kwargs: dict | None = None,
    inputs: tuple = (),
    equation: str = "",
    rtol: float = 1e-6,
    dtype: str = "at_least",
) -> None:
    """Stop with the mistake that ``got`` makes, unless it equals ``expected`` (closely, in an acceptable dtype).

    Parameters
    ----------
    got, expected : the learner's answer and the right one.
    what_ : how the answer is called in messages, e.g. ``"softmax(Z)"``.
    mistakes : the check's table; each row with ``wrong`` (and not ``by_rule``) is tried: the learner's answer that
        equals ``wrong(*args, **kwargs)``, where that differs from the right answer, is that mistake.
    args, kwargs : the inputs the learner's function was given.
    inputs : arrays an answer must not simply return.
    equation : the equation to re-check, named in the message for a mistake no row knows.
    dtype : "at_least" (default: any float at least as precise as expected's; any integer type for integers),
        "float" (any float), "exact" or "any" (any numeric or bool).
    """
    if close(got, expected, rtol=rtol, dtype=dtype):
        return
    for mistake in mistakes:
        if mistake.wrong is None or mistake.by_rule:
            continue
        try:
            wrong = mistake.wrong(*args, **(kwargs or {}))
        except Exception:  # noqa: BLE001,S112  that mistake cannot even run on these inputs: not this one
            continue
        if close(got, wrong, rtol=rtol, dtype="any") and not close(wrong, expected, rtol=rtol, dtype="any"):
            raise Stop.of(mistake)
    _unknown(got, expected, what_, inputs, equation, dtype)


def _unknown(got: object, expected: object, name: str, inputs: tuple, equation: str, dtype: str) -> None:
    """Stop with what is wrong with an answer no table row knows: form first, then the first differing entry."""
    recheck = f"; re-check {equation}" if equation else ""
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        _array_form(got, expected, name, inputs, dtype)
        _array_values(got, expected, name, recheck)
    if isinstance(got, np.ndarray) and got.ndim > 0:
        raise Stop(Code.NOT_A_NUMBER, f"{name} is {what(got)}, but one number is expected")
    if not is_number(got):
        raise Stop(Code.WRONG_TYPE, f"{name} is {what(got)}, but a number is expected")
    code = Code.WRONG_VALUES if np.isfinite(float(got)) else Code.NOT_FINITE
    raise Stop(code, f"{name} is {float(got):.6g} where {float(expected):.6g} is expected{recheck}")


def _array_form(got: object, expected: np.ndarray, name: str, inputs: tuple, dtype: str) -> None:
    """Stop when an answer that should be this array is not one of its type, shape and dtype."""
    if not isinstance(got, np.ndarray):
        raise Stop(Code.WRONG_TYPE, f"{name} is {what(got)}, but a NumPy array of shape {expected.shape} is expected")
    for value in inputs:
        if isinstance(value, np.ndarray) and got.shape == value.shape and np.array_equal(got, value):
            raise Stop(Code.RETURNS_INPUT, f"you return the input unchanged ({what(got)})")
    if got.shape != expected.shape:
        if got.ndim == 2 and got.shape == expected.shape[::-1]:
            raise Stop(
                Code.TRANSPOSED,
                f"{name} is transposed: shape {got.shape} but {expected.shape} is expected (one column per example)",
            )
        raise Stop(Code.WRONG_SHAPE, f"{name} has shape {got.shape} but {expected.shape} is expected")
    if got.dtype.kind not in "biuf" or not _dtype_ok(got.dtype, expected.dtype, dtype):
        values_right = got.dtype.kind in "biuf" and np.allclose(
            got.astype(np.float64), expected.astype(np.float64), rtol=1e-5, atol=1e-7
        )
        detail = "the values are right but" if values_right else "and"
        need = "a float type at least as precise as " if dtype == "at_least" and expected.dtype.kind == "f" else ""
        raise Stop(Code.WRONG_DTYPE, f"{name} has dtype {got.dtype} ({detail} {need}{expected.dtype} is expected)")


def _array_values(got: np.ndarray, expected: np.ndarray, name: str, recheck: str) -> None:
    """Stop with what is wrong with an array's values: nan or inf, all zeros, or the entry that differs most."""
    if got.dtype.kind == "f" and not np.isfinite(got).all() and np.isfinite(expected).all():
        raise Stop(
            Code.NOT_FINITE,
            f"{name} contains nan or inf ({int(np.isnan(got).sum())} nan, "
            f"{int(np.isinf(got).sum())} inf) where the right answer is finite{recheck}",
        )
    if not got.any() and expected.any():
        raise Stop(Code.ZEROS, f"{name} is all zeros (shape {got.shape}){recheck}")
    difference = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    index = np.unravel_index(np.argmax(difference), got.shape)
    where = f"[{', '.join(str(int(i)) for i in index)}]"
    raise Stop(
        Code.WRONG_VALUES,
        f"{name}{where} is {number_text(got[index])} where {number_text(expected[index])} "
        f"is expected (shape {got.shape}){recheck}",
    )


def error_text(error_type: str, message: str) -> str:
    """An exception's message as one readable line (NumPy's matmul shape error without its gufunc signature)."""
    text = " ".join(message.split())
    if "gufunc" in text or "matmul" in text:
        sizes = re.search(r"size \d+ is different from \d+", text)
        if sizes:
            text = f"the shapes do not fit for @ ({sizes.group(0)})"
        elif "does not have enough dimensions" in text:
            text = "an operand of @ is a number or None, not an array"
        else:
            text = re.sub(r",? ?(with )?gufunc (core )?(with )?signature \S+", "", text)
    return f"{error_type}: {short(text)}"
