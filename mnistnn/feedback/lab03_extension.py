"""Lab 03b's extension: backpropagation through another hidden activation g, derived and gradient-checked.

The course's variant names g (tanh in the public version; sigmoid or leaky ReLU in others). The learner writes g
(``activation``) and, derived, its derivative (``activation_grad``): one question, checked together. Then
``backward_g``, notebook 03's backward with g' in place of ReLU', which the lab has the learner check with their own
``gradient_errors`` (question 2 of lab 03b).
"""

from __future__ import annotations

import numpy as np

from .. import model
from . import activations
from .cases import problem
from .compare import expect
from .core import Code, Mistake, check
from .lab03_gradients import (
    call_backward,
    judge_backward,
    keepdims_missing,
    n_classes_ignored,
    swapped_biases,
)
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
            what_="activation(Z)",
            args=(Z,),
            inputs=(Z,),
            rtol=1e-5,
            equation=case.variant.activation_text(),
        )


PUBLIC = Variant()


def _pair(variant):
    return activations.pair(variant.activation, variant.leaky_slope)


def _z_for_a(Z, variant):
    """g' written in terms of A = g(Z) (tanh: 1 - A^2, sigmoid: A (1 - A)), evaluated at Z instead of at A; leaky
    ReLU's g' in terms of A is its g' in terms of Z, so there it is no mistake."""
    if variant.activation == "tanh":
        return 1 - Z**2
    if variant.activation == "sigmoid":
        return Z * (1 - Z)
    return _pair(variant)[1](Z)


GRAD = (
    Mistake(
        Code.ACTIVATION_INSTEAD_OF_DERIVATIVE,
        "you return g(Z) itself, not its derivative g'(Z)",
        wrong=lambda Z, variant=PUBLIC: _pair(variant)[0](Z),
    ),
    Mistake(
        Code.GRAD_WRONG_ARRAY,
        "that is g' evaluated at g(Z), the activation A, where it must be taken at the pre-activation Z",
        wrong=lambda Z, variant=PUBLIC: _pair(variant)[1](_pair(variant)[0](Z)),
    ),
    Mistake(
        Code.Z_FOR_G,
        "that is g' written in terms of A = g(Z), but with Z put where A belongs: compute A = g(Z) first and use "
        "it, or write g' in terms of z itself",
        wrong=lambda Z, variant=PUBLIC: _z_for_a(Z, variant),
    ),
    Mistake(
        Code.DERIVATIVE_MISSING,
        "that is ReLU's derivative; derive g' for this lab's g",
        wrong=lambda Z, variant=PUBLIC: model.relu_grad(Z),
    ),
)


@check(name="activation_grad", section="backward", mistakes=GRAD)
def check_activation_grad(student, case):
    """g first (activation), then g' (activation_grad): the question asks for both."""
    check_activation.body(student, case)
    _, g_grad = _pair(case.variant)
    for Z in _points(case, case.rng(52)):
        expect(
            student.call("activation_grad", Z),
            g_grad(Z),
            what_="activation_grad(Z)",
            mistakes=GRAD,
            args=(Z,),
            kwargs={"variant": case.variant},
            inputs=(Z,),
            rtol=1e-5,
            equation=f"the derivative of {case.variant.activation_text()}",
        )


def _backward_taking(params, cache, X, y, derivative, mistake=None):
    """Notebook 03's backward with this derivative for ReLU's (and one of the mistakes every backward can make)."""
    Y = model.one_hot(y, 10 if mistake == Code.N_CLASSES_IGNORED else params["W2"].shape[0])
    dZ2 = (cache["A2"] - Y) / X.shape[1]
    dZ1 = (params["W2"].T @ dZ2) * derivative
    grads = {
        "W1": dZ1 @ X.T,
        "b1": dZ1.sum(axis=1, keepdims=True),
        "W2": dZ2 @ cache["A1"].T,
        "b2": dZ2.sum(axis=1, keepdims=True),
    }
    if mistake == Code.KEEPDIMS_MISSING:
        grads["b1"], grads["b2"] = grads["b1"].ravel(), grads["b2"].ravel()
    if mistake == Code.SWAPPED:
        grads["b1"], grads["b2"] = grads["b2"], grads["b1"]
    return grads


def _backward_g_with(mistake):
    def wrong(params, cache, X, y, variant=PUBLIC):
        return _backward_taking(params, cache, X, y, _pair(variant)[1](cache["Z1"]), mistake)

    return wrong


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
    swapped_biases(_backward_g_with(Code.SWAPPED)),
    keepdims_missing(_backward_g_with(Code.KEEPDIMS_MISSING)),
    n_classes_ignored(_backward_g_with(Code.N_CLASSES_IGNORED)),
)


@check(
    name="backward_g",
    section="backward",
    mistakes=BACKWARD_G,
    helpers=("one_hot", "output_gradient", "layer_backward", "activation", "activation_grad"),
)
def check_backward_g(student, case):
    name, slope = _variant(case)
    rng = case.rng(53)
    for shape in case.pick(((6, 5, 4, 7), (8, 8, 8, 8)), ((5, 7, 3, 9),)):
        params, X, y, _ = problem(*shape, rng)
        cache = activations.forward(params, X, name, slope)
        grads = call_backward(student, "backward_g", BACKWARD_G, params, cache, X, y)
        expected = activations.backward(params, cache, X, y, name, slope)
        wrong = lambda mistake: mistake.wrong(params, cache, X, y, variant=case.variant)  # noqa: B023, E731
        judge_backward(grads, expected, "backward_g", BACKWARD_G, wrong, "g'(Z1)")
