"""Right answers to every lab question, written without the package's references: RIGHT in notebook 03's
conventions, SECOND written again another way (the mean's 1/m in dW and db, momentum's other form, loops and
other NumPy calls). The feedback tests run both; the grading tests put SECOND into lab notebooks."""

from __future__ import annotations

import contextlib

import numpy as np

import mnistnn

# ----------------------------------------------------------------------------------------------- lab 01


def prepare_images(x):
    return x.reshape(x.shape[0], -1).T / 255


def split(x, y, *, val_size, rng):
    order = rng.permutation(len(y))
    x, y = x[order], y[order]
    return (x[val_size:], y[val_size:]), (x[:val_size], y[:val_size])


def stratified_split(x, y, *, val_size, rng):
    order = rng.permutation(len(y))
    val = []
    for digit in np.unique(y):
        members = order[y[order] == digit]
        val.extend(members[: round(val_size * members.size / len(y))])
    val = np.array(val[:val_size])
    if val.size < val_size:  # rounding left a few places: fill them from the rest, shuffled
        rest = order[~np.isin(order, val)]
        val = np.concatenate([val, rest[: val_size - val.size]])
    train = order[~np.isin(order, val)]
    return (x[train], y[train]), (x[val], y[val])


def prepare_dataset(x_all, y_all, *, val_size, rng):
    (x_train, y_train), (x_val, y_val) = split(x_all, y_all, val_size=val_size, rng=rng)
    return prepare_images(x_train), y_train, prepare_images(x_val), y_val


# ----------------------------------------------------------------------------------------------- lab 02


def relu(Z):
    return np.maximum(Z, 0)


def softmax(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def forward(params, X):
    Z1 = params["W1"] @ X + params["b1"]
    A1 = relu(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    A2 = softmax(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def forward_deep(params, X):
    L = len(params) // 2
    A = X
    for layer in range(1, L + 1):
        Z = params[f"W{layer}"] @ A + params[f"b{layer}"]
        A = softmax(Z) if layer == L else relu(Z)
    return A


# ----------------------------------------------------------------------------------------------- lab 03


def one_hot(y, n_classes=10):
    Y = np.zeros((n_classes, y.size))
    Y[y, np.arange(y.size)] = 1
    return Y


def cross_entropy(A2, y):
    return float(-np.log(A2[y, np.arange(y.size)]).mean())


def output_gradient(A2, Y):
    return (A2 - Y) / Y.shape[1]


def layer_backward(dZ, A_prev, W):
    return dZ @ A_prev.T, dZ.sum(axis=1, keepdims=True), W.T @ dZ


def relu_grad(Z):
    return (Z > 0).astype(Z.dtype)


def backward(params, cache, X, y):
    dZ2 = output_gradient(cache["A2"], one_hot(y, params["W2"].shape[0]))
    dW2, db2, dA1 = layer_backward(dZ2, cache["A1"], params["W2"])
    dZ1 = dA1 * relu_grad(cache["Z1"])
    dW1, db1, _ = layer_backward(dZ1, X, params["W1"])
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def numerical_gradient(f, W, eps=1e-6):
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


def gradient_errors(forward, backward, params, X, y):
    grads = backward(params, forward(params, X)[1], X, y)
    errors = {}
    for key in params:

        def loss(W, key=key):
            return cross_entropy(forward({**params, key: W}, X)[0], y)

        errors[key] = mnistnn.relative_error(grads[key], numerical_gradient(loss, params[key].copy()))
    return errors


def activation(Z):
    return np.tanh(Z)


def activation_grad(Z):
    return 1 - np.tanh(Z) ** 2


def backward_g(params, cache, X, y):
    dZ2 = output_gradient(cache["A2"], one_hot(y, params["W2"].shape[0]))
    dW2, db2, dA1 = layer_backward(dZ2, cache["A1"], params["W2"])
    dW1, db1, _ = layer_backward(dA1 * activation_grad(cache["Z1"]), X, params["W1"])
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def variant_answers(variant):
    """activation and activation_grad for a course's variant."""
    slope = variant.leaky_slope
    pairs = {
        "tanh": (np.tanh, lambda Z: 1 - np.tanh(Z) ** 2),
        "sigmoid": (lambda Z: 1 / (1 + np.exp(-Z)), lambda Z: np.exp(-Z) / (1 + np.exp(-Z)) ** 2),
        "leaky_relu": (lambda Z: np.where(Z > 0, Z, slope * Z), lambda Z: np.where(Z > 0, 1.0, slope)),
    }
    g, g_grad = pairs[variant.activation]

    def backward_variant(params, cache, X, y):
        dZ2 = output_gradient(cache["A2"], one_hot(y, params["W2"].shape[0]))
        dW2, db2, dA1 = layer_backward(dZ2, cache["A1"], params["W2"])
        dW1, db1, _ = layer_backward(dA1 * g_grad(cache["Z1"]), X, params["W1"])
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    return {"activation": g, "activation_grad": g_grad, "backward_g": backward_variant}


# ----------------------------------------------------------------------------------------------- lab 04


def update_params(params, grads, learning_rate):
    return {key: params[key] - learning_rate * grads[key] for key in params}


def predict(A2):
    return A2.argmax(axis=0)


def gradient_descent(params, X, y, learning_rate, iterations):
    for _ in range(iterations):
        _, cache = mnistnn.forward(params, X)
        params = update_params(params, mnistnn.backward(params, cache, X, y), learning_rate)
    return params


def train_linear(X, y, n_classes, learning_rate, iterations):
    W, b = np.zeros((n_classes, X.shape[0])), np.zeros((n_classes, 1))
    Y = one_hot(y, n_classes)
    for _ in range(iterations):
        dZ = (softmax(W @ X + b) - Y) / X.shape[1]
        W, b = W - learning_rate * dZ @ X.T, b - learning_rate * dZ.sum(axis=1, keepdims=True)
    return W, b


# ----------------------------------------------------------------------------------------------- lab 05


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes=10):
    C = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(C, (y_true, y_pred), 1)
    return C


def precision_recall(C):
    diagonal = np.diag(C).astype(float)
    predicted, actual = C.sum(axis=0), C.sum(axis=1)
    precision = np.divide(diagonal, predicted, out=np.zeros_like(diagonal), where=predicted > 0)
    recall = np.divide(diagonal, actual, out=np.zeros_like(diagonal), where=actual > 0)
    return precision, recall


def calibration(confidence, correct, n_bins):
    index = np.clip((confidence * n_bins).astype(int), 0, n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    mean = np.bincount(index, weights=confidence, minlength=n_bins) / np.maximum(count, 1)
    right = np.bincount(index, weights=correct.astype(float), minlength=n_bins) / np.maximum(count, 1)
    return mean, right, count


# ----------------------------------------------------------------------------------------------- lab 06


def minibatches(m, batch_size, rng):
    order = rng.permutation(m)
    return [order[start : start + batch_size] for start in range(0, m, batch_size)]


def momentum_step(params, grads, velocity, learning_rate, momentum):
    velocity = {key: momentum * velocity[key] - learning_rate * grads[key] for key in params}
    return {key: params[key] + velocity[key] for key in params}, velocity


def train_sgd(params, X, y, *, epochs, batch_size, learning_rate, momentum, lr_decay, rng):
    velocity = {key: np.zeros_like(value) for key, value in params.items()}
    for epoch in range(epochs):
        for batch in minibatches(X.shape[1], batch_size, rng):
            _, cache = mnistnn.forward(params, X[:, batch])
            grads = mnistnn.backward(params, cache, X[:, batch], y[batch])
            params, velocity = momentum_step(params, grads, velocity, learning_rate * lr_decay**epoch, momentum)
    return params


def adam_step(params, grads, m, v, t, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
    m = {key: beta1 * m[key] + (1 - beta1) * grads[key] for key in params}
    v = {key: beta2 * v[key] + (1 - beta2) * grads[key] ** 2 for key in params}
    new = {
        key: params[key] - learning_rate * (m[key] / (1 - beta1**t)) / (np.sqrt(v[key] / (1 - beta2**t)) + eps)
        for key in params
    }
    return new, m, v


# ----------------------------------------------------------------------------------------------- lab 07


def loss_fn(params, X, y):
    import jax.numpy as jnp

    Z1 = params["W1"] @ X + params["b1"]
    Z2 = params["W2"] @ jnp.maximum(Z1, 0) + params["b2"]
    log_probabilities = Z2 - jnp.log(jnp.exp(Z2 - Z2.max(axis=0)).sum(axis=0)) - Z2.max(axis=0)
    return -log_probabilities[y, jnp.arange(y.shape[0])].mean()


def gradients(params, X, y):
    import jax

    return jax.grad(loss_fn)(params, X, y)


def train_step(params, X, y, learning_rate):
    grads = gradients(params, X, y)
    return {key: params[key] - learning_rate * grads[key] for key in params}


# ----------------------------------------------------------------------------------------------- lab 08


def l2_grads(grads, params, lam):
    return {key: grads[key] + lam * params[key] if key.startswith("W") else grads[key] for key in grads}


def dropout(A, keep, rng):
    D = (rng.random(A.shape) < keep) / keep
    return A * D, D


def backward_deep(params, cache, X, y, lam=0.0):
    N = len(params) // 2
    dZ = (cache[f"A{N}"] - one_hot(y, params[f"W{N}"].shape[0])) / X.shape[1]
    grads = {}
    for l in range(N, 0, -1):
        A_prev = X if l == 1 else cache[f"A{l - 1}"]
        grads[f"W{l}"], grads[f"b{l}"] = dZ @ A_prev.T, dZ.sum(axis=1, keepdims=True)
        if l > 1:
            dA = params[f"W{l}"].T @ dZ * cache.get(f"D{l - 1}", 1)
            dZ = dA * relu_grad(cache[f"Z{l - 1}"])
    return l2_grads(grads, params, lam)


RIGHT = {
    name: value
    for name, value in dict(globals()).items()
    if callable(value)
    and not name.startswith("_")
    and getattr(value, "__module__", "") == __name__
    and name not in ("variant_answers", "typed_values")
}
RIGHT["variant_answers"] = variant_answers


# ----------------------------------------------------------------------------------------------- a second solution


def _one_hot_loop(y, n_classes=10):
    Y = np.zeros((n_classes, len(y)), dtype=np.float32)
    for i, label in enumerate(y):
        Y[label, i] = 1.0
    return Y


def _output_gradient_sum(A2, Y):
    return A2 - Y  # the 1/m goes into dW and db instead


def _layer_backward_sum(dZ, A_prev, W):
    m = dZ.shape[1]
    return np.dot(dZ, A_prev.T) / m, np.sum(dZ, axis=1).reshape(-1, 1) / m, np.dot(W.T, dZ)


def _backward_sum(params, cache, X, y):
    m = X.shape[1]
    dZ2 = cache["A2"] - one_hot(y, params["W2"].shape[0])
    dZ1 = params["W2"].T.dot(dZ2) * (cache["Z1"] > 0)
    return {
        "W2": dZ2.dot(cache["A1"].T) / m,
        "b2": dZ2.sum(1, keepdims=True) / m,
        "W1": dZ1.dot(X.T) / m,
        "b1": dZ1.sum(1, keepdims=True) / m,
    }


def _softmax_logsumexp(Z):
    shifted = Z - np.max(Z, axis=0)
    return np.exp(shifted - np.log(np.sum(np.exp(shifted), axis=0)))


def _cross_entropy_logs(A2, y):
    return -np.mean(np.log(np.take_along_axis(A2, y[None, :], axis=0)))


def _relu_grad_bool(Z):
    return Z > 0  # a boolean mask multiplies as 0 and 1


def _relu_mask(Z):
    return Z * (Z > 0)  # any shape, the dtype of Z


def _numerical_gradient_copies(f, W, eps=1e-6):
    grad = np.empty(W.shape)
    for i in range(W.size):
        step = np.zeros(W.size)
        step[i] = eps
        step = step.reshape(W.shape)
        grad.flat[i] = (f(W + step) - f(W - step)) / (2 * eps)  # W itself is never touched
    return grad


def _gradient_errors_norms(forward, backward, params, X, y):
    _, cache = forward(params, X)
    analytic = backward(params, cache, X, y)

    def loss_of(name):
        return lambda W: cross_entropy(forward(dict(params, **{name: W}), X)[0], y)

    result = {}
    for name in ("W1", "b1", "W2", "b2"):
        numerical = numerical_gradient(loss_of(name), params[name])  # perturbs params[name] and restores it
        difference = np.linalg.norm(analytic[name] - numerical)
        result[name] = float(difference / (np.linalg.norm(analytic[name]) + np.linalg.norm(numerical)))
    return result


def _momentum_other_form(params, grads, velocity, learning_rate, momentum):
    velocity = {key: momentum * velocity[key] + grads[key] for key in params}  # V <- mu V + dW
    return {key: params[key] - learning_rate * velocity[key] for key in params}, velocity


def _accuracy_count(y_true, y_pred):
    return np.count_nonzero(np.asarray(y_true) == np.asarray(y_pred)) / len(y_true)


def _confusion_loop(y_true, y_pred, n_classes=10):
    C = np.zeros((n_classes, n_classes), dtype=np.int32)
    for t, p in zip(y_true, y_pred):
        C[t, p] += 1
    return C


def _predict_list(A2):
    return np.array([int(np.argmax(A2[:, i])) for i in range(A2.shape[1])])


def _l2_grads_loop(grads, params, lam):
    new = dict(grads)
    for key in params:
        if key[0] == "W":
            new[key] = np.add(grads[key], np.multiply(lam, params[key]))
    return new


def _dropout_binomial(A, keep, rng):
    mask = rng.binomial(1, keep, size=A.shape).astype(A.dtype)  # another draw, as right as any
    return A * mask / keep, mask / keep


def _backward_deep_unrolled(params, cache, X, y, lam=0.0):
    """Two hidden layers written out, the 1/m on dW and db, the masks applied to dZ."""
    m = X.shape[1]
    dZ3 = cache["A3"] - one_hot(y, params["W3"].shape[0])
    dZ2 = params["W3"].T @ dZ3 * (cache["Z2"] > 0) * cache.get("D2", 1)
    dZ1 = params["W2"].T @ dZ2 * (cache["Z1"] > 0) * cache.get("D1", 1)
    grads = {}
    for l, (dZ, A_prev) in enumerate(((dZ1, X), (dZ2, cache["A1"]), (dZ3, cache["A2"])), start=1):
        grads[f"W{l}"] = dZ @ A_prev.T / m + lam * params[f"W{l}"]
        grads[f"b{l}"] = np.sum(dZ, axis=1, keepdims=True) / m
    return grads


SECOND = {
    **RIGHT,
    "one_hot": _one_hot_loop,
    "output_gradient": _output_gradient_sum,
    "layer_backward": _layer_backward_sum,
    "backward": _backward_sum,
    "softmax": _softmax_logsumexp,
    "cross_entropy": _cross_entropy_logs,
    "relu_grad": _relu_grad_bool,
    "relu": _relu_mask,
    "numerical_gradient": _numerical_gradient_copies,
    "gradient_errors": _gradient_errors_norms,
    "activation": np.tanh,  # a function named from NumPy
    "momentum_step": _momentum_other_form,
    "accuracy": _accuracy_count,
    "confusion_matrix": _confusion_loop,
    "predict": _predict_list,
    "l2_grads": _l2_grads_loop,
    "dropout": _dropout_binomial,
    "backward_deep": _backward_deep_unrolled,
}


def typed_values(namespace: dict, variant=None) -> dict:
    """What a learner's notebook would have computed with these functions, for the checks of reported values."""
    from mnistnn.feedback import Variant
    from mnistnn.feedback.lab02 import untrained_case
    from mnistnn.feedback.lab05 import lab_predictions

    variant = variant or Variant()
    values = {}
    case = untrained_case(variant.n_hidden, variant.init_seed)
    params = {key: value.copy() for key, value in case["params"].items()}
    with contextlib.suppress(Exception):  # a mutant that raises: no typed value, as in a notebook whose cell failed
        values["mean_probability"] = namespace["forward"](params, case["X"].copy())[0].mean(axis=1)
    y_true, y_pred = lab_predictions()
    values["val_accuracy"] = accuracy(y_true, y_pred)
    values["hardest_digit"] = int(precision_recall(confusion_matrix(y_true, y_pred))[1].argmin())
    return values
