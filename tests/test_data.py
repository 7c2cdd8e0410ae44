"""Loading MNIST, reading the Kaggle CSV, and bringing the arrays into the network's layout."""

import hashlib
import pickle
import sys

import numpy as np
import pytest

import mnistnn
from mnistnn import DataFormatError, flatten_images, load_mnist, read_kaggle_csv, scale_pixels, write_kaggle_csv

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_bundled_mnist_is_the_keras_layout_and_matches_the_published_checksums(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    for name, array in zip(("x_train", "y_train", "x_test", "y_test"), (x_train, y_train, x_test, y_test)):
        assert hashlib.sha256(array.tobytes()).hexdigest() == mnistnn.CHECKSUMS[name]
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS
    assert x_train.mean() / 255 == pytest.approx(0.1307, abs=5e-5)  # MNIST's well-known statistics
    assert (x_train / 255).std() == pytest.approx(0.3081, abs=5e-5)


def test_bundled_file_ships_with_its_attribution():
    notice = (mnistnn.data.bundled_path().parent / "README.md").read_text()
    assert "LeCun" in notice and "CC BY-SA 3.0" in notice


def test_a_damaged_bundled_copy_is_detected(monkeypatch, tmp_path, mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    damaged = x_test.copy()
    damaged[0, 0, 0] ^= 1
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=damaged, y_test=y_test)
    monkeypatch.setattr(mnistnn.data, "bundled_path", lambda: path)
    with pytest.raises(DataFormatError, match="bundled x_test does not match its recorded sha256"):
        load_mnist()


def save_mnist_like(path, n_train=20, n_test=10, **overrides):
    """Write a small .npz in the Keras layout (with any array replaced)."""
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    arrays.update(overrides)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return arrays


def test_load_mnist_from_a_path(tmp_path):
    arrays = save_mnist_like(tmp_path / "small.npz", x_train=np.full((20, 28, 28), 7, dtype=np.int64))
    (x_train, y_train), (x_test, y_test) = load_mnist(tmp_path / "small.npz")
    assert x_train.dtype == np.uint8 and (x_train == 7).all()
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    np.testing.assert_array_equal(x_test, arrays["x_test"])


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"y_test": None}, r"lacks the arrays \['y_test'\]"),
        ({"x_train": np.zeros((20, 784), dtype=np.uint8)}, r"images must have shape \(n, 28, 28\); got \(20, 784\)"),
        ({"y_train": np.zeros(19, dtype=np.uint8)}, r"labels must have shape \(20,\), one per image; got \(19,\)"),
        ({"x_train": np.zeros((20, 28, 28))}, "images must be integers .*got dtype float64"),
        ({"y_train": np.full(20, 10, dtype=np.uint8)}, r"labels must be digits 0\.\.9; got 10\.\.10"),
        ({"x_test": np.full((10, 28, 28), 300, dtype=np.int16)}, r"pixel values must be in 0\.\.255; got 300\.\.300"),
        ({"x_test": np.full((10, 28, 28), -1, dtype=np.int16)}, r"pixel values must be in 0\.\.255; got -1\.\.-1"),
        ({"x_test": np.full((10, 28, 28), np.nan)}, "images must be integers .*got dtype float64"),
        ({"x_test": np.zeros((0, 28, 28), dtype=np.uint8), "y_test": np.zeros(0, dtype=np.uint8)}, "holds no images"),
    ],
)
def test_load_mnist_rejects_bad_layouts(tmp_path, overrides, message):
    save_mnist_like(tmp_path / "bad.npz", **overrides)
    with pytest.raises(DataFormatError, match=message):
        load_mnist(tmp_path / "bad.npz")


def test_load_mnist_file_errors(tmp_path, mnist):
    with pytest.raises(FileNotFoundError, match="no file at .*missing.npz"):
        load_mnist(tmp_path / "missing.npz")
    (tmp_path / "text.npz").write_text("label,pixel0\n1,2\n")
    with pytest.raises(DataFormatError, match="is not an .npz archive of MNIST arrays: an .npz is a zip file"):
        load_mnist(tmp_path / "text.npz")
    save_mnist_like(tmp_path / "whole.npz")
    data = (tmp_path / "whole.npz").read_bytes()
    (tmp_path / "truncated.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match="not a readable .npz archive"):
        load_mnist(tmp_path / "truncated.npz")
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(DataFormatError, match=r"empty \(0 bytes\); expected an .npz archive of MNIST arrays"):
        load_mnist(tmp_path / "empty.npz")
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    with pytest.raises(DataFormatError, match="not a readable .npz archive"):
        load_mnist(tmp_path / "corrupt.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(DataFormatError, match=r"single array \(\.npy\), not an .npz"):
        load_mnist(tmp_path / "single.npy")
    with pytest.raises(TypeError, match="source must be 'bundled', 'keras' or a path"):
        load_mnist(42)


def test_load_mnist_never_unpickles(tmp_path):
    save_mnist_like(tmp_path / "pickled.npz", y_test=np.array([{"evil": 1}] * 10, dtype=object))
    with pytest.raises(DataFormatError, match="pickled Python objects, which mnistnn never loads"):
        load_mnist(tmp_path / "pickled.npz")
    (tmp_path / "mnist.pkl").write_bytes(pickle.dumps({"x_train": 1}))
    with pytest.raises(DataFormatError, match="is a Python pickle, which mnistnn never loads"):
        load_mnist(tmp_path / "mnist.pkl")


def test_keras_source_without_keras_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras", None)  # makes `import keras` fail
    monkeypatch.setitem(sys.modules, "keras.datasets", None)
    with pytest.raises(ImportError, match=r"pip install keras jax.*load_mnist\('bundled'\)"):
        load_mnist("keras")


def test_keras_source_calls_keras_and_checks_what_it_returns(monkeypatch, mnist):
    mnist_module = pytest.importorskip("keras.datasets.mnist")
    monkeypatch.setattr(mnist_module, "load_data", lambda: mnist)  # no download in tests
    (x_train, _), (x_test, _) = load_mnist("keras")
    assert x_train is mnist[0][0] and x_test is mnist[1][0]

    def offline():
        raise Exception("URL fetch failure on https://example.invalid/mnist.npz: None -- no network")  # noqa: TRY002

    monkeypatch.setattr(mnist_module, "load_data", offline)
    with pytest.raises(OSError, match=r"URL fetch failure.*Offline, use the copy shipped with mnistnn"):
        load_mnist("keras")


# --- the Kaggle CSV ---------------------------------------------------------------------------
def test_kaggle_csv_round_trip(tmp_path, mnist):
    (x, y), _ = mnist
    write_kaggle_csv(tmp_path / "train.csv", x[:50], y[:50])
    header = (tmp_path / "train.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["label", "pixel0", "pixel1"] and header[-1] == "pixel783" and len(header) == 785
    x_read, y_read = read_kaggle_csv(tmp_path / "train.csv")
    np.testing.assert_array_equal(x_read, x[:50])
    np.testing.assert_array_equal(y_read, y[:50])
    assert x_read.dtype == np.uint8 and y_read.dtype == np.uint8


def write_csv(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n")


HEADER = ["label"] + [f"pixel{j}" for j in range(784)]


@pytest.mark.parametrize(
    "header, rows, message",
    [
        (HEADER[:-1], [[1] + [0] * 783], r"missing \['pixel783'\]"),
        (HEADER + ["extra"], [[1] + [0] * 785], r"unexpected \['extra'\]"),
        (HEADER, [[1] + ["dark"] + [0] * 783], r"columns \['pixel0'\] hold non-numeric values"),
        (HEADER, [[10] + [0] * 784], r"labels must be digits 0\.\.9; got 10\.\.10"),
        (HEADER, [[1] + [256] + [0] * 783], r"pixel values must be in 0\.\.255; got 0\.\.256"),
        (HEADER, [[1] + [""] + [0] * 783], "empty or NaN cells"),
        (HEADER, [[1] + [0.5] + [0] * 783], "fractional values"),
        (HEADER, [], "holds no images"),
    ],
)
def test_read_kaggle_csv_errors(tmp_path, header, rows, message):
    write_csv(tmp_path / "bad.csv", header, rows)
    with pytest.raises(DataFormatError, match=message):
        read_kaggle_csv(tmp_path / "bad.csv")


def test_read_kaggle_csv_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no CSV file at"):
        read_kaggle_csv(tmp_path / "train.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataFormatError, match="not a readable CSV file"):
        read_kaggle_csv(tmp_path / "empty.csv")
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataFormatError):
        read_kaggle_csv(tmp_path / "binary.csv")


# --- to the network's layout -------------------------------------------------------------------
def test_flatten_images_puts_one_example_per_column(mnist):
    (x, _), _ = mnist
    X = flatten_images(x[:5])
    assert X.shape == (784, 5)
    for i in range(5):
        np.testing.assert_array_equal(X[:, i], x[i].ravel())
    assert X[28 * 3 + 4, 2] == x[2, 3, 4]  # pixel 28 r + c is row r, column c
    with pytest.raises(ValueError, match=r"images of shape \(m, 28, 28\); got shape \(784, 5\)"):
        flatten_images(X)


def test_scale_pixels():
    X = np.array([[0, 51, 255]], dtype=np.uint8)
    np.testing.assert_allclose(scale_pixels(X), [[0.0, 0.2, 1.0]])
    assert scale_pixels(X, dtype=np.float32).dtype == np.float32
    with pytest.raises(TypeError, match="already scaled"):
        scale_pixels(X / 255)
    with pytest.raises(ValueError, match=r"0\.\.255; got 0\.\.256"):
        scale_pixels(np.array([0, 256]))


def test_shuffle_is_seeded_keeps_pairs_and_copies():
    x = np.arange(100) * 10
    y = np.arange(100)
    x1, y1 = mnistnn.shuffle(x, y, rng=np.random.default_rng(3))
    x2, y2 = mnistnn.shuffle(x, y, rng=np.random.default_rng(3))
    x3, _ = mnistnn.shuffle(x, y, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(x1, y1 * 10)  # labels travel with their examples
    assert not np.array_equal(x1, x) and not np.array_equal(x1, x3)
    np.testing.assert_array_equal(x, np.arange(100) * 10)  # input untouched
    with pytest.raises(ValueError, match="same length; got 100 and 99"):
        mnistnn.shuffle(x, y[:99], rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        mnistnn.shuffle(x, y, rng=3)


def test_train_val_split_is_disjoint_and_complete():
    ids = np.arange(1000)
    (a, ya), (b, yb) = mnistnn.train_val_split(ids, ids % 10, val_size=200, rng=np.random.default_rng(0))
    assert len(a) == 800 and len(b) == 200
    assert not set(a) & set(b) and set(a) | set(b) == set(ids)
    np.testing.assert_array_equal(ya, a % 10)
    for bad in (0, 1000, 2.5):
        with pytest.raises(ValueError, match="val_size must be"):
            mnistnn.train_val_split(ids, ids, val_size=bad, rng=np.random.default_rng(0))


def test_load_dataset_keeps_the_test_set_apart_and_scales_every_split(mnist):
    data = mnistnn.load_dataset(rng=np.random.default_rng(0), val_size=10_000, dtype=np.float32)
    assert data.X_train.shape == (784, 50_000) and data.X_val.shape == (784, 10_000)
    assert data.X_test.shape == (784, 10_000)
    for X in (data.X_train, data.X_val, data.X_test):
        assert X.dtype == np.float32 and X.min() == 0.0 and X.max() == 1.0 and X.flags.f_contiguous
        assert X[:, :100].flags.f_contiguous and X[:, :100].T.flags.c_contiguous  # no copy in sgd or a slice
    _, (x_test, y_test) = mnist
    np.testing.assert_array_equal(data.X_test, flatten_images(x_test) / np.float32(255))  # not shuffled
    np.testing.assert_array_equal(data.y_test, y_test)
    assert data.y_train.dtype == np.int64
    assert np.bincount(data.y_train, minlength=10).sum() + len(data.y_val) == 60_000
    assert repr(data) == "Dataset(train=(784, 50000), val=(784, 10000), test=(784, 10000))"


def test_a_dataset_compares_by_identity_and_can_be_hashed():
    data = mnistnn.Dataset(*(np.zeros((784, 2)), np.zeros(2, np.int64)) * 3)
    same_arrays = mnistnn.Dataset(*(np.zeros((784, 2)), np.zeros(2, np.int64)) * 3)
    assert data == data and data != same_arrays  # noqa: PLR0124  identity is the point          # no "truth value of an array is ambiguous"
    assert len({data, same_arrays}) == 2 and {data: 1}[data] == 1
