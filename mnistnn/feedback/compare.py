"""Comparing an answer with the right one: accepted forms, and what a wrong answer gets wrong, in one line."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .._checks import describe
from .core import Code, Mistake, Stop, short


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
