"""Calling the learner's functions: what they return, raise, call and change, as plain data.

:func:`execute` runs requested calls in a namespace of the learner's functions: arguments are copies (random
generators and probe functions made where the call runs), answers come back as plain data (NumPy arrays of the
base class, numbers, tuples, lists, dicts), with what each call raised, changed in place, and called. The self-check
runs it in the learner's kernel, grading in a sandboxed worker: the two get the same plain data.
"""

from __future__ import annotations

import importlib
import sys
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
