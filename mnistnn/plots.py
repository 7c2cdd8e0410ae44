"""The figures of the notebooks (matplotlib).

Each function draws and returns a Figure: Jupyter displays it when it is the cell's last value;
elsewhere call ``fig.savefig("name.png")``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from ._checks import describe
from .train import History

# Okabe-Ito colours, distinguishable with every common colour-vision deficiency; meaning is never carried by
# colour alone (a marker, a line style, a hatch or a text label says it too).
BLUE, ORANGE, VERMILLION, GREEN, GREY = "#0072B2", "#E69F00", "#D55E00", "#009E73", "#999999"


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


def show_digits(
    images: np.ndarray,
    labels: Sequence[int] | None = None,
    predictions: Sequence[int] | None = None,
    *,
    ncols: int = 10,
    title: str | None = None,
) -> Figure:
    """A grid of digits with their labels (and predictions: wrong ones in red).

    Parameters
    ----------
    images : ndarray of shape (n, 28, 28) or (784, n)
        The digits to show, in either layout.
    labels : sequence of int, optional
        True labels, shown above each digit.
    predictions : sequence of int, optional
        Predicted labels, shown as "label → prediction"; a mistake is marked "✗" and drawn in vermillion.
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
            ax.set_title(
                f"{'✗ ' if wrong else ''}{labels[i]} → {predictions[i]}",
                fontsize=9,
                color=VERMILLION if wrong else "black",
                fontweight="bold" if wrong else "normal",
            )
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
        raise ValueError(
            "history must be a dict from gradient_descent or sgd, with 'iteration' or 'epoch', "
            f"'loss' and 'accuracy'; got keys {sorted(history)}"
        )
    fig = _figure(10, 3.6)
    ax_loss, ax_acc = fig.subplots(1, 2)
    marker = "o" if len(history[x_key]) <= 20 else None
    for ax, key, label in ((ax_loss, "loss", "cross-entropy loss"), (ax_acc, "accuracy", "accuracy")):
        ax.plot(history[x_key], history[key], color=BLUE, linestyle="-", marker=marker, label="training")
        if f"val_{key}" in history:
            ax.plot(
                history[x_key],
                history[f"val_{key}"],
                color=ORANGE,
                linestyle="--",
                marker="s" if marker else None,
                label="validation",
            )
        ax.set_xlabel(x_key)
        if x_key == "epoch":
            ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def plot_probabilities(probabilities: np.ndarray, image: np.ndarray | None = None, label: int | None = None) -> Figure:
    """Bar chart of the 10 class probabilities for one example, next to its image if given.

    Parameters
    ----------
    probabilities : ndarray of shape (10,) or (10, 1)
        One column of the network's output A2.
    image : ndarray of shape (28, 28) or (784,) or (784, 1), optional
    label : int, optional
        The true label: its bar is drawn in blue, the predicted one (if different) hatched in vermillion;
        a legend says which is which.
    """
    p = np.asarray(probabilities, dtype=float).reshape(-1)
    if p.shape[0] != 10:
        raise ValueError(
            f"probabilities must hold the 10 class probabilities of one example; got shape {np.shape(probabilities)}"
        )
    fig = _figure(8 if image is not None else 5, 2.8)
    if image is not None:
        ax_img, ax = fig.subplots(1, 2, width_ratios=[1, 2.2])
        ax_img.imshow(np.asarray(image).reshape(28, 28), cmap="gray_r")
        ax_img.set_axis_off()
        if label is not None:
            ax_img.set_title(f"label {label}")
    else:
        ax = fig.subplots()
    predicted = int(p.argmax())
    colors, hatches = [GREY] * 10, [""] * 10
    legend = {}
    if label is not None and int(label) != predicted:
        colors[predicted], hatches[predicted] = VERMILLION, "//"
        legend["wrong prediction"] = (VERMILLION, "//")
    colors[predicted if label is None else int(label)] = BLUE
    hatches[predicted if label is None else int(label)] = ".."  # marked by a pattern too, not colour alone
    legend = {
        ("prediction" if label is None else "true digit" + (" = prediction" if int(label) == predicted else "")): (
            BLUE,
            "..",
        ),
        **legend,
    }
    ax.bar(range(10), p, color=colors, hatch=hatches, edgecolor="black", linewidth=0.5)
    from matplotlib.patches import Patch

    ax.legend(
        handles=[Patch(facecolor=c, hatch=h, edgecolor="black", label=text) for text, (c, h) in legend.items()],
        loc="upper left",
        fontsize=8,
    )
    ax.set_xticks(range(10))
    ax.set_ylim(0, 1)
    ax.set_xlabel("digit")
    ax.set_ylabel("probability")
    ax.set_title(f"prediction: {predicted} ({p[predicted]:.0%})")
    return fig


def plot_confusion_matrix(C: np.ndarray, *, normalize: bool = False, hide_diagonal: bool = False) -> Figure:
    """Heat map of a confusion matrix with the counts written in the cells.

    Parameters
    ----------
    C : ndarray of shape (k, k)
        ``C[i, j]``: examples of true class i predicted as j (:func:`mnistnn.confusion_matrix`).
    normalize : bool
        Show each row as fractions of its class instead of counts.
    hide_diagonal : bool
        Leave the correct predictions out (blank cells), so that the colour scale shows the mistakes.
    """
    C = np.asarray(C)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError(f"C must be a square confusion matrix; got shape {C.shape}")
    values = C / np.maximum(C.sum(axis=1, keepdims=True), 1) if normalize else C
    k = C.shape[0]
    shown = np.ma.masked_where(np.eye(k, dtype=bool), values) if hide_diagonal else values
    fig = _figure(6.5, 5.5)
    ax = fig.subplots()
    image = ax.imshow(shown, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    threshold = shown.max() / 2
    for i in range(k):
        for j in range(k):
            if hide_diagonal and i == j:
                continue
            text = f"{values[i, j]:.2f}" if normalize else str(int(values[i, j]))
            ax.text(
                j, i, text, ha="center", va="center", fontsize=7, color="white" if values[i, j] > threshold else "black"
            )
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return fig


def show_hidden_weights(W1: np.ndarray, *, ncols: int = 10, title: str | None = None, label: str = "weight") -> Figure:
    """Each hidden unit's incoming weights (a row of W1) drawn as a 28x28 image, with a colour bar.

    Blue: pixels that excite the unit; red: pixels that inhibit it; white: 0; same colour scale for all.

    Parameters
    ----------
    W1 : ndarray of shape (h, 784)
        The weights, or any array of that shape (e.g. trained minus initial weights).
    ncols : int
        Units per row.
    title : str, optional
        Title over the grid.
    label : str
        Label of the colour bar, e.g. "weight change".
    """
    if not isinstance(W1, np.ndarray) or W1.ndim != 2 or W1.shape[1] != 28 * 28:
        raise ValueError(f"W1 must have shape (h, 784); got {getattr(W1, 'shape', describe(W1))}")
    h = W1.shape[0]
    ncols = max(1, min(ncols, h))
    nrows = -(-h // ncols)
    fig = _figure(1.0 * ncols + 0.8, 1.1 * nrows + (0.4 if title else 0))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    limit = np.abs(W1).max() or 1
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < h:
            image = ax.imshow(W1[i].reshape(28, 28), cmap="RdBu", vmin=-limit, vmax=limit)
            ax.set_title(f"unit {i}", fontsize=8)
    fig.colorbar(image, ax=axes, shrink=0.8, label=label)
    if title:
        fig.suptitle(title)
    return fig


def draw_network(n_hidden: int = 10, *, backward: bool = False) -> Figure:
    """The series' network as a picture: 784 inputs, h hidden ReLU units, 10 softmax outputs.

    Each layer is labelled with its arrays and their shapes (one column per example); with
    ``backward=True`` the arrows of backpropagation (dZ2, dW2, db2, dZ1, dW1, db1) are drawn too.
    """
    from matplotlib.patches import Circle, FancyArrowPatch

    fig = _figure(10, 4.8 if backward else 3.9)
    ax = fig.subplots()
    ax.set(xlim=(0, 10), ylim=(-2.0 if backward else -1.0, 4.4))
    ax.set_axis_off()
    shown_hidden = min(n_hidden, 8)
    drawn = f" ({shown_hidden} drawn)" if shown_hidden < n_hidden else ""
    layers = [
        (1.2, 8, "input $X$: 784 pixels (8 drawn)\n(784, m)", GREY),
        (5.0, shown_hidden, f"hidden layer: $h$ = {n_hidden} ReLU units{drawn}\n$Z_1$, $A_1$: ($h$, m)", BLUE),
        (8.8, 10, "output layer: 10 softmax units\n$Z_2$, $A_2$: (10, m), one row per digit", ORANGE),
    ]
    positions = []
    for x, count, text, colour in layers:
        ys = np.linspace(3.4, 0.6, count)
        positions.append((x, ys))
        for y in ys:
            ax.add_patch(Circle((x, y), 0.13, facecolor=colour, edgecolor="black", zorder=3))
        ax.text(x, 0.15, text, ha="center", va="top", fontsize=9)
    for (x0, ys0), (x1, ys1) in itertools.pairwise(positions):
        for y0 in ys0:
            for y1 in ys1:
                ax.plot([x0 + 0.13, x1 - 0.13], [y0, y1], color="black", alpha=0.12, linewidth=0.6)
    ax.text(
        3.0,
        3.75,
        "$Z_1 = W_1 X + b_1$,  $A_1 = \\mathrm{ReLU}(Z_1)$\n$W_1$: ($h$, 784),  $b_1$: ($h$, 1)",
        ha="center",
        fontsize=9,
    )
    ax.text(
        7.0,
        3.75,
        "$Z_2 = W_2 A_1 + b_2$,  $A_2 = \\mathrm{softmax}(Z_2)$\n$W_2$: (10, $h$),  $b_2$: (10, 1)",
        ha="center",
        fontsize=9,
    )
    if backward:
        steps = (
            (8.8, 5.0, "$dZ_2 = (A_2 - Y)/m$, then $dW_2 = dZ_2 A_1^\\top$, $db_2$"),
            (5.0, 1.2, ("$dZ_1 = (W_2^\\top dZ_2) \\odot \\mathrm{ReLU}'(Z_1)$, then $dW_1 = dZ_1 X^\\top$, $db_1$")),
        )
        for x0, x1, text in steps:
            ax.add_patch(
                FancyArrowPatch(
                    (x0 - 0.2, -1.5),
                    (x1 + 0.2, -1.5),
                    arrowstyle="-|>",
                    mutation_scale=14,
                    color=VERMILLION,
                    linewidth=1.5,
                    linestyle="--",
                )
            )
            ax.text((x0 + x1) / 2, -1.4, text, ha="center", va="bottom", fontsize=8.5)
        ax.text(
            5.0,
            -1.95,
            "backpropagation: from the loss back to the inputs (dashed arrows)",
            ha="center",
            fontsize=8.5,
            style="italic",
        )
    return fig
