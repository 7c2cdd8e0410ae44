"""Learning: full-batch gradient descent (notebook 04) and mini-batch SGD with momentum (notebook 06).

Both are pure: they take the initial params and return new ones, with a history of the loss and
accuracy, and leave their arguments untouched.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import numpy as np

from ._checks import (check_fraction, check_images, check_labels, check_params, check_positive_float,
                      check_positive_int)
from .metrics import accuracy
from .model import Params, _backward, _forward, cross_entropy, one_hot

History = dict[str, list[float]]
"""Training history: lists of equal length, e.g. ``{"iteration": [...], "loss": [...], ...}``."""
Progress = bool | Callable[[int, int, float], None]
"""``False`` (silent), ``True`` (a progress bar on stderr) or ``callback(done, total, loss)``."""


class DivergenceError(FloatingPointError):
    """Training produced a non-finite loss.

    Attributes
    ----------
    iteration : int
        The update count (gradient descent) or the epoch (SGD) at which the loss stopped being finite.
    params : dict
        The last parameters whose loss was finite.
    history : dict
        The history recorded up to that point.
    """

    def __init__(self, message: str, *, iteration: int, params: Params, history: History):
        super().__init__(message)
        self.iteration = iteration
        self.params = params
        self.history = history


def _diverged(where: str, iteration: int, learning_rate: float, params: Params,
              history: History) -> DivergenceError:
    """The error raised when the loss is no longer finite."""
    return DivergenceError(
        f"the loss became non-finite at {where} {iteration} with learning_rate={learning_rate:g}: "
        f"training diverged. Try a smaller learning rate, e.g. learning_rate={learning_rate / 10:g}. "
        "The last finite parameters are in this error's .params attribute.",
        iteration=iteration, params=params, history=history)


def _check_training_data(params: Params, X: np.ndarray, y: np.ndarray, X_val: np.ndarray | None,
                         y_val: np.ndarray | None) -> None:
    """Check params, the training data and the optional validation data fit together."""
    n_in, _, n_out = check_params(params)
    check_images(X, "X", n_features=n_in)
    check_labels(y, "y", m=X.shape[1], n_classes=n_out)
    if (X_val is None) != (y_val is None):
        raise ValueError("pass both X_val and y_val, or neither")
    if X_val is not None:
        check_images(X_val, "X_val", n_features=n_in)
        check_labels(y_val, "y_val", m=X_val.shape[1], n_classes=n_out)


class _ProgressReporter:
    """Calls the user's callback, or drives a tqdm bar showing the running loss."""

    def __init__(self, progress: Progress, total: int, unit: str):
        if not (isinstance(progress, bool) or callable(progress)):
            raise TypeError(f"progress must be True, False or a callable(done, total, loss); got {progress!r}")
        self.total = total
        self.callback = progress if callable(progress) and not isinstance(progress, bool) else None
        self.bar = None
        if progress is True:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=unit, file=sys.stderr, dynamic_ncols=True, mininterval=1.0)

    def describe(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_description(text, refresh=False)

    def update(self, done: int, loss: float) -> None:
        if self.callback is not None:
            self.callback(done, self.total, loss)
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _evaluate(params: Params, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Loss and accuracy of params on (X, y)."""
    A2, _ = _forward(params, X)
    return cross_entropy(A2, y), accuracy(y, A2.argmax(axis=0))


def gradient_descent(params: Params, X: np.ndarray, y: np.ndarray, *, learning_rate: float = 0.1,
                     iterations: int = 500, X_val: np.ndarray | None = None,
                     y_val: np.ndarray | None = None, record_every: int = 10,
                     progress: Progress = False) -> tuple[Params, History]:
    """Full-batch gradient descent, the original notebook's algorithm (notebook 04).

    Every iteration runs forward and backward on ALL training examples, then takes one step
    ``W <- W - learning_rate * dW`` for each parameter.

    Parameters
    ----------
    params : dict
        Initial parameters, e.g. from :func:`mnistnn.init_params`; not modified.
    X : ndarray of shape (n_in, m)
        Training inputs scaled to [0, 1], one column per example.
    y : ndarray of shape (m,)
        Training labels.
    learning_rate : float
        Step size, > 0.
    iterations : int
        Number of updates, >= 1.
    X_val, y_val : ndarray of shape (n_in, m_val) and (m_val,), optional
        Validation data, scored at every recorded iteration (never trained on).
    record_every : int
        Record the metrics after every this many updates (and always after the last one).
    progress : bool or callable
        ``True`` shows a progress bar with the running loss on stderr; a callable is called as
        ``progress(done, total, loss)`` after every update. Off by default.

    Returns
    -------
    params : dict
        The trained parameters.
    history : dict of lists
        ``iteration`` (updates done so far: 0, record_every, ..., iterations), and the training
        ``loss`` and ``accuracy`` of the parameters at that point; ``val_loss`` and
        ``val_accuracy`` too when validation data is given.

    Raises
    ------
    DivergenceError
        When the loss stops being finite; it carries the last finite params.
    """
    _check_training_data(params, X, y, X_val, y_val)
    learning_rate = check_positive_float(learning_rate, "learning_rate")
    iterations = check_positive_int(iterations, "iterations")
    record_every = check_positive_int(record_every, "record_every")
    history: History = {"iteration": [], "loss": [], "accuracy": []}
    if X_val is not None:
        history.update(val_loss=[], val_accuracy=[])
    Y = one_hot(y, params["W2"].shape[0], dtype=params["W2"].dtype)  # (k, m), built once
    reporter = _ProgressReporter(progress, iterations, unit="it")
    last_finite = params
    try:
        for t in range(iterations + 1):                   # t = updates done so far
            A2, cache = _forward(params, X)
            loss = cross_entropy(A2, y)
            if not math.isfinite(loss) or not all(np.isfinite(p).all() for p in params.values()):
                raise _diverged("iteration", t, learning_rate, last_finite, history)
            last_finite = params
            if t % record_every == 0 or t == iterations:
                history["iteration"].append(t)
                history["loss"].append(loss)
                history["accuracy"].append(accuracy(y, A2.argmax(axis=0)))
                if X_val is not None:
                    val_loss, val_accuracy = _evaluate(params, X_val, y_val)
                    history["val_loss"].append(val_loss)
                    history["val_accuracy"].append(val_accuracy)
            if t == iterations:
                break
            grads = _backward(params, cache, X, Y)
            params = {key: params[key] - learning_rate * grads[key] for key in params}
            reporter.update(t + 1, loss)
    finally:
        reporter.close()
    return params, history


def sgd(params: Params, X: np.ndarray, y: np.ndarray, *, rng: np.random.Generator,
        learning_rate: float = 0.1, momentum: float = 0.0, lr_decay: float = 1.0, batch_size: int = 64,
        epochs: int = 10, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None,
        progress: Progress = False) -> tuple[Params, History]:
    """Mini-batch stochastic gradient descent with momentum and learning-rate decay (notebook 06).

    Each epoch shuffles the examples, cuts them into batches of ``batch_size`` (the last one may be
    smaller) and takes one step per batch, with the momentum update Keras's ``SGD`` also uses::

        V <- momentum * V - lr * dW        W <- W + V

    The learning rate of epoch e (counted from 0) is ``learning_rate * lr_decay ** e``.

    Parameters
    ----------
    params : dict
        Initial parameters; not modified.
    X : ndarray of shape (n_in, m)
        Training inputs scaled to [0, 1], one column per example.
    y : ndarray of shape (m,)
        Training labels.
    rng : numpy.random.Generator
        Shuffles the examples every epoch; the same seed gives the same result.
    learning_rate : float
        Initial step size, > 0.
    momentum : float
        In [0, 1); 0 is plain SGD.
    lr_decay : float
        In (0, 1]: the learning rate is multiplied by it after every epoch; 1 keeps it constant.
    batch_size : int
        Examples per step, 1 <= batch_size <= m.
    epochs : int
        Passes over the training data, >= 1.
    X_val, y_val : ndarray of shape (n_in, m_val) and (m_val,), optional
        Validation data, scored after every epoch.
    progress : bool or callable
        ``True`` shows a progress bar (one tick per batch) with the running loss on stderr; a callable
        is called as ``progress(done_batches, total_batches, loss)``. Off by default.

    Returns
    -------
    params : dict
        The trained parameters.
    history : dict of lists
        One entry per epoch: ``epoch`` (1, 2, ...), ``learning_rate`` used in it, and ``loss`` and
        ``accuracy`` averaged over the epoch's batches (as Keras reports them); ``val_loss`` and
        ``val_accuracy`` of the parameters at the end of the epoch when validation data is given.

    Raises
    ------
    DivergenceError
        When a batch's loss stops being finite; it carries the params of the last finite epoch.
    """
    _check_training_data(params, X, y, X_val, y_val)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, e.g. np.random.default_rng(0); got {rng!r}")
    learning_rate = check_positive_float(learning_rate, "learning_rate")
    momentum = check_fraction(momentum, "momentum")
    if check_fraction(lr_decay, "lr_decay", closed_right=True) == 0:
        raise ValueError("lr_decay must be in (0, 1]; got 0, which would stop learning after one epoch")
    batch_size = check_positive_int(batch_size, "batch_size")
    epochs = check_positive_int(epochs, "epochs")
    m = X.shape[1]
    if batch_size > m:
        raise ValueError(f"batch_size must be at most the number of training examples ({m}); got {batch_size}")
    history: History = {"epoch": [], "learning_rate": [], "loss": [], "accuracy": []}
    if X_val is not None:
        history.update(val_loss=[], val_accuracy=[])
    n_out = params["W2"].shape[0]
    dtype = params["W2"].dtype
    params = {key: value.copy() for key, value in params.items()}   # updated in place; the caller's stay as they were
    velocity = {key: np.zeros_like(value) for key, value in params.items()}
    X_rows = np.ascontiguousarray(X.T)   # (m, n_in): a batch is then a quick gather of whole rows
    batches_per_epoch = math.ceil(m / batch_size)
    reporter = _ProgressReporter(progress, epochs * batches_per_epoch, unit="batch")
    last_finite = {key: value.copy() for key, value in params.items()}
    try:
        for epoch in range(epochs):
            lr = learning_rate * lr_decay**epoch
            order = rng.permutation(m)
            reporter.describe(f"epoch {epoch + 1}/{epochs}")
            loss_sum = correct = 0.0
            for b, start in enumerate(range(0, m, batch_size)):
                idx = order[start:start + batch_size]
                X_batch, y_batch = X_rows[idx].T, y[idx]              # (n_in, B), (B,)
                A2, cache = _forward(params, X_batch)
                loss = cross_entropy(A2, y_batch)
                if not math.isfinite(loss):
                    raise _diverged("epoch", epoch + 1, learning_rate, last_finite, history)
                loss_sum += loss * len(idx)
                correct += float((A2.argmax(axis=0) == y_batch).sum())
                grads = _backward(params, cache, X_batch, one_hot(y_batch, n_out, dtype=dtype))
                for key in params:                                    # V <- momentum V - lr dW;  W <- W + V
                    velocity[key] *= momentum
                    velocity[key] -= lr * grads[key]
                    params[key] += velocity[key]
                reporter.update(epoch * batches_per_epoch + b + 1, loss_sum / min(start + batch_size, m))
            if not all(np.isfinite(p).all() for p in params.values()):
                raise _diverged("epoch", epoch + 1, learning_rate, last_finite, history)
            last_finite = {key: value.copy() for key, value in params.items()}
            history["epoch"].append(epoch + 1)
            history["learning_rate"].append(lr)
            history["loss"].append(loss_sum / m)
            history["accuracy"].append(correct / m)
            if X_val is not None:
                val_loss, val_accuracy = _evaluate(params, X_val, y_val)
                history["val_loss"].append(val_loss)
                history["val_accuracy"].append(val_accuracy)
    finally:
        reporter.close()
    return params, history
