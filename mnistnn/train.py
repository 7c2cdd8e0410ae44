"""Learning: full-batch gradient descent (notebook 04) and mini-batch SGD with momentum (notebook 06).

Both are pure: they take the initial params and return new ones, with a history of the loss and
accuracy, and leave their arguments untouched. Their data is checked once, at the start; every step
then runs the plain equations of :func:`mnistnn.forward` and :func:`mnistnn.backward`.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

import numpy as np

from . import _threads, deep
from ._checks import (
    check_fraction,
    check_images,
    check_labels,
    check_layers,
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
    params: Params,
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray | None,
    y_val: np.ndarray | None,
    *,
    any_depth: bool = False,
) -> None:
    """Check params (two layers, or any depth), the training data and the optional validation data, and that they
    fit together."""
    sizes = check_layers(params) if any_depth else check_params(params)
    n_in, n_out = sizes[0], sizes[-1]
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
                A2_val, y_block = deep.forward(params, self.X_val[:, block])[0], self.y_val[block]
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

    While it trains, the matrix products use no more BLAS threads than the CPUs that other processes leave free as
    it starts, unless you chose the threads (e.g. ``OPENBLAS_NUM_THREADS``): a thread that waits for a busy CPU would
    hold up every product.

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
    with _Monitor(progress, iterations, "it", learning_rate, X_val, y_val) as monitor, _threads.FittedToLoad():
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
    optimizer: str = "momentum",
    l2: float = 0.0,
    keep: float = 1.0,
    augment: Augment | None = None,
    patience: int | None = None,
) -> tuple[Params, History]:
    """Mini-batch stochastic gradient descent with momentum and learning-rate decay (notebook 06), for a network of
    any depth, with the regularisers of notebook 08.

    Each epoch shuffles the examples, cuts them into batches of ``batch_size`` (the last one may be
    smaller) and takes one step per batch: :func:`mnistnn.deep.forward` and :func:`mnistnn.deep.backward` (for two
    layers, the same operations as :func:`mnistnn.forward` and :func:`mnistnn.backward`), then the arithmetic of
    :func:`sgd_step` (or :func:`adam_step`), done in place. The momentum update is the one Keras's ``SGD`` also
    uses: ``V <- momentum * V - lr * dW``, then ``W <- W + V``. The learning rate of epoch e (counted from 1) is
    ``learning_rate * lr_decay ** (e - 1)``.

    While it trains, the matrix products use no more BLAS threads than the CPUs that other processes leave free as
    it starts, unless you chose the threads (e.g. ``OPENBLAS_NUM_THREADS``): a thread that waits for a busy CPU would
    hold up every product.

    Parameters
    ----------
    params : dict
        Initial parameters ``W1, b1, ..., WL, bL``, e.g. from :func:`mnistnn.init_params`; not modified.
    X : ndarray of shape (n_in, m)
        Training inputs scaled to [0, 1], one column per example.
    y : ndarray of shape (m,)
        Training labels.
    rng : numpy.random.Generator
        Shuffles the examples every epoch, and draws dropout's masks and the augmentations; the same seed gives
        the same result.
    learning_rate : float
        Initial step size, > 0.
    momentum : float
        In [0, 1); 0 is plain SGD. Left at 0 with ``optimizer="adam"``.
    lr_decay : float
        In (0, 1]: the learning rate is multiplied by it after every epoch; 1 keeps it constant.
    batch_size : int
        Examples per step, 1 <= batch_size <= m.
    epochs : int
        Passes over the training data, >= 1 (at most: see ``patience``).
    X_val, y_val : ndarray of shape (n_in, m_val) and (m_val,), optional
        Validation data, scored after every epoch.
    progress : bool or callable
        ``True`` shows a progress bar (one tick per batch) with the running loss on stderr; a callable
        is called as ``progress(done_batches, total_batches, loss)``. Off by default.
    optimizer : {"momentum", "adam"}
        SGD with ``momentum``, or Adam (:func:`adam_step`, with beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8).
    l2 : float
        lambda >= 0, the L2 penalty (lambda / 2) * sum ||W_l||^2 added to the loss (its gradient adds lambda W_l
        to every dW_l); 0, the default, adds nothing.
    keep : float
        Inverted dropout: the probability p in (0, 1] of keeping each hidden unit at each step (see
        :func:`mnistnn.deep.forward`); 1, the default, drops nothing. Scoring (validation, :func:`mnistnn.predict`)
        never drops.
    augment : callable, optional
        ``augment(X_batch, rng)`` returns changed copies of a batch's images, shape (n_in, B), e.g.
        :func:`mnistnn.augment.shift_and_rotate`: a new variation of every image at every epoch.
    patience : int, optional
        Early stopping: stop when the validation accuracy has not improved for this many epochs, and return the
        parameters of the best epoch (needs ``X_val``).

    Returns
    -------
    params : dict
        The trained parameters (with ``patience``, those of the epoch with the best validation accuracy, the first
        of equals).
    history : dict of lists
        One entry per epoch run: ``epoch`` (1, 2, ...), ``learning_rate`` used in it, and ``loss`` (the
        cross-entropy, without the L2 penalty) and ``accuracy`` averaged over the epoch's batches, each measured
        just before its step, with dropout and augmentation as trained (as Keras reports them); ``val_loss`` and
        ``val_accuracy`` of the parameters at the end of the epoch.

    Raises
    ------
    DivergenceError, DeadNetworkError
        As for :func:`gradient_descent`; the message names the epoch and the batch.
    """
    check_training_input(params, X, y, X_val, y_val, any_depth=True)
    check_rng(rng)
    settings = _Settings.checked(
        learning_rate, momentum, lr_decay, batch_size, epochs, optimizer, l2, keep, augment, patience, X
    )
    if settings.patience is not None and X_val is None:
        raise ValueError("patience (early stopping) watches the validation accuracy: pass X_val and y_val too")
    m = X.shape[1]
    batches = math.ceil(m / settings.batch_size)
    X_rows = np.ascontiguousarray(X.T)  # (m, n_in), no copy for load_dataset's X: a batch gathers whole rows
    # The steps are taken in place (sgd_step's or adam_step's arithmetic, without a new array per step), in two
    # buffers: params and last_good, the parameters before the step, kept for the error that stops a failed training.
    # In the type the arithmetic gives (float32 params on float64 X: float64), as sgd_step's results would be.
    params, last_good, epoch_start = _copy(params, X.dtype), _copy(params, X.dtype), _copy(params, X.dtype)
    step = _Step(params, settings)
    best = _Best(settings.patience)
    monitor = _Monitor(progress, settings.epochs * batches, "batch", settings.learning_rate, X_val, y_val)
    with monitor, _threads.FittedToLoad():
        for epoch in range(1, settings.epochs + 1):
            lr = settings.learning_rate * settings.lr_decay ** (epoch - 1)
            order = rng.permutation(m)
            loss_sum, correct, active = 0.0, 0, 0
            previous_epoch, epoch_start = epoch_start, _copy(params, X.dtype)
            for batch in range(batches):
                idx = order[batch * settings.batch_size : (batch + 1) * settings.batch_size]
                X_batch, y_batch = X_rows[idx].T, y[idx]  # (n_in, B), (B,)
                if settings.augment is not None:
                    X_batch = settings.augment(X_batch, rng)
                AL, cache = deep.forward(params, X_batch, keep=settings.keep, rng=rng)
                loss = monitor.loss(AL, y_batch, f"epoch {epoch}, batch {batch + 1}", last_good)
                loss_sum, correct = loss_sum + loss * len(idx), correct + (AL.argmax(axis=0) == y_batch).sum()
                active = active + (cache["A1"] > 0).sum(axis=1)  # (n_1,) examples each first-layer unit was on
                grads = deep.backward(params, cache, X_batch, y_batch, l2=settings.l2)
                params, last_good = step(params, grads, out=last_good, learning_rate=lr)
                monitor.progress(
                    (epoch - 1) * batches + batch + 1,
                    loss_sum / (batch * settings.batch_size + len(idx)),
                    f"epoch {epoch}/{settings.epochs}",
                )
            monitor.alive(active, m, f"epoch {epoch}", previous_epoch)
            monitor.record(
                "epoch", epoch, params, last_good, learning_rate=lr, loss=loss_sum / m, accuracy=float(correct) / m
            )
            if best.stop(monitor.history, params):
                break
    return best.params or params, monitor.history


Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]
"""``augment(X_batch, rng)``: changed copies of a batch's images, (n_in, B) in and out."""
OPTIMIZERS = ("momentum", "adam")
ADAM = (0.9, 0.999, 1e-8)  # beta1, beta2, epsilon: the defaults of Kingma and Ba (2015), as in Keras and PyTorch


@dataclass(frozen=True)
class _Settings:
    """sgd's training choices, checked once."""

    learning_rate: float
    momentum: float
    lr_decay: float
    batch_size: int
    epochs: int
    optimizer: str
    l2: float
    keep: float
    augment: Augment | None
    patience: int | None

    @classmethod
    def checked(cls, learning_rate, momentum, lr_decay, batch_size, epochs, optimizer, l2, keep, augment, patience, X):
        settings = cls(
            check_positive_float(learning_rate, "learning_rate"),
            check_fraction(momentum, "momentum"),
            check_fraction(lr_decay, "lr_decay", low_open=True, high_open=False),
            check_positive_int(batch_size, "batch_size"),
            check_positive_int(epochs, "epochs"),
            optimizer,
            0.0 if l2 == 0 else check_positive_float(l2, "l2"),
            check_fraction(keep, "keep", low_open=True, high_open=False),
            augment,
            None if patience is None else check_positive_int(patience, "patience"),
        )
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}; got {optimizer!r}")
        if optimizer == "adam" and settings.momentum:
            raise ValueError(
                "momentum is SGD's: Adam keeps its own running mean of the gradients (beta1 = 0.9); leave momentum at 0"
            )
        if augment is not None and not callable(augment):
            raise TypeError(f"augment must be a function augment(X_batch, rng); got {augment!r}")
        if settings.batch_size > X.shape[1]:
            raise ValueError(
                f"batch_size must be at most the number of training examples ({X.shape[1]}); got {batch_size}"
            )
        return settings


class _Step:
    """The update of sgd's loop, in place: momentum (sgd_step's arithmetic) or Adam (adam_step's)."""

    def __init__(self, params: Params, settings: _Settings):
        self.settings, self.t = settings, 0
        self.V = {key: np.zeros_like(value) for key, value in params.items()}  # velocity, or Adam's second moment
        self.M = {key: np.zeros_like(value) for key, value in params.items()} if settings.optimizer == "adam" else None

    def __call__(self, params: Params, grads: Params, *, out: Params, learning_rate: float) -> tuple[Params, Params]:
        if self.M is None:
            return _sgd_step_in_place(
                params, self.V, grads, out=out, learning_rate=learning_rate, momentum=self.settings.momentum
            )
        self.t += 1
        return _adam_step_in_place(params, self.M, self.V, grads, out=out, learning_rate=learning_rate, t=self.t)


class _Best:
    """Early stopping: the best epoch's params so far, and whether to stop (patience epochs without a better one)."""

    def __init__(self, patience: int | None):
        self.patience, self.params, self.accuracy, self.epoch = patience, None, -1.0, 0

    def stop(self, history: History, params: Params) -> bool:
        if self.patience is None:
            return False
        epoch, accuracy = history["epoch"][-1], history["val_accuracy"][-1]
        if accuracy > self.accuracy:
            self.params, self.accuracy, self.epoch = (
                {key: value.copy() for key, value in params.items()},
                accuracy,
                epoch,
            )
        return epoch - self.epoch >= self.patience


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


def _adam_step_in_place(
    params: Params, M: Params, V: Params, grads: Params, *, out: Params, learning_rate: float, t: int
) -> tuple[Params, Params]:
    """:func:`adam_step` with the same arithmetic, in place: M, V and grads are overwritten, the new params are
    written into ``out``. Returns ``(out, params)``: the new params, and the old ones, still intact."""
    beta1, beta2, epsilon = ADAM
    for key in params:
        dW = grads[key]
        M[key] *= beta1
        M[key] += (1 - beta1) * dW  # M <- beta1 M + (1 - beta1) dW
        V[key] *= beta2
        dW *= dW
        dW *= 1 - beta2
        V[key] += dW  # V <- beta2 V + (1 - beta2) dW^2
        step = M[key] / (1 - beta1**t)  # M-hat
        step /= np.sqrt(V[key] / (1 - beta2**t)) + epsilon  # M-hat / (sqrt(V-hat) + epsilon)
        step *= learning_rate
        np.subtract(params[key], step, out=out[key])  # W <- W - learning_rate * M-hat / (sqrt(V-hat) + epsilon)
    return out, params


def adam_step(
    params: Params, M: Params, V: Params, grads: Params, *, learning_rate: float, t: int
) -> tuple[Params, Params, Params]:
    """One step of Adam (Kingma and Ba 2015), step number t counted from 1 (notebook 08).

    ``M <- beta1 M + (1 - beta1) dW`` and ``V <- beta2 V + (1 - beta2) dW^2`` (running means of the gradient and of
    its square, element-wise), corrected for starting at 0: ``M-hat = M / (1 - beta1^t)``,
    ``V-hat = V / (1 - beta2^t)``; then ``W <- W - learning_rate * M-hat / (sqrt(V-hat) + epsilon)``, with
    beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8. Each weight gets a step of about ``learning_rate`` in the direction
    its recent gradients agree on, whatever their size.

    Returns the new params, M and V; the arguments are left untouched.
    """
    beta1, beta2, epsilon = ADAM
    M = {key: beta1 * M[key] + (1 - beta1) * grads[key] for key in params}
    V = {key: beta2 * V[key] + (1 - beta2) * (grads[key] * grads[key]) for key in params}
    new = {
        key: params[key] - learning_rate * ((M[key] / (1 - beta1**t)) / (np.sqrt(V[key] / (1 - beta2**t)) + epsilon))
        for key in params
    }
    return new, M, V
