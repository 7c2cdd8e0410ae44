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

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

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
    "l2": "notebook 08, section 2 'L2 weight decay'",
    "dropout": "notebook 08, section 3 'Dropout'",
    "deep": "notebook 08, section 7 'Two hidden layers, and Adam'",
}


#: Every mistake a check can name. A StrEnum whose values are the names in lower case: ``Feedback.mistake ==
#: "no_max_shift"`` holds, and a misspelt ``Code.NO_MAX_SHFT`` fails where it is written.
# The codes in rows, grouped by lab (ruff format would give each a line of its own):
# fmt: off
Code = StrEnum("Code", [
    # the notebook and the call itself
    "NOT_DEFINED", "NOT_IMPLEMENTED", "NOT_A_FUNCTION", "RAISED", "TIMED_OUT", "USES_PACKAGE", "REFUSED",
    "USES_NOTEBOOK_VARIABLE", "EARLIER_FUNCTION_FAILS", "CHANGED_IN_PLACE", "PARAMS_CHANGED_IN_PLACE",
    "CHECKER_ERROR",
    # the answer's form
    "WRONG_TYPE", "WRONG_SHAPE", "WRONG_KEYS", "TRANSPOSED", "WRONG_DTYPE", "NOT_A_NUMBER", "NOT_FINITE", "ZEROS",
    "RETURNS_INPUT", "WRONG_VALUES",
    # lab 01: data
    "UNSCALED", "INTEGER_DIVISION", "RESHAPE_ORDER", "DIVIDED_BY_MAX", "WRONG_SIZES", "OVERLAP", "LOST_EXAMPLES",
    "LABELS_SHUFFLED_APART", "NOT_SHUFFLED", "NOT_REPRODUCIBLE", "RNG_IGNORED", "NOT_STRATIFIED",
    # lab 02: forward
    "DERIVATIVE_INSTEAD", "MIN_INSTEAD_OF_MAX", "ABS_INSTEAD", "NO_MAX_SHIFT", "GLOBAL_MAX_SHIFT",
    "SHIFT_WRONG_AXIS", "WRONG_AXIS", "WHOLE_MATRIX", "NOT_NORMALISED", "SOFTMAX_MISSING", "ACTIVATION_MISSING",
    "BIAS_MISSING", "CACHE_INCOMPLETE", "SOFTMAX_ON_HIDDEN", "LAYERS_OUT_OF_ORDER", "TRAINING_IMAGES", "HE_INIT",
    "PREDICTED_FRACTION", "ONLY_2D",
    # lab 03: backward
    "SIZED_BY_MAX", "N_CLASSES_IGNORED", "MISSING_1_OVER_M", "ONE_OVER_M_TWICE", "MEAN_OVER_ALL_ENTRIES", "SIGN",
    "LABELS_AS_ONE_HOT", "ALL_CLASSES", "LOG10", "COLUMNS_BY_LABEL", "ZERO_TIMES_LOG_ZERO", "DIVIDED_BY_K",
    "SCALAR_BIAS_GRADIENT", "BIAS_WRONG_AXIS", "KEEPDIMS_MISSING", "W_NOT_TRANSPOSED", "A_PREV_NOT_TRANSPOSED",
    "GRAD_WRONG_ARRAY", "ACTIVATION_INSTEAD_OF_DERIVATIVE", "GRAD_WRONG_AT_ZERO", "DERIVATIVE_MISSING", "ONES",
    "ONE_SIDED", "MISSING_2", "EPS_IGNORED", "GRADIENT_CHECK_FAILS", "F_IGNORES_W", "BACKWARD_IGNORED",
    "FORWARD_IGNORED", "Z_FOR_G",
    # lab 04: training
    "GRADIENT_ASCENT", "LEARNING_RATE_IGNORED", "BIASES_NOT_UPDATED", "ARGMAX_WRONG_AXIS", "ARGMAX_NO_AXIS",
    "MAX_NOT_ARGMAX", "NO_LEARNING", "ITERATION_COUNT",
    # lab 05: evaluation
    "COUNT_NOT_FRACTION", "PERCENTAGE", "ERROR_RATE", "SWAPPED", "NAN_FOR_EMPTY_CLASS", "DIVIDED_BY_TOTAL",
    "BINS_WRONG",
    # lab 06: going further
    "LAST_BATCH_DROPPED", "MOMENTUM_IGNORED", "NO_BIAS_CORRECTION", "SQUARE_ROOT_MISSING", "EPSILON_INSIDE",
    "LEARNING_RATE_NOT_DECAYED",
    # lab 08: going deeper
    "BIASES_PENALISED", "PENALTY_TWICE", "PENALTY_HALVED", "PENALTY_MISSING", "NOT_RESCALED", "SCALED_BY_P",
    "KEEPS_WITH_1_MINUS_P", "ONE_MASK_FOR_ALL_EXAMPLES", "MASK_IGNORED", "MASK_TWICE",
])
# fmt: on
# fmt: on


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
    cause : Feedback or None
        When the mistake is blamed on another of the learner's functions (``earlier_function_fails``): that
        function's own feedback, the innermost one that fails.
    """

    check: str
    mistake: Code | None
    message: str
    cause: Feedback | None = field(default=None, repr=False, compare=False)

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
                return Feedback(
                    name,
                    Code.EARLIER_FUNCTION_FAILS,
                    f"{name}: this may come from your {blamed.check}, "
                    f"which it calls: make its check pass first: {blamed.message}",
                    cause=blamed,
                )
        if found.code in (Code.NOT_IMPLEMENTED, Code.NOT_DEFINED, Code.TIMED_OUT, Code.USES_PACKAGE, Code.REFUSED):
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


_NOT_BLAMED = (
    Code.NOT_IMPLEMENTED,
    Code.NOT_DEFINED,
    Code.NOT_A_FUNCTION,
    Code.TIMED_OUT,
    Code.USES_PACKAGE,
    Code.REFUSED,
)


def _failing_helper(registered: Check, student: Any, case: Case) -> Feedback | None:
    """The feedback of the first of the learner's other functions that the checked function called and that fails
    its own check; when that one's failure is blamed on a function it calls in turn, the innermost one's (one level
    of "this may come from", naming the function to fix)."""
    for helper in student.called:
        if helper in registered.helpers and helper != registered.function and helper in CHECKS:
            result = run(CHECKS[helper], student, case)
            if not result.passed:
                return result if result.cause is None else result.cause  # (a Feedback that fails is false)
    return None


def short(value: object, limit: int = 120) -> str:
    """One line of at most ``limit`` characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
