"""Calling the learner's functions: what they return, raise, call and change, as plain data.

A check asks ``student.call("softmax", Z)``; the student object runs the learner's function and either returns
its answer, converted to plain data (NumPy arrays of the base class, numbers, tuples, lists, dicts), or stops the
check with what went wrong (not implemented, an error raised, an argument changed in place, a call to the package
function the question asks the learner to write). Two kinds of student run the same checks:

- :class:`InProcess`, for the self-check in the learner's own notebook, calls the functions directly;
- :class:`mnistnn.grading.session.Sandboxed`, for grading, calls them in a sandboxed process of their own, through
  :func:`execute`, the same function this one uses, and receives the same plain data.

Only the learner's function definitions, imports and constants are kept (:func:`definitions`): grading never runs
the rest of a notebook, and the self-check rebuilds the functions the same way, so that it tests what grading tests.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import textwrap
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np

from .core import Code, Stop, error_text, short, what

PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)  # mnistnn/: calls made from here are the package's own


# --------------------------------------------------------------------------------------------- plain data


@dataclass(frozen=True)
class Unsupported:
    """What a learner's function returned that is not plain data (an object of its own class, a generator, ...)."""

    type: str
    text: str

    def __repr__(self) -> str:
        return f"{self.type} {self.text}"


@dataclass(frozen=True)
class Seeded:
    """A random generator to hand to the learner's function: ``np.random.default_rng(seed)``, made where it is called.

    Within one :func:`execute`, arguments with the same ``key`` are the same generator object (its state carries
    over from one call to the next, as in a training loop).
    """

    seed: int
    key: str = ""


@dataclass(frozen=True)
class Probe:
    """A function to hand to the learner's function (e.g. the f of numerical_gradient), made where it is called
    from :data:`PROBES` and these arrays."""

    name: str
    arrays: dict[str, Any] = field(default_factory=dict)


def _smooth(C: np.ndarray) -> Callable[[np.ndarray], float]:
    """f(V) = sum(sin(V) * C) + (sum V)^2 / 2, whose gradient is cos(V) * C + sum(V)."""
    return lambda V: float(np.sum(np.sin(V) * C) + 0.5 * np.sum(V) ** 2)


def _loss_of(**arrays: Any) -> Callable[[np.ndarray], float]:
    """The mean cross-entropy of a one-hidden-layer network as a function of one of its arrays."""
    from .activations import loss_of

    return loss_of(**arrays)


PROBES: dict[str, Callable[..., Callable]] = {"smooth": _smooth, "loss_of": _loss_of}


def plain(value: Any, depth: int = 0) -> Any:  # noqa: C901  one branch per kind of value
    """The value as plain data: a base-class ndarray copy, a Python or 0-d NumPy number, tuples, lists and dicts of
    those, ``...`` and None; anything else becomes :class:`Unsupported`. An ndarray subclass (whose comparisons
    could say anything) is a plain array here."""
    if depth > 20:
        return Unsupported("structure", "nested more than 20 levels deep")
    if value is None or value is Ellipsis or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, int) and not isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float) and not isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.generic):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            return Unsupported("array", f"of dtype {value.dtype}")
        return np.array(value, subok=False, copy=True)
    if isinstance(value, (tuple, list)):
        items = [plain(item, depth + 1) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {str(key): plain(item, depth + 1) for key, item in value.items() if isinstance(key, str)}
    if all(hasattr(value, attribute) for attribute in ("__array__", "shape", "dtype")):  # a JAX array, say
        return plain(np.asarray(value), depth + 1)
    return Unsupported(type(value).__name__, short(repr(value), 60) if _safe_repr(value) else "")


def _safe_repr(value: Any) -> bool:
    try:
        repr(value)
    except Exception:  # noqa: BLE001  a learner's object whose repr fails: describe it by its type only
        return False
    return True


def unfilled(value: Any) -> bool:
    """Still ``...`` (or None), or holding ``...`` or None: a prompt not filled in yet."""
    if value is Ellipsis or value is None:
        return True
    if isinstance(value, (tuple, list)):
        return any(item is Ellipsis or item is None for item in value)
    if isinstance(value, dict):
        return any(item is Ellipsis or item is None for item in value.values())
    return False


def _materialise(value: Any, generators: dict[str, np.random.Generator]) -> Any:
    """The argument the learner's function gets: copies of arrays, generators and probes made real."""
    if isinstance(value, Seeded):
        key = value.key or f"#{id(value)}"
        if key not in generators:
            generators[key] = np.random.default_rng(value.seed)
        return generators[key]
    if isinstance(value, Probe):
        return PROBES[value.name](**value.arrays)
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {key: _materialise(item, generators) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_materialise(item, generators) for item in value)
    return value


def _changed(before: Any, after: Any) -> str | None:
    """Which part of an argument the call changed in place ('', "['W1']", ...), or None."""
    if isinstance(before, np.ndarray):
        if not (isinstance(after, np.ndarray) and after.shape == before.shape):
            return ""
        if before.dtype.kind in "fc":  # restored after a perturbation: W + eps - eps may differ in the last bit
            scale = float(np.abs(before).max()) if before.size else 0.0
            unchanged = np.allclose(after, before, rtol=1e-12, atol=1e-12 * max(scale, 1.0), equal_nan=True)
        else:
            unchanged = np.array_equal(after, before)
        return None if unchanged else ""
    if isinstance(before, dict) and isinstance(after, dict):
        for key, item in before.items():
            inner = _changed(item, after.get(key))
            if inner is not None:
                return f"[{key!r}]{inner}"
    return None


# --------------------------------------------------------------------------------------------- calling


@dataclass
class Outcome:
    """What one call of a learner's function did, as plain data (what a sandboxed worker sends back)."""

    status: str  # "ok", "missing", "unfilled", "not_callable", "not_implemented", "raised"
    value: Any = None  # the answer (plain), when ok
    error: str = ""  # "TypeError: ...", when raised
    inside: list[str] = field(default_factory=list)  # the learner's functions the error passed through
    changed: list[str] = field(default_factory=list)  # arguments changed in place: "Z", "params['W1']"
    undefined_name: str = ""  # the name of a NameError


class Tracer:
    """Records, during calls, which of the learner's functions ran and which watched package functions the
    learner's code called directly (sys.setprofile: no function is replaced, whatever the notebook imported)."""

    def __init__(self, namespace: dict[str, Any], forbidden: Iterable[str]):
        self.names = {
            value.__code__: name
            for name, value in namespace.items()
            if callable(value)
            and hasattr(value, "__code__")
            and not getattr(value.__code__, "co_filename", "").startswith(PACKAGE_DIR)
        }
        self.forbidden = _resolve(forbidden)
        self.called: list[str] = []
        self.package: list[str] = []
        self._profile = sys.setprofile  # taken now, before the learner's code runs

    def __enter__(self) -> Self:
        self._previous = sys.getprofile()
        self._profile(self._event)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._profile(self._previous)

    def _event(self, frame: Any, event: str, arg: Any) -> None:
        if event != "call":
            return
        code = frame.f_code
        name = self.names.get(code)
        if name is not None:
            if name not in self.called:
                self.called.append(name)
            return
        qualified = self.forbidden.get(code)
        if qualified is not None:
            caller = frame.f_back
            if (
                caller is not None
                and not caller.f_code.co_filename.startswith(PACKAGE_DIR)
                and qualified not in self.package
            ):
                self.package.append(qualified)


def _resolve(names: Iterable[str]) -> dict[Any, str]:
    """{code object: "mnistnn.backward"} of the package functions named "module.function"."""
    codes = {}
    for qualified in names:
        module, _, function = qualified.rpartition(".")
        target = getattr(importlib.import_module(module), function, None)
        code = getattr(target, "__code__", None)
        if code is not None:
            codes[code] = "mnistnn." + function if module.startswith("mnistnn") else qualified
    return codes


def execute(namespace: dict[str, Any], requests: list[tuple[str, tuple, dict]], tracer: Tracer) -> list[Outcome]:
    """Call the learner's functions of ``namespace`` as requested: (name, args, kwargs) each, in order.

    Arguments are copies (Seeded and Probe made real, the same Seeded key the same generator); each outcome says
    what the call returned (plain data), raised or changed. Used in the learner's kernel by :class:`InProcess` and
    in the sandboxed worker by grading alike.
    """
    generators: dict[str, np.random.Generator] = {}
    outcomes = []
    for name, args, kwargs in requests:
        fn = namespace.get(name)
        if name not in namespace:
            outcomes.append(Outcome("missing"))
            continue
        if fn is Ellipsis or fn is None:
            outcomes.append(Outcome("unfilled"))
            continue
        if not callable(fn):
            outcomes.append(Outcome("not_callable", error=what(plain(fn))))
            continue
        own = tracer.forbidden.get(getattr(fn, "__code__", None))
        if own is not None and own not in tracer.package:  # `backward = mnistnn.backward`: the package's own
            tracer.package.append(own)
        given_args = [_materialise(value, generators) for value in args]
        given_kwargs = {key: _materialise(value, generators) for key, value in kwargs.items()}
        outcomes.append(_call(fn, args, kwargs, given_args, given_kwargs, tracer))
    return outcomes


def _call(fn: Callable, args: tuple, kwargs: dict, given_args: list, given_kwargs: dict, tracer: Tracer) -> Outcome:
    """One call: its outcome, with the arguments it changed."""
    try:
        with tracer:
            result = fn(*given_args, **given_kwargs)
    except NotImplementedError:
        return Outcome("not_implemented")
    except (Exception, SystemExit) as error:  # noqa: BLE001  whatever the learner's code raises is its answer
        inside = _traceback_names(error, tracer)
        undefined = error.name if isinstance(error, NameError) and error.name else ""
        return Outcome(
            "raised", error=error_text(type(error).__name__, str(error)), inside=inside, undefined_name=undefined
        )
    names = [f"argument {i + 1}" for i in range(len(args))] + list(kwargs)
    changed = []
    for label, before, after in zip(names, [*args, *kwargs.values()], [*given_args, *given_kwargs.values()]):
        part = _changed(before, after)
        if part is not None:
            changed.append(label + part)
    return Outcome("ok", value=plain(result), changed=changed)


def _traceback_names(error: BaseException, tracer: Tracer) -> list[str]:
    """The learner's functions an error passed through, innermost last."""
    names, tb = [], error.__traceback__
    while tb is not None:
        name = tracer.names.get(tb.tb_frame.f_code)
        if name is not None and name not in names:
            names.append(name)
        tb = tb.tb_next
    return names


# --------------------------------------------------------------------------------------------- the student


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
                f"your {name} changed {labels[0]} in place (e.g. with -=, += or [...] =); return new "
                "arrays and leave its arguments untouched",
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
        return outcomes, tracer.called, tracer.package

    def value(self, name: str) -> Any:
        if name not in self.values:
            raise Stop(Code.NOT_DEFINED, f"`{name}` is not defined yet: run the cell above (it stopped with an error?)")
        return plain(self.values[name])


def _parameters(fn: Any) -> list[str]:
    """The names of a function's positional parameters."""
    code = getattr(fn, "__code__", None)
    return list(code.co_varnames[: code.co_argcount]) if code is not None else []


# --------------------------------------------------------------------------------------------- definitions


def definitions(source: str) -> tuple[str, str | None]:
    """What grading keeps of one code cell: its imports, function and class definitions, and constants.

    Returns the kept code and, when the cell does not parse, the error (the cell is then dropped). IPython lines
    (``%magic``, ``!shell``) are left out. A constant is a name assigned a literal (``EPS = 1e-12``,
    ``SIZES = (784, 10)``) or a lambda; every other statement (training, printing, changing a module) is dropped.
    """
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError as error:
        return "", f"SyntaxError: {error.msg} (line {error.lineno})"
    kept = [node for node in tree.body if _kept(node)]
    return ast.unparse(ast.Module(body=kept, type_ignores=[])), None


def _kept(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is None or not all(isinstance(target, ast.Name) for target in targets):
            return False
        if isinstance(node.value, ast.Lambda):
            return True
        try:
            ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return False
        return True
    return False


def as_graded(live: dict[str, Any]) -> dict[str, Any]:
    """The notebook's namespace as grading will see it, rebuilt from the live one (the self-check's view).

    Kept: modules and what was imported (objects defined elsewhere), constants (literals), and the notebook's own
    functions and classes, defined again from their source code in the new namespace, so that a function using a
    variable some cell computed fails here as it will in grading. Whatever a cell changed in a module stays
    changed, as it is in the learner's kernel.
    """
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    own = []
    for name, value in live.items():
        if name.startswith("_") or name in ("In", "Out", "get_ipython", "exit", "quit"):
            continue
        if _is_literal(value):
            namespace[name] = value
        elif getattr(value, "__module__", None) == "__main__" and isinstance(value, type | types.FunctionType):
            own.append((name, value))
        elif isinstance(value, types.ModuleType) or callable(value) or isinstance(value, type):
            namespace[name] = value
    for name, value in own:
        try:
            source = textwrap.dedent(inspect.getsource(value))
            exec(compile(source, f"<notebook: {name}>", "exec"), namespace)  # noqa: S102  the learner's own code
        except Exception:  # noqa: BLE001  no source to read (made by exec), or it fails run again: as the kernel has it
            namespace[name] = value
    return namespace


def _is_literal(value: Any, depth: int = 0) -> bool:
    """A constant grading keeps: a number, string, bool or None, or a small tuple, list or dict of those."""
    if value is None or type(value) in (bool, int, float, complex, str, bytes):
        return True
    if depth < 3 and type(value) in (tuple, list, set, frozenset) and len(value) <= 1000:
        return all(_is_literal(item, depth + 1) for item in value)
    if depth < 3 and type(value) is dict and len(value) <= 1000:
        return all(_is_literal(key, depth + 1) and _is_literal(item, depth + 1) for key, item in value.items())
    return False


def rebuild(cells: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
    """A fresh namespace holding what grading keeps of these cells (in order), and a note per cell that failed."""
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    problems = []
    for index, source in enumerate(cells):
        code, error = definitions(source)
        if error:
            problems.append(f"cell {index + 1}: {error}")
            continue
        if not code.strip():
            continue
        try:
            exec(compile(code, f"<cell {index + 1}>", "exec"), namespace)  # noqa: S102  the learner's own definitions
        except (Exception, SystemExit) as error:  # noqa: BLE001  a cell that fails to define: go on, say which
            problems.append(f"cell {index + 1}: {error_text(type(error).__name__, str(error))}")
    return namespace, problems
