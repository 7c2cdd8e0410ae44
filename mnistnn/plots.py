"""The figures of the notebooks (matplotlib).

Each function draws and returns a Figure: Jupyter displays it when it is the cell's last value;
elsewhere call ``fig.savefig("name.png")``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from ._checks import describe
from .train import History


def _as_images(x: np.ndarray) -> np.ndarray:
    """Images (n, 28, 28) from either that layout or the network's (784, n)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"images must be a NumPy array; got {describe(x)}")
    if x.ndim == 3 and x.shape[1:] == (28, 28):
        return x
    if x.ndim == 2 and x.shape[0] == 28 * 28:
        return x.T.reshape(-1, 28, 28)
    raise ValueError(f"images must have shape (n, 28, 28) or (784, n); got {x.shape}")


def _figure(width: float, height: float) -> Figure:
    """A new figure, no wider than a laptop screen comfortably shows.

    Made through pyplot, so that Jupyter's inline backend is set up to display it, then released from
    pyplot at once: Jupyter shows the returned figure exactly once, and nothing piles up in memory.
    """
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(min(width, 10.0), height), layout="constrained")
    plt.close(fig)
    return fig


def show_digits(images: np.ndarray, labels: Sequence[int] | None = None,
                predictions: Sequence[int] | None = None, *, ncols: int = 10, title: str | None = None) -> Figure:
    """A grid of digits with their labels (and predictions: wrong ones in red).

    Parameters
    ----------
    images : ndarray of shape (n, 28, 28) or (784, n)
        The digits to show, in either layout.
    labels : sequence of int, optional
        True labels, shown above each digit.
    predictions : sequence of int, optional
        Predicted labels, shown as "label → prediction"; red where they differ from ``labels``.
    ncols : int
        Digits per row.
    title : str, optional
        Title over the grid.
    """
    x = _as_images(images)
    n = x.shape[0]
    for name, seq in (("labels", labels), ("predictions", predictions)):
        if seq is not None and len(seq) != n:
            raise ValueError(f"{name} must have one entry per image ({n}); got {len(seq)}")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig = _figure(1.0 * ncols, 1.15 * nrows + (0.4 if title else 0))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        ax.imshow(x[i], cmap="gray_r", vmin=0, vmax=x.max() or 1)
        if labels is not None and predictions is not None:
            wrong = labels[i] != predictions[i]
            ax.set_title(f"{labels[i]} → {predictions[i]}", fontsize=9, color="tab:red" if wrong else "black")
        elif labels is not None or predictions is not None:
            ax.set_title(str((labels if labels is not None else predictions)[i]), fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def plot_history(history: History, *, title: str | None = None) -> Figure:
    """Loss and accuracy curves, training and (when recorded) validation, side by side.

    Parameters
    ----------
    history : dict of lists
        As returned by :func:`mnistnn.gradient_descent` (x axis: ``iteration``) or
        :func:`mnistnn.sgd` (x axis: ``epoch``).
    """
    x_key = "iteration" if "iteration" in history else "epoch" if "epoch" in history else None
    if x_key is None or "loss" not in history or "accuracy" not in history:
        raise ValueError("history must be a dict from gradient_descent or sgd, with 'iteration' or 'epoch', "
                         f"'loss' and 'accuracy'; got keys {sorted(history)}")
    fig = _figure(10, 3.6)
    ax_loss, ax_acc = fig.subplots(1, 2)
    for ax, key, label in ((ax_loss, "loss", "cross-entropy loss"), (ax_acc, "accuracy", "accuracy")):
        ax.plot(history[x_key], history[key], label="training")
        if f"val_{key}" in history:
            ax.plot(history[x_key], history[f"val_{key}"], label="validation")
        ax.set_xlabel(x_key)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def plot_probabilities(probabilities: np.ndarray, image: np.ndarray | None = None,
                       label: int | None = None) -> Figure:
    """Bar chart of the 10 class probabilities for one example, next to its image if given.

    Parameters
    ----------
    probabilities : ndarray of shape (10,) or (10, 1)
        One column of the network's output A2.
    image : ndarray of shape (28, 28) or (784,) or (784, 1), optional
    label : int, optional
        The true label: its bar is drawn in green, the predicted one (if different) in red.
    """
    p = np.asarray(probabilities, dtype=float).reshape(-1)
    if p.shape[0] != 10:
        raise ValueError(f"probabilities must hold the 10 class probabilities of one example; got shape "
                         f"{np.shape(probabilities)}")
    fig = _figure(8 if image is not None else 5, 2.8)
    if image is not None:
        ax_img, ax = fig.subplots(1, 2, width_ratios=[1, 2.2])
        ax_img.imshow(np.asarray(image).reshape(28, 28), cmap="gray_r")
        ax_img.set_axis_off()
        if label is not None:
            ax_img.set_title(f"label {label}")
    else:
        ax = fig.subplots()
    colors = ["tab:gray"] * 10
    predicted = int(p.argmax())
    if label is not None:
        colors[predicted] = "tab:red"
        colors[int(label)] = "tab:green"
    else:
        colors[predicted] = "tab:blue"
    ax.bar(range(10), p, color=colors)
    ax.set_xticks(range(10))
    ax.set_ylim(0, 1)
    ax.set_xlabel("digit")
    ax.set_ylabel("probability")
    ax.set_title(f"prediction: {predicted} ({p[predicted]:.0%})")
    return fig


def plot_confusion_matrix(C: np.ndarray, *, normalize: bool = False) -> Figure:
    """Heat map of a confusion matrix with the counts written in the cells.

    Parameters
    ----------
    C : ndarray of shape (k, k)
        ``C[i, j]``: examples of true class i predicted as j (:func:`mnistnn.confusion_matrix`).
    normalize : bool
        Show each row as fractions of its class instead of counts.
    """
    C = np.asarray(C)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError(f"C must be a square confusion matrix; got shape {C.shape}")
    values = C / np.maximum(C.sum(axis=1, keepdims=True), 1) if normalize else C
    k = C.shape[0]
    fig = _figure(6.5, 5.5)
    ax = fig.subplots()
    image = ax.imshow(values, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    threshold = values.max() / 2
    for i in range(k):
        for j in range(k):
            text = f"{values[i, j]:.2f}" if normalize else str(int(values[i, j]))
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if values[i, j] > threshold else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return fig


def show_hidden_weights(W1: np.ndarray, *, ncols: int = 10) -> Figure:
    """Each hidden unit's incoming weights (a row of W1) drawn as a 28x28 image.

    Blue: pixels that excite the unit; red: pixels that inhibit it; same colour scale for all.

    Parameters
    ----------
    W1 : ndarray of shape (h, 784)
    """
    if not isinstance(W1, np.ndarray) or W1.ndim != 2 or W1.shape[1] != 28 * 28:
        raise ValueError(f"W1 must have shape (h, 784); got {getattr(W1, 'shape', describe(W1))}")
    h = W1.shape[0]
    ncols = max(1, min(ncols, h))
    nrows = -(-h // ncols)
    fig = _figure(1.0 * ncols, 1.1 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    limit = np.abs(W1).max() or 1
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < h:
            ax.imshow(W1[i].reshape(28, 28), cmap="RdBu", vmin=-limit, vmax=limit)
            ax.set_title(f"unit {i}", fontsize=8)
    return fig
