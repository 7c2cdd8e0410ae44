"""The learner's functions as a check sees them: answers, or a stop saying what went wrong.

A check asks ``student.call("softmax", Z)``; the student runs the learner's function (through
:func:`mnistnn.feedback.calls.execute`) and returns its answer, or stops the check with what went wrong: not
implemented, an error raised, an argument changed in place, a call to the package function the question asks the
learner to write. :class:`InProcess` calls the functions in this process (the self-check, the tests);
:class:`mnistnn.grading.session.Sandboxed` calls them in a sandboxed worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .calls import Outcome, Tracer, execute, plain, unfilled
from .compare import what
from .core import Code, Stop


class Student:
    """The learner's functions, as a check sees them. Subclasses say how a call reaches them (:meth:`_execute`)."""

    has_values = False  # whether named values of the notebook can be read (the self-check only)

    def __init__(self, parameter_names: dict[str, list[str]] | None = None):
        self.called: list[str] = []  # the learner's functions that ran during this check, in order
        self.parameters = parameter_names or {}

    def _execute(self, requests: list[tuple[str, tuple, dict]]) -> tuple[list[Outcome], list[str], list[str]]:
        """Run the requests; return their outcomes, the learner's functions called, and package calls."""
        raise NotImplementedError

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """The learner's ``name(*args, **kwargs)``, as plain data; stops the check on anything but an answer."""
        return self.calls([(name, args, kwargs)])[0]

    def calls(self, requests: list[tuple[str, tuple, dict]]) -> list[Any]:
        """Several calls in one go (a Seeded key shared across them is one generator): their answers."""
        outcomes, called, package = self._execute(requests)
        for name in called:
            if name not in self.called:
                self.called.append(name)
        answers = []
        for (name, args, kwargs), outcome in zip(requests, outcomes):
            answers.append(self._answer(name, outcome, args, kwargs))
        refused = [used for used in package if not used.startswith("mnistnn.")]
        if refused:
            raise Stop(
                Code.REFUSED,
                f"your {requests[0][0]} {refused[0]}: grading does not run code that starts processes or "
                "reaches into Python's machinery, so this question scores 0",
            )
        if package:
            first = requests[0][0]
            raise Stop(
                Code.USES_PACKAGE,
                f"your {first} calls {', '.join(package)}: this question asks you to write "
                "that yourself, so it scores 0 (the functions of mnistnn this lab lets you use are named at "
                "its top)",
            )
        return answers

    def _answer(self, name: str, outcome: Outcome, args: tuple, kwargs: dict) -> Any:
        if outcome.status == "missing":
            raise Stop(
                Code.NOT_DEFINED,
                f"`{name}` is not defined yet: run its cell (it stopped with an error?); "
                "grading keeps every function defined at the top level of a cell",
            )
        if outcome.status == "unfilled":
            raise Stop(Code.NOT_IMPLEMENTED, f"not implemented yet ({name} is still `...`: define the function)")
        if outcome.status == "not_callable":
            raise Stop(Code.NOT_A_FUNCTION, f"`{name}` should be a function, but it is {outcome.error}")
        if outcome.status == "not_implemented":
            raise Stop(Code.NOT_IMPLEMENTED, f"not implemented yet ({name} raises NotImplementedError: write its body)")
        if outcome.status == "timed_out":
            raise Stop(
                Code.TIMED_OUT,
                f"your {name} did not return within {outcome.error}: it was stopped (an "
                "endless loop?), so this question scores 0",
            )
        if outcome.status == "raised":
            self._raised(name, outcome, args, kwargs)
        if unfilled(outcome.value):
            raise Stop(
                Code.NOT_IMPLEMENTED,
                f"not implemented yet ({name} returns "
                f"{'...' if outcome.value is Ellipsis else 'None'}: replace the `...` with your code and "
                "end with `return`)",
            )
        if outcome.changed:
            labels = [self._label(name, changed) for changed in outcome.changed]
            code = (
                Code.PARAMS_CHANGED_IN_PLACE
                if any(label.startswith("params") for label in labels)
                else Code.CHANGED_IN_PLACE
            )
            raise Stop(
                code,
                f"your {name} changed {labels[0]} in place (e.g. with -=, += or [...] =) and left it changed; "
                "return new arrays, or, where you perturb an argument on purpose, put every entry back",
            )
        return outcome.value

    def _label(self, name: str, changed: str) -> str:
        """'argument 2[\\'W1\\']' as the learner named it: "params['W1']"."""
        head, _, rest = changed.partition("[")
        if head.startswith("argument "):
            index = int(head.split()[1]) - 1
            names = self.parameters.get(name, [])
            head = names[index] if index < len(names) else head
        return head + ("[" + rest if rest else "")

    def _raised(self, name: str, outcome: Outcome, args: tuple, kwargs: dict) -> None:
        shapes = ", ".join(what(value) for value in [*args, *kwargs.values()][:4])
        if outcome.undefined_name:
            raise Stop(
                Code.USES_NOTEBOOK_VARIABLE,
                f"your {name} uses `{outcome.undefined_name}`, which is not "
                "defined where it runs: grading keeps only your functions, imports and constants (not the "
                "variables a cell computes), so pass it in as an argument or compute it inside the function",
            )
        if outcome.error.startswith("Refused: "):
            raise Stop(Code.REFUSED, outcome.error.removeprefix("Refused: ") + ", so this question scores 0")
        inner = [other for other in outcome.inside if other != name]
        where = f" inside your {inner[-1]}" if inner else ""
        raise Stop(
            Code.RAISED,
            f"your {name} raised {outcome.error.split(':', 1)[0]}{where}: "
            f"{outcome.error.split(': ', 1)[-1]} (called with {shapes})",
        )

    def attempt(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """The learner's answer, or None when the call does not give one (nothing is blamed on it either)."""
        called = list(self.called)
        try:
            return self.call(name, *args, **kwargs)
        except Stop:
            return None
        finally:
            self.called = called

    def value(self, name: str) -> Any:
        """A value the notebook computed (the self-check only; grading recomputes every reported number)."""
        raise Stop(Code.NOT_DEFINED, f"`{name}` cannot be read here")


class InProcess(Student):
    """The learner's functions in this process: the self-check in the learner's kernel, and the tests.

    ``namespace``: the functions (usually rebuilt from the notebook's cells by :func:`rebuild`); ``values``: what the
    notebook computed, for the questions whose typed value the self-check also compares.
    """

    has_values = True

    def __init__(self, namespace: dict[str, Any], values: dict[str, Any] | None = None, forbidden: Iterable[str] = ()):
        self.namespace = namespace
        self.values = namespace if values is None else values
        self.forbidden = tuple(forbidden)
        super().__init__({name: _parameters(fn) for name, fn in namespace.items() if callable(fn)})

    @classmethod
    def of(cls, name: str, fn: Any) -> InProcess:
        """A student whose function ``name`` is fn, with the functions beside it where it was defined."""
        around = getattr(fn, "__globals__", None)
        namespace = {key: value for key, value in (around or {}).items() if callable(value)}
        return cls({**namespace, name: fn}, values={name: fn})

    def _execute(self, requests: list[tuple[str, tuple, dict]]) -> tuple[list[Outcome], list[str], list[str]]:
        tracer = Tracer(self.namespace, self.forbidden)
        outcomes = execute(self.namespace, requests, tracer)
        return outcomes, tracer.called, tracer.package + tracer.refused

    def value(self, name: str) -> Any:
        if name not in self.values:
            raise Stop(Code.NOT_DEFINED, f"`{name}` is not defined yet: run the cell above (it stopped with an error?)")
        return plain(self.values[name])


def _parameters(fn: Any) -> list[str]:
    """The names of a function's positional parameters."""
    code = getattr(fn, "__code__", None)
    return list(code.co_varnames[: code.co_argcount]) if code is not None else []
