"""Lab 06 · Going further: mini-batches, the momentum step, a training loop of your own, and Adam."""

from __future__ import annotations

import numpy as np

from .. import model
from .calls import Seeded
from .cases import problem
from .compare import close
from .core import Code, Mistake, Stop, check
from .lab04 import KEYS, judge_params
from .labs import LabSpec, Question, register

# ----------------------------------------------------------------------------------------------- minibatches


def _batches_in_order(m, batch_size, rng):
    return [np.arange(start, min(start + batch_size, m)) for start in range(0, m, batch_size)]


def _batches_drop_last(m, batch_size, rng):
    order = rng.permutation(m)
    return [order[start : start + batch_size] for start in range(0, m - batch_size + 1, batch_size)]


def _batches_with_replacement(m, batch_size, rng):
    return [rng.integers(0, m, size=min(batch_size, m - start)) for start in range(0, m, batch_size)]


def _batches_fixed_seed(m, batch_size, rng):
    order = np.random.default_rng(0).permutation(m)
    return [order[start : start + batch_size] for start in range(0, m, batch_size)]


MINIBATCHES = (
    Mistake(
        Code.NOT_SHUFFLED,
        "the batches are in order 0, 1, 2, ...: shuffle every epoch, with the rng argument",
        wrong=_batches_in_order,
        by_rule=True,
    ),
    Mistake(Code.LAST_BATCH_DROPPED, "", wrong=_batches_drop_last, by_rule=True),
    Mistake(Code.OVERLAP, "", wrong=_batches_with_replacement, by_rule=True),
    Mistake(
        Code.RNG_IGNORED,
        "draw the order from the rng argument: the same seed must give the same batches, another seed other batches",
        wrong=_batches_fixed_seed,
        by_rule=True,
    ),
)


def _indices(batches) -> list[np.ndarray]:
    if not isinstance(batches, list | tuple) or not batches:
        raise Stop(
            Code.WRONG_TYPE,
            f"minibatches returned {type(batches).__name__}; return a list of index arrays",
            section="sgd",
        )
    arrays = [np.asarray(batch) for batch in batches]
    if any(batch.ndim != 1 or batch.dtype.kind not in "iu" for batch in arrays):
        raise Stop(Code.WRONG_TYPE, "each batch must be a 1-D array of example indices", section="sgd")
    return arrays


@check(name="minibatches", section="sgd", mistakes=MINIBATCHES)
def check_minibatches(student, case):
    m, size = case.pick((103, 10), (50, 7))
    batches = _indices(student.call("minibatches", m, size, Seeded(0)))
    every, sizes = np.concatenate(batches), [batch.size for batch in batches]
    if every.size < m and np.unique(every).size == every.size and sizes[-1] == size:
        raise Stop(
            Code.LAST_BATCH_DROPPED,
            f"{m - every.size} examples are never used: keep the last, smaller batch",
            section="sgd",
        )
    if np.unique(every).size != every.size or every.size != m:
        raise Stop(
            Code.OVERLAP,
            f"every example must be in exactly one batch; got {every.size} indices, "
            f"{np.unique(every).size} distinct, for m = {m}",
            section="sgd",
        )
    if any(s != size for s in sizes[:-1]):
        raise Stop(
            Code.WRONG_SIZES, f"batch sizes {sizes}: all but the last must hold batch_size examples", section="sgd"
        )
    if np.array_equal(every, np.arange(m)):
        raise Stop.of(MINIBATCHES[0])
    again, other = student.calls([("minibatches", (m, size, Seeded(0)), {}), ("minibatches", (m, size, Seeded(1)), {})])
    if not np.array_equal(np.concatenate(_indices(again)), every) or np.array_equal(
        np.concatenate(_indices(other)), every
    ):
        raise Stop.of(MINIBATCHES[3])


# ----------------------------------------------------------------------------------------------- momentum


def momentum(params, grads, velocity, learning_rate, mu):
    """V <- mu V - learning_rate dW, then W <- W + V (the same path as V <- mu V + dW, W <- W - lr V)."""
    velocity = {key: mu * velocity[key] - learning_rate * grads[key] for key in params}
    return {key: params[key] + velocity[key] for key in params}, velocity


def _momentum_ignored(params, grads, velocity, learning_rate, mu):
    return momentum(params, grads, {key: np.zeros_like(value) for key, value in velocity.items()}, learning_rate, 0.0)


def _momentum_uphill(params, grads, velocity, learning_rate, mu):
    return momentum(params, {key: -value for key, value in grads.items()}, velocity, learning_rate, mu)


def _momentum_in_place(params, grads, velocity, learning_rate, mu):
    for key in params:
        velocity[key] *= mu
        velocity[key] -= learning_rate * grads[key]
        params[key] += velocity[key]
    return params, velocity


MOMENTUM = (
    Mistake(
        Code.MOMENTUM_IGNORED,
        "after several steps the params are those of plain SGD: the velocity must carry over from step to step",
        wrong=_momentum_ignored,
    ),
    Mistake(
        Code.GRADIENT_ASCENT, "the step goes uphill: the velocity moves against the gradient", wrong=_momentum_uphill
    ),
    Mistake(Code.PARAMS_CHANGED_IN_PLACE, "", wrong=_momentum_in_place, by_rule=True),
)


def _first_of(wrong):
    return lambda *args: wrong(*args)[0]


@check(name="momentum_step", section="sgd", mistakes=MOMENTUM)
def check_momentum_step(student, case):
    """Three steps from zero velocity, the learner's outputs fed back in, compared with the reference's path."""
    params, X, y, cache = problem(6, 5, 4, 7, case.rng(44))
    grads, rate, mu = model.backward(params, cache, X, y), case.pick(0.1, 0.2), case.pick(0.9, 0.8)
    rows = tuple(Mistake(row.code, row.message, row.section, _first_of(row.wrong), row.by_rule) for row in MOMENTUM)
    velocity = {key: np.zeros_like(value) for key, value in params.items()}
    got_params, got_velocity, expected = params, velocity, params
    for count in (1, 2, 3):
        result = student.call("momentum_step", got_params, grads, got_velocity, rate, mu)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise Stop(Code.WRONG_TYPE, f"momentum_step returned {type(result).__name__}; return (params, velocity)")
        expected, velocity = momentum(expected, grads, velocity, rate, mu)
        judge_params(
            result[0],
            expected,
            what_=f"params after step {count}",
            mistakes=rows,
            args=(got_params, grads, got_velocity, rate, mu),
            equation="V = momentum * V - learning_rate * dW, then W = W + V",
        )
        got_params, got_velocity = result


# ----------------------------------------------------------------------------------------------- a training loop


def train(params, X, y, batches_per_epoch, *, learning_rate, mu, lr_decay):
    """The reference loop over the given batches: forward, backward, the momentum step; the rate decays per epoch."""
    velocity = {key: np.zeros_like(value) for key, value in params.items()}
    for epoch, batches in enumerate(batches_per_epoch):
        rate = learning_rate * lr_decay**epoch
        for batch in batches:
            X_batch, y_batch = X[:, batch], y[batch]
            grads = model.backward(params, model.forward(params, X_batch)[1], X_batch, y_batch)
            params, velocity = momentum(params, grads, velocity, rate, mu)
    return params


@check(name="train_sgd", section="sgd", helpers=("minibatches", "momentum_step"))
def check_train_sgd(student, case):
    """The learner's loop, replayed: the batches come from the learner's own minibatches with the same generator."""
    params, X, y, _ = problem(6, 5, 4, case.pick(23, 17), case.rng(45))
    epochs, size, rate, mu, decay = case.pick((3, 5, 0.1, 0.9, 0.5), (2, 4, 0.2, 0.8, 0.7))
    rng = Seeded(7, key="loop")
    batches = student.calls([("minibatches", (X.shape[1], size, rng), {}) for _ in range(epochs)])
    batches = [_indices(epoch) for epoch in batches]
    got = student.call(
        "train_sgd",
        params,
        X,
        y,
        epochs=epochs,
        batch_size=size,
        learning_rate=rate,
        momentum=mu,
        lr_decay=decay,
        rng=Seeded(7, key="train"),
    )
    if isinstance(got, tuple) and got and isinstance(got[0], dict):
        got = got[0]
    expected = train(params, X, y, batches, learning_rate=rate, mu=mu, lr_decay=decay)
    constant = train(params, X, y, batches, learning_rate=rate, mu=mu, lr_decay=1.0)
    if (
        isinstance(got, dict)
        and set(got) == set(KEYS)
        and not all(close(got[k], expected[k]) for k in KEYS)
        and all(close(got[k], constant[k]) for k in KEYS)
    ):
        raise Stop(
            Code.LEARNING_RATE_NOT_DECAYED,
            "the learning rate stays the same: multiply it by lr_decay after "
            "every epoch (learning_rate * lr_decay ** epoch, epochs counted from 0)",
            section="sgd",
        )
    judge_params(
        got,
        expected,
        what_=f"the params after {epochs} epochs",
        rtol=1e-6,
        equation="each epoch: minibatches(m, batch_size, rng), then forward, backward and momentum_step "
        "for every batch",
    )


# ----------------------------------------------------------------------------------------------- Adam


def adam(params, grads, m, v, t, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8, *, mistake=None):
    """One Adam step (Kingma & Ba 2015): moving averages of the gradient and its square, bias-corrected."""
    m = {key: beta1 * m[key] + (1 - beta1) * grads[key] for key in params}
    v = {key: beta2 * v[key] + (1 - beta2) * grads[key] ** 2 for key in params}
    new = {}
    for key in params:
        m_hat, v_hat = m[key] / (1 - beta1**t), v[key] / (1 - beta2**t)
        if mistake == Code.NO_BIAS_CORRECTION:
            m_hat, v_hat = m[key], v[key]
        root = v_hat if mistake == Code.SQUARE_ROOT_MISSING else np.sqrt(v_hat)
        if mistake == Code.EPSILON_INSIDE:
            root = np.sqrt(v_hat + eps)
        new[key] = params[key] - learning_rate * m_hat / (root + (0 if mistake == Code.EPSILON_INSIDE else eps))
    return new, m, v


def _adam_with(mistake):
    def wrong(params, grads, m, v, t, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
        return adam(params, grads, m, v, t, learning_rate, beta1, beta2, eps, mistake=mistake)

    return wrong


ADAM = (
    Mistake(
        Code.NO_BIAS_CORRECTION,
        "the moving averages are not bias-corrected: divide m by 1 - beta1**t and v by "
        "1 - beta2**t (t counted from 1), or the first steps are far too small",
        wrong=_adam_with(Code.NO_BIAS_CORRECTION),
    ),
    Mistake(
        Code.SQUARE_ROOT_MISSING,
        "the step divides by v itself: divide by its square root, sqrt(v_hat) + eps",
        wrong=_adam_with(Code.SQUARE_ROOT_MISSING),
    ),
    Mistake(
        Code.EPSILON_INSIDE,
        "eps is inside the square root: the step is m_hat / (sqrt(v_hat) + eps)",
        wrong=_adam_with(Code.EPSILON_INSIDE),
    ),
)


@check(name="adam_step", section="sgd", mistakes=ADAM)
def check_adam_step(student, case):
    params, X, y, cache = problem(6, 5, 4, 7, case.rng(46))
    grads = model.backward(params, cache, X, y)
    rate, beta2 = case.pick(0.01, 0.02), case.variant.beta2
    zeros = {key: np.zeros_like(value) for key, value in params.items()}
    got_params, m, v = params, zeros, zeros
    expected = params
    expected_m, expected_v = zeros, zeros
    for t in (1, 2, 3):
        result = student.call("adam_step", got_params, grads, m, v, t, rate, 0.9, beta2)
        if not (isinstance(result, tuple) and len(result) == 3):
            raise Stop(Code.WRONG_TYPE, f"adam_step returned {type(result).__name__}; return params, m, v")
        args = (got_params, grads, m, v, t, rate, 0.9, beta2)
        expected, expected_m, expected_v = adam(expected, grads, expected_m, expected_v, t, rate, 0.9, beta2)
        rows = tuple(Mistake(row.code, row.message, row.section, _first_of(row.wrong)) for row in ADAM)
        judge_params(
            result[0],
            expected,
            what_=f"params after step t={t}",
            mistakes=rows,
            args=args,
            equation="m_hat / (sqrt(v_hat) + eps), with the bias corrections of step t",
        )
        got_params, m, v = result


LAB = register(
    LabSpec(
        name="lab06",
        title="Going further: mini-batch SGD with momentum",
        questions=(
            Question("q1", 1, "minibatches"),
            Question("q2", 2, "momentum_step"),
            Question("q3", 3, "train_sgd"),
            Question("q4", 2, title="derive: why momentum 0.9 is a 10x step"),
            Question("q5", 2, "adam_step"),
            Question("q6", 2, title="predict, then verify: momentum against a larger rate"),
        ),
        forbidden=(
            "mnistnn.train.sgd",
            "mnistnn.train.sgd_step",
            "mnistnn.train._sgd_step_in_place",
            "mnistnn.train.adam_step",
            "mnistnn.train._adam_step_in_place",
            "mnistnn.train.gradient_descent",
        ),
        allowed="forward, backward, init_params, load_dataset, predict, accuracy",
        parameters=("beta2",),
    )
)
