"""mnistnn.feedback: right answers pass, and every classic mistake fails with the message that names it.

The mutation suite below is a list of wrong implementations, as students write them; each must fail
its check with the expected ``mistake`` and a message that says what is wrong and where to read.
"""

import inspect

import numpy as np
import pytest

import mnistnn
from mnistnn import feedback as fb

# --------------------------------------------------------------------------- right answers


def prepare_images(x):
    return x.reshape(x.shape[0], -1).T / 255


def split(x, y, *, val_size, rng):
    order = rng.permutation(len(y))
    x, y = x[order], y[order]
    return (x[val_size:], y[val_size:]), (x[:val_size], y[:val_size])


def relu(Z):
    return np.maximum(Z, 0)


def relu_grad(Z):
    return (Z > 0).astype(Z.dtype)


def softmax(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def forward(params, X):
    Z1 = params["W1"] @ X + params["b1"]
    A1 = relu(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    A2 = softmax(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def one_hot(y, n_classes=10):
    Y = np.zeros((n_classes, y.size))
    Y[y, np.arange(y.size)] = 1
    return Y


def cross_entropy(A2, y):
    return float(-np.log(A2[y, np.arange(y.size)]).mean())


def output_gradient(A2, Y):
    return (A2 - Y) / Y.shape[1]


def layer2_gradients(dZ2, A1):
    return dZ2 @ A1.T, dZ2.sum(axis=1, keepdims=True)


def hidden_gradient(params, cache, dZ2):
    return (params["W2"].T @ dZ2) * relu_grad(cache["Z1"])


def layer1_gradients(dZ1, X):
    return dZ1 @ X.T, dZ1.sum(axis=1, keepdims=True)


def backward(params, cache, X, y):
    dZ2 = output_gradient(cache["A2"], one_hot(y, params["W2"].shape[0]))
    dW2, db2 = layer2_gradients(dZ2, cache["A1"])
    dZ1 = hidden_gradient(params, cache, dZ2)
    dW1, db1 = layer1_gradients(dZ1, X)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def numerical_gradient(f, W, eps=1e-5):
    grad = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        old = W[index]
        W[index] = old + eps
        plus = f(W)
        W[index] = old - eps
        minus = f(W)
        W[index] = old
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def update_params(params, grads, learning_rate):
    return {key: params[key] - learning_rate * grads[key] for key in params}


def predict(A2):
    return A2.argmax(axis=0)


def gradient_descent(params, X, y, learning_rate, iterations):
    for _ in range(iterations):
        _, cache = mnistnn.forward(params, X)
        params = update_params(params, mnistnn.backward(params, cache, X, y), learning_rate)
    return params


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes=10):
    C = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(C, (y_true, y_pred), 1)
    return C


def precision_recall(C):
    return fb.precision_recall(C)


def minibatches(m, batch_size, rng):
    order = rng.permutation(m)
    return [order[start:start + batch_size] for start in range(0, m, batch_size)]


def momentum_step(params, grads, velocity, learning_rate, momentum):
    velocity = {key: momentum * velocity[key] - learning_rate * grads[key] for key in params}
    return {key: params[key] + velocity[key] for key in params}, velocity


def momentum_step_other_convention(params, grads, velocity, learning_rate, momentum):
    velocity = {key: momentum * velocity[key] + grads[key] for key in params}
    return {key: params[key] - learning_rate * velocity[key] for key in params}, velocity


RIGHT = [
    (fb.check_prepare_images, prepare_images), (fb.check_split, split), (fb.check_relu, relu),
    (fb.check_relu_grad, relu_grad), (fb.check_softmax, softmax), (fb.check_forward, forward),
    (fb.check_one_hot, one_hot), (fb.check_cross_entropy, cross_entropy),
    (fb.check_output_gradient, output_gradient), (fb.check_layer2_gradients, layer2_gradients),
    (fb.check_hidden_gradient, hidden_gradient), (fb.check_layer1_gradients, layer1_gradients),
    (fb.check_backward, backward), (fb.check_backward, mnistnn.backward),
    (fb.check_numerical_gradient, numerical_gradient), (fb.check_update_params, update_params),
    (fb.check_predict, predict), (fb.check_gradient_descent, gradient_descent), (fb.check_accuracy, accuracy),
    (fb.check_accuracy, mnistnn.accuracy), (fb.check_confusion_matrix, confusion_matrix),
    (fb.check_confusion_matrix, mnistnn.confusion_matrix), (fb.check_precision_recall, precision_recall),
    (fb.check_minibatches, minibatches), (fb.check_momentum_step, momentum_step),
    (fb.check_momentum_step, momentum_step_other_convention),
    (fb.check_relu, mnistnn.relu), (fb.check_relu_grad, mnistnn.relu_grad), (fb.check_softmax, mnistnn.softmax),
    (fb.check_forward, mnistnn.forward), (fb.check_one_hot, mnistnn.one_hot),
    (fb.check_cross_entropy, mnistnn.cross_entropy),
]


@pytest.mark.parametrize(("check", "fn"), RIGHT, ids=lambda v: getattr(v, "__name__", "?"))
def test_right_answer_passes(check, fn):
    result = check(fn)
    assert result.passed, result.message
    assert result.mistake is None and bool(result)
    assert repr(result).endswith("all checks passed.")


# ------------------------------------------------------------------------------ mutations

MUTANTS = {
    # lab 01
    "prepare: transposed": (fb.check_prepare_images, lambda x: x.reshape(x.shape[0], -1) / 255, "transposed"),
    "prepare: reshape without transpose": (fb.check_prepare_images, lambda x: x.reshape(784, x.shape[0]) / 255,
                                           "reshape_order"),
    "prepare: unscaled inputs": (fb.check_prepare_images, lambda x: x.reshape(x.shape[0], -1).T.astype(float),
                                 "unscaled"),
    "prepare: unscaled uint8": (fb.check_prepare_images, lambda x: x.reshape(x.shape[0], -1).T, "unscaled"),
    "prepare: integer division": (fb.check_prepare_images, lambda x: x.reshape(x.shape[0], -1).T // 255,
                                  "integer_division"),
    "prepare: divided by max": (fb.check_prepare_images, lambda x: x.reshape(x.shape[0], -1).T / x.max(),
                                "divided_by_max"),
    "prepare: float32": (fb.check_prepare_images, lambda x: (x.reshape(x.shape[0], -1).T / 255).astype(np.float32),
                         "wrong_dtype"),
    "prepare: input returned": (fb.check_prepare_images, lambda x: x, "returns_input"),
    "split: overlapping validation set": (
        fb.check_split, lambda x, y, *, val_size, rng: split(x, y, val_size=val_size, rng=rng)[:1] + (
            (lambda o: (x[o[:val_size]], y[o[:val_size]]))(np.argsort(np.zeros(len(y)), kind="stable")),), "overlap"),
    "split: overlap from sampling twice": (
        fb.check_split, lambda x, y, *, val_size, rng: (
            (x, y), (lambda o: (x[o], y[o]))(rng.choice(len(y), val_size, replace=False))), "wrong_sizes"),
    "split: labels shuffled apart": (
        fb.check_split, lambda x, y, *, val_size, rng: (
            lambda a, b: ((x[a][val_size:], y[b][val_size:]), (x[a][:val_size], y[b][:val_size])))(
                rng.permutation(len(y)), rng.permutation(len(y))), "labels_shuffled_apart"),
    "split: not shuffled": (fb.check_split, lambda x, y, *, val_size, rng: ((x[val_size:], y[val_size:]),
                                                                             (x[:val_size], y[:val_size])),
                            "not_shuffled"),
    "split: global np.random": (
        fb.check_split, lambda x, y, *, val_size, rng: split(x, y, val_size=val_size,
                                                             rng=np.random.default_rng()), "not_reproducible"),
    "split: fixed seed inside": (
        fb.check_split, lambda x, y, *, val_size, rng: split(x, y, val_size=val_size,
                                                             rng=np.random.default_rng(42)), "rng_ignored"),
    # lab 02
    "relu: identity": (fb.check_relu, lambda Z: Z, "returns_input"),
    "relu: derivative instead": (fb.check_relu, relu_grad, "derivative_instead"),
    "relu: minimum": (fb.check_relu, lambda Z: np.minimum(Z, 0), "min_instead_of_max"),
    "relu: in place": (fb.check_relu, lambda Z: (Z.__setitem__(Z < 0, 0), Z)[1], "changed_in_place"),
    "relu: zeros": (fb.check_relu, np.zeros_like, "zeros"),
    "relu_grad: wrong at 0": (fb.check_relu_grad, lambda Z: (Z >= 0).astype(Z.dtype), "relu_grad_wrong_at_zero"),
    "relu_grad: bool dtype": (fb.check_relu_grad, lambda Z: Z > 0, "wrong_dtype"),
    "relu_grad: relu instead": (fb.check_relu_grad, relu, "relu_instead_of_derivative"),
    "softmax: no max-shift": (fb.check_softmax, lambda Z: np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True),
                              "no_max_shift"),
    "softmax: wrong axis": (fb.check_softmax, lambda Z: softmax(Z.T).T, "wrong_axis"),
    "softmax: whole matrix": (fb.check_softmax, lambda Z: np.exp(Z) / np.exp(Z).sum(), "whole_matrix"),
    "softmax: global max shift": (fb.check_softmax, lambda Z: (lambda E: E / E.sum(axis=0, keepdims=True))(
        np.exp(Z - Z.max())), "global_max_shift"),
    "softmax: shift by row max": (fb.check_softmax, lambda Z: (lambda E: E / E.sum(axis=0, keepdims=True))(
        np.exp(Z - Z.max(axis=1, keepdims=True))), "shift_wrong_axis"),
    "softmax: not normalised": (fb.check_softmax, np.exp, "not_normalised"),
    "softmax: float64 for float32": (fb.check_softmax, lambda Z: softmax(Z.astype(np.float64)), "wrong_dtype"),
    "softmax: transposed": (fb.check_softmax, lambda Z: softmax(Z).T, "transposed"),
    "forward: no softmax": (fb.check_forward, lambda p, X: (lambda A2, c: (c["Z2"], c))(*forward(p, X)),
                            "softmax_missing"),
    "forward: no relu": (fb.check_forward, lambda p, X: (lambda Z1: (softmax(p["W2"] @ Z1 + p["b2"]), {}))(
        p["W1"] @ X + p["b1"]), "relu_missing"),
    "forward: no biases": (fb.check_forward, lambda p, X: forward({**p, "b1": 0 * p["b1"], "b2": 0 * p["b2"]}, X),
                           "bias_missing"),
    "forward: params changed in place": (fb.check_forward, lambda p, X: (p.__setitem__("b1", p["b1"] * 0), forward(
        p, X))[1], "params_changed_in_place"),
    "forward: cache incomplete": (fb.check_forward, lambda p, X: (forward(p, X)[0], {"A2": forward(p, X)[0]}),
                                  "cache_incomplete"),
    # lab 03
    "one_hot: sized by max": (fb.check_one_hot, lambda y, n_classes=10: one_hot(y, y.max() + 1), "sized_by_max"),
    "one_hot: transposed": (fb.check_one_hot, lambda y, n_classes=10: one_hot(y, n_classes).T, "transposed"),
    "one_hot: int dtype": (fb.check_one_hot, lambda y, n_classes=10: one_hot(y, n_classes).astype(int),
                           "wrong_dtype"),
    "cross_entropy: 1/m missing": (fb.check_cross_entropy, lambda A2, y: -np.log(A2[y, np.arange(y.size)]).sum(),
                                   "missing_1_over_m"),
    "cross_entropy: 1/m twice": (fb.check_cross_entropy, lambda A2, y: cross_entropy(A2, y) / y.size,
                                 "one_over_m_twice"),
    "cross_entropy: mean over all entries": (fb.check_cross_entropy, lambda A2, y: -np.mean(
        one_hot(y, A2.shape[0]) * np.log(A2)), "mean_over_all_entries"),
    "cross_entropy: labels for one-hot": (fb.check_cross_entropy, lambda A2, y: -np.sum(y * np.log(A2)) / y.size,
                                          "labels_as_one_hot"),
    "cross_entropy: sign": (fb.check_cross_entropy, lambda A2, y: -cross_entropy(A2, y), "sign"),
    "cross_entropy: per-example array": (fb.check_cross_entropy, lambda A2, y: -np.log(A2[y, np.arange(y.size)]),
                                         "not_a_number"),
    "dZ2: 1/m missing": (fb.check_output_gradient, lambda A2, Y: A2 - Y, "missing_1_over_m"),
    "dZ2: sign": (fb.check_output_gradient, lambda A2, Y: (Y - A2) / Y.shape[1], "sign"),
    "dZ2: zeros": (fb.check_output_gradient, lambda A2, Y: np.zeros_like(A2), "zeros"),
    "db2: np.sum(dZ2) scalar": (fb.check_layer2_gradients, lambda dZ2, A1: (dZ2 @ A1.T, np.sum(dZ2)),
                                "scalar_bias_gradient"),
    "db2: wrong axis": (fb.check_layer2_gradients, lambda dZ2, A1: (dZ2 @ A1.T, dZ2.sum(axis=0, keepdims=True)),
                        "bias_wrong_axis"),
    "db2: keepdims missing": (fb.check_layer2_gradients, lambda dZ2, A1: (dZ2 @ A1.T, dZ2.sum(axis=1)),
                              "keepdims_missing"),
    "dW2: 1/m twice": (fb.check_layer2_gradients, lambda dZ2, A1: (dZ2 @ A1.T / A1.shape[1], dZ2.sum(
        axis=1, keepdims=True)), "one_over_m_twice"),
    "dW2: transposed": (fb.check_layer2_gradients, lambda dZ2, A1: (A1 @ dZ2.T, dZ2.sum(axis=1, keepdims=True)),
                        "transposed"),
    "dZ1: relu_grad of Z2": (fb.check_hidden_gradient, lambda p, c, dZ2: (p["W2"].T @ dZ2) * relu_grad(c["Z2"]),
                             "relu_grad_wrong_array"),
    "dZ1: relu instead of derivative": (fb.check_hidden_gradient, lambda p, c, dZ2: (p["W2"].T @ dZ2) * relu(
        c["Z1"]), "relu_instead_of_derivative"),
    "dZ1: derivative wrong at 0": (fb.check_hidden_gradient, lambda p, c, dZ2: (p["W2"].T @ dZ2) * (c["Z1"] >= 0),
                                   "relu_grad_wrong_at_zero"),
    "dZ1: derivative missing": (fb.check_hidden_gradient, lambda p, c, dZ2: p["W2"].T @ dZ2,
                                "relu_derivative_missing"),
    "dZ1: W2 not transposed": (fb.check_hidden_gradient, lambda p, c, dZ2: (p["W2"] @ dZ2) * relu_grad(c["Z1"]),
                               "W2_not_transposed"),
    "dW1: X instead of X.T": (fb.check_layer1_gradients, lambda dZ1, X: (dZ1 @ X, dZ1.sum(axis=1, keepdims=True)),
                              "X_instead_of_X_T"),
    "db1: np.sum(dZ1) scalar": (fb.check_layer1_gradients, lambda dZ1, X: (dZ1 @ X.T, np.sum(dZ1)),
                                "scalar_bias_gradient"),
    "dW1: 1/m twice": (fb.check_layer1_gradients, lambda dZ1, X: (dZ1 @ X.T / X.shape[1], dZ1.sum(
        axis=1, keepdims=True) / X.shape[1]), "one_over_m_twice"),
    "backward: original np.sum bias": (fb.check_backward, lambda p, c, X, y: {
        **mnistnn.backward(p, c, X, y), "b1": float(np.sum(mnistnn.backward(p, c, X, y)["b1"])),
        "b2": float(np.sum(mnistnn.backward(p, c, X, y)["b2"]))}, "scalar_bias_gradient"),
    "backward: labels for one-hot": (fb.check_backward, lambda p, c, X, y: (
        lambda dZ2: (lambda dZ1: {"W1": dZ1 @ X.T, "b1": dZ1.sum(axis=1, keepdims=True), "W2": dZ2 @ c["A1"].T,
                                  "b2": dZ2.sum(axis=1, keepdims=True)})(
            (p["W2"].T @ dZ2) * relu_grad(c["Z1"])))((c["A2"] - y) / y.size), "labels_as_one_hot"),
    "backward: relu_grad of Z2": (fb.check_backward, lambda p, c, X, y: (
        lambda dZ2: (lambda dZ1: {"W1": dZ1 @ X.T, "b1": dZ1.sum(axis=1, keepdims=True), "W2": dZ2 @ c["A1"].T,
                                  "b2": dZ2.sum(axis=1, keepdims=True)})(
            (p["W2"].T @ dZ2) * relu_grad(c["Z2"])))((c["A2"] - one_hot(y)) / y.size), "relu_grad_wrong_array"),
    "backward: 1/m missing": (fb.check_backward, lambda p, c, X, y: {
        key: value * y.size for key, value in mnistnn.backward(p, c, X, y).items()}, "missing_1_over_m"),
    "backward: derivative wrong at 0": (fb.check_backward, lambda p, c, X, y: (
        lambda dZ2: (lambda dZ1: {"W1": dZ1 @ X.T, "b1": dZ1.sum(axis=1, keepdims=True), "W2": dZ2 @ c["A1"].T,
                                  "b2": dZ2.sum(axis=1, keepdims=True)})(
            (p["W2"].T @ dZ2) * (c["Z1"] >= 0)))((c["A2"] - one_hot(y, p["W2"].shape[0])) / y.size),
        "relu_grad_wrong_at_zero"),
    "backward: cache changed in place": (fb.check_backward, lambda p, c, X, y: (
        c["A2"].__isub__(one_hot(y, p["W2"].shape[0])), mnistnn.backward(p, c, X, y))[1], "changed_in_place"),
    "backward: not implemented": (fb.check_backward, lambda p, c, X, y: ..., "not_implemented"),
    "numerical gradient: one-sided": (fb.check_numerical_gradient, lambda f, W, eps=1e-5: np.array(
        [(f(W + eps * np.eye(W.size)[i].reshape(W.shape)) - f(W)) / eps for i in range(W.size)]).reshape(W.shape),
        "one_sided"),
    "numerical gradient: eps not 2 eps": (fb.check_numerical_gradient, lambda f, W, eps=1e-5: 2 * numerical_gradient(
        f, W, eps), "missing_2"),
    "numerical gradient: W not restored": (fb.check_numerical_gradient, lambda f, W, eps=1e-5: (
        numerical_gradient(f, W, eps), W.__iadd__(eps))[0], "changed_in_place"),
    # lab 04
    "update: params changed in place": (fb.check_update_params, lambda p, g, lr: (
        [p[key].__isub__(lr * g[key]) for key in p], p)[1], "params_changed_in_place"),
    "update: gradient ascent": (fb.check_update_params, lambda p, g, lr: {k: p[k] + lr * g[k] for k in p},
                                "gradient_ascent"),
    "update: learning rate ignored": (fb.check_update_params, lambda p, g, lr: {k: p[k] - g[k] for k in p},
                                      "learning_rate_ignored"),
    "update: biases not updated": (fb.check_update_params, lambda p, g, lr: {
        k: p[k] - lr * g[k] if k.startswith("W") else p[k] for k in p}, "biases_not_updated"),
    "predict: argmax over the wrong axis": (fb.check_predict, lambda A2: A2.argmax(axis=1), "argmax_wrong_axis"),
    "predict: argmax without axis": (fb.check_predict, lambda A2: A2.argmax(), "argmax_no_axis"),
    "predict: max not argmax": (fb.check_predict, lambda A2: A2.max(axis=0), "max_not_argmax"),
    "gradient descent: one iteration short": (fb.check_gradient_descent, lambda p, X, y, lr, it: gradient_descent(
        p, X, y, lr, it - 1), "iteration_count"),
    "gradient descent: no learning": (fb.check_gradient_descent, lambda p, X, y, lr, it: p, "no_learning"),
    "gradient descent: params changed in place": (fb.check_gradient_descent, lambda p, X, y, lr, it: (
        lambda q: ([p[k].__setitem__(..., q[k]) for k in p], q)[1])(gradient_descent(p, X, y, lr, it)),
        "params_changed_in_place"),
    # lab 05
    "accuracy: count": (fb.check_accuracy, lambda t, p: int((t == p).sum()), "count_not_fraction"),
    "accuracy: percentage": (fb.check_accuracy, lambda t, p: 100 * float((t == p).mean()), "percentage"),
    "accuracy: error rate": (fb.check_accuracy, lambda t, p: float((t != p).mean()), "error_rate"),
    "confusion: transposed": (fb.check_confusion_matrix, lambda t, p, n_classes=10: confusion_matrix(p, t, n_classes),
                              "transposed"),
    "confusion: sized by max": (fb.check_confusion_matrix, lambda t, p, n_classes=10: confusion_matrix(
        t, p, max(t.max(), p.max()) + 1), "sized_by_max"),
    "confusion: float counts": (fb.check_confusion_matrix, lambda t, p, n_classes=10: confusion_matrix(
        t, p, n_classes).astype(float), "wrong_dtype"),
    "precision/recall swapped": (fb.check_precision_recall, lambda C: fb.precision_recall(C)[::-1], "swapped"),
    "precision: nan for a class never predicted": (fb.check_precision_recall, lambda C: (
        np.diag(C) / C.sum(axis=0), np.diag(C) / C.sum(axis=1)), "nan_for_empty_class"),
    # lab 06
    "minibatches: last batch dropped": (fb.check_minibatches, lambda m, b, rng: minibatches(m, b, rng)[:-1],
                                        "last_batch_dropped"),
    "minibatches: not shuffled": (fb.check_minibatches, lambda m, b, rng: minibatches(m, b, rng=np.random.default_rng(
        0)) and [np.arange(s, min(s + b, m)) for s in range(0, m, b)], "not_shuffled"),
    "minibatches: sampled with replacement": (fb.check_minibatches, lambda m, b, rng: [
        rng.integers(0, m, size=min(b, m - s)) for s in range(0, m, b)], "overlap"),
    "minibatches: rng ignored": (fb.check_minibatches, lambda m, b, rng: minibatches(m, b, np.random.default_rng(7)),
                                 "rng_ignored"),
    "momentum: ignored": (fb.check_momentum_step, lambda p, g, v, lr, mu: (update_params(p, g, lr), v),
                          "momentum_ignored"),
    "momentum: params changed in place": (fb.check_momentum_step, lambda p, g, v, lr, mu: (
        lambda new: ([p[k].__setitem__(..., new[0][k]) for k in p], new)[1])(momentum_step(p, g, v, lr, mu)),
        "params_changed_in_place"),
    "momentum: uphill": (fb.check_momentum_step, lambda p, g, v, lr, mu: momentum_step(
        p, {k: -value for k, value in g.items()}, v, lr, mu), "gradient_ascent"),
}


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_fails_with_its_mistake(name):
    check, fn, mistake = MUTANTS[name]
    result = check(fn)
    assert not result.passed, f"{name} was accepted"
    assert result.mistake == mistake, result.message
    message = result.message
    assert "\n" not in message and "Traceback" not in message
    assert len(message) < 400
    if mistake not in ("not_implemented",):
        assert "Re-read notebook 0" in message, message


def test_mutation_suite_is_large():
    assert len(MUTANTS) >= 25
    assert len({mistake for _, _, mistake in MUTANTS.values()}) >= 25


def _ellipsis_body(*args, **kwargs):
    ...


def _raises_not_implemented(*args, **kwargs):
    raise NotImplementedError


UNFILLED_CHECKS = [fb.check_prepare_images, fb.check_split, fb.check_relu, fb.check_relu_grad, fb.check_softmax,
                   fb.check_forward, fb.check_one_hot, fb.check_cross_entropy, fb.check_output_gradient,
                   fb.check_layer2_gradients, fb.check_hidden_gradient, fb.check_layer1_gradients, fb.check_backward,
                   fb.check_numerical_gradient, fb.check_update_params, fb.check_predict, fb.check_gradient_descent,
                   fb.check_accuracy, fb.check_confusion_matrix, fb.check_precision_recall, fb.check_minibatches,
                   fb.check_momentum_step]


@pytest.mark.parametrize("check", UNFILLED_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("unfilled", [_ellipsis_body, _raises_not_implemented, lambda *a, **k: ..., ...],
                         ids=["body ...", "NotImplementedError", "returns Ellipsis", "name = ..."])
def test_unfilled_reads_not_implemented(check, unfilled):
    result = check(unfilled)
    assert result.mistake == "not_implemented"
    assert "not implemented yet" in result.message


@pytest.mark.parametrize("check", UNFILLED_CHECKS, ids=lambda c: c.__name__)
def test_an_error_in_the_learners_code_is_one_line(check):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    result = check(broken)
    assert result.mistake == "raised"
    assert result.message.count("\n") == 0 and "ZeroDivisionError: division by zero" in result.message


# One number, or a 1-D array, is its own transpose; a float32 loss is a fine loss.
TRIVIAL = [(check, trivial) for check in (fb.check_relu, fb.check_softmax, fb.check_one_hot, fb.check_forward,
                                          fb.check_backward, fb.check_cross_entropy, fb.check_predict)
           for trivial in ("zeros", "input", "transposed", "float32")
           if not (check is fb.check_cross_entropy and trivial in ("transposed", "float32"))
           and not (check is fb.check_predict and trivial == "transposed")]


@pytest.mark.parametrize(("check", "trivial"), TRIVIAL, ids=lambda v: getattr(v, "__name__", v))
def test_no_check_accepts_a_trivially_wrong_answer(check, trivial):
    reference = {fb.check_relu: mnistnn.relu, fb.check_softmax: mnistnn.softmax, fb.check_one_hot: mnistnn.one_hot,
                 fb.check_forward: mnistnn.forward, fb.check_backward: mnistnn.backward,
                 fb.check_cross_entropy: mnistnn.cross_entropy, fb.check_predict: predict}[check]

    def mangle(value):
        if isinstance(value, dict):
            return {key: mangle(v) for key, v in value.items()}
        if isinstance(value, tuple):
            return tuple(mangle(v) for v in value)
        value = np.asarray(value)
        return {"zeros": np.zeros_like, "input": lambda v: v, "transposed": lambda v: v.T,
                "float32": lambda v: v.astype(np.float32)}[trivial](value)

    def wrong(*args, **kwargs):
        if trivial == "input":
            return args[0]
        return mangle(reference(*args, **kwargs))

    result = check(wrong)
    assert not result.passed, result.message


def test_checker_errors_are_one_line(monkeypatch):
    monkeypatch.setattr(fb, "softmax", None)
    result = fb.check_softmax(softmax)
    assert result.mistake == "checker_error"
    assert "\n" not in result.message


def test_check_dataset_finds_overlap_and_unscaled(mnist):
    (x, y), _ = mnist
    X = mnistnn.scale_pixels(mnistnn.flatten_images(x[:600]))
    yy = y[:600].astype(np.int64)
    assert fb.check_dataset(X[:, 100:], yy[100:], X[:, :100], yy[:100], n_train=500, n_val=100).passed
    overlap = fb.check_dataset(X[:, 100:], yy[100:], X[:, 50:150], yy[50:150], n_train=500, n_val=100)
    assert overlap.mistake == "overlap" and "50 validation images" in overlap.message
    unscaled = fb.check_dataset(X[:, 100:] * 255, yy[100:], X[:, :100], yy[:100], n_train=500, n_val=100)
    assert unscaled.mistake == "unscaled"
    assert fb.check_dataset(X[:, 100:].T, yy[100:], X[:, :100], yy[:100], n_train=500,
                            n_val=100).mistake == "transposed"
    assert fb.check_dataset(..., yy, X, yy).mistake == "not_implemented"


def test_check_score_and_gradient_errors():
    assert fb.check_score("accuracy", 0.9, at_least=0.85).passed
    assert fb.check_score("accuracy", 0.8, at_least=0.85).mistake == "too_low"
    assert fb.check_score("accuracy", 85.0, at_least=0.85).mistake == "percentage"
    assert fb.check_score("accuracy", ..., at_least=0.85).mistake == "not_implemented"
    assert fb.check_gradient_errors({"W1": 1e-9, "b1": 1e-10, "W2": 0.0, "b2": 2e-9}).passed
    assert fb.check_gradient_errors({"W1": 1e-9, "b1": 0.3, "W2": 0.0, "b2": 2e-9}).mistake == "gradient_check_fails"


def test_precision_recall_reference():
    C = np.array([[3, 1], [0, 0]])
    precision, recall = fb.precision_recall(C)
    np.testing.assert_allclose(precision, [1.0, 0.0])
    np.testing.assert_allclose(recall, [0.75, 0.0])


def test_module_docstring_example_runs():
    import doctest

    failures, tried = doctest.testmod(fb)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize("topic", sorted(fb.SECTIONS))
def test_every_section_named_in_feedback_exists(topic):
    """The feedback sends students to 'notebook NN, section K 'Title'': that heading must exist."""
    import re
    from pathlib import Path

    import nbformat

    number, section, title = re.fullmatch(r"notebook (\d\d), section (\d+) '(.+)'", fb.SECTIONS[topic]).groups()
    (path,) = (Path(__file__).resolve().parent.parent / "notebooks").glob(f"{number}_*.ipynb")
    headings = [line for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"
                for line in cell.source.splitlines() if line.startswith("## ")]
    assert f"## {section}. {title}" in headings, f"{path.name} has no heading '## {section}. {title}': {headings}"


# ------------------------------------------------------- a student's run through labs 02 and 03


def _defined_with(source, **names):
    """A function defined, as in a notebook, in a namespace of its own holding ``names`` (the learner's others)."""
    namespace = {"np": np, "mnistnn": mnistnn, **names}
    exec(source, namespace)
    (name,) = (key for key in namespace if key not in names and key not in ("np", "mnistnn", "__builtins__"))
    return namespace[name]


FORWARD_SOURCE = inspect.getsource(forward)      # the correct functions at the top of this file
HIDDEN_SOURCE = inspect.getsource(hidden_gradient)
BACKWARD_SOURCE = inspect.getsource(backward)
HELPERS = {"relu": relu, "softmax": softmax, "relu_grad": relu_grad, "one_hot": one_hot,
           "output_gradient": output_gradient, "layer2_gradients": layer2_gradients,
           "hidden_gradient": hidden_gradient, "layer1_gradients": layer1_gradients}


def _backward_with(**changed):
    return _defined_with(BACKWARD_SOURCE, **{**HELPERS, **changed})


def _inline_backward(dZ2_of, db1_of=lambda dZ1: dZ1.sum(axis=1, keepdims=True), keys=("W1", "b1", "W2", "b2")):
    """A backward written in one piece: dZ2 = dZ2_of(A2, y, Y, m), the rest right unless db1_of says."""
    def backward_fn(params, cache, X, y):
        Y = one_hot(y, params["W2"].shape[0])
        dZ2 = dZ2_of(cache["A2"], y, Y, y.size)
        dZ1 = (params["W2"].T @ dZ2) * relu_grad(cache["Z1"])
        values = (dZ1 @ X.T, db1_of(dZ1), dZ2 @ cache["A1"].T, dZ2.sum(axis=1, keepdims=True))
        return dict(zip(keys, values))
    return backward_fn


STUDENT_MUTANTS = {
    # 5. relu_grad is explained with the backward pass
    "relu_grad: wrong at 0 (section)": (fb.check_relu_grad, lambda Z: (Z >= 0).astype(Z.dtype),
                                        "relu_grad_wrong_at_zero", "notebook 03, section 3"),
    # 6. an earlier function's bug is sent back to it
    "forward: relu unfilled": (fb.check_forward, _defined_with(FORWARD_SOURCE, relu=lambda Z: None, softmax=softmax),
                               "earlier_function_fails", "come from your relu above, make its check pass first"),
    "forward: softmax raises": (fb.check_forward, _defined_with(FORWARD_SOURCE, relu=relu, softmax=lambda Z: (
        lambda E: E / E.sum(axis=2))(np.exp(Z))), "earlier_function_fails", "come from your softmax above"),
    "forward: relu wrong": (fb.check_forward, _defined_with(FORWARD_SOURCE, relu=lambda Z: np.minimum(Z, 0),
                                                           softmax=softmax), "earlier_function_fails",
                            "come from your relu above, make its check pass first"),
    "hidden_gradient: relu_grad unfilled": (fb.check_hidden_gradient, _defined_with(
        HIDDEN_SOURCE, relu_grad=lambda Z: None), "earlier_function_fails", "come from your relu_grad above"),
    "hidden_gradient: relu_grad wrong at 0": (fb.check_hidden_gradient, _defined_with(
        HIDDEN_SOURCE, relu_grad=lambda Z: (Z >= 0).astype(Z.dtype)), "earlier_function_fails",
        "come from your relu_grad above"),
    "backward: relu_grad unfilled": (fb.check_backward, _backward_with(
        relu_grad=lambda Z: None, hidden_gradient=_defined_with(HIDDEN_SOURCE, relu_grad=lambda Z: None)),
        "earlier_function_fails", "come from your relu_grad above"),
    "forward: X @ W1 (matmul error, one line)": (fb.check_forward, lambda p, X: forward({**p, "W1": p["W1"].T}, X.T),
                                                 "raised", "the shapes do not fit for @ (size"),
    # 7. mistakes named, not only a number
    "backward: labels y for one-hot Y (IndexError)": (fb.check_backward, _defined_with(
        BACKWARD_SOURCE.replace('one_hot(y, params["W2"].shape[0])', "y"), **HELPERS), "labels_as_one_hot",
        "one_hot(y)"),
    "backward: A2 - y (huge dW2)": (fb.check_backward, _inline_backward(lambda A2, y, Y, m: A2 - y),
                                    "labels_as_one_hot", "far too large"),
    "cross_entropy: A2[:, y] mean": (fb.check_cross_entropy, lambda A2, y: float(-np.log(A2[:, y]).mean()),
                                     "columns_by_label", "A2[y, np.arange(m)]"),
    "cross_entropy: A2[:, y] sum / m": (fb.check_cross_entropy, lambda A2, y: float(-np.log(A2[:, y]).sum() / y.size),
                                        "columns_by_label", "A2[y, np.arange(m)]"),
    "dZ2: divided by k": (fb.check_output_gradient, lambda A2, Y: (A2 - Y) / Y.shape[0], "divided_by_k",
                          "Y.shape[1]"),
    "backward: dZ2 divided by k": (fb.check_backward, _inline_backward(lambda A2, y, Y, m: (A2 - Y) / Y.shape[0]),
                                   "divided_by_k", "Y.shape[1]"),
    "backward: output_gradient divided by k": (fb.check_backward, _backward_with(
        output_gradient=lambda A2, Y: (A2 - Y) / Y.shape[0]), "earlier_function_fails",
        "come from your output_gradient above"),
    "softmax: max-shift, then np.sum(E)": (fb.check_softmax, lambda Z: (lambda E: E / np.sum(E))(
        np.exp(Z - Z.max(axis=0, keepdims=True))), "whole_matrix", "np.sum(E) with no axis"),
    "backward: keys dW1, db1, ...": (fb.check_backward, _inline_backward(
        lambda A2, y, Y, m: (A2 - Y) / m, keys=("dW1", "db1", "dW2", "db2")), "wrong_keys",
        "['dW1', 'dW2', 'db1', 'db2']"),
    "backward: db1 = np.sum(dZ1) only": (fb.check_backward, _inline_backward(
        lambda A2, y, Y, m: (A2 - Y) / m, db1_of=np.sum), "scalar_bias_gradient", "bias gradient is one number"),
}


@pytest.mark.parametrize("name", list(STUDENT_MUTANTS))
def test_student_mistake_is_named(name):
    check, fn, mistake, says = STUDENT_MUTANTS[name]
    result = check(fn)
    assert result.mistake == mistake, result.message
    assert says in result.message, result.message
    assert "\n" not in result.message and "Traceback" not in result.message and "gufunc" not in result.message
    if mistake != "earlier_function_fails":
        assert "Re-read notebook 0" in result.message, result.message


def test_a_name_the_notebook_has_not_defined_reads_run_the_cell_above():
    for check, name in ((fb.check_mean_probability, "mean_probability"), (fb.check_gradient_errors, "errors"),
                        (fb.check_relu, "relu")):
        result = check(fb.UNDEFINED)
        assert result.mistake == "not_defined"
        assert result.message == f"`{name}` is not defined yet: run the cell above (it stopped with an error?)."


# Lab 02, Question 4: the untrained original network's mean probability per digit, on the first 1,000
# validation images of load_dataset(rng=default_rng(0)), parameters uniform in [-0.5, 0.5) from default_rng(0).

@pytest.fixture(scope="module")
def untrained():
    data = mnistnn.load_dataset(rng=np.random.default_rng(0))

    def mean(X, scheme="uniform", seed=0):
        params = mnistnn.init_params(784, 10, 10, rng=np.random.default_rng(seed), scheme=scheme)
        return mnistnn.forward(params, X)[0].mean(axis=1)

    A2 = mnistnn.forward(mnistnn.init_params(784, 10, 10, rng=np.random.default_rng(0)), data.X_val[:, :1000])[0]
    return {
        "right": (mean(data.X_val[:, :1000]), None),
        "one digit": (np.eye(10)[3], "one_hot_guess"),
        "0.1 each": (np.full(10, 0.1), "uniform_guess"),
        "training images": (mean(data.X_train[:, :1000]), "training_images"),
        "He init": (mean(data.X_val[:, :1000], scheme="he"), "he_init"),
        "all 10,000 images": (mean(data.X_val), "all_images"),
        "argmax counts / 1000": (np.bincount(A2.argmax(axis=0), minlength=10) / 1000, "predicted_fraction"),
        "another seed": (mean(data.X_val[:, :1000], seed=1), "wrong_values"),
        "mean over the wrong axis": (A2.mean(axis=0), "wrong_shape"),
        "unfilled": (..., "not_implemented"),
    }


@pytest.mark.parametrize("case", ["right", "one digit", "0.1 each", "training images", "He init",
                                  "all 10,000 images", "argmax counts / 1000", "another seed",
                                  "mean over the wrong axis", "unfilled"])
def test_mean_probability_is_compared_with_the_question(untrained, case):
    value, mistake = untrained[case]
    result = fb.check_mean_probability(value)
    assert result.mistake == mistake, result.message
    assert "\n" not in result.message
    if mistake not in (None, "not_implemented"):
        assert "Re-read notebook 02, section 6 'An untrained network guesses'" in result.message, result.message


# Lab 03, Question 10: the gradient check of the learner's backward with their numerical_gradient.

def _errors(loss_of, backward_fn=backward, numerical=numerical_gradient):
    rng = np.random.default_rng(3)
    small = mnistnn.init_params(5, 4, 3, rng=rng, scheme="he")
    X_small, y_small = rng.random((5, 6)), np.array([0, 1, 2, 0, 1, 2])
    _, cache = mnistnn.forward(small, X_small)
    grads = backward_fn(small, cache, X_small, y_small)

    def loss(params):
        return cross_entropy(mnistnn.forward(params, X_small)[0], y_small)

    return {key: mnistnn.relative_error(grads[key], numerical(loss_of(loss, small, key), small[key].copy()))
            for key in small}


def _perturbs_a_copy(f, W, eps=1e-5):
    W = W.copy()
    return numerical_gradient(f, W, eps)


def test_gradient_errors_pass_below_1e_6_as_in_the_walk_through():
    errors = _errors(lambda loss, small, key: lambda W: loss({**small, key: W}), numerical=_perturbs_a_copy)
    assert fb.check_gradient_errors(errors, backward_fn=backward).passed
    assert fb.check_gradient_errors({"W1": 5e-7, "b1": 0.0, "W2": 1e-9, "b2": 2e-7}).passed
    assert fb.check_gradient_errors({"W1": 2e-6, "b1": 0.0, "W2": 1e-9, "b2": 2e-7}).mistake == "gradient_check_fails"


def test_gradient_errors_of_a_function_that_ignores_W():
    errors = _errors(lambda loss, small, key: lambda W: loss(small), numerical=_perturbs_a_copy)
    assert all(value == 1.0 for value in errors.values())
    result = fb.check_gradient_errors(errors, backward_fn=backward)
    assert result.mistake == "f_ignores_W" and "ignores its argument W" in result.message, result.message
    assert "loss({**small, key: W})" in result.message


def test_gradient_errors_of_a_wrong_backward_send_to_backward():
    wrong = MUTANTS["backward: original np.sum bias"][1]
    errors = _errors(lambda loss, small, key: lambda W: loss({**small, key: W}), backward_fn=wrong)
    result = fb.check_gradient_errors(errors, backward_fn=wrong)
    assert result.mistake == "backward_fails" and "your backward fails its own check" in result.message


def test_gradient_errors_stored_as_arrays_are_named():
    result = fb.check_gradient_errors({"W1": np.array([1e-9]), "b1": 0.0, "W2": 0.0, "b2": 0.0})
    assert result.mistake == "not_a_number" and "errors['W1'] is an array of shape (1,)" in result.message


def test_student_mutation_count():
    assert len(MUTANTS) + len(STUDENT_MUTANTS) >= 100
