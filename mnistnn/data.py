"""MNIST: load it, check it, and bring it into the network's layout (notebook 01).

The arrays come in the layout of ``keras.datasets.mnist.load_data()``: images (n, 28, 28) uint8
in 0..255 and labels (n,) uint8 in 0..9. The network wants one column per example, scaled
to [0, 1]: X (784, m) float.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._checks import check_array, check_fits_in_memory, check_float_dtype, check_positive_int, check_rng, describe

if TYPE_CHECKING:
    import pandas as pd

N_PIXELS = 28 * 28
N_CLASSES = 10
ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")

#: sha256 of each array's bytes in the bundled copy (listed in mnistnn/bundled/README.md).
CHECKSUMS = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}

Split = tuple[np.ndarray, np.ndarray]


class DataFormatError(ValueError):
    """A data or params file, or an array read from one, is not in the expected layout."""


def bundled_path() -> Path:
    """Path of the MNIST copy shipped inside the package (see ``mnistnn/bundled/README.md``)."""
    return Path(str(resources.files("mnistnn") / "bundled" / "mnist.npz"))


def _sha256(array: np.ndarray) -> str:
    """sha256 of an array's bytes (C order)."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def check_images_and_labels(x: object, y: object, what: str = "images") -> Split:
    """Check images (n, 28, 28) with integer pixels in 0..255 and labels (n,) in 0..9.

    Parameters
    ----------
    x : ndarray of shape (n, 28, 28)
        Images, integer pixel values in 0..255.
    y : ndarray of shape (n,)
        Integer labels in 0..9.
    what : str
        Name used in error messages (e.g. the file name).

    Returns
    -------
    x, y : ndarray
        The same data as uint8 (no copy when it already is).

    Raises
    ------
    DataFormatError
        When a shape, dtype or value is not what MNIST has, saying which and what was found.
    """
    for name, value in (("images", x), ("labels", y)):
        if not isinstance(value, np.ndarray):
            raise DataFormatError(f"{what}: {name} must be a NumPy array; got {describe(value)}")
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise DataFormatError(f"{what}: images must have shape (n, 28, 28); got {x.shape}")
    if x.shape[0] == 0:
        raise DataFormatError(f"{what}: holds no images")
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise DataFormatError(f"{what}: labels must have shape ({x.shape[0]},), one per image; got {y.shape}")
    for name, value in (("images", x), ("labels", y)):
        if value.dtype.kind not in "iu":
            raise DataFormatError(f"{what}: {name} must be integers (uint8 in MNIST); got dtype {value.dtype}")
    if x.size and (x.min() < 0 or x.max() > 255):
        raise DataFormatError(f"{what}: pixel values must be in 0..255; got {x.min()}..{x.max()}")
    if y.size and (y.min() < 0 or y.max() >= N_CLASSES):
        raise DataFormatError(f"{what}: labels must be digits 0..9; got {y.min()}..{y.max()}")
    return x.astype(np.uint8, copy=False), y.astype(np.uint8, copy=False)


NPZ_LIMIT = 2**30
"""The most memory, in bytes, that :func:`read_npz` lets the arrays of one file take (1 GiB): MNIST needs 55 MB,
a network of 800 hidden units 5 MB."""


def _check_npz_file(path: str | os.PathLike, what: str) -> Path:
    """The path, once its first bytes show a zip file (an .npz), not a pickle, an .npy or anything else."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path} (expected {what})")
    with open(path, "rb") as file:
        magic = file.read(6)
    if not magic:
        raise DataFormatError(f"{path} is empty (0 bytes); expected {what}")
    if magic.startswith(b"\x93NUMPY"):
        raise DataFormatError(f"{path} holds a single array (.npy), not {what}")
    if magic.startswith(b"\x80"):
        raise DataFormatError(
            f"{path} is a Python pickle, which mnistnn never loads (it can run code); expected {what}"
        )
    if not magic.startswith(b"PK"):
        raise DataFormatError(
            f"{path} is not {what}: an .npz is a zip file, and this one is not (it starts with {magic!r})"
        )
    return path


def read_npz(
    path: str | os.PathLike, what: str = "an .npz archive", *, max_bytes: int = NPZ_LIMIT
) -> dict[str, np.ndarray]:
    """Read every array of an .npz file, never unpickling anything; clear errors otherwise.

    Before any array is read, the header of each one is checked against the size of its data in the
    archive, and the memory they claim in all against ``max_bytes`` and this machine's memory: a small file
    whose headers claim huge arrays is refused, not allocated.
    """
    path = _check_npz_file(path, what)
    try:
        # Open the file ourselves: np.load leaks its handle when a zip turns out to be corrupt.
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as archive:
            _check_declared_sizes(archive, path, max_bytes)
            return {name: archive[name] for name in archive.files}
    except DataFormatError:
        raise
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise DataFormatError(
                f"{path} contains pickled Python objects, which mnistnn never loads "
                "(they can run code); save plain arrays with np.savez"
            ) from None
        raise DataFormatError(f"{path} is not a readable .npz archive: {str(error)[:200]}") from None
    except Exception as error:  # noqa: BLE001  a damaged header can raise almost anything in numpy or zipfile
        raise DataFormatError(
            f"{path} is not a readable .npz archive (truncated or corrupt?): {type(error).__name__}: {str(error)[:200]}"
        ) from None


def _declared_arrays(archive: np.lib.npyio.NpzFile, path: Path) -> dict[str, tuple[tuple[int, ...], int]]:
    """{name: (shape, bytes)} of every array, from the headers alone; refuses one whose header disagrees with its
    stored size (an object array is left to np.load, which refuses it as pickled)."""
    declared = {}
    for name in archive.files:
        info = archive.zip.getinfo(f"{name}.npy")
        with archive.zip.open(info) as member:
            major, _ = np.lib.format.read_magic(member)
            read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(member)
            header_size = member.tell()
        n_bytes = math.prod(shape) * dtype.itemsize
        if not dtype.hasobject and header_size + n_bytes != info.file_size:
            raise DataFormatError(
                f"{path}: the array {name!r} declares shape {shape} of {dtype} ({n_bytes:,} bytes) "
                f"but the file holds {info.file_size - header_size:,} bytes of data: it is damaged "
                "or was not written by np.savez"
            )
        declared[name] = (shape, n_bytes)
    return declared


def _check_declared_sizes(archive: np.lib.npyio.NpzFile, path: Path, max_bytes: int) -> None:
    """Refuse arrays whose headers disagree with their stored size, or that claim too much memory in all."""
    declared = _declared_arrays(archive, path)
    total = sum(n_bytes for _, n_bytes in declared.values())
    shapes = {name: shape for name, (shape, _) in declared.items()}
    if total > max_bytes:
        raise DataFormatError(
            f"{path}: its arrays would need {total / 2**20:,.0f} MiB of memory (shapes {shapes}), "
            f"more than the {max_bytes / 2**20:,.0f} MiB accepted for one file: "
            "the file is damaged or not what mnistnn expects"
        )
    check_fits_in_memory(
        total,
        f"{path}: its arrays (shapes {shapes})",
        "the file is damaged or not what mnistnn expects",
        error=DataFormatError,
    )


def npz_shapes(path: str | os.PathLike, what: str = "an .npz archive") -> dict[str, tuple[int, ...]]:
    """The shape of every array of an .npz file, read from the headers only (nothing is loaded)."""
    path = _check_npz_file(path, what)
    try:
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as archive:
            return {name: shape for name, (shape, _) in _declared_arrays(archive, path).items()}
    except DataFormatError:
        raise
    except Exception as error:  # noqa: BLE001  as in read_npz: a damaged header can raise almost anything
        raise DataFormatError(
            f"{path} is not a readable .npz archive: {type(error).__name__}: {str(error)[:200]}"
        ) from None


def _read_mnist_npz(path: Path) -> dict[str, np.ndarray]:
    """The four MNIST arrays of an .npz file."""
    arrays = read_npz(path, "an .npz archive of MNIST arrays")
    missing = [name for name in ARRAY_NAMES if name not in arrays]
    if missing:
        raise DataFormatError(
            f"{path} lacks the arrays {missing}; it has {sorted(arrays)}, "
            f"but the Keras MNIST layout needs {list(ARRAY_NAMES)}"
        )
    return arrays


def _load_keras() -> dict[str, np.ndarray]:
    """MNIST through keras.datasets.mnist.load_data() (downloads it on first use)."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        from keras.datasets import mnist
    except ImportError as error:
        raise ImportError(
            "source='keras' needs Keras and a backend for it; install them with "
            "`pip install keras jax` (mnistnn uses the JAX backend: KERAS_BACKEND=jax). "
            f"Import failed with: {error}. The same arrays ship with mnistnn: load_mnist('bundled')"
        ) from None
    try:
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    except Exception as error:  # noqa: BLE001  Keras raises a bare Exception when the download fails
        raise OSError(
            f"keras.datasets.mnist.load_data() failed ({error}); it downloads MNIST on "
            "first use. Offline, use the copy shipped with mnistnn: load_mnist('bundled')"
        ) from None
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def load_mnist(source: str | os.PathLike = "bundled") -> tuple[Split, Split]:
    """Load MNIST as ``keras.datasets.mnist.load_data()`` returns it.

    Parameters
    ----------
    source : "bundled", "keras" or path
        ``"bundled"`` (default): the copy shipped with mnistnn, no network needed, checked
        against the sha256 checksums recorded when the copy was
        made (mnistnn/bundled/README.md). ``"keras"``: call Keras itself (needs Keras
        with a backend, and the network on first use). A path: another .npz file with the
        arrays ``x_train, y_train, x_test, y_test`` in that layout.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        Images uint8 of shape (60000, 28, 28) and (10000, 28, 28), labels uint8 of shape
        (60000,) and (10000,) for the real MNIST.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    DataFormatError
        The file is not an .npz, lacks an array, has wrong shapes, dtypes or values, holds pickled
        objects, or (bundled) does not match its recorded checksums.
    ImportError
        ``source="keras"`` without Keras or a backend.
    """
    if isinstance(source, str) and source == "keras":
        arrays = _load_keras()
        what = "keras.datasets.mnist"
    elif isinstance(source, str) and source == "bundled":
        arrays = _read_mnist_npz(bundled_path())
        for name, expected in CHECKSUMS.items():
            if _sha256(arrays[name]) != expected:
                raise DataFormatError(
                    f"the bundled {name} does not match its recorded sha256 checksum: "
                    "the package's copy of MNIST is damaged; reinstall mnistnn"
                )
        what = "bundled MNIST"
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        arrays = _read_mnist_npz(path)
        what = str(path)
    else:
        raise TypeError(f"source must be 'bundled', 'keras' or a path to an .npz file; got {describe(source)}")
    train = check_images_and_labels(arrays["x_train"], arrays["y_train"], f"{what} (train)")
    test = check_images_and_labels(arrays["x_test"], arrays["y_test"], f"{what} (test)")
    return train, test


def write_kaggle_csv(path: str | os.PathLike, x: np.ndarray, y: np.ndarray) -> None:
    """Write images and labels as a Kaggle "Digit Recognizer" train.csv.

    Parameters
    ----------
    path : path
        Where to write. Columns ``label, pixel0, ..., pixel783``, one row per image.
    x : ndarray of shape (n, 28, 28)
        Images, integer pixels in 0..255.
    y : ndarray of shape (n,)
        Labels in 0..9.
    """
    import pandas as pd

    x, y = check_images_and_labels(x, y)
    frame = pd.DataFrame(x.reshape(x.shape[0], N_PIXELS), columns=[f"pixel{j}" for j in range(N_PIXELS)])
    frame.insert(0, "label", y)
    frame.to_csv(path, index=False)


def read_kaggle_csv(path: str | os.PathLike) -> Split:
    """Read a Kaggle "Digit Recognizer" train.csv with pandas, as the original notebook did.

    Parameters
    ----------
    path : path
        CSV with the header ``label,pixel0,...,pixel783`` and one image per row.

    Returns
    -------
    x : ndarray of shape (n, 28, 28), uint8
    y : ndarray of shape (n,), uint8
        The same layout as :func:`load_mnist`.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    DataFormatError
        Not a CSV, missing or extra columns, non-numeric cells, labels outside 0..9 or pixels
        outside 0..255.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no CSV file at {path}")
    frame = _csv_columns(_parse_csv(path), path)
    values = _whole_numbers(frame, path)
    x = values[:, 1:].reshape(-1, 28, 28)
    return check_images_and_labels(x, values[:, 0], str(path))


def _parse_csv(path: Path) -> pd.DataFrame:
    """The CSV as pandas reads it (gzipped or not), or a DataFormatError that says what is wrong with the file."""
    import pandas as pd

    with open(path, "rb") as file:
        magic = file.read(4)
    if magic.startswith(b"PK"):
        raise DataFormatError(f"{path} is a zip archive, not a CSV file: extract the CSV from it first")
    compression = "gzip" if magic.startswith(b"\x1f\x8b") else None  # gzipped, whatever its name: read as is
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # rows longer than the header
            frame = pd.read_csv(path, compression=compression, index_col=False)
    except pd.errors.ParserError as error:
        cells = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
        detail = (
            f"line {cells[2]} has {cells[3]} cells but the header names {cells[1]} columns"
            if cells
            else str(error).strip()[:200]
        )
        raise DataFormatError(
            f"{path} is not a valid CSV file: {detail}. Every row must hold one label and "
            f"{N_PIXELS} pixels, separated by commas"
        ) from None
    except pd.errors.ParserWarning:
        raise DataFormatError(
            f"{path}: its rows have more cells than its header has column names; every row "
            f"must hold one label and {N_PIXELS} pixels"
        ) from None
    except (pd.errors.EmptyDataError, UnicodeDecodeError, OSError, EOFError) as error:
        raise DataFormatError(f"{path} is not a readable CSV file: {str(error).strip()[:200]}") from None
    return frame


def _csv_columns(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The frame's columns label, pixel0, ..., pixel783, in that order (taken by name), or a DataFormatError."""
    expected = ["label"] + [f"pixel{j}" for j in range(N_PIXELS)]
    columns = [str(c) for c in frame.columns]
    if len(columns) == 1 and ";" in columns[0]:
        raise DataFormatError(
            f"{path} is separated by semicolons (;), not commas: re-save it as a "
            "comma-separated file, or read it with pd.read_csv(path, sep=';') and write it "
            "back with mnistnn.write_kaggle_csv"
        )
    if sorted(columns) == sorted(expected):
        frame = frame[expected]  # the right columns in another order: take them by name
    elif columns != expected:
        missing = [c for c in expected if c not in columns]
        extra = [c[:30] for c in columns if c not in expected]
        raise DataFormatError(
            f"{path} must have the columns label, pixel0, ..., pixel783; "
            f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
            f"unexpected {extra[:5]}{'...' if len(extra) > 5 else ''}"
        )
    if frame.empty:
        raise DataFormatError(f"{path}: holds no images (the header but no rows)")
    return frame


def _whole_numbers(frame: pd.DataFrame, path: Path) -> np.ndarray:
    """The frame's cells as whole numbers (int64), or a DataFormatError naming what is not one."""
    non_numeric = [c for c in frame.columns if frame[c].dtype.kind not in "iuf"]
    if non_numeric:
        raise DataFormatError(
            f"{path}: columns {non_numeric[:5]} hold non-numeric values; every cell must be a whole number"
        )
    values = frame.to_numpy()
    if values.dtype.kind == "f":
        if not np.isfinite(values).all():
            raise DataFormatError(f"{path} has empty or NaN cells; every cell must be a whole number")
        if (values != np.round(values)).any():
            raise DataFormatError(f"{path} has fractional values; pixels and labels must be whole numbers")
        if values.min() < -1 or values.max() > 256:  # checked before the cast, which would wrap huge values
            raise DataFormatError(
                f"{path} has values from {values.min():g} to {values.max():g}; labels must be 0..9 and pixels 0..255"
            )
        values = values.astype(np.int64)
    return values


def flatten_images(x: np.ndarray) -> np.ndarray:
    """Turn images (m, 28, 28) into the network's layout, one column per example.

    Parameters
    ----------
    x : ndarray of shape (m, 28, 28)

    Returns
    -------
    X : ndarray of shape (784, m)
        Column i holds image i, row by row (pixel ``28 * r + c`` is row r, column c).
    """
    x = check_array(x, "x", "(m, 28, 28)")
    if x.ndim != 3:
        raise ValueError(f"x must be images of shape (m, 28, 28); got shape {x.shape}")
    return x.reshape(x.shape[0], -1).T


def scale_pixels(X: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """Scale integer pixels 0..255 to floats in [0, 1].

    Apply it to the training, validation AND test images alike: a network trained on [0, 1]
    inputs sees nonsense when given 0..255.

    Parameters
    ----------
    X : ndarray of integers in 0..255, any shape
    dtype : numpy float type
        Type of the result (float64 by default).

    Returns
    -------
    ndarray of the same shape, values in [0, 1]
    """
    X = check_array(X, "X", "(..., any shape) of integer pixels")
    if X.dtype.kind not in "iu":
        raise TypeError(
            f"X must be an array of integer pixels 0..255 (already scaled? then leave it); got {describe(X)}"
        )
    dtype = check_float_dtype(dtype, "dtype")
    if X.size and (X.min() < 0 or X.max() > 255):
        raise ValueError(f"pixel values must be in 0..255; got {X.min()}..{X.max()}")
    return np.divide(X, 255, dtype=dtype)  # one pass, no integer-to-float copy first


def shuffle(x: np.ndarray, y: np.ndarray, *, rng: np.random.Generator) -> Split:
    """Shuffle examples and their labels together (along the first axis).

    Parameters
    ----------
    x : ndarray of shape (n, ...)
        Examples, one per row (the layout of :func:`load_mnist`).
    y : ndarray of shape (n,)
        Their labels.
    rng : numpy.random.Generator
        Source of randomness; the same seed gives the same order.

    Returns
    -------
    x, y : ndarray
        Shuffled copies; the inputs are left untouched.
    """
    check_rng(rng)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length; got {len(x)} and {len(y)}")
    order = rng.permutation(len(y))
    return x[order], y[order]


def train_val_split(
    x: np.ndarray, y: np.ndarray, *, val_size: int = 10_000, rng: np.random.Generator
) -> tuple[Split, Split]:
    """Shuffle, then hold out a validation set.

    Use it on the training data only: the test set stays apart until the very end.

    Parameters
    ----------
    x : ndarray of shape (n, ...)
    y : ndarray of shape (n,)
    val_size : int
        Number of examples held out for validation, 1 <= val_size < n.
    rng : numpy.random.Generator

    Returns
    -------
    (x_train, y_train), (x_val, y_val)
        n - val_size and val_size examples, disjoint.
    """
    val_size = check_positive_int(val_size, "val_size")
    if val_size >= len(y):
        raise ValueError(f"val_size must be smaller than the number of examples ({len(y)}); got {val_size}")
    x, y = shuffle(x, y, rng=rng)
    return (x[val_size:], y[val_size:]), (x[:val_size], y[:val_size])


@dataclass(frozen=True, eq=False)
class Dataset:
    """MNIST in the network's layout: X (784, m) scaled to [0, 1], y (m,) int64.

    Two datasets are equal only when they are the same object (``eq=False``): comparing arrays element by
    element is a question for ``np.array_equal``, and a dataset can be a key of a dict or a member of a set.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={getattr(self, 'X_' + name).shape}" for name in ("train", "val", "test"))
        return f"Dataset({sizes})"


def load_dataset(
    *, rng: np.random.Generator, val_size: int = 10_000, source: str | os.PathLike = "bundled", dtype: type = np.float64
) -> Dataset:
    """Load MNIST, hold out a validation set, and bring every split into the network's layout.

    Parameters
    ----------
    rng : numpy.random.Generator
        Shuffles the training data before the validation set is taken from it.
    val_size : int
        Number of training images held out for validation (10,000 by default).
    source : "bundled", "keras" or path
        As for :func:`load_mnist`.
    dtype : numpy float type
        Type of the X arrays.

    Returns
    -------
    Dataset
        ``X_train`` (784, 60000 - val_size), ``X_val`` (784, val_size), ``X_test`` (784, 10000), all
        scaled to [0, 1] and column-major (``X[:, i]``, example i, is contiguous), and the labels ``y_*`` as int64.
    """
    check_rng(rng)
    dtype = check_float_dtype(dtype, "dtype")  # checked before the data is read, not after
    (x_train, y_train), (x_test, y_test) = load_mnist(source)
    (x_train, y_train), (x_val, y_val) = train_val_split(x_train, y_train, val_size=val_size, rng=rng)

    def layout(x: np.ndarray) -> np.ndarray:
        # Column-major, as flatten_images gives it (each example's 784 pixels side by side in memory): a slice of
        # columns X[:, :k] is then one block, and a mini-batch is a quick gather of whole examples, with no copy.
        return scale_pixels(flatten_images(np.ascontiguousarray(x)), dtype=dtype)

    return Dataset(
        layout(x_train),
        y_train.astype(np.int64),
        layout(x_val),
        y_val.astype(np.int64),
        layout(x_test),
        y_test.astype(np.int64),
    )
