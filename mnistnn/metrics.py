"""How good are the predictions: accuracy, the confusion matrix, precision and recall (notebook 05)."""

from __future__ import annotations

import numpy as np

from ._checks import check_array, check_labels, check_positive_int, describe


def _check_pair(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None) -> None:
    """Both label vectors valid (labels >= 0, below n_classes if given), of the same length and not empty."""
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
    _check_pair(y_true, y_pred, n_classes=None)
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


def precision_recall(C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class precision and recall from a confusion matrix (rows: true class, columns: predicted).

    Parameters
    ----------
    C : ndarray of shape (k, k)
        ``C[i, j]``: examples of true class i predicted as class j, as :func:`confusion_matrix` gives it.

    Returns
    -------
    precision, recall : ndarray of shape (k,), float64
        ``precision[j] = C[j, j] / C[:, j].sum()`` (of the examples predicted j, the fraction that are j);
        ``recall[i] = C[i, i] / C[i, :].sum()`` (of the examples of class i, the fraction found). A class
        never predicted (or never present) gets 0, not 0/0 = nan.
    """
    _check_counts(C)
    diagonal = np.diag(C).astype(np.float64)  # (k,)
    predicted, actual = C.sum(axis=0), C.sum(axis=1)  # (k,) column sums, row sums
    precision = np.divide(diagonal, predicted, out=np.zeros_like(diagonal), where=predicted > 0)
    recall = np.divide(diagonal, actual, out=np.zeros_like(diagonal), where=actual > 0)
    return precision, recall


def _check_counts(C: object) -> np.ndarray:
    """Check a square matrix of whole, non-negative counts, a confusion matrix."""
    C = check_array(C, "C", "(k, k)")
    if C.ndim != 2 or C.shape[0] != C.shape[1] or C.shape[0] == 0:
        raise ValueError(f"C must be a square confusion matrix, shape (k, k); got shape {C.shape}")
    if C.dtype.kind not in "iu" or (C.size and C.min() < 0):
        raise ValueError(f"C must hold counts, whole numbers >= 0 (as confusion_matrix gives); got {describe(C)}")
    return C
