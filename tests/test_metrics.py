"""Accuracy and the confusion matrix."""

import numpy as np
import pytest

from mnistnn import accuracy, confusion_matrix


def test_accuracy():
    assert accuracy(np.array([1, 2, 3, 4]), np.array([1, 2, 0, 4])) == 0.75


def test_confusion_matrix_rows_are_true_classes():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    C = confusion_matrix(y_true, y_pred, n_classes=3)
    np.testing.assert_array_equal(C, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert C.sum() == 6 and np.trace(C) == 4
    assert confusion_matrix(y_true, y_pred).shape == (10, 10)


@pytest.mark.parametrize("y_true, y_pred, error, message", [
    (np.array([1, 2]), np.array([1]), ValueError, "y_pred has 1 labels but there are 2 examples"),
    (np.array([], dtype=int), np.array([], dtype=int), ValueError, "nothing to score"),
    (np.array([1.0]), np.array([1]), TypeError, "y_true must hold integer labels"),
])
def test_metric_errors(y_true, y_pred, error, message):
    with pytest.raises(error, match=message):
        accuracy(y_true, y_pred)
    with pytest.raises(error, match=message):
        confusion_matrix(y_true, y_pred)


def test_confusion_matrix_rejects_labels_beyond_n_classes():
    with pytest.raises(ValueError, match=r"y_pred must hold labels in 0\.\.2; got values from 0 to 3"):
        confusion_matrix(np.array([0, 1]), np.array([0, 3]), n_classes=3)
