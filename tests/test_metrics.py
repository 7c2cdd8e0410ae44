"""Accuracy and the confusion matrix."""

import numpy as np
import pytest

import mnistnn
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


@pytest.mark.parametrize(
    "y_true, y_pred, error, message",
    [
        (np.array([1, 2]), np.array([1]), ValueError, "y_pred has 1 labels but there are 2 examples"),
        (np.array([], dtype=int), np.array([], dtype=int), ValueError, "nothing to score"),
        (np.array([1.0]), np.array([1]), TypeError, "y_true must hold integer labels"),
    ],
)
def test_metric_errors(y_true, y_pred, error, message):
    with pytest.raises(error, match=message):
        accuracy(y_true, y_pred)
    with pytest.raises(error, match=message):
        confusion_matrix(y_true, y_pred)


def test_confusion_matrix_rejects_labels_beyond_n_classes():
    with pytest.raises(ValueError, match=r"y_pred must hold labels in 0\.\.2; got values from 0 to 3"):
        confusion_matrix(np.array([0, 1]), np.array([0, 3]), n_classes=3)


def test_a_negative_label_is_named_without_an_upper_bound_for_accuracy():
    with pytest.raises(ValueError, match=r"^y_true must hold class labels >= 0; got values from -1 to 2$"):
        mnistnn.accuracy(np.array([-1, 2]), np.array([1, 2]))


def test_precision_and_recall_per_class_with_zero_for_a_class_never_predicted():
    C = np.array([[3, 1, 0], [0, 2, 0], [1, 1, 0]])  # class 2 never predicted
    precision, recall = mnistnn.precision_recall(C)
    np.testing.assert_allclose(precision, [3 / 4, 2 / 4, 0.0])
    np.testing.assert_allclose(recall, [3 / 4, 1.0, 0.0])


@pytest.mark.parametrize(
    "C, message",
    [
        (np.zeros((2, 3), int), r"square confusion matrix, shape \(k, k\); got shape \(2, 3\)"),
        (np.eye(2), "counts, whole numbers >= 0"),
        (-np.eye(2, dtype=int), "counts, whole numbers >= 0"),
    ],
)
def test_precision_recall_refuses_what_is_not_a_confusion_matrix(C, message):
    with pytest.raises(ValueError, match=message):
        mnistnn.precision_recall(C)
