"""Lab 03's extension: backpropagation through another hidden activation g, derived and gradient-checked.

The course's variant names g (tanh in the public version; sigmoid or leaky ReLU in others). The learner writes g
(``activation``), derives and writes its derivative (``activation_grad``), then ``backward_g``, notebook 03's
backward with g' in place of ReLU', and checks it with their own numerical gradient.
"""

from __future__ import annotations

import numpy as np

from .. import model
from . import activations
from .cases import problem
from .compare import close, expect
from .core import Code, Mistake, Stop, check
from .lab03_gradients import KEYS, gradient_errors, judge_errors, judge_typed_errors
from .labs import Variant


def _variant(case):
    return case.variant.activation, case.variant.leaky_slope


def _points(case, rng):
    """Inputs that defeat partial answers: spread-out values, exact zeros (a kink), float32 and float64."""
    Z = rng.normal(0, 2, size=case.pick((4, 6), (5, 3)))
    Z[0, :2] = 0.0
    Z[1, 0] = -7.0
    return (Z, Z.astype(np.float32))


@check(name="activation", section="backward", mistakes=())
def check_activation(student, case):
    name, slope = _variant(case)
    g, _ = activations.pair(name, slope)
    for Z in _points(case, case.rng(51)):
        expect(
            student.call("activation", Z),
            g(Z),
            what_=f"g(Z) for g = {name}",
            args=(Z,),
            inputs=(Z,),
            rtol=1e-5,
            equation=case.variant.activation_text(),
        )


PUBLIC = Variant()


def _pair(variant):
    return activations.pair(variant.activation, variant.leaky_slope)


GRAD = (
    Mistake(
        Code.ACTIVATION_INSTEAD_OF_DERIVATIVE,
        "you return g(Z) itself, not its derivative g'(Z)",
        wrong=lambda Z, variant=PUBLIC: _pair(variant)[0](Z),
    ),
    Mistake(
        Code.GRAD_WRONG_ARRAY,
        "that is g' evaluated at g(Z), the activation A; take it at the pre-activation Z "
        "(or, for tanh and sigmoid, write it from A = g(Z) correctly: 1 - A**2, A * (1 - A))",
        wrong=lambda Z, variant=PUBLIC: _pair(variant)[1](_pair(variant)[0](Z)),
    ),
    Mistake(
        Code.DERIVATIVE_MISSING,
        "that is ReLU's derivative; derive g' for this lab's g",
        wrong=lambda Z, variant=PUBLIC: model.relu_grad(Z),
    ),
)


@check(name="activation_grad", section="backward", mistakes=GRAD)
def check_activation_grad(student, case):
    _, g_grad = _pair(case.variant)
    for Z in _points(case, case.rng(52)):
        expect(
            student.call("activation_grad", Z),
            g_grad(Z),
            what_=f"g'(Z) for g = {case.variant.activation}",
            mistakes=GRAD,
            args=(Z,),
            kwargs={"variant": case.variant},
            inputs=(Z,),
            rtol=1e-5,
            equation=f"the derivative of {case.variant.activation_text()}",
        )


def _backward_taking(params, cache, X, y, derivative):
    """Notebook 03's backward with this derivative for ReLU's."""
    dZ2 = (cache["A2"] - model.one_hot(y, params["W2"].shape[0])) / X.shape[1]
    dZ1 = (params["W2"].T @ dZ2) * derivative
    return {
        "W1": dZ1 @ X.T,
        "b1": dZ1.sum(axis=1, keepdims=True),
        "W2": dZ2 @ cache["A1"].T,
        "b2": dZ2.sum(axis=1, keepdims=True),
    }


BACKWARD_G = (
    Mistake(
        Code.DERIVATIVE_MISSING,
        "dZ1 still uses ReLU's derivative: with g as the hidden activation, dZ1 = dA1 * g'(Z1)",
        wrong=lambda params, cache, X, y, variant=PUBLIC: _backward_taking(
            params, cache, X, y, model.relu_grad(cache["Z1"])
        ),
    ),
    Mistake(
        Code.GRAD_WRONG_ARRAY,
        "g' is taken at A1 = g(Z1) instead of at the pre-activation Z1",
        wrong=lambda params, cache, X, y, variant=PUBLIC: _backward_taking(
            params, cache, X, y, _pair(variant)[1](cache["A1"])
        ),
    ),
)


@check(name="backward_g", section="backward", mistakes=BACKWARD_G, helpers=("activation_grad",))
def check_backward_g(student, case):
    name, slope = _variant(case)
    rng = case.rng(53)
    for shape in case.pick(((6, 5, 4, 7), (8, 8, 8, 8)), ((5, 7, 3, 9),)):
        params, X, y, _ = problem(*shape, rng)
        cache = activations.forward(params, X, name, slope)
        grads = student.call("backward_g", params, cache, X, y)
        if not isinstance(grads, dict) or set(grads) != set(KEYS):
            raise Stop(Code.WRONG_KEYS, "backward_g must return a dict with keys W1, b1, W2, b2 (dW1, db1, dW2, db2)")
        expected = activations.backward(params, cache, X, y, name, slope)
        if all(close(grads[key], expected[key]) for key in KEYS):
            continue
        for mistake in BACKWARD_G:
            wrong = mistake.wrong(params, cache, X, y, variant=case.variant)
            if all(close(grads[key], wrong[key], dtype="any") for key in KEYS):
                raise Stop.of(mistake)
        for key in ("W2", "b2", "W1", "b1"):
            expect(
                grads[key],
                expected[key],
                what_=f"grads[{key!r}] (d{key})",
                equation="dZ1 = (W2^T dZ2) * g'(Z1), then dW1 = dZ1 X^T and db1",
            )


@check(name="gradient_check_g", section="gradcheck", function=None, helpers=("backward_g", "numerical_gradient"))
def check_gradient_check_g(student, case):
    """Recomputed as for gradient_check, for the network with g: the learner's backward_g against the learner's
    numerical gradient of its loss; the typed `errors_g` must agree (self-check)."""
    name, slope = _variant(case)
    judge_errors(gradient_errors(student, "backward_g", case.rng(4), name, slope), "backward_g")
    judge_typed_errors(student, "errors_g", "backward_g")
