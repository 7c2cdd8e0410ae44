"""Save trained parameters to an .npz file and load them back, checked (notebook 06)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from ._checks import PARAM_KEYS, check_params
from .data import DataFormatError, read_npz
from .model import Params


def params_path(path: str | os.PathLike) -> Path:
    """The file :func:`save_params` would write for ``path`` (``.npz`` added when there is no suffix),
    checking that its folder exists."""
    path = Path(path)
    if path.suffix == "":
        path = path.with_suffix(".npz")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save params to {path}: the folder {path.parent} does not exist")
    return path


def save_params(path: str | os.PathLike, params: Params) -> Path:
    """Save params to an .npz file, atomically: an existing file is replaced only once the new one is complete.

    Parameters
    ----------
    path : path
        Where to write; ``.npz`` is appended when the name has no suffix.
    params : dict
        ``W1``, ``b1``, ``W2``, ``b2`` of consistent shapes.

    Returns
    -------
    Path
        The file written.
    """
    check_params(params)
    path = params_path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            np.savez(file, **{key: params[key] for key in PARAM_KEYS})
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def load_params(path: str | os.PathLike) -> Params:
    """Load params saved by :func:`save_params`, checking keys and shapes.

    Raises
    ------
    FileNotFoundError
        No such file.
    DataFormatError
        Not an .npz, pickled content, or keys/shapes that do not make a network.
    """
    params = read_npz(path, "an .npz of params saved by save_params")
    try:
        check_params(params, name=str(path))
    except (ValueError, TypeError) as error:
        raise DataFormatError(f"{path} does not hold valid params: {error}") from None
    return params
