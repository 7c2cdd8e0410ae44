"""Lab 01 · Data preparation: images to columns, a seeded split, a stratified split, the prepared data set."""

from __future__ import annotations

import functools

import numpy as np

from ..data import flatten_images, load_mnist, scale_pixels
from .calls import Seeded
from .compare import expect
from .core import Code, Mistake, Stop, check
from .labs import LabSpec, Question, register

# ----------------------------------------------------------------------------------------------- prepare_images


def _prepare_rows(x):
    return x.reshape(x.shape[0], -1) / 255


def _prepare_unscaled(x):
    return x.reshape(x.shape[0], -1).T.astype(np.float64)


def _prepare_integer_division(x):
    return x.reshape(x.shape[0], -1).T // 255


def _prepare_reshape_order(x):
    return x.reshape(784, x.shape[0]) / 255


def _prepare_by_max(x):
    return x.reshape(x.shape[0], -1).T / x.max()


PREPARE = (
    Mistake(
        Code.UNSCALED,
        "the pixels are not scaled: they go up to 255; divide by 255 so that they lie in [0, 1] "
        "(the network expects inputs in [0, 1])",
        wrong=_prepare_unscaled,
    ),
    Mistake(
        Code.INTEGER_DIVISION,
        "integer division: `// 255` leaves only 0s and 1s; use `/ 255`",
        wrong=_prepare_integer_division,
    ),
    Mistake(
        Code.RESHAPE_ORDER,
        "each column mixes pixels of several images: reshape to (m, 784) first, then "
        "transpose, not reshape to (784, m)",
        wrong=_prepare_reshape_order,
    ),
    Mistake(
        Code.DIVIDED_BY_MAX,
        "divided by the largest pixel of the batch instead of 255: the same image would "
        "scale differently in another batch",
        wrong=_prepare_by_max,
    ),
    Mistake(Code.TRANSPOSED, "", wrong=_prepare_rows, by_rule=True),
)


@check(name="prepare_images", section="prepare", mistakes=PREPARE)
def check_prepare_images(student, case):
    rng = case.rng(11)
    x = rng.integers(0, 256, size=(case.pick(5, 8), 28, 28), dtype=np.uint8)
    x[0, 0, 0], x[1] = 255, x[1] // 2  # image 1 is darker: its brightest pixel is below 255
    expected = scale_pixels(flatten_images(x))
    expect(
        student.call("prepare_images", x),
        expected,
        what_="the result",
        mistakes=PREPARE,
        args=(x,),
        inputs=(x,),
        equation="X[:, i] = image i's 784 pixels, row after row, / 255",
    )
    dark = x[1:2]
    expect(
        student.call("prepare_images", dark),
        expected[:, 1:2],
        what_="the result for one darker image",
        mistakes=PREPARE,
        args=(dark,),
        equation="/ 255, whatever the batch",
    )


# ----------------------------------------------------------------------------------------------- split


def numbered_images(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n images that carry their index in their first two pixels, and labels 0..9 in turn."""
    x = np.zeros((n, 28, 28), dtype=np.uint8)
    x[:, 0, 0], x[:, 0, 1] = np.arange(n) // 256, np.arange(n) % 256
    return x, (np.arange(n) % 10).astype(np.int64)


def image_ids(part: object, name: str) -> np.ndarray:
    """The indices numbered images carry, or a stop saying the part is not images."""
    if not isinstance(part, np.ndarray) or part.ndim != 3 or part.shape[1:] != (28, 28):
        raise Stop(
            Code.WRONG_SHAPE,
            f"{name} is not images of shape (n, 28, 28): split the examples along the first axis",
            section="split",
        )
    return part[:, 0, 0].astype(np.int64) * 256 + part[:, 0, 1]


def _parts(result, name):
    try:
        (x_train, y_train), (x_val, y_val) = result
    except (TypeError, ValueError):
        raise Stop(
            Code.WRONG_TYPE,
            f"{name} returned {type(result).__name__}; return (x_train, y_train), (x_val, y_val)",
            section="split",
        ) from None
    return x_train, y_train, x_val, y_val


def _split_all_for_training(x, y, *, val_size, rng):
    order = rng.permutation(len(y))
    return (x[order], y[order]), (x[order[:val_size]], y[order[:val_size]])


def _split_overlapping(x, y, *, val_size, rng):
    order = rng.permutation(len(y))
    return (x[order[val_size:]], y[order[val_size:]]), (x[order[-val_size:]], y[order[-val_size:]])


def _split_apart(x, y, *, val_size, rng):
    images, labels = rng.permutation(len(y)), rng.permutation(len(y))
    return (x[images[val_size:]], y[labels[val_size:]]), (x[images[:val_size]], y[labels[:val_size]])


def _split_in_order(x, y, *, val_size, rng):
    return (x[val_size:], y[val_size:]), (x[:val_size], y[:val_size])


def _split_global(x, y, *, val_size, rng):
    order = np.random.default_rng().permutation(len(y))
    return (x[order[val_size:]], y[order[val_size:]]), (x[order[:val_size]], y[order[:val_size]])


def _split_fixed(x, y, *, val_size, rng):
    order = np.random.default_rng(42).permutation(len(y))
    return (x[order[val_size:]], y[order[val_size:]]), (x[order[:val_size]], y[order[:val_size]])


def _split_with_a_repeat(x, y, *, val_size, rng):
    order = rng.permutation(len(y))
    train = np.concatenate([order[val_size:-1], order[val_size : val_size + 1]])  # one example twice, one lost
    return (x[train], y[train]), (x[order[:val_size]], y[order[:val_size]])


SPLIT = (
    Mistake(Code.WRONG_SIZES, "", wrong=_split_all_for_training, by_rule=True),
    Mistake(Code.OVERLAP, "", wrong=_split_overlapping, by_rule=True),
    Mistake(
        Code.LOST_EXAMPLES,
        "some examples appear twice and others not at all: split one permutation of the indices into two parts",
        wrong=_split_with_a_repeat,
        by_rule=True,
    ),
    Mistake(Code.LABELS_SHUFFLED_APART, "", wrong=_split_apart, by_rule=True),
    Mistake(Code.NOT_SHUFFLED, "", wrong=_split_in_order, by_rule=True),
    Mistake(
        Code.NOT_REPRODUCIBLE,
        "two calls with the same seed gave different splits: draw the permutation from the "
        "rng argument, not from np.random",
        wrong=_split_global,
        by_rule=True,
    ),
    Mistake(
        Code.RNG_IGNORED,
        "two different seeds gave the same split: use the rng argument, not a generator seeded inside the function",
        wrong=_split_fixed,
        by_rule=True,
    ),
)


def judge_split(student, name: str, n: int, val_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The checks every split shares (sizes, no overlap, nothing lost, labels with their images, shuffled, seeded);
    returns the training and validation ids."""
    x, y = numbered_images(n)
    x_train, y_train, x_val, y_val = _parts(student.call(name, x, y, val_size=val_size, rng=Seeded(0)), name)
    train, val = image_ids(x_train, "x_train"), image_ids(x_val, "x_val")
    if len(val) != val_size or len(train) != n - val_size:
        raise Stop(
            Code.WRONG_SIZES,
            f"with {n} examples and val_size={val_size}, expected {n - val_size} training and "
            f"{val_size} validation examples; got {len(train)} and {len(val)}",
            section="split",
        )
    overlap = np.intersect1d(train, val).size
    if overlap:
        raise Stop(
            Code.OVERLAP,
            f"{overlap} of the {val_size} validation examples are also in the training set: a "
            "validation score on examples the network trained on says nothing about new digits",
            section="split",
        )
    if np.unique(np.concatenate([train, val])).size != n:
        raise Stop.of(SPLIT[2])
    for labels, ids, part in ((y_train, train, "y_train"), (y_val, val, "y_val")):
        if not isinstance(labels, np.ndarray) or labels.shape != ids.shape or not np.array_equal(labels, y[ids]):
            raise Stop(
                Code.LABELS_SHUFFLED_APART,
                f"{part} no longer matches its images: shuffle images and labels with the same permutation",
                section="split",
            )
    if np.array_equal(np.sort(val), val) and (val.max() < val_size or val.min() >= n - val_size):
        raise Stop(
            Code.NOT_SHUFFLED,
            f"the validation set is the first or last {val_size} examples, in order: shuffle before splitting",
            section="split",
        )
    again, other = student.calls(
        [
            (name, (x, y), {"val_size": val_size, "rng": Seeded(0)}),
            (name, (x, y), {"val_size": val_size, "rng": Seeded(1)}),
        ]
    )
    if not np.array_equal(image_ids(_parts(again, name)[2], "x_val"), val):
        raise Stop.of(SPLIT[5])
    if np.array_equal(image_ids(_parts(other, name)[2], "x_val"), val):
        raise Stop.of(SPLIT[6])
    return train, val


@check(name="split", section="split", mistakes=SPLIT)
def check_split(student, case):
    judge_split(student, "split", case.pick(300, 170), case.pick(60, 30))


# ----------------------------------------------------------------------------------------------- stratified


def _stratified_plain(x, y, *, val_size, rng):
    order = rng.permutation(len(y))
    return (x[order[val_size:]], y[order[val_size:]]), (x[order[:val_size]], y[order[:val_size]])


STRATIFIED = (Mistake(Code.NOT_STRATIFIED, "", wrong=_stratified_plain, by_rule=True),)


@check(name="stratified_split", section="split", mistakes=STRATIFIED)
def check_stratified_split(student, case):
    n, val_size = case.pick(400, 330), case.pick(100, 66)
    x, y = numbered_images(n)
    y[:] = np.where(np.arange(n) % 10 < 7, 0, np.arange(n) % 10)  # unbalanced: 70% zeros, a few of each other
    result = student.call("stratified_split", x, y, val_size=val_size, rng=Seeded(0))
    x_train, y_train, x_val, y_val = _parts(result, "stratified_split")
    val = image_ids(x_val, "x_val")
    if len(val) != val_size or len(image_ids(x_train, "x_train")) != n - val_size:
        raise Stop(
            Code.WRONG_SIZES,
            f"with {n} examples and val_size={val_size}, expected {n - val_size} training "
            f"and {val_size} validation examples",
            section="split",
        )
    counts = np.bincount(y[val], minlength=10)
    share = np.bincount(y, minlength=10) * val_size / n
    if np.abs(counts - share).max() >= 1 + 1e-9:
        digit = int(np.abs(counts - share).argmax())
        raise Stop(
            Code.NOT_STRATIFIED,
            f"the validation set holds {counts[digit]} examples of digit {digit}; "
            f"stratified, it would hold {share[digit]:.1f} (its share of all the examples, to within one): "
            "split each digit's examples separately, in proportion",
            section="split",
        )
    # the rest of a split's duties, on numbered images whose labels cycle 0..9
    judge_split(student, "stratified_split", n, val_size)


# ----------------------------------------------------------------------------------------------- the data set


@functools.lru_cache(maxsize=1)
def mnist_subset(n: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """The first n training images of MNIST and their labels."""
    (x, y), _ = load_mnist()
    x, y = x[:n].copy(), y[:n].astype(np.int64)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


@check(name="prepare_dataset", section="prepare", helpers=("split", "prepare_images"))
def check_prepare_dataset(student, case):
    """The learner's prepare_dataset on 3,000 MNIST images: the sets the learner's own split and prepare_images
    give, scaled, in columns, with their labels, reproducible."""
    x, y = mnist_subset()
    val_size = case.pick(500, 700)
    result = student.call("prepare_dataset", x, y, val_size=val_size, rng=Seeded(0))
    if not (isinstance(result, tuple) and len(result) == 4):
        raise Stop(
            Code.WRONG_TYPE, f"prepare_dataset returned {type(result).__name__}; return X_train, y_train, X_val, y_val"
        )
    x_train, y_train, x_val, y_val = _parts(student.call("split", x, y, val_size=val_size, rng=Seeded(0)), "split")
    expected = (student.call("prepare_images", x_train), y_train, student.call("prepare_images", x_val), y_val)
    reference = (scale_pixels(flatten_images(x_train)), None, scale_pixels(flatten_images(x_val)), None)
    for got, mine, right, name in zip(result, expected, reference, ("X_train", "y_train", "X_val", "y_val")):
        if right is not None:
            expect(
                mine,
                right,
                what_=f"your prepare_images of your split's {name[2:]} images",
                equation="prepare_images, then split: both checked above",
            )
        expect(got, mine, what_=name, equation=f"{name} = what your split and prepare_images give, with rng seed 0")


LAB = register(
    LabSpec(
        name="lab01",
        title="Data preparation",
        questions=(
            Question("q1", 2, "prepare_images"),
            Question("q2", 2, "split"),
            Question("q3", 2, "stratified_split"),
            Question("q4", 1, "prepare_dataset"),
            Question("q5", 2, title="predict, then verify: unscaled images"),
            Question("q6", 1, title="why stratify"),
        ),
        forbidden=(
            "mnistnn.data.flatten_images",
            "mnistnn.data.scale_pixels",
            "mnistnn.data.shuffle",
            "mnistnn.data.train_val_split",
            "mnistnn.data.load_dataset",
        ),
        allowed="load_mnist and mnistnn's plots",
        parameters=("val_size",),
    )
)
