"""The labs: their questions and points, a course's variant of them, and the self-check a notebook runs.

Each lab module (``lab01`` ... ``lab08``; ``lab03`` registers both parts of lab 03, lab03 and lab03b) ends with
its :class:`LabSpec`: the questions in order, each with its points and the check that scores it (written questions
are read by a teacher). In a lab notebook,

    from mnistnn.feedback import Lab
    grader = Lab("lab03")              # or Lab("lab03", variant="fall-2026"): a course's own version

``grader.check("q1")`` runs question 1's check on the notebook's functions and answers in one line with the
question's points; ``grader.summary()`` adds up the points passed so far; ``grader.ready("q8")``, in a cell that
uses the learner's functions, says which question to finish first while one is still ``...``. The functions are
rebuilt from the
notebook's cells as grading rebuilds them (definitions, imports and constants only), so the self-check tests what
grading tests; grading then runs the same checks on other inputs too (the hidden cases), in a sandbox.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import sys
import textwrap
import types
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .core import CHECKS, Case, Feedback, run
from .definitions import as_graded
from .student import InProcess

ACTIVATIONS = ("tanh", "sigmoid", "leaky_relu")


@dataclass(frozen=True)
class Question:
    """One question: its name (q1, ...), points, and the check that scores it (None: written, read by a teacher).

    ``writes``: the learner's functions the question asks for, when they are more than its check's own function.
    """

    name: str
    points: float
    check: str | None = None
    title: str = ""
    writes: tuple[str, ...] = ()

    @property
    def written(self) -> bool:
        return self.check is None

    @property
    def functions(self) -> tuple[str, ...]:
        """The learner's functions this question asks for."""
        if self.written:
            return ()
        return self.writes or tuple(name for name in (CHECKS[self.check].function,) if name)


@dataclass(frozen=True)
class LabSpec:
    """A lab: its name (lab01, ...), title, questions, and the package functions its answers may not call."""

    name: str
    title: str
    questions: tuple[Question, ...]
    forbidden: tuple[str, ...] = ()  # "mnistnn.model.backward": the questions' own answers, in the package
    allowed: str = ""  # what the lab may use from mnistnn, in words (for the messages)
    parameters: tuple[str, ...] = ()  # the Variant fields this lab's questions use

    def question(self, name: str) -> Question:
        for question in self.questions:
            if question.name == name:
                return question
        raise KeyError(self.unknown(name))

    def unknown(self, name: object) -> str:
        """What to say about a question this lab does not have: which ones it has."""
        autograded = ", ".join(question.name for question in self.autograded)
        written = ", ".join(question.name for question in self.questions if question.written)
        first, last = self.questions[0].name, self.questions[-1].name
        return (
            f"{self.name} has no question {name!r}: its questions are {first} to {last} "
            f"(checked here: {autograded}; written, read by your teacher: {written})"
        )

    @property
    def autograded(self) -> tuple[Question, ...]:
        return tuple(question for question in self.questions if not question.written)


@dataclass(frozen=True)
class Variant:
    """A course's version of the labs: other sizes, another hidden activation, another data subset.

    ``Variant.of("public")`` is the version of this repository; any other name (or a number) gives its own
    parameters, the same every time for the same name. The checks read them, and the lab notebooks print them
    (``grader.variant``), so a course's answers differ from the public solutions.
    """

    name: str = "public"
    seed: int = 0
    activation: str = "tanh"  # lab 03b's extension: the hidden activation g to backpropagate through
    leaky_slope: float = 0.1  # g(z) = max(z, slope * z) for leaky_relu
    val_size: int = 10_000  # lab 01: images held out for validation
    n_hidden: int = 10  # lab 02: the untrained network's hidden units
    init_seed: int = 0  # lab 02: its seed
    linear_rate: float = 0.5  # lab 04: the linear baseline's learning rate
    bins: int = 10  # lab 05: calibration bins
    beta2: float = 0.999  # lab 06: Adam's second-moment decay
    keep: float = 0.8  # lab 08: dropout's probability p of keeping a unit

    @classmethod
    def of(cls, name: str | int | Variant = "public") -> Variant:
        """The variant of that name (or seed); "public" is this repository's."""
        if isinstance(name, Variant):
            return name
        name = str(name)
        if name == "public":
            return cls()
        seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")
        pick = [int(b) for b in hashlib.sha256(f"mnistnn-variant-{seed}".encode()).digest()]
        return cls(
            name=name,
            seed=seed,
            activation=ACTIVATIONS[1 + pick[0] % 2] if pick[1] % 3 else "tanh",
            leaky_slope=(0.05, 0.1, 0.2, 0.3)[pick[2] % 4],
            val_size=(8_000, 10_000, 12_000)[pick[3] % 3],
            n_hidden=(8, 12, 16, 20)[pick[4] % 4],
            init_seed=1 + pick[5] % 50,
            linear_rate=(0.25, 0.5, 1.0)[pick[6] % 3],
            bins=(5, 8, 10, 15)[pick[7] % 4],
            beta2=(0.99, 0.995, 0.999)[pick[8] % 3],
            keep=(0.6, 0.7, 0.8, 0.9)[pick[9] % 4],
        )

    def activation_text(self) -> str:
        """The hidden activation g in words and symbols."""
        return {
            "tanh": "tanh: g(z) = tanh(z)",
            "sigmoid": "sigmoid: g(z) = 1 / (1 + exp(-z))",
            "leaky_relu": f"leaky ReLU: g(z) = max(z, {self.leaky_slope:g} z)",
        }[self.activation]

    def __str__(self) -> str:
        values = ", ".join(
            f"{item.name}={getattr(self, item.name)!r}" for item in fields(self) if item.name not in ("name", "seed")
        )
        return f"variant {self.name!r}: {values}"


def _unfinished(value: Any) -> bool:
    """Still the prompt: ``...`` or None, or a function whose body is only its docstring and ``...`` (or pass)."""
    if value is Ellipsis or value is None:
        return True
    if not isinstance(value, types.FunctionType):
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(value)))
    except (OSError, TypeError, SyntaxError):
        return False
    if not (tree.body and isinstance(tree.body[0], ast.FunctionDef)):
        return False
    body = tree.body[0].body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:] if isinstance(body[0].value.value, str) else body
    return all(
        isinstance(node, ast.Pass)
        or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node.value.value is Ellipsis)
        for node in body
    )


PARAMETERS = {  # what each variant parameter is, in the learner's words, and how it reads
    "val_size": ("validation images (val_size)", lambda v: f"{v.val_size:,}"),
    "n_hidden": ("the untrained network's hidden units h (question 5)", lambda v: str(v.n_hidden)),
    "init_seed": ("its seed (question 5)", lambda v: str(v.init_seed)),
    "activation": ("the hidden activation g of the extension", lambda v: v.activation_text()),
    "linear_rate": ("the linear baseline's learning rate", lambda v: f"{v.linear_rate:g}"),
    "bins": ("calibration bins", lambda v: str(v.bins)),
    "beta2": ("Adam's beta2", lambda v: f"{v.beta2:g}"),
    "keep": ("dropout's keep probability p", lambda v: f"{v.keep:g}"),
}

LABS: dict[str, LabSpec] = {}


LAB_NAME = r"lab\d\d[a-z]?"
"""A lab's name: lab01 ... lab08, and lab03b (a walk-through's second lab)."""


def lab_of(notebook: str | Path) -> str:
    """The lab of a master or student notebook by its file name: ``03_backpropagation.ipynb`` is lab03,
    ``03b_gradient_check.ipynb`` lab03b (a walk-through's second lab)."""
    return "lab" + Path(notebook).name.split("_", 1)[0]


def register(spec: LabSpec) -> LabSpec:
    """Add a lab (each lab module calls this with its spec)."""
    unknown = [question.check for question in spec.questions if question.check and question.check not in CHECKS]
    if unknown:
        raise ValueError(f"{spec.name} names checks that do not exist: {unknown}")
    LABS[spec.name] = spec
    return spec


@dataclass(frozen=True)
class QuestionResult:
    """A question's self-check: the check's feedback and the points it earns; shows as one line."""

    question: Question
    feedback: Feedback

    @property
    def points(self) -> float:
        return self.question.points if self.feedback.passed and not self.question.written else 0.0

    def __repr__(self) -> str:
        worth = _points(self.question.points)
        if self.question.written:
            return f"{self.question.name} (written, {worth}): {self.feedback.message}"
        score = f"({worth})" if self.feedback.passed else f"(0 of {worth})"
        return f"{self.question.name} {score}: {self.feedback.message}"

    __str__ = __repr__


def _points(points: float) -> str:
    return f"{points:g} point{'' if points == 1 else 's'}"


@dataclass(frozen=True)
class Note:
    """A one-line answer of the self-check that scores nothing (a question the lab does not have)."""

    message: str

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__


class Lab:
    """The self-check of a lab notebook: ``grader.check("qN")``, ``grader.summary()``; see the module's docstring."""

    def __init__(self, lab: str, variant: str | int = "public"):
        if lab not in LABS:
            raise KeyError(f"there is no lab {lab!r}; the labs are {', '.join(sorted(LABS))}")
        self.spec = LABS[lab]
        self.variant = Variant.of(variant)
        self.results: dict[str, QuestionResult] = {}

    def __repr__(self) -> str:
        lines = [f"{self.spec.name} · {self.spec.title} · the {self.variant.name!r} version"]
        lines += [f"  {PARAMETERS[name][0]}: {PARAMETERS[name][1](self.variant)}" for name in self.spec.parameters]
        return "\n".join(lines)

    def student(self, namespace: dict[str, Any]) -> InProcess:
        """The notebook's functions as grading keeps them (:func:`as_graded`), and its values."""
        return InProcess(as_graded(namespace), values=namespace, forbidden=self.spec.forbidden)

    def check(self, question: str, *, hidden: bool = False) -> QuestionResult | Note:
        """Run the question's check on the notebook's functions; one line with the points it earns."""
        if question not in {spec.name for spec in self.spec.questions}:
            return Note(f"{self.spec.unknown(question)}.")
        spec = self.spec.question(question)
        if spec.written:
            return QuestionResult(
                spec, Feedback(question, None, f"{spec.title or 'written'}: read and marked by your teacher.")
            )
        namespace = sys._getframe(1).f_globals
        result = self.results[question] = self._run(spec, namespace, hidden=hidden)
        return result

    def _run(self, spec: Question, namespace: dict[str, Any], *, hidden: bool = False) -> QuestionResult:
        feedback = run(CHECKS[spec.check], self.student(namespace), Case(hidden=hidden, variant=self.variant))
        return QuestionResult(spec, feedback)

    def ready(self, *questions: str) -> bool:
        """Whether a cell that uses these questions' functions can run: False, printing "finish question N first",
        while one of them (or one of this lab's functions their checks let them call) is still ``...``. When they are
        all written but a question's check does not pass yet, it says so in one line (what follows may be off) and
        returns True.
        """
        namespace = sys._getframe(1).f_globals
        for name, question in self._needed(questions):
            value = namespace.get(name)
            if name not in namespace or _unfinished(value):
                state = "is not defined yet (run its cell)" if name not in namespace else "is still `...`"
                print(f"finish question {question.name[1:]} first: `{name}` {state}.")
                return False
        for question in questions:
            result = self._run(self.spec.question(question), namespace)
            if not result.feedback.passed:
                print(f"question {question[1:]} does not pass its check yet, so what follows may be off: {result}")
                break
        return True

    def _needed(self, questions: tuple[str, ...]) -> list[tuple[str, Question]]:
        """The learner's functions these questions ask for and those their checks let them call, each with the
        question of this lab that asks for it, in the order of the questions."""
        asked = {name: spec for spec in self.spec.questions for name in spec.functions}
        needed: dict[str, Question] = {}
        for question in questions:
            spec = self.spec.question(question)
            helpers = CHECKS[spec.check].helpers if spec.check else ()
            for name in (*spec.functions, *helpers):
                if name in asked:
                    needed.setdefault(name, asked[name])
        order = [spec.name for spec in self.spec.questions]
        return sorted(needed.items(), key=lambda item: order.index(item[1].name))

    def summary(self) -> Summary:
        """The points passed so far, out of the autograded total, and what grading adds."""
        return Summary(self.spec, dict(self.results))


@dataclass(frozen=True)
class Summary:
    """Where a learner stands in a lab; shows as a few lines."""

    spec: LabSpec
    results: dict[str, QuestionResult] = field(default_factory=dict)

    def __repr__(self) -> str:
        autograded = self.spec.autograded
        total = sum(question.points for question in autograded)
        passed = sum(result.points for result in self.results.values())
        waiting = [question.name for question in autograded if question.name not in self.results]
        failing = [name for name, result in self.results.items() if not result.feedback.passed]
        written = sum(question.points for question in self.spec.questions if question.written)
        lines = [f"{self.spec.name}: your self-checks pass {passed:g} of the {total:g} autograded points."]
        if failing:
            lines.append(f"Not passing yet: {', '.join(failing)}.")
        if waiting:
            lines.append(f"Not checked yet (run their grader.check cells): {', '.join(waiting)}.")
        lines.append(
            f"Your teacher's grading runs these checks again, on other inputs too (hidden tests), and reads "
            f"the written answers ({_points(written)})."
        )
        return "\n".join(lines)

    __str__ = __repr__
