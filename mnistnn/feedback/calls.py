"""Calling the learner's functions: what they return, raise, call and change, as plain data.

:func:`execute` runs requested calls in a namespace of the learner's functions: arguments are copies (random
generators and probe functions made where the call runs), answers come back as plain data (NumPy arrays of the
base class, numbers, tuples, lists, dicts), with what each call raised, changed in place, and called. The self-check
runs it in the learner's kernel, grading in a sandboxed worker: the two get the same plain data.
"""

from __future__ import annotations

import _thread
import builtins
import functools
import gc
import importlib
import os
import sys
import threading
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np

from .compare import error_text, short, what

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


def _cube() -> Callable[[np.ndarray], float]:
    """f(V) = sum(V^3): its central difference with step eps is exactly 3 V^2 + eps^2, so it shows the step used."""
    return lambda V: float(np.sum(V**3))


def _forward(**settings: Any) -> Callable:
    """A one-hidden-layer network's forward pass, (params, X) -> (A2, cache), for the learner's gradient check."""
    from .activations import forward_pass

    return forward_pass(**settings)


def _backward(**settings: Any) -> Callable:
    """That network's backward pass, right or with a known mistake, for the learner's gradient check."""
    from .activations import backward_pass

    return backward_pass(**settings)


def _read_only(array: np.ndarray) -> np.ndarray:
    """A copy of the array that cannot be written: a function that changes its argument in place raises."""
    copy = np.array(array, subok=False, copy=True)
    copy.setflags(write=False)
    return copy


PROBES: dict[str, Callable[..., Any]] = {
    "smooth": _smooth,
    "loss_of": _loss_of,
    "cube": _cube,
    "forward": _forward,
    "backward": _backward,
    "read_only": _read_only,
}


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
    """Records, during calls, which of the learner's functions ran and what they used that grading does not allow.

    With sys.setprofile and threading.setprofile (no function is replaced, whatever the notebook imported) it sees
    every Python call and every call of a builtin, in this thread and the threads started meanwhile, and records:

    - ``package``: calls, from outside mnistnn, of mnistnn code other than its public functions and the probes handed
      to the learner (``mnistnn.feedback``'s reference answers, ``mnistnn.original``, the grader), and of the public
      functions the question asks the learner to write (``forbidden``);
    - ``refused``: processes started, the profiler replaced, and builtins that reach into Python's machinery (exec,
      getattr, globals, a thread started without the threading module, ...) called from code that is not an
      installed module's.
    """

    def __init__(self, namespace: dict[str, Any], forbidden: Iterable[str]):
        self.names = {
            value.__code__: name
            for name, value in namespace.items()
            if callable(value)
            and hasattr(value, "__code__")
            and not getattr(value.__code__, "co_filename", "").startswith(PACKAGE_DIR)
        }
        self.forbidden = _resolve(forbidden)
        self.allowed = {code: name for code, name in _public_codes().items() if code not in self.forbidden}
        # (execute adds the code of the probes it hands to the learner's functions)
        self.called: list[str] = []
        self.package: list[str] = []
        self.refused: list[str] = []
        self._profile = sys.setprofile  # taken now, before the learner's code runs

    def __enter__(self) -> Self:
        self._previous = sys.getprofile(), threading._profile_hook
        threading.setprofile(self._event)  # threads started during the call are watched too
        self._profile(self._event)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._profile(self._previous[0])
        threading.setprofile(self._previous[1])

    def _event(self, frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            self._entered(frame)
        elif event == "c_call" and frame.f_code is not _EXIT:  # (__exit__ ends the profile with sys.setprofile)
            reason = ALWAYS_REFUSED.get(arg) or (UNTRUSTED_REFUSED.get(arg) if _untrusted(frame.f_code) else None)
            if reason and reason not in self.refused:
                self.refused.append(reason)

    def _entered(self, frame: Any) -> None:
        code = frame.f_code
        name = self.names.get(code)
        if name is not None:
            if name not in self.called:
                self.called.append(name)
            return
        if not code.co_filename.startswith(PACKAGE_DIR) or code in self.allowed:
            return
        caller = frame.f_back
        if caller is None or caller.f_code.co_filename.startswith(PACKAGE_DIR):
            return  # mnistnn calling its own code
        qualified = self.forbidden.get(code) or _qualified(code)
        if qualified not in self.package:
            self.package.append(qualified)


_EXIT = Tracer.__exit__.__code__


def _untrusted(code: Any) -> bool:
    """Code that is not an installed module's: the notebook's cells, or code made from a string."""
    filename = code.co_filename
    return not (filename.startswith(TRUSTED_DIRS) or filename.startswith("<frozen "))


def _qualified(code: Any) -> str:
    """mnistnn.feedback.lab03.log_p, from a code object of mnistnn's."""
    relative = Path(code.co_filename).resolve().relative_to(Path(PACKAGE_DIR).parent).with_suffix("")
    return ".".join(relative.parts).removesuffix(".__init__") + "." + code.co_qualname


@functools.cache
def _public_codes() -> dict[Any, str]:
    """{code: name} of what the learner may call in mnistnn: the public modules' functions and their classes'
    methods, and the stand-ins of the modules grading does not load."""
    from .definitions import MNISTNN_MODULES, Unavailable

    codes: dict[Any, str] = {}
    for module_name in MNISTNN_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if name.startswith("_"):
                continue
            for function in [value, *(vars(value).values() if isinstance(value, type) else ())]:
                function = getattr(function, "__func__", function)
                if isinstance(function, types.FunctionType) and function.__code__.co_filename.startswith(PACKAGE_DIR):
                    codes[function.__code__] = f"{module_name}.{name}"
    for method in vars(Unavailable).values():  # a module grading does not load: using it does nothing
        codes.update(dict.fromkeys(_codes_within(getattr(method, "__code__", None)), "a stand-in"))
    return codes


def _codes_within(code: Any) -> list[Any]:
    """A code object and the code objects of the functions and lambdas defined inside it."""
    if code is None:
        return []
    return [code, *(inner for const in code.co_consts if hasattr(const, "co_code") for inner in _codes_within(const))]


TRUSTED_DIRS = tuple(
    sorted(
        {
            path
            for path in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, PACKAGE_DIR)
            if path and path != "/"
        }
    )
)
# Builtins no graded call may use, from any code: threads and processes, and the profiler grading relies on.
ALWAYS_REFUSED = {
    function: reason
    for reason, functions in {
        "starts a process": tuple(
            getattr(os, name, None) for name in ("fork", "forkpty", "system", "posix_spawn", "posix_spawnp")
        ),
        "replaces the profiler grading uses": (sys.setprofile, sys.settrace),
    }.items()
    for function in functions
    if function is not None
}
# Builtins that reach into Python's machinery: refused when the notebook's own code (or code made from a string)
# calls them; NumPy's and the other installed modules' code may.
UNTRUSTED_REFUSED = {
    function: f"calls {function.__name__}"
    for function in (
        builtins.exec,
        builtins.eval,
        builtins.compile,
        builtins.getattr,
        builtins.setattr,
        builtins.delattr,
        builtins.globals,
        builtins.locals,
        builtins.vars,
        builtins.open,
        builtins.__import__,
        builtins.breakpoint,
        sys.getprofile,
        sys.gettrace,
        _thread.start_new_thread,
        sys._getframe,
        gc.get_objects,
        gc.get_referrers,
        gc.get_referents,
    )
}


def _resolve(names: Iterable[str]) -> dict[Any, str]:
    """{code object: "mnistnn.backward"} of the package functions named "module.function"."""
    codes = {}
    for qualified in names:
        module, _, function = qualified.rpartition(".")
        target = getattr(importlib.import_module(module), function, None)
        code = getattr(target, "__code__", None)
        if code is not None:
            top = getattr(importlib.import_module("mnistnn"), function, None)  # mnistnn.backward is model.backward
            codes[code] = f"mnistnn.{function}" if getattr(top, "__code__", None) is code else qualified
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
        for value in (*given_args, *given_kwargs.values()):  # a probe handed to the function may be called
            if isinstance(value, types.FunctionType):
                tracer.allowed.update(dict.fromkeys(_codes_within(value.__code__), "a probe"))
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
