"""Saving and loading params: exact round trip, atomic writes, checked loads."""

import numpy as np
import pytest

import mnistnn
from mnistnn import DataFormatError, load_params, save_params


@pytest.fixture
def params():
    return mnistnn.init_params(784, 16, 10, rng=np.random.default_rng(0), scheme="he")


def test_round_trip_is_exact(tmp_path, params):
    path = save_params(tmp_path / "net", params)
    assert path == tmp_path / "net.npz"
    loaded = load_params(path)
    assert set(loaded) == set(params)
    for key in params:
        assert loaded[key].dtype == params[key].dtype
        np.testing.assert_array_equal(loaded[key], params[key])


def test_a_failed_save_leaves_the_old_file_intact_and_no_temporary_behind(tmp_path, params, monkeypatch):
    path = save_params(tmp_path / "net.npz", params)
    before = path.read_bytes()

    def failing_savez(file, **arrays):
        file.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="disk full"):
        save_params(path, {k: v * 2 for k, v in params.items()})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]


def test_invalid_params_are_refused_before_anything_is_written(tmp_path, params):
    with pytest.raises(ValueError, match=r"missing \['b2'\]"):
        save_params(tmp_path / "net.npz", {k: v for k, v in params.items() if k != "b2"})
    assert not any(tmp_path.iterdir())
    with pytest.raises(FileNotFoundError, match="the folder .*nowhere does not exist"):
        save_params(tmp_path / "nowhere" / "net.npz", params)


def test_load_errors(tmp_path, params):
    with pytest.raises(FileNotFoundError, match="no file at .*net.npz"):
        load_params(tmp_path / "net.npz")
    np.savez(tmp_path / "keys.npz", W1=params["W1"], b1=params["b1"], W2=params["W2"])
    with pytest.raises(DataFormatError, match=r"does not hold valid params: .*missing \['b2'\]"):
        load_params(tmp_path / "keys.npz")
    np.savez(tmp_path / "shapes.npz", **{**params, "b1": np.zeros((15, 1))})
    with pytest.raises(DataFormatError, match=r"\['b1'\] must have shape \(16, 1\)"):
        load_params(tmp_path / "shapes.npz")
    np.savez(tmp_path / "pickled.npz", **{**params, "b2": np.array([None] * 10, dtype=object)})
    with pytest.raises(DataFormatError, match="pickled Python objects"):
        load_params(tmp_path / "pickled.npz")
    (tmp_path / "notes.npz").write_text("W1 = 3")
    with pytest.raises(DataFormatError, match="is not an .npz of params"):
        load_params(tmp_path / "notes.npz")
