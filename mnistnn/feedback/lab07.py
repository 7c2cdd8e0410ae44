"""Lab 07 · The same network with automatic differentiation: the loss in JAX, jax.grad against your gradients.

JAX computes in float32 unless told otherwise: its answers are compared in float64 with a float32 tolerance.
"""

from __future__ import annotations

import numpy as np

from .. import model
from .cases import problem
from .compare import expect
from .core import Code, Mistake, Stop, check
from .lab04 import KEYS, judge_params, step
from .labs import LabSpec, Question, register

RTOL = 2e-4  # float32's precision, for sums of a few dozen terms


def _float(value):
    """A JAX or NumPy answer as float64 (JAX arrays arrive as NumPy arrays, in float32)."""
    return np.asarray(value, dtype=np.float64) if isinstance(value, np.ndarray) else value


def _loss_sum(params, X, y):
    A2 = model.forward(params, X)[0]
    return float(-np.log(A2[y, np.arange(y.size)]).sum())


def _loss_of_probabilities_wrong_axis(params, X, y):
    _, cache = model.forward(params, X)
    E = np.exp(cache["Z2"] - cache["Z2"].max(axis=1, keepdims=True))
    A2 = E / E.sum(axis=1, keepdims=True)
    return float(-np.log(A2[y, np.arange(y.size)]).mean())


LOSS = (
    Mistake(
        Code.MISSING_1_OVER_M, "the loss is summed over the examples: take their mean", section="loss", wrong=_loss_sum
    ),
    Mistake(
        Code.WRONG_AXIS,
        "softmax over the wrong axis: each column (one example) must sum to 1 (jax.numpy takes "
        "the same axis= arguments as NumPy)",
        section="softmax",
        wrong=_loss_of_probabilities_wrong_axis,
    ),
)


@check(name="loss_fn", section="keras", mistakes=LOSS)
def check_loss_fn(student, case):
    params, X, y, cache = problem(6, case.pick(5, 7), 4, case.pick(9, 12), case.rng(71))
    got = _float(student.call("loss_fn", params, X, y))
    expect(
        got,
        model.cross_entropy(cache["A2"], y),
        what_="loss_fn(params, X, y)",
        mistakes=LOSS,
        args=(params, X, y),
        rtol=RTOL,
        equation="the mean cross-entropy of forward(params, X) against y",
    )


@check(name="gradients", section="keras", helpers=("loss_fn",))
def check_gradients(student, case):
    """jax.grad of the learner's loss: the same numbers as the backward pass of notebook 03."""
    params, X, y, cache = problem(6, case.pick(5, 7), 4, case.pick(9, 12), case.rng(72))
    grads = student.call("gradients", params, X, y)
    if not isinstance(grads, dict) or set(grads) != set(KEYS):
        raise Stop(
            Code.WRONG_KEYS,
            "gradients must return a dict with keys W1, b1, W2, b2, as jax.grad of a function of the params dict does",
        )
    expected = model.backward(params, cache, X, y)
    for key in ("W2", "b2", "W1", "b1"):
        expect(
            _float(grads[key]),
            expected[key],
            what_=f"gradients(...)[{key!r}]",
            rtol=RTOL,
            dtype="any",
            equation="jax.grad(loss_fn)(params, X, y): make loss_fn's check pass first",
        )


@check(name="train_step", section="keras", helpers=("gradients", "loss_fn"))
def check_train_step(student, case):
    params, X, y, cache = problem(6, 5, 4, 10, case.rng(73))
    rate = case.pick(0.5, 0.3)
    got = student.call("train_step", params, X, y, rate)
    if isinstance(got, dict):
        got = {key: _float(value) for key, value in got.items()}
    judge_params(
        got,
        step(params, model.backward(params, cache, X, y), rate),
        what_="the params after one step",
        rtol=RTOL,
        equation="W - learning_rate * dW for every array, the gradients from jax.grad",
    )


LAB = register(
    LabSpec(
        name="lab07",
        title="Automatic differentiation with JAX",
        questions=(
            Question("q1", 2, "loss_fn"),
            Question("q2", 2, "gradients"),
            Question("q3", 2, "train_step"),
            Question("q4", 2, title="what jax.grad needs"),
            Question("q5", 2, title="predict, then verify: float32"),
        ),
        forbidden=(
            "mnistnn.model.backward",
            "mnistnn.model.cross_entropy",
            "mnistnn.model.forward",
            "mnistnn.gradcheck.numerical_gradient",
        ),
        allowed="init_params, load_dataset; and jax, jax.numpy",
    )
)
