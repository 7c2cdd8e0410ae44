"""Bad input that once went silently wrong, escaped as an undocumented exception, or showed a traceback.

Each case asserts the error's type and what its message tells the user.
"""

import gzip
import io
import os
import stat
import zipfile

import numpy as np
import pandas as pd
import pytest
from problems import random_problem

import mnistnn
import mnistnn.__main__
from mnistnn import DataFormatError, DeadNetworkError, DivergenceError
from mnistnn.__main__ import main
from mnistnn.recipes import ORIGINAL


# --- 1. images outside [0, 1] are refused where they enter ------------------------------------------
@pytest.mark.parametrize(
    "scale, message",
    [
        (lambda X: X * 255, r"values from 0 to 255: pixels 0\.\.255 must be divided by 255"),
        (lambda X: 2 * X - 1, r"values from -1 to 1: these look scaled to \[-1, 1\]"),
        (lambda X: X * 1000, r"values from 0 to 1000: scale them to \[0, 1\]"),
    ],
)
@pytest.mark.parametrize(
    "call",
    [
        lambda p, X, y: mnistnn.predict(p, X),
        lambda p, X, y: mnistnn.gradient_check(p, X, y),
        lambda p, X, y: mnistnn.gradient_descent(p, X, y, iterations=1),
        lambda p, X, y: mnistnn.sgd(p, X, y, rng=np.random.default_rng(0), batch_size=2, epochs=1),
        lambda p, X, y: mnistnn.gradient_descent(p, X / X.max(), y, iterations=1, X_val=X, y_val=y),
    ],
)
def test_images_outside_0_1_are_refused_with_how_to_scale_them(call, scale, message):
    params, X, y = random_problem(20, 8, 10, 6)
    X[0, 0] = 1.0  # values exactly spanning [0, 1] before scaling
    X[1, 0] = 0.0
    with pytest.raises(ValueError, match=message):
        call(params, scale(X), y)


# --- 2. a network whose units all died is reported, not trained on in silence ------------------------
def test_learning_rate_5_kills_every_unit_and_training_says_so(small_data):
    X, y, _, _ = small_data
    params = ORIGINAL.init_params(rng=np.random.default_rng(0))
    with pytest.raises(DeadNetworkError, match="every hidden unit outputs 0 for at least 99% of the") as caught:
        mnistnn.gradient_descent(params, X, y, learning_rate=5, iterations=100)
    message = str(caught.value)
    assert "learning_rate=0.1" in message and "learning_rate=0.5" not in message
    assert caught.value.where.startswith("iteration ")
    A2, cache = mnistnn.forward(caught.value.params, X)  # the params offered: still alive
    assert (cache["A1"] > 0).sum(axis=1).max() > 0.01 * X.shape[1]


def test_sgd_reports_a_dead_network_too():
    params, X, y = random_problem(20, 4, 10, 40, scheme="he")
    params = {**params, "b1": np.full_like(params["b1"], -100.0)}  # every unit off for every input
    with pytest.raises(DeadNetworkError, match="at epoch 1, every hidden unit"):
        mnistnn.sgd(params, X, y, rng=np.random.default_rng(0), batch_size=8, epochs=2)


def test_divergence_never_suggests_a_rate_that_kills_the_network(small_data):
    X, y, _, _ = small_data
    with pytest.raises(DivergenceError) as caught:
        mnistnn.gradient_descent(
            ORIGINAL.init_params(rng=np.random.default_rng(0)), X, y, learning_rate=500, iterations=50
        )
    assert "e.g. learning_rate=0.1." in str(caught.value)


# --- 3. damaged .npz files become DataFormatError; sizes that cannot fit are refused up front ------
def npz_with_member(tmp_path, name, payload):
    path = tmp_path / "damaged.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}.npy", payload)
    return path


def npy_header(header):
    body = header.encode("latin1")
    return b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body


@pytest.mark.parametrize(
    "payload, message",
    [
        (npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (10, "), "not a readable .npz archive"),
        (
            npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999, ), }"),
            r"declares shape \(99999999999999999999999,\) of float64 .* but the file holds 0 bytes of data",
        ),
        (
            npy_header("{'descr': '<u1', 'fortran_order': False, 'shape': (10000000, 100000), }"),
            r"declares shape \(10000000, 100000\) of uint8 \(1,000,000,000,000 bytes\) but the file holds 0 bytes",
        ),
        (b"\x93NUMPY garbage", "not a readable .npz archive"),
    ],
)
def test_damaged_npz_headers_give_data_format_errors(tmp_path, payload, message):
    path = npz_with_member(tmp_path, "x_train", payload)
    with pytest.raises(DataFormatError, match=message):
        mnistnn.load_mnist(path)
    with pytest.raises(DataFormatError, match=message):
        mnistnn.load_params(path)


def test_the_cli_shows_no_traceback_for_a_damaged_file_or_a_huge_network(tmp_path, capsys):
    path = npz_with_member(tmp_path, "x_train", npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1"))
    for argv in (["--data", str(path)], ["--hidden", "10000000"]):
        assert main(["train", "--no-progress", *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("mnistnn: error: ") and len(err.strip().splitlines()) == 1, err


def test_a_huge_network_is_refused_before_any_memory_is_used(machine_with_8_gib):
    with pytest.raises(
        ValueError,
        match=r"784-10000000-10 network's parameters would need 63\.6 GB, more than "
        r"this machine's 8\.6 GB of memory: choose fewer",
    ):
        mnistnn.init_params(784, 10_000_000, 10, rng=np.random.default_rng(0))


def _compressed_npz(path, arrays):
    """An .npz of these (name, shape) arrays of zeros, written member by member without holding any array."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, shape in arrays:
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                member.write(
                    npy_header(f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}".ljust(117) + "\n")
                )
                block = bytes(2**20)
                remaining = 8 * int(np.prod(shape))
                while remaining:
                    member.write(block[: min(remaining, len(block))])
                    remaining -= min(remaining, len(block))
    return path


def test_a_small_file_whose_arrays_claim_much_memory_is_refused_before_reading(tmp_path, monkeypatch):
    """300 MB of zeros compress to 0.3 MB: the declared sizes, not the file's, must be checked, in all."""
    path = _compressed_npz(
        tmp_path / "net.npz",
        [
            ("W1", (2500, 4000)),
            ("b1", (2500, 1)),
            ("W2", (10, 2500)),
            ("b2", (10, 1)),
            ("W3", (2500, 4000)),
            ("W4", (2500, 4000)),
        ],
    )
    assert path.stat().st_size < 2e6

    def never(*args, **kwargs):
        raise AssertionError("an array was read")

    monkeypatch.setattr(np.lib.format, "read_array", never)
    with pytest.raises(DataFormatError, match=r"arrays would need 229 MiB of memory .* more than the 100 MiB"):
        mnistnn.data.read_npz(path, max_bytes=100 * 2**20)
    with pytest.raises(DataFormatError, match=r"arrays would need 229 MiB"):
        mnistnn.load_params(path, max_bytes=100 * 2**20)


# --- 4 and 6. the command line checks every option before reading data -----------------------------
@pytest.fixture
def no_data_reading(monkeypatch):
    def refuse(**kwargs):
        raise AssertionError("the data was read before the options were checked")

    monkeypatch.setattr(mnistnn.__main__, "load_dataset", refuse)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--iterations", "0"], "--iterations must be a whole number >= 1; got 0"),
        (["--original", "--iterations", "-3"], "--iterations must be a whole number >= 1; got -3"),
        (["--hidden", "-1"], "--hidden must be a whole number >= 1"),
        (["--lr-decay", "0"], "--lr-decay must be a number in (0, 1]; got 0.0"),
        (["--val-size", "0"], "--val-size must be a whole number >= 1"),
        (["--seed", "-1"], "--seed must be a whole number >= 0"),
        (["--save", "."], "it is a folder"),
        (["--save", "pyproject.toml/net.npz"], "does not exist"),
    ],
)
def test_every_option_is_checked_before_the_data_is_read(no_data_reading, capsys, argv, message):
    assert main(["train", "--no-progress", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err or pytest.fail(err)


def test_keyboard_interrupt_is_one_line(monkeypatch, capsys):
    def interrupted(**kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(mnistnn.__main__, "load_dataset", interrupted)
    assert main(["train"]) == 130
    assert capsys.readouterr().err == "mnistnn: interrupted\n"


# --- 5. save_params -------------------------------------------------------------------------------
@pytest.fixture
def params():
    return random_problem(4, 3, 2, 1)[0]


def test_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path, params):
    path = tmp_path / "net.npz"
    mnistnn.save_params(path, params)
    os.chmod(path, 0o640)
    mnistnn.save_params(path, params)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_new_file_gets_the_usual_permissions_and_the_umask_is_never_touched(tmp_path, params, monkeypatch):
    umask = os.umask(0o027)
    try:

        def touched(*args):
            raise AssertionError("save_params changed the process-wide umask (a race with other threads)")

        with monkeypatch.context() as patched:
            patched.setattr(os, "umask", touched)
            mnistnn.save_params(tmp_path / "net.npz", params)
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "net.npz").stat().st_mode) == 0o640


def test_save_writes_through_a_symbolic_link(tmp_path, params):
    target, link = tmp_path / "real.npz", tmp_path / "link.npz"
    mnistnn.save_params(target, {k: v * 0 for k, v in params.items()})
    link.symlink_to(target)
    mnistnn.save_params(link, params)
    assert link.is_symlink()
    np.testing.assert_array_equal(mnistnn.load_params(target)["W1"], params["W1"])


def test_save_syncs_before_renaming_and_leaves_nothing_after_a_failure(tmp_path, params, monkeypatch):
    synced = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    mnistnn.save_params(tmp_path / "net.npz", params)
    assert synced

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        mnistnn.save_params(tmp_path / "other.npz", params)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.npz"]


def test_save_refuses_a_folder(tmp_path, params):
    with pytest.raises(IsADirectoryError, match="it is a folder; give a file name"):
        mnistnn.save_params(tmp_path, params)


# --- 8. SGD divergence names the epoch and the batch, and offers the params before the failing step --
def test_sgd_divergence_names_epoch_and_batch_and_keeps_the_params_before_the_step(small_data):
    X, y, _, _ = small_data
    start = ORIGINAL.init_params(rng=np.random.default_rng(0))
    with pytest.raises(DivergenceError, match=r"at epoch 1, batch (\d+) with learning_rate=20") as caught:
        mnistnn.sgd(start, X, y, rng=np.random.default_rng(0), learning_rate=20, batch_size=100, epochs=3)
    batch = int(caught.value.where.split()[-1])
    assert batch > 2
    offered = caught.value.params
    assert all(np.isfinite(v).all() for v in offered.values())
    assert not np.array_equal(offered["W1"], start["W1"])  # not the epoch's start: the last good step


# --- 9. messages that name the right thing -----------------------------------------------------------
def test_w1_that_does_not_fit_x_names_both():
    params, X, _ = random_problem(20, 8, 10, 3)
    with pytest.raises(ValueError, match=r"W1 has 20 columns .* but X has 19 rows"):
        mnistnn.predict(params, X[:19])


def test_a_transposed_w1_is_called_transposed():
    params, X, _ = random_problem(20, 8, 10, 3)
    with pytest.raises(ValueError, match=r"params\['W1'\] has shape \(20, 8\): it looks transposed.*pass W1\.T"):
        mnistnn.predict({**params, "W1": params["W1"].T}, X)


def test_a_flat_bias_is_told_how_to_reshape():
    params, X, _ = random_problem(20, 8, 10, 3)
    with pytest.raises(ValueError, match=r"params\['b1'\] must have shape \(8, 1\).*b1\.reshape\(-1, 1\)"):
        mnistnn.predict({**params, "b1": params["b1"].reshape(1, -1)}, X)


@pytest.mark.parametrize(
    "call",
    [
        lambda: mnistnn.init_params(784, 10, 10, rng=np.random.default_rng(0), dtype=np.float16),
        lambda: mnistnn.load_dataset(rng=np.random.default_rng(0), dtype=np.float16),
        lambda: mnistnn.scale_pixels(np.zeros(3, dtype=np.uint8), dtype=np.float16),
    ],
)
def test_float16_is_refused_where_it_is_asked_for(call):
    with pytest.raises(TypeError, match="dtype is float16, which keeps only about 3 significant digits"):
        call()


def test_numpy_matrix_is_refused_by_name():
    params, X, y = random_problem(20, 8, 10, 3)
    with pytest.warns(PendingDeprecationWarning):  # NumPy itself advises against np.matrix
        X_matrix, y_matrix = np.asmatrix(X), np.asmatrix(y)
    with pytest.raises(TypeError, match=r"X is a numpy.matrix.*np\.asarray\(X\)"):
        mnistnn.predict(params, X_matrix)
    with pytest.raises(TypeError, match=r"y is a numpy.matrix"):
        mnistnn.gradient_descent(params, X, y_matrix, iterations=1)


@pytest.fixture
def csv_rows(mnist):
    (x, y), _ = mnist
    frame = pd.DataFrame(x[:3].reshape(3, -1), columns=[f"pixel{j}" for j in range(784)])
    frame.insert(0, "label", y[:3])
    return frame


def test_csv_columns_in_another_order_are_read_by_name(tmp_path, csv_rows, mnist):
    path = tmp_path / "train.csv"
    csv_rows[list(reversed(csv_rows.columns))].to_csv(path, index=False)
    x, y = mnistnn.read_kaggle_csv(path)
    (x_train, y_train), _ = mnist
    np.testing.assert_array_equal(x, x_train[:3])
    np.testing.assert_array_equal(y, y_train[:3])


def test_a_row_with_an_extra_cell_is_named(tmp_path, csv_rows):
    path = tmp_path / "train.csv"
    csv_rows.to_csv(path, index=False)
    lines = path.read_text().splitlines()
    lines[2] += ",0"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match="line 3 has 786 cells but the header names 785 columns"):
        mnistnn.read_kaggle_csv(path)


def test_every_row_one_cell_too_long_is_not_read_as_an_index(tmp_path, csv_rows):
    path = tmp_path / "train.csv"
    csv_rows.to_csv(path, index=False)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0]] + [line + ",0" for line in lines[1:]]) + "\n")
    with pytest.raises(DataFormatError, match="more cells than its header has column names"):
        mnistnn.read_kaggle_csv(path)


def test_a_semicolon_separated_file_gets_a_short_message(tmp_path, csv_rows):
    path = tmp_path / "train.csv"
    csv_rows.to_csv(path, index=False, sep=";")
    with pytest.raises(DataFormatError, match="separated by semicolons") as caught:
        mnistnn.read_kaggle_csv(path)
    assert len(str(caught.value)) < 400


def test_a_huge_pixel_value_is_reported_as_it_is(tmp_path, csv_rows):
    frame = csv_rows.astype(float)
    frame.iloc[1, 5] = 1e20
    frame.to_csv(tmp_path / "train.csv", index=False)
    with pytest.raises(DataFormatError, match=r"values from 0 to 1e\+20"):
        mnistnn.read_kaggle_csv(tmp_path / "train.csv")


def test_a_gzipped_csv_is_read_whatever_its_name(tmp_path, csv_rows, mnist):
    buffer = io.StringIO()
    csv_rows.to_csv(buffer, index=False)
    (tmp_path / "train.csv").write_bytes(gzip.compress(buffer.getvalue().encode()))
    x, _ = mnistnn.read_kaggle_csv(tmp_path / "train.csv")
    np.testing.assert_array_equal(x, mnist[0][0][:3])


def test_a_zip_named_csv_is_called_a_zip(tmp_path):
    with zipfile.ZipFile(tmp_path / "train.csv", "w") as archive:
        archive.writestr("train.csv", "label\n1\n")
    with pytest.raises(DataFormatError, match="is a zip archive, not a CSV file"):
        mnistnn.read_kaggle_csv(tmp_path / "train.csv")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: mnistnn.shuffle(np.zeros(3), np.zeros(3), rng=0), "rng must be a numpy.random.Generator"),
        (lambda: mnistnn.init_params(2, 2, 2, rng=np.random.RandomState(0)), "rng must be a numpy.random.Generator"),
        (lambda: mnistnn.load_dataset(rng=None), "rng must be a numpy.random.Generator"),
    ],
)
def test_one_rng_check_everywhere(call, message):
    with pytest.raises(TypeError, match=message):
        call()
