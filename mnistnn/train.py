"""Learning: full-batch gradient descent (notebook 04) and mini-batch SGD with momentum (notebook 06).

Both are pure: they take the initial params and return new ones, with a history of the loss and
accuracy, and leave their arguments untouched. Their data is checked once, at the start; every step
then runs the plain equations of :func:`mnistnn.forward` and :func:`mnistnn.backward`.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Self

import numpy as np

from ._checks import (
    check_fraction,
    check_images,
    check_labels,
    check_params,
    check_positive_float,
    check_positive_int,
    check_rng,
)
from .metrics import accuracy
from .model import Params, _column_blocks, backward, cross_entropy, forward

History = dict[str, list[float]]
"""Training history: lists of equal length, e.g. ``{"iteration": [...], "loss": [...], ...}``."""
Progress = bool | Callable[[int, int, float], None]
"""``False`` (silent), ``True`` (a progress bar on stderr) or ``callback(done, total, loss)``."""


class TrainingError(RuntimeError):
    """Training failed and cannot go on; the error says why and how to avoid it.

    Attributes
    ----------
    where : str
        When it happened, e.g. ``"iteration 12"`` or ``"epoch 2, batch 31"``.
    params : dict
        The last good parameters: those before the step that made training fail.
    history : dict
        The history recorded up to that point.
    """

    def __init__(self, message: str, *, where: str, params: Params, history: History):
        super().__init__(message)
        self.where = where
        self.params = params
        self.history = history


class DivergenceError(TrainingError, FloatingPointError):
    """The loss stopped being finite: steps so large that a true class got probability 0, or a number overflowed."""


class DeadNetworkError(TrainingError):
    """No hidden ReLU unit is active on more than 1% of the training examples: almost no gradient reaches W1, b1
    or W2 any more, and training cannot recover."""


def _safer_rate(learning_rate: float) -> str:
    """A learning rate to suggest after a failure: the series' default 0.1, or a tenth when already at most that."""
    return f"learning_rate={min(0.1, learning_rate / 10):g}"


def check_training_input(
    params: Params, X: np.ndarray, y: np.ndarray, X_val: np.ndarray | None, y_val: np.ndarray | None
) -> None:
    """Check params, the training data and the optional validation data, and that they fit together."""
    n_in, _, n_out = check_params(params)
    check_images(X, "X", n_features=n_in)
    check_labels(y, "y", m=X.shape[1], n_classes=n_out)
    if (X_val is None) != (y_val is None):
        raise ValueError("pass both X_val and y_val, or neither")
    if X_val is not None:
        check_images(X_val, "X_val", n_features=n_in)
        check_labels(y_val, "y_val", m=X_val.shape[1], n_classes=n_out)


class _Monitor:
    """The one place that records the history, reports progress and stops training that has failed."""

    def __init__(
        self,
        progress: Progress,
        total: int,
        unit: str,
        learning_rate: float,
        X_val: np.ndarray | None,
        y_val: np.ndarray | None,
    ):
        if not (isinstance(progress, bool) or callable(progress)):
            raise TypeError(f"progress must be True, False or a callable(done, total, loss); got {progress!r}")
        self.callback = None if isinstance(progress, bool) else progress
        self.total, self.learning_rate, self.X_val, self.y_val = total, learning_rate, X_val, y_val
        self.history: History = {}
        self.bar = None
        if progress is True:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=unit, file=sys.stderr, dynamic_ncols=True, mininterval=1.0)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def loss(self, A2: np.ndarray, y: np.ndarray, where: str, last_good: Params) -> float:
        """The loss of a forward pass; raises DivergenceError when it is not finite."""
        return self.finite(cross_entropy(A2, y), where, last_good)  # NaN/inf: a NaN column, a 0

    def finite(self, loss: float, where: str, last_good: Params) -> float:
        """The loss, if finite; otherwise raises DivergenceError."""
        if not math.isfinite(loss):
            raise DivergenceError(
                f"the loss became non-finite at {where} with learning_rate={self.learning_rate:g}: the steps "
                "overshot until the scores grew so large that a true class got probability exactly 0 (or a number "
                f"overflowed). Start again with a smaller learning rate, e.g. "
                f"{_safer_rate(self.learning_rate)}. The parameters before the failing step are in this "
                "error's .params attribute.",
                where=where,
                params=last_good,
                history=self.history,
            )
        return loss

    def alive(self, active_counts: np.ndarray, m: int, where: str, last_good: Params) -> None:
        """Raise DeadNetworkError when no hidden unit was active on more than 1% of the m training examples.

        ``active_counts[j]``: on how many examples unit j's ReLU output was not 0.
        """
        if active_counts.max() <= 0.01 * m:
            raise DeadNetworkError(
                f"at {where}, every hidden unit outputs 0 for at least 99% of the training examples (dead ReLUs): "
                "almost no gradient reaches W1, b1 or W2 any more, so training cannot recover, and the loss stays "
                f"near ln(10). Steps with learning_rate={self.learning_rate:g} pushed the units' pre-activations Z1 "
                "below 0. Start again from fresh parameters with a smaller learning rate, e.g. "
                f"{_safer_rate(self.learning_rate)}. Earlier parameters are in this error's .params attribute.",
                where=where,
                params=last_good,
                history=self.history,
            )

    def record(self, x_name: str, x: int, params: Params, last_good: Params, **metrics: float) -> None:
        """Append one row to the history: x, the given metrics, and the validation scores of params.

        Raises DivergenceError when params or their validation loss are not finite (a last step that diverged).
        """
        where, row = f"{x_name} {x}", {x_name: x, **metrics}
        if not all(np.isfinite(value).all() for value in params.values()):
            self.finite(math.nan, where, last_good)
        if self.X_val is not None:  # scored in blocks of examples, to save memory
            m_val, loss_sum, correct = self.X_val.shape[1], 0.0, 0
            for block in _column_blocks(m_val):
                A2_val, y_block = forward(params, self.X_val[:, block])[0], self.y_val[block]
                loss_sum += cross_entropy(A2_val, y_block) * len(y_block)
                correct += int((A2_val.argmax(axis=0) == y_block).sum())
            row.update(val_loss=self.finite(loss_sum / m_val, where, last_good), val_accuracy=correct / m_val)
        for key, value in row.items():
            self.history.setdefault(key, []).append(value)

    def progress(self, done: int, loss: float, description: str | None = None) -> None:
        """Report progress: the callback, or the bar with the running loss."""
        if self.callback is not None:
            self.callback(done, self.total, loss)
        if self.bar is not None:
            if description:
                self.bar.set_description(description, refresh=False)
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            self.bar.update(done - self.bar.n)


def gradient_descent(
    params: Params,
    X: np.ndarray,
    y: np.ndarray,
    *,
    learning_rate: float = 0.1,
    iterations: int = 500,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    record_every: int = 10,
    progress: Progress = False,
) -> tuple[Params, History]:
    """Full-batch gradient descent, the original notebook's algorithm (notebook 04).

    Every iteration runs forward and backward on ALL training examples, then takes one step
    ``W <- W - learning_rate * dW`` for each parameter.

    Parameters
    ----------
    params : dict
        Initial parameters, e.g. from :func:`mnistnn.init_params`; not modified.
    X : ndarray of shape (n_in, m)
        Training inputs scaled to [0, 1], one column per example. Arranged row-major once at the start: a
        column-major X, such as :func:`mnistnn.load_dataset`'s, is copied once (as much memory as X itself),
        because OpenBLAS computes ``W1 @ X`` faster on a row-major X (bench: the full-batch rows).
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
        ``True`` shows a progress bar with the loss on stderr; a callable is called as
        ``progress(done, total, loss)`` after every update, with the loss after ``done`` updates. Off by default.

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
        When the loss stops being finite.
    DeadNetworkError
        When no hidden unit is active on more than 1% of the training examples.
        Both carry the parameters before the failing step in ``.params``.
    """
    check_training_input(params, X, y, X_val, y_val)
    learning_rate = check_positive_float(learning_rate, "learning_rate")
    iterations = check_positive_int(iterations, "iterations")
    record_every = check_positive_int(record_every, "record_every")
    X = np.ascontiguousarray(X)  # arranged once, row-major: the order in which OpenBLAS computed W1 @ X fastest
    m = X.shape[1]
    last_good = params
    with _Monitor(progress, iterations, "it", learning_rate, X_val, y_val) as monitor:
        for t in range(iterations):  # t: updates done so far
            A2, cache = forward(params, X)
            loss = monitor.loss(A2, y, f"iteration {t}", last_good)
            monitor.alive((cache["A1"] > 0).sum(axis=1), m, f"iteration {t}", last_good)
            if t % record_every == 0:
                monitor.record("iteration", t, params, last_good, loss=loss, accuracy=accuracy(y, A2.argmax(axis=0)))
            if t > 0:
                monitor.progress(t, loss)
            grads = backward(params, cache, X, y)
            last_good, params = params, {key: params[key] - learning_rate * grads[key] for key in params}
        A2, cache = forward(params, X)  # the trained parameters, scored too
        loss = monitor.loss(A2, y, f"iteration {iterations}", last_good)
        monitor.alive((cache["A1"] > 0).sum(axis=1), m, f"iteration {iterations}", last_good)
        monitor.record("iteration", iterations, params, last_good, loss=loss, accuracy=accuracy(y, A2.argmax(axis=0)))
        monitor.progress(iterations, loss)
    return params, monitor.history


def sgd(
    params: Params,
    X: np.ndarray,
    y: np.ndarray,
    *,
    rng: np.random.Generator,
    learning_rate: float = 0.1,
    momentum: float = 0.0,
    lr_decay: float = 1.0,
    batch_size: int = 64,
    epochs: int = 10,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    progress: Progress = False,
) -> tuple[Params, History]:
    """Mini-batch stochastic gradient descent with momentum and learning-rate decay (notebook 06).

    Each epoch shuffles the examples, cuts them into batches of ``batch_size`` (the last one may be
    smaller) and takes one step per batch (the arithmetic of :func:`sgd_step`, done in place), with the
    momentum update Keras's ``SGD`` also uses: ``V <- momentum * V - lr * dW``, then ``W <- W + V``. The
    learning rate of epoch e (counted from 1) is ``learning_rate * lr_decay ** (e - 1)``.

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
        ``accuracy`` averaged over the epoch's batches, each measured just before its step (as Keras
        reports them); ``val_loss`` and ``val_accuracy`` of the parameters at the end of the epoch.

    Raises
    ------
    DivergenceError, DeadNetworkError
        As for :func:`gradient_descent`; the message names the epoch and the batch.
    """
    check_training_input(params, X, y, X_val, y_val)
    check_rng(rng)
    learning_rate = check_positive_float(learning_rate, "learning_rate")
    momentum = check_fraction(momentum, "momentum")
    lr_decay = check_fraction(lr_decay, "lr_decay", low_open=True, high_open=False)
    batch_size, epochs = check_positive_int(batch_size, "batch_size"), check_positive_int(epochs, "epochs")
    m = X.shape[1]
    if batch_size > m:
        raise ValueError(f"batch_size must be at most the number of training examples ({m}); got {batch_size}")
    batches = math.ceil(m / batch_size)
    X_rows = np.ascontiguousarray(X.T)  # (m, n_in), no copy for load_dataset's X: a batch gathers whole rows
    # The steps are taken in place (sgd_step's arithmetic, without a new array per step), in two buffers:
    # params and last_good, the parameters before the step, kept for the error that stops a failed training.
    # In the type the arithmetic gives (float32 params on float64 X: float64), as sgd_step's results would be.
    params, last_good, epoch_start = _copy(params, X.dtype), _copy(params, X.dtype), _copy(params, X.dtype)
    velocity = {key: np.zeros_like(value) for key, value in params.items()}
    with _Monitor(progress, epochs * batches, "batch", learning_rate, X_val, y_val) as monitor:
        for epoch in range(1, epochs + 1):
            lr = learning_rate * lr_decay ** (epoch - 1)
            order = rng.permutation(m)
            loss_sum, correct, active = 0.0, 0, 0
            previous_epoch, epoch_start = epoch_start, _copy(params, X.dtype)
            for batch in range(batches):
                idx = order[batch * batch_size : (batch + 1) * batch_size]
                X_batch, y_batch = X_rows[idx].T, y[idx]  # (n_in, B), (B,)
                A2, cache = forward(params, X_batch)
                loss = monitor.loss(A2, y_batch, f"epoch {epoch}, batch {batch + 1}", last_good)
                loss_sum, correct = loss_sum + loss * len(idx), correct + (A2.argmax(axis=0) == y_batch).sum()
                active = active + (cache["A1"] > 0).sum(axis=1)  # (h,) examples each unit was on
                grads = backward(params, cache, X_batch, y_batch)
                params, last_good = _sgd_step_in_place(
                    params, velocity, grads, out=last_good, learning_rate=lr, momentum=momentum
                )
                monitor.progress(
                    (epoch - 1) * batches + batch + 1,
                    loss_sum / (batch * batch_size + len(idx)),
                    f"epoch {epoch}/{epochs}",
                )
            monitor.alive(active, m, f"epoch {epoch}", previous_epoch)
            monitor.record(
                "epoch", epoch, params, last_good, learning_rate=lr, loss=loss_sum / m, accuracy=float(correct) / m
            )
    return params, monitor.history


def _copy(params: Params, dtype: np.dtype) -> Params:
    """A copy of params, each in the type its arithmetic with data of this dtype gives."""
    return {key: value.astype(np.result_type(value, dtype)) for key, value in params.items()}


def _sgd_step_in_place(
    params: Params, velocity: Params, grads: Params, *, out: Params, learning_rate: float, momentum: float
) -> tuple[Params, Params]:
    """:func:`sgd_step` with the same arithmetic, in place: velocity and grads are overwritten, the new params are
    written into ``out``. Returns ``(out, params)``: the new params, and the old ones, still intact."""
    for key in params:
        V, dW = velocity[key], grads[key]
        V *= momentum  # momentum * V
        dW *= learning_rate  # learning_rate * dW
        V -= dW  # V <- momentum * V - learning_rate * dW
        np.add(params[key], V, out=out[key])  # W <- W + V
    return out, params


def sgd_step(
    params: Params, velocity: Params, grads: Params, *, learning_rate: float, momentum: float
) -> tuple[Params, Params]:
    """One step of SGD with momentum: ``V <- momentum * V - learning_rate * dW``, then ``W <- W + V``.

    Returns the new params and velocity; the arguments are left untouched.
    """
    velocity = {key: momentum * velocity[key] - learning_rate * grads[key] for key in params}
    return {key: params[key] + velocity[key] for key in params}, velocity
