"""How good are the predictions: accuracy and the confusion matrix (notebook 05)."""

from __future__ import annotations

import numpy as np

from ._checks import check_labels, check_positive_int


def _check_pair(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> None:
    """Both label vectors valid, of the same length and not empty."""
    check_labels(y_true, "y_true", n_classes=n_classes)
    check_labels(y_pred, "y_pred", m=y_true.shape[0], n_classes=n_classes)
    if y_true.size == 0:
        raise ValueError("y_true and y_pred are empty: there is nothing to score")


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of examples whose predicted label equals the true label.

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (m,)
        True and predicted integer labels.

    Returns
    -------
    accuracy : float
        In [0, 1].
    """
    _check_pair(y_true, y_pred, n_classes=np.iinfo(np.int64).max)
    return float((y_true == y_pred).mean())


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (m,)
        True and predicted labels in ``0..n_classes-1``.
    n_classes : int
        Number of classes k.

    Returns
    -------
    C : ndarray of shape (n_classes, n_classes), int64
        ``C[i, j]`` is the number of examples of true class i predicted as class j: the diagonal
        holds the correct predictions, each row sums to the number of examples of that class.
    """
    n_classes = check_positive_int(n_classes, "n_classes")
    _check_pair(y_true, y_pred, n_classes)
    flat = np.bincount(y_true.astype(np.int64) * n_classes + y_pred, minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes)
