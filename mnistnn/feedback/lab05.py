"""Lab 05 · Evaluation: accuracy, the confusion matrix, precision and recall, the hardest digit, calibration."""

from __future__ import annotations

import functools

import numpy as np

from .. import deep, metrics, model
from .cases import read_only
from .compare import expect
from .core import Code, Mistake, Stop, check
from .labs import LabSpec, Question, register

# ----------------------------------------------------------------------------------------------- accuracy


def _count(y_true, y_pred):
    return int((y_true == y_pred).sum())


def _percentage(y_true, y_pred):
    return 100 * float((y_true == y_pred).mean())


def _error_rate(y_true, y_pred):
    return float((y_true != y_pred).mean())


ACCURACY = (
    Mistake(
        Code.COUNT_NOT_FRACTION,
        "that is the number of correct predictions; divide by the number of examples",
        wrong=_count,
    ),
    Mistake(Code.PERCENTAGE, "give a fraction between 0 and 1, not a percentage", wrong=_percentage),
    Mistake(
        Code.ERROR_RATE,
        "that is the error rate (the fraction wrong); accuracy is the fraction right",
        wrong=_error_rate,
    ),
)


@check(name="accuracy", section="confusion", mistakes=ACCURACY)
def check_accuracy(student, case):
    rng = case.rng(51)
    y_true = rng.integers(0, 5, size=case.pick(8, 13))
    y_pred = np.where(rng.random(y_true.size) < 0.7, y_true, (y_true + 1) % 5)
    expect(
        student.call("accuracy", y_true, y_pred),
        metrics.accuracy(y_true, y_pred),
        what_="the accuracy",
        mistakes=ACCURACY,
        args=(y_true, y_pred),
        equation="the fraction of examples predicted right",
    )


# ----------------------------------------------------------------------------------------------- confusion matrix


def _confusion_transposed(y_true, y_pred, n_classes=10):
    return metrics.confusion_matrix(y_true, y_pred, n_classes).T


def _confusion_sized_by_labels(y_true, y_pred, n_classes=10):
    k = int(max(y_true.max(), y_pred.max())) + 1
    return metrics.confusion_matrix(y_true, y_pred, k)


CONFUSION = (
    Mistake(
        Code.TRANSPOSED,
        "transposed: rows must be the true classes and columns the predictions",
        wrong=_confusion_transposed,
    ),
    Mistake(
        Code.SIZED_BY_MAX,
        "sized by the largest label + 1: use n_classes rows and columns",
        wrong=_confusion_sized_by_labels,
    ),
)


@check(name="confusion_matrix", section="confusion", mistakes=CONFUSION)
def check_confusion_matrix(student, case):
    y_true = np.array([0, 1, 2, 2, 3, 4, 4, 4, 1, 3])
    y_pred = np.array([0, 1, 2, 1, 3, 0, 4, 4, 2, 4])
    for k in (10, case.pick(5, 7)):
        got = student.call("confusion_matrix", y_true, y_pred, k)
        expect(
            got,
            metrics.confusion_matrix(y_true, y_pred, k),
            what_=f"C with n_classes={k}",
            mistakes=CONFUSION,
            args=(y_true, y_pred, k),
            dtype="any",
            equation="C[true class, predicted class] += 1 per example",
        )


# ----------------------------------------------------------------------------------------------- precision, recall


def _swapped(C):
    precision, recall = metrics.precision_recall(C)
    return recall, precision


def _nan_for_empty(C):
    diagonal = np.diag(C).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return diagonal / C.sum(axis=0), diagonal / C.sum(axis=1)


def _by_total(C):
    return np.diag(C) / C.sum(), np.diag(C) / C.sum()


PRECISION = (
    Mistake(
        Code.SWAPPED,
        "precision and recall are swapped: precision divides by the column sums (what was "
        "predicted), recall by the row sums (what is true)",
        wrong=_swapped,
    ),
    Mistake(
        Code.NAN_FOR_EMPTY_CLASS,
        "nan for a class never predicted (0 / 0): count it as 0",
        wrong=_nan_for_empty,
        by_rule=True,
    ),
    Mistake(
        Code.DIVIDED_BY_TOTAL,
        "you divide by the total count; divide by the column (precision) or row (recall) sums",
        wrong=_by_total,
    ),
)


@check(name="precision_recall", section="precision", mistakes=PRECISION)
def check_precision_recall(student, case):
    C = case.pick(
        np.array([[5, 1, 0, 0], [2, 6, 1, 0], [0, 0, 7, 0], [1, 0, 2, 0]]),  # class 3 never predicted
        np.array([[3, 0, 1], [1, 4, 0], [2, 0, 0]]),
    )  # class 2 never right
    result = student.call("precision_recall", C)
    if not (isinstance(result, tuple | list) and len(result) == 2):
        raise Stop(Code.WRONG_TYPE, f"precision_recall returned {type(result).__name__}; return precision, recall")
    expected = metrics.precision_recall(C)
    for index, name in enumerate(("precision", "recall")):
        got = result[index]
        if isinstance(got, np.ndarray) and got.shape == expected[index].shape and np.isnan(got).any():
            raise Stop.of(PRECISION[1], f"{name}: {PRECISION[1].message}, e.g. np.divide(..., where=denominator > 0)")
        rows = tuple(
            Mistake(row.code, row.message, row.section, lambda C, wrong=row.wrong, i=index: wrong(C)[i])
            for row in PRECISION
        )
        expect(
            got,
            expected[index],
            what_=name,
            mistakes=rows,
            args=(C,),
            equation={"precision": "C[j, j] / column j's sum", "recall": "C[i, i] / row i's sum"}[name],
        )


# ----------------------------------------------------------------------------------------------- the hardest digit


@functools.lru_cache(maxsize=1)
def lab_predictions() -> tuple[np.ndarray, np.ndarray]:
    """The lab's predictions: a 784-32-10 network trained for one epoch (seeded), on the validation images."""
    from ..data import load_dataset
    from ..train import sgd

    rng = np.random.default_rng(0)
    data = load_dataset(rng=rng, dtype=np.float32)
    params = model.init_params(784, 32, 10, rng=rng, scheme="he", dtype=np.float32)
    params, _ = sgd(
        params, data.X_train, data.y_train, rng=rng, learning_rate=0.1, momentum=0.9, batch_size=100, epochs=1
    )
    return read_only((data.y_val, deep.predict(params, data.X_val)))


@check(
    name="hardest_digit",
    section="precision",
    function=None,
    helpers=("accuracy", "confusion_matrix", "precision_recall"),
)
def check_hardest_digit(student, case):
    """Recomputed with the learner's accuracy, confusion_matrix and precision_recall on the lab's predictions; the
    typed val_accuracy and hardest_digit (self-check) must be what they give."""
    y_true, y_pred = lab_predictions()
    accuracy, C = student.calls([("accuracy", (y_true, y_pred), {}), ("confusion_matrix", (y_true, y_pred, 10), {})])
    recall = student.call("precision_recall", np.asarray(C))[1]
    right_C = metrics.confusion_matrix(y_true, y_pred)
    expect(accuracy, metrics.accuracy(y_true, y_pred), what_="your accuracy of the lab's predictions")
    expect(C, right_C, what_="your confusion matrix of the lab's predictions", dtype="any")
    hardest = int(metrics.precision_recall(right_C)[1].argmin())
    expect(int(np.argmin(recall)), hardest, what_="the digit of lowest recall by your precision_recall")
    if student.has_values:
        expect(
            student.value("val_accuracy"),
            metrics.accuracy(y_true, y_pred),
            what_="val_accuracy",
            equation="accuracy(y_true, y_pred), as computed above",
        )
        expect(
            student.value("hardest_digit"),
            hardest,
            what_="hardest_digit",
            equation="the digit of lowest recall: recall.argmin()",
        )


# ----------------------------------------------------------------------------------------------- calibration


def calibration(confidence, correct, n_bins, *, mistake=None):
    """Per bin of confidence ([0, 1/n), [1/n, 2/n), ..., [1 - 1/n, 1], the last closed): the mean confidence, the
    accuracy, and the count of predictions in it; 0 and 0 for an empty bin."""
    index = np.minimum((confidence * n_bins).astype(int), n_bins - 1)  # (m,) bin of each prediction
    if mistake == Code.BINS_WRONG:
        index = (confidence * n_bins).astype(int)  # confidence 1.0 lands outside
        keep = index < n_bins
        index, confidence, correct = index[keep], confidence[keep], correct[keep]
    count = np.bincount(index, minlength=n_bins)
    total_confidence = np.bincount(index, weights=confidence, minlength=n_bins)
    total_correct = np.bincount(index, weights=correct.astype(float), minlength=n_bins)
    mean = np.divide(total_confidence, count, out=np.zeros(n_bins), where=count > 0)
    accuracy = np.divide(total_correct, count, out=np.zeros(n_bins), where=count > 0)
    return mean, accuracy, count


def _calibration_last_bin_open(confidence, correct, n_bins):
    return calibration(confidence, correct, n_bins, mistake=Code.BINS_WRONG)


def _calibration_nan(confidence, correct, n_bins):
    mean, accuracy, count = calibration(confidence, correct, n_bins)
    mean, accuracy = mean.copy(), accuracy.copy()
    mean[count == 0] = np.nan
    accuracy[count == 0] = np.nan
    return mean, accuracy, count


CALIBRATION = (
    Mistake(
        Code.BINS_WRONG,
        "a confidence of exactly 1 falls outside the bins: the last bin includes 1",
        wrong=_calibration_last_bin_open,
    ),
    Mistake(
        Code.NAN_FOR_EMPTY_CLASS,
        "nan for an empty bin (0 / 0): give 0 there, as its count is 0",
        wrong=_calibration_nan,
        by_rule=True,
    ),
)


@check(name="calibration", section="precision", mistakes=CALIBRATION)
def check_calibration(student, case):
    rng = case.rng(55)
    n_bins = case.variant.bins
    confidence = np.concatenate([rng.uniform(0.3, 1.0, size=case.pick(40, 57)), [1.0, 0.5, 1.0 / n_bins]])
    correct = rng.random(confidence.size) < confidence
    result = student.call("calibration", confidence, correct, n_bins)
    if not (isinstance(result, tuple | list) and len(result) == 3):
        raise Stop(
            Code.WRONG_TYPE,
            f"calibration returned {type(result).__name__}; return mean_confidence, accuracy, "
            "count (one entry per bin)",
        )
    expected = calibration(confidence, correct, n_bins)
    for index, name in enumerate(("mean_confidence", "accuracy", "count")):
        got = result[index]
        if isinstance(got, np.ndarray) and got.dtype.kind == "f" and np.isnan(got).any():
            raise Stop.of(CALIBRATION[1])
        rows = tuple(
            Mistake(row.code, row.message, row.section, lambda *args, wrong=row.wrong, i=index: wrong(*args)[i])
            for row in CALIBRATION
        )
        expect(
            got,
            expected[index],
            what_=f"{name} with {n_bins} bins",
            mistakes=rows,
            args=(confidence, correct, n_bins),
            dtype="any",
            equation="bin i holds confidences in [i/n, (i+1)/n), the last also 1",
        )


LAB = register(
    LabSpec(
        name="lab05",
        title="Evaluation",
        questions=(
            Question("q1", 1, "accuracy"),
            Question("q2", 2, "confusion_matrix"),
            Question("q3", 2, "precision_recall"),
            Question("q4", 1, "hardest_digit"),
            Question("q5", 2, "calibration"),
            Question("q6", 2, title="the most confused pair"),
            Question("q7", 2, title="reading the calibration"),
        ),
        forbidden=("mnistnn.metrics.accuracy", "mnistnn.metrics.confusion_matrix", "mnistnn.metrics.precision_recall"),
        allowed="forward, predict, load_dataset, init_params, sgd, and mnistnn's plots",
        parameters=("bins",),
    )
)
